"""The desktop app driven like a person would: drag, connect, edit, undo, save, reopen."""

import json
import subprocess
import sys
from pathlib import Path

from drag_and_drop import drag_and_drop, file_mime
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from burrdesk.model.flow_document import load_flow
from burrdesk.views.canvas.edge_item import EdgeItem
from burrdesk.views.canvas.flow_view import NODE_KIND_MIME
from burrdesk.views.main_window import MainWindow

EXAMPLES = Path(__file__).parents[2] / "resources" / "examples"


def drop_kind(window, kind, view_point):
    """Sends the drag-enter and drop a palette drag delivers, with the palette's own MIME data."""
    kinds = window.node_palette.panel.kinds
    item = next(
        kinds.item(i)
        for i in range(kinds.count())
        if kinds.item(i).data(Qt.ItemDataRole.UserRole) == kind
    )
    mime = kinds.mimeData([item])
    assert mime.hasFormat(NODE_KIND_MIME)
    drag_and_drop(window.view.viewport(), mime, QPointF(view_point))


def view_point_of(window, scene_point):
    return window.view.mapFromScene(scene_point)


def drag_connection(qtbot, window, source_id, target_id):
    view = window.view
    source = window.scene.nodes[source_id]
    target = window.scene.nodes[target_id]
    start = view.mapFromScene(source.output_point())
    end = view.mapFromScene(target.sceneBoundingRect().center())
    viewport = view.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for fraction in (0.25, 0.5, 0.75, 1.0):
        point = QPoint(
            int(start.x() + (end.x() - start.x()) * fraction),
            int(start.y() + (end.y() - start.y()) * fraction),
        )
        QTest.mouseMove(viewport, point)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)


def test_empty_window_explains_itself(window):
    assert "burrdesk" in window.windowTitle()
    assert window.problems.panel.topLevelItem(0).text(2).startswith("the flow has no nodes") or (
        "no nodes" in window.problems.panel.topLevelItem(0).text(2)
    )
    page = window.inspector.panel.pages.currentWidget()
    assert page is window.inspector.panel.flow_page


def test_create_a_flow_by_dragging_two_nodes_and_connecting_them(qtbot, window):
    drop_kind(window, "python", QPoint(300, 300))
    drop_kind(window, "end", QPoint(700, 300))
    assert window.model.node_ids() == ["python", "end"]
    assert window.model.document.entrypoint == "python"
    window.view.zoom_to_fit()
    qtbot.wait(20)
    drag_connection(qtbot, window, "python", "end")
    edges = window.model.document.edges
    assert [(e.source, e.target, e.condition) for e in edges] == [("python", "end", "default")]
    assert any(isinstance(i, EdgeItem) for i in window.scene.items())
    assert window.undo_stack.undoText() == "Connect python → end"
    assert window.isWindowModified()
    window.undo_stack.undo()
    assert window.model.document.edges == []
    window.undo_stack.undo()
    window.undo_stack.undo()
    assert window.model.node_ids() == []
    window.undo_stack.redo()
    window.undo_stack.redo()
    window.undo_stack.redo()
    assert len(window.model.document.edges) == 1


def test_moving_nodes_is_one_undo_step_with_a_readable_text(qtbot, window):
    window.files.open_path(EXAMPLES / "counter.burrflow", ask=False)
    item = window.scene.nodes["increment"]
    before = tuple(window.model.node("increment").position)
    view = window.view
    start = view.mapFromScene(item.sceneBoundingRect().center())
    QTest.mousePress(
        view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start
    )
    QTest.mouseMove(view.viewport(), start + QPoint(30, 10))
    QTest.mouseMove(view.viewport(), start + QPoint(60, 40))
    QTest.mouseRelease(
        view.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        start + QPoint(60, 40),
    )
    after = tuple(window.model.node("increment").position)
    assert after != before and after[0] % 20 == 0 and after[1] % 20 == 0
    assert window.undo_stack.undoText() == "Move 1 node"
    window.undo_stack.undo()
    assert tuple(window.model.node("increment").position) == before


