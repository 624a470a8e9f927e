"""Running the flow on the canvas from the app: worker thread, inputs, failures, stop."""

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from burrdesk.model.flow_document import FlowDocument
from burrdesk.model.run_database import RunDatabase

EXAMPLES = Path(__file__).parents[3] / "resources" / "examples"


def runs(window):
    with RunDatabase(window.run.database_path(), read_only=True) as db:
        return db.list_runs()


def test_run_the_counter_from_the_toolbar_and_find_it_recorded(qtbot, window):
    window.files.open_path(EXAMPLES / "counter.burrflow", ask=False)
    with qtbot.waitSignal(window.run.panel.runEnded, timeout=15000) as ended:
        window.run.run_action.trigger()
    assert ended.args[1] == "completed"
    (run,) = runs(window)
    assert (run.project, run.status, run.step_count) == ("counter", "completed", 12)
    assert run.flow["name"] == "counter"
    assert "completed" in window.run.panel.status.text()


def test_the_chatbot_asks_for_input_in_the_run_panel(qtbot, window):
    window.files.open_path(EXAMPLES / "chatbot.burrflow", ask=False)
    panel = window.run.panel
    with qtbot.waitSignal(
        panel.nodeActive, timeout=15000, check_params_cb=lambda n: n == "human_input"
    ):
        window.run.run_action.trigger()
    qtbot.waitUntil(lambda: "prompt" in panel.input_fields, timeout=5000)
    assert panel.input_box.isVisible()
    QTest.keyClicks(panel.input_fields["prompt"], "hello there")
    with qtbot.waitSignal(
        panel.nodeActive, timeout=15000, check_params_cb=lambda n: n == "human_input"
    ):
        QTest.keyClick(panel.input_fields["prompt"], Qt.Key.Key_Return)
    # The input stays at the bottom, disabled while the flow runs, until it asks again.
    qtbot.waitUntil(lambda: panel.input_fields["prompt"].isEnabled(), timeout=5000)
    # The second prompt: the conversation goes on.
    QTest.keyClicks(panel.input_fields["prompt"], "and again")
    with qtbot.waitSignal(
        panel.nodeActive, timeout=15000, check_params_cb=lambda n: n == "human_input"
    ):
        QTest.keyClick(panel.input_fields["prompt"], Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.input_fields["prompt"].isEnabled(), timeout=5000)
    (run,) = runs(window)
    with RunDatabase(window.run.database_path(), read_only=True) as db:
        state = db.state_at(run.run_id, db.get_run(run.run_id).last_sequence_id)
    assert state["response"] == "echo: and again"
    assert [m["content"] for m in state["chat_history"]] == [
        "hello there",
        "echo: hello there",
        "and again",
        "echo: and again",
    ]
    texts = [panel.log.item(i).text() for i in range(panel.log.count())]
    assert "You: hello there" in texts and "Assistant (echo): echo: hello there" in texts
    assert "You: and again" in texts and "Assistant (echo): echo: and again" in texts
    assert [m.text() for m in panel.chat.messages()] == [
        "hello there",
        "echo: hello there",
        "and again",
        "echo: and again",
    ]
    assert window.scene.nodes["human_input"].highlight == "running"


def test_a_failing_node_is_reported_and_marked_and_the_app_keeps_working(qtbot, window):
    document = FlowDocument.model_validate(
        {
            "name": "broken",
            "entrypoint": "boom",
            "nodes": [
                {
                    "id": "boom",
                    "kind": "python",
                    "code": "def boom(state):\n    raise ValueError('no luck')\n",
                }
            ],
            "edges": [],
        }
    )
    window.files.set_document(document, None)
    with qtbot.waitSignal(window.run.panel.runEnded, timeout=15000) as ended:
        window.run.run_action.trigger()
    assert ended.args[1] == "failed"
    assert "ValueError: no luck" in window.run.panel.status.text()
    assert window.scene.nodes["boom"].highlight == "failed"
    (run,) = runs(window)
    assert run.status == "failed"
    window.model.update_node("boom", label="still editable")
    assert window.model.node("boom").label == "still editable"


def test_stop_ends_an_endless_run_between_steps(qtbot, window):
    document = FlowDocument.model_validate(
        {
            "name": "endless",
            "state": {"n": 0},
            "entrypoint": "tick",
            "nodes": [
                {
                    "id": "tick",
                    "kind": "python",
                    "reads": ["n"],
                    "writes": ["n"],
                    "code": "def tick(state):\n    return state.update(n=state['n'] + 1)\n",
                }
            ],
            "edges": [{"source": "tick", "target": "tick"}],
        }
    )
    window.files.set_document(document, None)
    with qtbot.waitSignal(window.run.panel.runStarted, timeout=15000):
        window.run.run_action.trigger()
    qtbot.wait(200)
    with qtbot.waitSignal(window.run.panel.runEnded, timeout=15000) as ended:
        window.run.stop_action.trigger()
    assert ended.args[1] == "stopped"
    (run,) = runs(window)
    assert run.status == "stopped" and run.step_count > 10
    with RunDatabase(window.run.database_path(), read_only=True) as db:
        assert db.state_at(run.run_id, run.last_sequence_id) == {"n": run.last_sequence_id + 1}


