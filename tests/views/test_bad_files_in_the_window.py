"""Bad files opened in the window say why in one message and never freeze it (issue #16).

A person opens broken flows, damaged or foreign run databases and empty folders through
File → Open and by dropping them on the window; each must end in one sentence (a dialog and
the status bar) while the event loop keeps turning, the flow being edited stays as it was, and
the file is left byte for byte alone with nothing new beside it.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from drag_and_drop import drag_and_drop, file_mime
from PySide6.QtCore import QPointF, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
COUNTER = EXAMPLES / "counter.burrflow"


@pytest.fixture(scope="module")
def recorded_runs(tmp_path_factory) -> bytes:
    """The bytes of a real run database holding two runs of the counter example."""
    folder = tmp_path_factory.mktemp("recorded")
    database = folder / "runs.db"
    env = {**os.environ, "BURRDESK_DATA_DIR": str(folder / "data")}
    for _ in range(2):
        subprocess.run(
            [sys.executable, "-m", "burrdesk", "run", str(COUNTER), "--no-input"]
            + ["--db", str(database)],
            env=env,
            cwd=folder,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=30,
            check=True,
        )
    return database.read_bytes()


def _invalid_json(folder: Path, _recorded: bytes) -> Path:
    path = folder / "invalid.burrflow"
    path.write_bytes(b'{"format": "burrdesk.flow", "version": 1,, "nodes": []}\n')
    return path


def _binary(folder: Path, _recorded: bytes) -> Path:
    path = folder / "binary.burrflow"
    path.write_bytes(bytes(range(256)) * 16)
    return path


def _truncated(folder: Path, recorded: bytes) -> Path:
    path = folder / "truncated.db"
    path.write_bytes(recorded[: len(recorded) // 2])
    return path


def _foreign(folder: Path, _recorded: bytes) -> Path:
    path = folder / "invoices.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, customer TEXT, total REAL)")
    conn.execute("INSERT INTO invoices (customer, total) VALUES ('ACME', 12.5)")
    conn.commit()
    conn.close()
    return path


def _empty_folder(folder: Path, _recorded: bytes) -> Path:
    path = folder / "nothing_here"
    path.mkdir()
    return path


BAD_FILES: dict[str, Callable[[Path, bytes], Path]] = {
    "invalid-json-flow": _invalid_json,
    "binary-flow": _binary,
    "truncated-database": _truncated,
    "foreign-sqlite": _foreign,
    "empty-folder": _empty_folder,
}


def snapshot(folder: Path) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(folder.rglob("*"))
    }


def drop_on(window, path: Path) -> None:
    """Drags `path` onto the window and drops it there, as a file manager does."""
    drag_and_drop(window, file_mime(path), QPointF(300, 300))


@pytest.mark.parametrize("how", ["file-open", "drop"])
@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_is_one_message_and_the_window_keeps_responding(
    qtbot, window, tmp_path, monkeypatch, recorded_runs, case, how
):
    window.files.open_path(COUNTER, ask=False)
    document = window.model.document
    folder = tmp_path / "input"
    folder.mkdir()
    path = BAD_FILES[case](folder, recorded_runs)
    before = snapshot(folder)

    dialogs: list[str] = []

    def answer(_parent, _title, text, *_args, **_kwargs):
        dialogs.append(text)
        return QMessageBox.StandardButton.Ok

    for kind in ("warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, kind, answer)

    blocked: list[str] = []

    def close_modal_dialogs() -> None:
        """A dialog nobody answers would hang the test: close it, and fail below."""
        while (modal := QApplication.activeModalWidget()) is not None:
            blocked.append(f"{type(modal).__name__}: {modal.windowTitle()}")
            modal.close()

    watchdog = QTimer()
    watchdog.setInterval(2000)
    watchdog.timeout.connect(close_modal_dialogs)
    watchdog.start()
    ticks: list[int] = []
    ticker = QTimer()
    ticker.setInterval(10)
    ticker.timeout.connect(lambda: ticks.append(1))
    ticker.start()
    try:
        if how == "file-open":
            assert window.files.open_path(path, ask=False) is False
        else:
            drop_on(window, path)
        after_open = len(ticks)
        qtbot.wait(100)
        assert len(ticks) > after_open, "the event loop stopped turning after the open"
    finally:
        ticker.stop()
        watchdog.stop()

    assert not blocked, f"a dialog waited for an answer: {blocked}"
    shown = [*dialogs, window.statusBar().currentMessage()]
    assert len(dialogs) <= 1, f"more than one dialog: {dialogs}"
    naming = [m for m in shown if path.name in m]
    assert naming, f"no message names {path.name}: {shown}"
    message = naming[0]
    assert "Traceback" not in message and "\n" not in message.strip(), message
    assert message.rstrip().endswith("."), message
    assert window.model.document == document, "the flow being edited was replaced"
    assert snapshot(folder) == before, "the bad file (or its folder) was changed"