def test_edit_code_in_the_inspector_then_undo_and_redo(qtbot, window):
    window.files.open_path(EXAMPLES / "counter.burrflow", ask=False)
    window.scene.select_only("increment")
    page = window.inspector.panel.node_page
    assert window.inspector.panel.pages.currentWidget() is page
    editor = page.code
    editor.setFocus()
    editor.selectAll()
    new_code = (
        "def increment(state: State) -> State:\n    return state.update(count=state['count'] + 2)\n"
    )
    editor.set_text(new_code)
    editor.document().setModified(True)
    editor.editingFinished.emit()
    assert window.model.node("increment").code == new_code
    assert window.undo_stack.undoText() == "Edit code of 'increment'"
    window.undo_stack.undo()
    assert "+ 1" in window.model.node("increment").code
    assert "+ 1" in page.code.text()
    window.undo_stack.redo()
    assert "+ 2" in page.code.text()


def test_a_node_is_renamed_to_any_name_burr_takes_and_duplicates_are_refused(qtbot, window):
    window.files.open_path(EXAMPLES / "counter.burrflow", ask=False)
    window.scene.select_only("done")
    page = window.inspector.panel.node_page
    page.id_edit.setFocus()
    page.id_edit.selectAll()
    page.id_edit.insert("終わり🏁")  # as an input method types it (QTest types ASCII only)
    QTest.keyClick(page.id_edit, Qt.Key.Key_Return)
    assert "終わり🏁" in window.model.node_ids() and "done" not in window.model.node_ids()
    assert window.undo_stack.undoText() == "Rename 'done' to '終わり🏁'"
    page.id_edit.selectAll()
    qtbot.keyClicks(page.id_edit, "report")
    QTest.keyClick(page.id_edit, Qt.Key.Key_Return)
    assert page.problems.text() == "'report' is the name of another node; names are unique."
    assert page.id_edit.text() == "終わり🏁"


def test_a_state_pasted_a_thousand_levels_deep_is_one_sentence_and_changes_nothing(qtbot, window):
    window.files.open_path(EXAMPLES / "counter.burrflow", ask=False)
    window.scene.clearSelection()
    page = window.inspector.panel.flow_page
    before = dict(window.model.document.state)
    page.state.setFocus()
    page.state.set_text('{"deep": ' + "[" * 1000 + "1" + "]" * 1000 + "}")
    page.state.editingFinished.emit()
    assert page.state_error.text() == "Not saved: it nests values more than 100 levels deep."
    assert window.model.document.state == before
    assert window.undo_stack.isClean()


def test_a_broken_edit_shows_up_in_the_problems_panel_and_on_the_node(qtbot, window):
    window.files.open_path(EXAMPLES / "counter.burrflow", ask=False)
    window.scene.select_only("increment")
    editor = window.inspector.panel.node_page.code
    editor.set_text("def increment(state):\n    return state.update(count=\n")
    editor.editingFinished.emit()
    qtbot.waitUntil(lambda: window.problems.panel.problem_count()[0] == 1, timeout=2000)
    row = window.problems.panel.topLevelItem(0)
    assert "does not parse" in row.text(2) and "increment" in row.text(1)
    assert window.scene.nodes["increment"].problems
    window.scene.clearSelection()
    window.problems.panel.itemActivated.emit(row, 0)
    assert window.scene.selected_node_ids() == ["increment"]
    window.undo_stack.undo()
    qtbot.waitUntil(lambda: window.problems.panel.problem_count() == (0, 0), timeout=2000)


def test_edit_a_condition_with_live_validation_and_undo(qtbot, window):
    window.files.open_path(EXAMPLES / "counter.burrflow", ask=False)
    window.scene.select_only(edge_index=0)
    page = window.inspector.panel.edge_page
    assert window.inspector.panel.pages.currentWidget() is page
    assert page.route.text() == "increment  →  increment"
    page.expression.setFocus()
    page.expression.clear()
    QTest.keyClicks(page.expression, "count.__class__")
    assert "attribute access" in page.error.text()
    page.expression.clear()
    QTest.keyClicks(page.expression, "count < 5")
    assert page.error.text() == ""
    QTest.keyClick(page.expression, Qt.Key.Key_Return)
    assert window.model.document.edges[0].condition == "expr: count < 5"
    assert window.undo_stack.undoText() == "Change condition of increment → increment"
    window.undo_stack.undo()
    assert window.model.document.edges[0].condition == "expr: count < 10"