def test_a_flow_with_errors_does_not_start(qtbot, window):
    window.files.set_document(FlowDocument(name="empty"), None)
    window.run.run_action.trigger()
    assert window.run.panel.controller is None
    assert "error" in window.statusBar().currentMessage()


def test_breakpoint_pauses_before_the_node_and_step_runs_it(qtbot, window):
    window.files.open_path(EXAMPLES / "counter.burrflow", ask=False)
    window.run.toggle_breakpoint("report")
    assert window.model.node("report").breakpoint
    assert window.undo_stack.undoText() == "Set breakpoint on 'report'"
    panel = window.run.panel
    with qtbot.waitSignal(panel.nodeActive, timeout=15000, check_params_cb=lambda n: n == "report"):
        window.run.run_action.trigger()
    qtbot.waitUntil(lambda: "breakpoint" in panel.status.text(), timeout=5000)
    (run,) = runs(window)
    assert run.step_count == 10
    assert window.scene.nodes["report"].highlight == "running"
    assert window.scene.nodes["increment"].visits == 10
    with qtbot.waitSignal(panel.nodeActive, timeout=15000, check_params_cb=lambda n: n == "done"):
        window.run.step_action.trigger()
    assert runs(window)[0].step_count == 11
    with qtbot.waitSignal(panel.runEnded, timeout=15000):
        window.run.run_action.trigger()
    assert runs(window)[0].status == "completed"
    edge_labels = {e.label_text() for e in window.scene.edges}
    assert "count < 10  ×9" in edge_labels


def test_run_to_here_from_the_node_context_menu(qtbot, window):
    window.files.open_path(EXAMPLES / "counter.burrflow", ask=False)
    window.scene.nodeContextMenuRequested.emit("report", window.mapToGlobal(window.rect().center()))
    menu = window.editing.context_menu
    texts = [a.text() for a in menu.actions()]
    assert "Run to here" in texts and "Set breakpoint" in texts
    run_to = next(a for a in menu.actions() if a.text() == "Run to here")
    with qtbot.waitSignal(
        window.run.panel.nodeActive, timeout=15000, check_params_cb=lambda n: n == "done"
    ):
        run_to.trigger()
    menu.close()
    qtbot.waitUntil(lambda: "run to here" in window.run.panel.status.text(), timeout=5000)
    (run,) = runs(window)
    assert run.step_count == 11 and run.status == "running"


def test_stop_offers_to_abandon_a_step_that_does_not_return(qtbot, window):
    document = FlowDocument.model_validate(
        {
            "name": "slow",
            "entrypoint": "wait",
            "nodes": [
                {
                    "id": "wait",
                    "kind": "python",
                    "code": "import time\n\ndef wait(state):\n    time.sleep(1.5)\n    return state\n",
                }
            ],
            "edges": [{"source": "wait", "target": "wait"}],
        }
    )
    window.files.set_document(document, None)
    panel = window.run.panel
    panel.abandon_after_ms = 100
    with qtbot.waitSignal(panel.runStarted, timeout=15000):
        window.run.run_action.trigger()
    qtbot.wait(100)
    window.run.stop_action.trigger()
    assert "Stopping after the current step" in panel.status.text()
    qtbot.waitUntil(panel.abandon_button.isVisible, timeout=5000)
    with qtbot.waitSignal(panel.runEnded, timeout=5000) as ended:
        panel.abandon_button.click()
    assert ended.args[1] == "abandoned"
    assert panel.controller is None and "Abandoned run" in panel.status.text()
    assert runs(window)[0].status == "stopped"
    panel.wait_for_abandoned()


def test_a_run_from_the_app_appears_step_by_step_in_the_timeline(qtbot, window):
    window.files.open_path(EXAMPLES / "counter.burrflow", ask=False)
    with qtbot.waitSignal(window.run.panel.runEnded, timeout=15000):
        window.run.run_action.trigger()
    timeline = window.timeline.panel
    qtbot.waitUntil(lambda: timeline.steps_model.rowCount() == 12, timeout=5000)
    assert timeline.current_run is not None and timeline.current_run.project == "counter"
    actions = [timeline.steps_model.step_at(r).action for r in range(12)]
    assert actions == ["increment"] * 10 + ["report", "done"]


