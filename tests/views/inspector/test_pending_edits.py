"""What is typed in the inspector is what Save, Run and Export use, even when the shortcut is
pressed before the field loses focus (issue #17: Ctrl+S wrote the old state, F5 ran the old
code)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from burrdesk.model.run_database import RunDatabase

EXAMPLES = Path(__file__).parents[3] / "resources" / "examples"


def _open_copy(window, tmp_path: Path) -> Path:
    path = tmp_path / "counter.burrflow"
    shutil.copy(EXAMPLES / "counter.burrflow", path)
    assert window.files.open_path(path, ask=False)
    return path


def _type_over(qtbot, editor, old: str, new: str) -> None:
    """Puts the cursor on `old` in the editor and types `new` over it, keeping the focus."""
    editor.setFocus()
    qtbot.waitUntil(editor.hasFocus)
    cursor = editor.document().find(old)
    assert not cursor.isNull(), old
    editor.setTextCursor(cursor)
    QTest.keyClicks(editor, new)


def test_ctrl_s_right_after_typing_the_initial_state_saves_it(qtbot, window, tmp_path):
    path = _open_copy(window, tmp_path)
    window.scene.clearSelection()
    editor = window.inspector.panel.flow_page.state
    _type_over(qtbot, editor, "0", "7")
    assert editor.hasFocus()
    QTest.keyClick(editor, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert json.loads(path.read_text(encoding="utf-8"))["state"] == {"count": 7}
    assert window.undo_stack.isClean()
    assert QApplication.focusWidget() is editor  # typing can go on


def test_f5_right_after_typing_code_runs_the_new_code(qtbot, window, tmp_path, data_dir):
    _open_copy(window, tmp_path)
    window.scene.select_only("increment")
    editor = window.inspector.panel.node_page.code
    _type_over(qtbot, editor, "+ 1", "+ 3")
    with qtbot.waitSignal(window.run.panel.runEnded, timeout=15_000) as ended:
        QTest.keyClick(editor, Qt.Key.Key_F5)
    assert ended.args[1] == "completed"
    assert "+ 3" in window.model.node("increment").code
    with RunDatabase(window.run.database_path(), read_only=True) as db:
        run = db.list_runs()[0]
        assert db.state_at(run.run_id, run.last_sequence_id)["count"] == 12  # 0, 3, 6, 9, 12


def test_closing_right_after_typing_asks_to_save_the_typed_change(
    qtbot, window, tmp_path, monkeypatch
):
    _open_copy(window, tmp_path)
    window.scene.select_only("increment")
    editor = window.inspector.panel.node_page.code
    _type_over(qtbot, editor, "+ 1", "+ 2")
    asked = []

    def question(*args, **kwargs):
        asked.append(args)
        return QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QMessageBox, "question", question)
    assert not window.files.maybe_save()
    assert asked and "+ 2" in window.model.node("increment").code