def test_reorder_the_transitions_leaving_a_node_with_undo(qtbot, window):
    window.files.open_path(EXAMPLES / "email_assistant.burrflow", ask=False)
    routes = lambda: [  # noqa: E731
        e.target for e in window.model.document.edges if e.source == "classify"
    ]
    assert routes() == ["escalate", "archive", "draft_reply"]
    window.scene.select_only(edge_index=2)  # classify → archive, tried second
    page = window.inspector.panel.edge_page
    assert page.order.text().startswith("Tried 2 of 3 from classify")
    QTest.mouseClick(page.earlier_button, Qt.MouseButton.LeftButton)
    assert routes() == ["archive", "escalate", "draft_reply"]
    assert window.scene.selected_edge_indexes() == [1]  # the selection followed the edge
    assert page.route.text() == "classify  →  archive"
    assert page.order.text().startswith("Tried 1 of 3") and not page.earlier_button.isEnabled()
    assert window.undo_stack.undoText() == "Try classify → archive earlier"
    QTest.mouseClick(page.later_button, Qt.MouseButton.LeftButton)
    QTest.mouseClick(page.later_button, Qt.MouseButton.LeftButton)
    assert routes() == ["escalate", "draft_reply", "archive"]
    assert not page.later_button.isEnabled()
    for _ in range(3):
        window.undo_stack.undo()
    assert routes() == ["escalate", "archive", "draft_reply"]


def test_save_and_reopen_gives_the_identical_document(qtbot, window, tmp_path):
    window.files.open_path(EXAMPLES / "email_assistant.burrflow", ask=False)
    window.scene.nudge_selection(0, 0)
    window.scene.select_only("classify")
    window.scene.nudge_selection(20, 0)
    target = tmp_path / "copy.burrflow"
    assert window.files.write_to(target)
    assert not window.isWindowModified()
    saved = window.model.document
    window.files.new_flow()
    assert window.model.node_ids() == []
    assert window.files.open_path(target)
    assert window.model.document == saved
    assert window.windowTitle().startswith("copy.burrflow")
    assert str(target.resolve()) in window.files.recent_files()


def test_open_a_file_by_dropping_it_on_the_window(qtbot, window):
    drag_and_drop(window, file_mime(EXAMPLES / "chatbot.burrflow"), QPointF(200, 200))
    assert window.model.document.name == "chatbot"
    assert set(window.scene.nodes) == {"human_input", "ai_response"}


def test_unsaved_changes_prompt_before_closing(qtbot, window, monkeypatch):
    window.files.open_path(EXAMPLES / "counter.burrflow", ask=False)
    window.scene.select_only("increment")
    window.scene.nudge_selection(20, 0)
    asked = []
    monkeypatch.setattr(
        QMessageBox,
        "question",
        lambda *a, **k: asked.append(a) or QMessageBox.StandardButton.Cancel,
    )
    assert not window.close()
    assert asked and window.isVisible()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    assert window.close()


def test_delete_nudge_copy_paste_and_select_all(qtbot, window):
    window.files.open_path(EXAMPLES / "counter.burrflow", ask=False)
    window.scene.select_only("report")
    window.view.setFocus()
    x, y = window.model.node("report").position
    QTest.keyClick(window.view, Qt.Key.Key_Right)
    QTest.keyClick(window.view, Qt.Key.Key_Right)
    assert window.model.node("report").position == (x + 40, y)
    assert window.undo_stack.undoText() == "Move 1 node"
    window.undo_stack.undo()
    assert window.model.node("report").position == (x, y)
    window.editing.copy()
    window.editing.paste()
    assert "report_2" in window.model.node_ids()
    assert window.model.node("report_2").code.startswith("def report_2(")
    QTest.keyClick(window.view, Qt.Key.Key_Delete)
    assert "report_2" not in window.model.node_ids()
    assert window.undo_stack.undoText() == "Delete 1 node"
    window.editing.select_all()
    assert len(window.scene.selected_node_ids()) == 3