def test_open_a_run_database_and_an_imported_burr_trace_in_the_timeline(qtbot, window, tmp_path):
    burr = pytest.importorskip("burr.core")
    from burrdesk.model.burr_import import import_path

    @burr.action(reads=["n"], writes=["n"])
    def bump(state):
        return state.update(n=state["n"] + 1)

    app = (
        burr.ApplicationBuilder()
        .with_actions(bump)
        .with_transitions(("bump", "bump", burr.expr("n < 4")))
        .with_state(n=0)
        .with_identifiers(app_id="from-burr")
        .with_entrypoint("bump")
        .with_tracker("local", project="imported", params={"storage_dir": str(tmp_path / "burr")})
        .build()
    )
    app.run(halt_after=[])
    db_path = tmp_path / "imported.db"
    with RunDatabase(db_path) as db:
        import_path(tmp_path / "burr", db)
    assert window.files.open_path(db_path)
    timeline = window.timeline.panel
    assert timeline.current_run is not None and timeline.current_run.app_id == "from-burr"
    assert timeline.steps_model.rowCount() == 4


def test_a_file_that_is_not_a_run_database_is_one_message(qtbot, window, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: shown.append(text))
    bogus = tmp_path / "notes.db"
    bogus.write_text("definitely not sqlite" * 50)
    assert not window.files.open_path(bogus)
    assert shown == [f"{bogus} is not a SQLite database."]


def test_rewind_at_a_middle_step_edit_continue_and_keep_the_original(qtbot, window, monkeypatch):
    from burrdesk.views.timeline.rewind_dialog import RewindDialog

    window.files.open_path(EXAMPLES / "counter.burrflow", ask=False)
    with qtbot.waitSignal(window.run.panel.runEnded, timeout=15000):
        window.run.run_action.trigger()
    timeline = window.timeline.panel
    qtbot.waitUntil(lambda: timeline.steps_model.rowCount() == 12, timeout=5000)
    original = timeline.current_run
    timeline.select_step(5)
    assert window.timeline.rewind_action.isEnabled()

    def answer(dialog):
        assert '"count": 6' in dialog.editor.text()
        dialog.editor.set_text('{"count": 100}')
        dialog.next_action.setCurrentText("increment")
        dialog.accept()
        return RewindDialog.DialogCode.Accepted

    monkeypatch.setattr(RewindDialog, "exec", answer)
    with qtbot.waitSignal(window.run.panel.runEnded, timeout=15000) as ended:
        window.timeline.rewind_action.trigger()
    assert ended.args[1] == "completed"
    # The timeline shows the fork under its parent, its first six steps inherited and dimmed.
    qtbot.waitUntil(lambda: timeline.current_run.parent_run_id == original.run_id, timeout=5000)
    fork_index = timeline.runs_model.index_of_run(timeline.current_run.run_id)
    assert timeline.runs_model.run_for(fork_index.parent()).run_id == original.run_id
    assert timeline.runs_view.isExpanded(fork_index.parent())
    qtbot.waitUntil(lambda: timeline.steps_model.rowCount() == 9, timeout=5000)
    assert timeline.steps_model.inherited_steps == 6
    with RunDatabase(window.run.database_path(), read_only=True) as db:
        fork, parent = db.list_runs()
        assert parent.run_id == original.run_id and parent.step_count == 12
        assert db.state_at(parent.run_id, 11) == {"count": 10, "message": "counted to 10"}
        assert (fork.parent_run_id, fork.parent_sequence_id) == (original.run_id, 5)
        assert [s.action for s in db.read_steps(fork.run_id)] == ["increment", "report", "done"]
        assert db.state_at(fork.run_id, 8) == {"count": 101, "message": "counted to 101"}
        assert db.state_at(fork.run_id, 3) == {"count": 4}


def test_rewind_is_disabled_with_a_reason_for_runs_without_a_flow(qtbot, window, tmp_path):
    from burrdesk.engine import ApplicationBuilder, State, action

    @action(reads=[], writes=["x"])
    def only(state: State) -> State:
        return state.update(x=1)

    db_path = tmp_path / "code.db"
    app = (
        ApplicationBuilder()
        .with_actions(only)
        .with_entrypoint("only")
        .with_tracker("sqlite", project="code", params={"db_path": str(db_path)})
        .build()
    )
    app.step()
    app.builder.tracker.close()
    assert window.files.open_path(db_path)
    window.timeline.panel.select_step(0)
    assert not window.timeline.rewind_action.isEnabled()
    assert "did not record a flow" in window.timeline.rewind_action.toolTip()


def test_screenshot_of_a_run_database_shows_the_timeline_with_the_newest_run(tmp_path):
    import os
    import subprocess
    import sys

    from PySide6.QtGui import QImage

    from burrdesk.engine.flow_compiler import compile_flow
    from burrdesk.model.flow_document import load_flow

    db_path = tmp_path / "runs.db"
    app = compile_flow(load_flow(EXAMPLES / "counter.burrflow"), db_path=db_path)
    app.run(halt_after=["done"])
    app.builder.tracker.close("completed")
    out = tmp_path / "timeline.png"
    result = subprocess.run(
        [sys.executable, "-m", "burrdesk", "--screenshot", str(out), str(db_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "BURRDESK_DATA_DIR": str(tmp_path / "d"),
        },
    )
    assert result.returncode == 0, result.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1400, 900)
