"""The first launch: demo runs recorded into an empty default database, the chatbot open, the
welcome page, and the user guide under Help."""

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from burrdesk.engine.demo_runs import CHAT_TURNS, needs_demo_runs
from burrdesk.model.run_database import RunDatabase
from burrdesk.views.app_settings import settings
from burrdesk.views.main_window import MainWindow


def started_window(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    window.help.start_up()
    return window


def test_first_launch_records_demo_runs_and_opens_the_chatbot(qtbot, data_dir):
    window = started_window(qtbot)
    assert window.model.document.name == "chatbot" and not window.canvas.showing_recorded_flow
    timeline = window.timeline.panel
    model = timeline.runs_model
    projects = [model.run_at(r).project for r in range(model.rowCount())]
    assert projects == ["order_pipeline", "chatbot", "counter", "research_assistant"]
    assert timeline.current_run.project == "chatbot"
    # The chat: two turns in echo mode, each a human_input step and an ai_response step.
    steps = [timeline.steps_model.step_at(r) for r in range(timeline.steps_model.rowCount())]
    assert [s.action for s in steps] == ["human_input", "ai_response"] * 2
    assert steps[1].result["mode"] == "echo"
    assert steps[3].result["output"] == f"echo: {CHAT_TURNS[1]}"
    # The failed order run, and its fork with a higher card limit under it.
    failed = model.index(0, 0)
    assert model.run_for(failed).status == "failed"
    assert timeline.select_run(model.run_for(failed).run_id + 1)
    fork = timeline.current_run
    assert fork.status == "completed" and fork.parent_run_id == model.run_for(failed).run_id
    assert timeline.steps_model.inherited_steps == 1
    # The failed run's declined step is annotated bad, so the Annotate tab has an example.
    timeline.select_run(model.run_for(failed).run_id)
    timeline.step_status.setCurrentIndex(timeline.step_status.findText("Marked bad"))
    assert timeline.steps_model.rowCount() == 1
    timeline.steps_view.selectRow(0)
    assert timeline.annotation_editor.bad_button.isChecked()
    assert timeline.annotation_editor.tags_edit.text() == "card-limit"
    timeline.step_status.setCurrentIndex(0)
    assert window.help.welcome.isVisible()
    window.help.welcome.close()


def test_a_second_launch_records_nothing_more(qtbot, data_dir):
    started_window(qtbot).help.welcome.close()
    window = started_window(qtbot)
    window.help.welcome.close()
    with RunDatabase(data_dir / "runs.db", read_only=True) as db:
        assert db.count_runs() == 8  # four examples, the research assistant and its 3 children
    assert window.model.document.name == "untitled"
    assert not needs_demo_runs(data_dir / "runs.db")


def test_the_welcome_page_opens_examples_and_can_be_turned_off(qtbot, data_dir):
    window = started_window(qtbot)
    welcome = window.help.welcome
    names = [
        welcome.examples.item(r).text().splitlines()[0] for r in range(welcome.examples.count())
    ]
    assert "Counter" in names and "Order pipeline" in names
    row = names.index("Counter")
    item = welcome.examples.item(row)
    QTest.mouseClick(
        welcome.examples.viewport(),
        Qt.MouseButton.LeftButton,
        pos=welcome.examples.visualItemRect(item).center(),
    )
    assert window.model.document.name == "counter" and not welcome.isVisible()
    window.help.welcome_action.trigger()
    welcome = window.help.welcome
    assert welcome.isVisible()
    QTest.mouseClick(welcome.show_at_startup, Qt.MouseButton.LeftButton)
    assert settings().value("welcome/show", True, bool) is False
    QTest.mouseClick(welcome.close_button, Qt.MouseButton.LeftButton)
    assert not welcome.isVisible()
    window = started_window(qtbot)
    assert window.help.welcome is None


def test_help_documentation_renders_the_user_guide(qtbot, data_dir):
    window = MainWindow()
    qtbot.addWidget(window)
    window.help.documentation_action.trigger()
    text = window.help.documentation.text()
    assert "Two commands" in text and "python3 -m venv .venv" in text
    assert "##" not in text  # rendered, not shown as Markdown source
    window.help.documentation.close()


def test_the_app_starts_on_a_fresh_data_directory_and_screenshots_the_welcome(tmp_path):
    out = tmp_path / "welcome.png"
    env = {"BURRDESK_DATA_DIR": str(tmp_path / "fresh"), "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-m", "burrdesk", "--screenshot", str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > 50_000
    with RunDatabase(Path(env["BURRDESK_DATA_DIR"]) / "runs.db", read_only=True) as db:
        assert db.count_runs() == 8