def test_tab_opens_the_add_node_popup_and_typing_filters_it(qtbot, window):
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_Tab)
    popup = window.editing.add_node_popup
    qtbot.waitUntil(popup.isVisible, timeout=2000)
    QTest.keyClicks(popup.search, "llm")
    QTest.keyClick(popup.search, Qt.Key.Key_Return)
    assert window.model.node_ids() == ["llm"]
    assert window.model.node("llm").kind == "llm"


def test_auto_layout_places_nodes_left_to_right_and_undoes(qtbot, window):
    window.files.open_path(EXAMPLES / "email_assistant.burrflow", ask=False)
    for node_id in window.model.node_ids():
        window.model.move_nodes({node_id: (0.0, 0.0)})
    window.undo_stack.clear()
    window.canvas.auto_layout()
    positions = {n.id: n.position for n in window.model.document.nodes}
    assert positions["receive_email"][0] < positions["classify"][0] < positions["draft_reply"][0]
    rects = [item.sceneBoundingRect() for item in window.scene.nodes.values()]
    assert not any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1 :])
    assert window.undo_stack.undoText() == "Auto-layout"
    window.undo_stack.undo()
    assert all(n.position == (0.0, 0.0) for n in window.model.document.nodes)


def test_the_500_node_example_opens_and_lays_out(qtbot, window):
    path = EXAMPLES / "large_flow_500.burrflow"
    assert window.files.open_path(path, ask=False)
    assert len(window.scene.nodes) == 500
    window.canvas.auto_layout()
    qtbot.wait(10)
    assert len({tuple(n.position) for n in window.model.document.nodes}) == 500


def test_export_python_mermaid_png_and_svg(window, tmp_path):
    window.files.open_path(EXAMPLES / "counter.burrflow", ask=False)
    assert window.files.export_to("python", tmp_path / "app.py")
    assert "from burr.core import" in (tmp_path / "app.py").read_text()
    assert window.files.export_to("mermaid", tmp_path / "flow.mmd")
    assert (tmp_path / "flow.mmd").read_text().startswith("flowchart LR")
    assert window.files.export_to("png", tmp_path / "flow.png")
    image = QImage(str(tmp_path / "flow.png"))
    assert image.width() > 400 and image.height() > 100
    assert window.files.export_to("svg", tmp_path / "flow.svg")
    assert "<svg" in (tmp_path / "flow.svg").read_text()


def test_settings_remember_theme_and_geometry(qtbot, window):
    window.appearance.theme_action.setChecked(True)
    window.appearance.toggle_theme()
    window.close()
    again = MainWindow()
    qtbot.addWidget(again)
    assert again.appearance.theme_action.isChecked()


def test_screenshot_command_writes_a_non_blank_image(tmp_path):
    out = tmp_path / "shot.png"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "burrdesk",
            "--screenshot",
            str(out),
            str(EXAMPLES / "chatbot.burrflow"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **__import__("os").environ,
            "QT_QPA_PLATFORM": "offscreen",
            "BURRDESK_DATA_DIR": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1400, 900)
    colors = {image.pixel(x, y) for x in range(0, 1400, 37) for y in range(0, 900, 29)}
    assert len(colors) > 20


def test_opening_a_broken_flow_says_why_and_keeps_the_current_one(
    qtbot, window, tmp_path, monkeypatch
):
    window.files.open_path(EXAMPLES / "counter.burrflow", ask=False)
    broken = tmp_path / "broken.burrflow"
    broken.write_text(json.dumps({"format": "burrdesk.flow", "nodes": [{"id": "x"}]}))
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, title, text: shown.append(text))
    assert not window.files.open_path(broken, ask=False)
    assert 'node "x" field "kind"' in shown[0]
    assert window.model.document == load_flow(EXAMPLES / "counter.burrflow")


def test_pasting_foreign_clipboard_text_changes_nothing(window):
    window.files.open_path(EXAMPLES / "counter.burrflow", ask=False)
    clipboard = QApplication.clipboard()
    for text in ("just words", '{"burrdesk.flow-fragment": {"nodes": [{"id": 1}]}}'):
        clipboard.setText(text)
        window.editing.paste()
        assert window.model.node_ids() == ["increment", "report", "done"]
    assert window.undo_stack.count() == 0
