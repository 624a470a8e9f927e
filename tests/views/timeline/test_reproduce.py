"""Create Test Case… and Create Fork Script… on the timeline's steps table and in the Run menu."""

import json

import pytest
from PySide6.QtWidgets import QFileDialog

from burrdesk.engine import ApplicationBuilder, State, action, default, expr


@action(reads=["count"], writes=["count"])
def increment(state: State) -> State:
    return state.update(count=state["count"] + 1)


@action(reads=["count"], writes=["count"])
def overflow(state: State) -> State:
    raise OverflowError("count left its range")


@pytest.fixture
def counter_db(tmp_path):
    """Steps 0-2 count to 3, step 3 fails."""
    path = tmp_path / "runs.db"
    app = (
        ApplicationBuilder()
        .with_actions(increment=increment, overflow=overflow)
        .with_transitions(
            ("increment", "increment", expr("count < 3")), ("increment", "overflow", default)
        )
        .with_state(count=0)
        .with_identifiers(app_id="counter")
        .with_entrypoint("increment")
        .with_tracker("sqlite", project="Demo Counter", params={"db_path": str(path)})
        .build()
    )
    with pytest.raises(OverflowError):
        app.run(halt_after=["overflow"])
    app.builder.tracker.close()
    return path


@pytest.fixture
def save_as(monkeypatch, tmp_path):
    """Answers the save dialog with a file in tmp_path and keeps what it was asked."""
    asked = []

    def answer(parent, title, start, filters, **options):
        asked.append((title, start, filters))
        return str(tmp_path / "out" / asked[-1][1].rsplit("/", 1)[-1]), filters

    (tmp_path / "out").mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", answer)
    return asked


def _context_action(window, text):
    found = [a for a in window.timeline.panel.steps_view.actions() if a.text() == text]
    assert len(found) == 1, [a.text() for a in window.timeline.panel.steps_view.actions()]
    return found[0]


def _select(window, db_path, sequence_id):
    assert window.timeline.open_run_database(db_path)
    panel = window.timeline.panel
    assert panel.select_run(1)
    assert panel.select_step(sequence_id)


def test_the_context_menu_writes_a_test_case_of_the_selected_step(
    window, counter_db, save_as, tmp_path
):
    create = _context_action(window, "Create &Test Case…")
    assert not create.isEnabled()
    _select(window, counter_db, 1)
    assert create.isEnabled()
    create.trigger()

    assert [(title, start.rsplit("/", 1)[-1]) for title, start, _ in save_as] == [
        ("Create Test Case", "test_demo_counter_run1_step1.py")
    ]
    written = tmp_path / "out" / "test_demo_counter_run1_step1.py"
    source = written.read_text()
    assert "from test_reproduce import increment" in source
    assert "STATE_BEFORE = json.loads('{\"count\": 1}')" in source
    assert "EXPECTED_STATE_AFTER = json.loads('{\"count\": 2}')" in source
    compile(source, str(written), "exec")
    assert window.statusBar().currentMessage() == (
        f"Wrote a test case for step 1 of run 1 to {written}."
    )


def test_the_run_menu_writes_a_fork_script(window, counter_db, save_as, tmp_path):
    _select(window, counter_db, 3)
    run_menu = window.outline.menus["&Run"]
    entry = next(a for a in run_menu.actions() if a.text() == "Create &Fork Script…")
    entry.trigger()
    written = tmp_path / "out" / "fork_demo_counter_run1_step3.py"
    source = written.read_text()
    assert f"DB_PATH = {json.dumps(str(counter_db.resolve()))}" in source
    assert "SEQUENCE_ID = 3" in source
    assert window.statusBar().currentMessage().startswith("Wrote a fork script for step 3")


def test_a_failed_step_has_no_test_case_and_says_why(window, counter_db, save_as):
    _select(window, counter_db, 3)
    _context_action(window, "Create &Test Case…").trigger()
    assert save_as == []  # nothing to ask where to write
    assert window.statusBar().currentMessage() == (
        "Step 3 of run 1 failed (OverflowError: count left its range), so it has no result to "
        "expect; fork from it instead to run it again."
    )


def test_cancelling_the_dialog_writes_nothing(window, counter_db, monkeypatch, tmp_path):
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: ("", ""))
    _select(window, counter_db, 0)
    assert window.reproduce.create_test_case() is None
    assert not list(tmp_path.glob("**/test_*.py"))
