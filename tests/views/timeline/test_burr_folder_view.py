"""Opening a Burr tracker folder in place: its apps in the timeline, followed live while a real
Burr program writes, chosen from the source list, and folders that are not Burr's refused."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog, QMessageBox

burr = pytest.importorskip("burr")
from burr.core import ApplicationBuilder, State, action, default  # noqa: E402
from burr.tracking import LocalTrackingClient  # noqa: E402

from burrdesk.model.run_database import RunDatabase  # noqa: E402
from burrdesk.views.main_window import MainWindow  # noqa: E402

DEMO_DATA = Path(burr.__file__).parent / "tracking" / "server" / "demo_data"


def shown_runs(window) -> list[str]:
    runs = window.timeline.panel.runs_model
    return [runs.run_at(row).app_id for row in range(runs.rowCount())]


def open_folder(window, qtbot, folder: Path) -> None:
    assert window.files.open_path(folder)
    qtbot.waitUntil(lambda: not window.timeline._awaiting_first_read, timeout=10_000)


def test_a_demo_project_opens_in_place_and_its_steps_show(window, qtbot):
    folder = DEMO_DATA / "demo_counter"
    open_folder(window, qtbot, folder)
    panel = window.timeline.panel
    apps = {d.name for d in folder.iterdir() if d.is_dir()}
    assert set(shown_runs(window)) == apps
    assert panel.source_combo.currentText() == "Burr traces · demo_counter"
    assert panel.select_run(panel.database.find_run("count-to-42").run_id)
    qtbot.waitUntil(lambda: panel.steps_model.rowCount() == 43, timeout=10_000)
    panel.steps_view.selectRow(42)
    assert panel.state_view.top_level()["counter"] == "42"
    assert "43 steps" in panel.run_label.text()


def test_the_traced_demo_shows_its_spans(window, qtbot):
    open_folder(window, qtbot, DEMO_DATA / "demo_chatbot_with_traces")
    panel = window.timeline.panel
    assert panel.select_run(panel.database.find_run("chat-1-giraffe").run_id)
    qtbot.waitUntil(lambda: panel.steps_model.rowCount() > 2, timeout=10_000)
    panel.steps_view.selectRow(0)
    panel.tabs.setCurrentWidget(panel.spans_view)
    names = [span.name for span in panel.spans_view.spans]
    assert "process_prompt" in names and "prompt" in names
    panel.tabs.setCurrentWidget(panel.code_view)
    assert panel.code_view.caption.text().startswith("Action 'prompt' as recorded with the run")
    assert '@action(reads=[], writes=["chat_history", "prompt"])' in panel.code_view.source_text()


@action(reads=["count"], writes=["count"])
def increment(state: State) -> State:
    return state.update(count=state["count"] + 1)


def test_a_running_burr_program_is_followed_live(window, qtbot, tmp_path):
    storage = tmp_path / "dot-burr"
    app = (
        ApplicationBuilder()
        .with_actions(increment=increment)
        .with_transitions(("increment", "increment", default))
        .with_state(count=0)
        .with_entrypoint("increment")
        .with_tracker(LocalTrackingClient(project="live", storage_dir=str(storage)))
        .with_identifiers(app_id="live-counter")
        .build()
    )
    app.step()
    open_folder(window, qtbot, storage)
    panel = window.timeline.panel
    assert shown_runs(window) == ["live-counter"]
    assert panel.current_run is not None and panel.current_run.app_id == "live-counter"
    qtbot.waitUntil(lambda: panel.steps_model.rowCount() == 1, timeout=10_000)
    for expected in (2, 3, 4):
        app.step()
        qtbot.waitUntil(lambda n=expected: panel.steps_model.rowCount() == n, timeout=10_000)
    panel.steps_view.selectRow(3)
    assert panel.state_view.top_level()["count"] == "4"
    other = (
        ApplicationBuilder()
        .with_actions(increment=increment)
        .with_transitions(("increment", "increment", default))
        .with_state(count=100)
        .with_entrypoint("increment")
        .with_tracker(LocalTrackingClient(project="live", storage_dir=str(storage)))
        .with_identifiers(app_id="second-counter")
        .build()
    )
    other.step()
    qtbot.waitUntil(lambda: "second-counter" in shown_runs(window), timeout=10_000)
    assert not any(storage.rglob("*.db")), "nothing is written into the Burr folder"


def test_open_folder_asks_for_a_folder(window, qtbot, monkeypatch):
    chosen = DEMO_DATA / "demo_conversational-rag"
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(chosen))
    window.files.open_folder_action.trigger()
    qtbot.waitUntil(lambda: not window.timeline._awaiting_first_read, timeout=10_000)
    assert len(shown_runs(window)) == len([d for d in chosen.iterdir() if d.is_dir()])


def test_a_folder_that_is_not_burrs_is_one_message_and_changes_nothing(
    window, qtbot, monkeypatch, tmp_path
):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: shown.append(text))
    open_folder(window, qtbot, DEMO_DATA / "demo_counter")
    before = shown_runs(window)
    (tmp_path / "holiday").mkdir()
    (tmp_path / "holiday" / "beach.jpg").write_bytes(b"\xff\xd8")
    assert not window.files.open_path(tmp_path / "holiday")
    (message,) = shown
    assert "is not a folder of Burr tracker recordings" in message and message.endswith(".")
    assert shown_runs(window) == before
    assert window.timeline.panel.source_combo.currentText() == "Burr traces · demo_counter"


def test_burrs_own_folder_is_offered_in_the_source_list(qtbot, data_dir, tmp_path, monkeypatch):
    home = tmp_path / "home"
    shutil.copytree(DEMO_DATA / "demo_counter", home / ".burr" / "demo_counter")
    monkeypatch.setenv("HOME", str(home))
    default = data_dir / "runs.db"
    with RunDatabase(default) as database:
        database.create_run(project="mine", app_id="my-run", initial_state={})
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    window.timeline.open_run_database(default)
    combo = window.timeline.panel.source_combo
    labels = [combo.itemText(row) for row in range(combo.count())]
    assert labels == ["burrdesk runs", "Burr traces · ~/.burr"]
    assert shown_runs(window) == ["my-run"]
    combo.setCurrentIndex(1)
    combo.activated.emit(1)
    qtbot.waitUntil(lambda: not window.timeline._awaiting_first_read, timeout=10_000)
    assert "count-to-42" in shown_runs(window)
    combo.setCurrentIndex(0)
    combo.activated.emit(0)
    assert shown_runs(window) == ["my-run"] and window.timeline.follower is None
    assert combo.itemData(1, Qt.ItemDataRole.ToolTipRole) == str((home / ".burr").resolve())
    window.timeline.panel.close_database()


def run_screenshot(tmp_path: Path, *paths: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "burrdesk", "--screenshot", str(tmp_path / "shot.png"), *paths],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "BURRDESK_DATA_DIR": str(tmp_path)},
    )


def test_screenshot_of_a_burr_folder_returns_with_its_runs(tmp_path):
    result = run_screenshot(tmp_path, str(DEMO_DATA))
    assert result.returncode == 0, result.stderr
    assert QImage(str(tmp_path / "shot.png")).width() == 1400


def test_screenshot_of_a_folder_burrdesk_cannot_open_is_one_sentence_and_exit_2(tmp_path):
    (tmp_path / "empty").mkdir()
    result = run_screenshot(tmp_path, str(tmp_path / "empty"))
    assert result.returncode == 2
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("burrdesk:")]
    assert "is not a folder of Burr tracker recordings" in line and line.endswith(".")
    assert not (tmp_path / "shot.png").exists()
