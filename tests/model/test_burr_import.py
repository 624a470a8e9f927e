"""Importing Apache Burr's recordings (tracker folders, persister databases) into a run database.

Every fixture is written by real Burr in the test: its local tracker and its SQLitePersister
record apps built here, and the imported runs are compared with the states Burr itself had.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from burr.core import ApplicationBuilder, State, action, default, expr
from burr.core.persistence import SQLLitePersister
from burr.tracking import LocalTrackingClient

from burrdesk.model.burr_import import (
    PERSISTER_FAILURE,
    BurrImportError,
    describe_burr_condition,
    import_path,
    import_persister_db,
    import_tracker_dir,
)
from burrdesk.model.run_database import RunDatabase, RunDatabaseError

PROJECT = "demo"


# --- Burr apps ---------------------------------------------------------------------------------


@action(reads=["count", "limit"], writes=["count", "history"])
def count_up(state: State) -> State:
    return state.update(count=state["count"] + 1).append(history=state["count"])


@action(reads=["count"], writes=["done"])
def stop(state: State) -> State:
    return state.update(done=True)


@action(reads=["count"], writes=["count"])
def explode(state: State) -> State:
    raise ValueError(f"cannot count past {state['count']}")


@action(reads=["chat"], writes=["chat"])
def respond(state: State, prompt: str, __tracer, style: str = "plain") -> tuple[dict, State]:
    with __tracer("compose") as span:
        span.log_attributes(length=len(prompt))
        reply = prompt.upper() if style == "loud" else prompt
    return {"reply": reply}, state.append(chat={"user": prompt, "bot": reply})


def _counter_builder(last: str = "stop") -> ApplicationBuilder:
    actions = {"count_up": count_up, last: stop if last == "stop" else explode}
    return (
        ApplicationBuilder()
        .with_actions(**actions)
        .with_transitions(
            ("count_up", "count_up", expr("count < limit")), ("count_up", last, default)
        )
    )


def _tracked(builder: ApplicationBuilder, storage: Path, app_id: str, partition_key=None):
    return (
        builder.with_tracker("local", project=PROJECT, params={"storage_dir": str(storage)})
        .with_identifiers(app_id=app_id, partition_key=partition_key)
        .build()
    )


def _counter(storage: Path, app_id: str = "counter", partition_key=None, last: str = "stop"):
    builder = (
        _counter_builder(last)
        .with_state(count=0, limit=3, history=[], owner="ada")
        .with_entrypoint("count_up")
    )
    return _tracked(builder, storage, app_id, partition_key)


def _public(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if not k.startswith("__")}


def _run_to_end(app) -> dict[int, dict[str, Any]]:
    """Steps a Burr app until it stops, returning Burr's own state after each sequence id."""
    states = {}
    while (step := app.step()) is not None:
        _action, _result, state = step
        states[state["__SEQUENCE_ID"]] = _public(state.get_all())
    return states


@pytest.fixture
def database(tmp_path: Path) -> RunDatabase:
    with RunDatabase(tmp_path / "runs.db") as db:
        yield db


@pytest.fixture
def storage(tmp_path: Path) -> Path:
    return tmp_path / "burr"


def _only_run(database: RunDatabase, app_id: str):
    run = database.find_run(app_id, project=PROJECT)
    assert run is not None, f"no run imported for {app_id}"
    return run


# --- tracker folders ---------------------------------------------------------------------------


def test_counter_run_matches_burr_state_at_every_step(storage, database):
    burr_states = _run_to_end(_counter(storage, partition_key="user-a"))

    result = import_tracker_dir(storage, database)

    assert result.skipped == [] and result.notes == []
    (run,) = database.list_runs()
    assert result.run_ids == [run.run_id]
    assert (run.project, run.app_id, run.partition_key) == (PROJECT, "counter", "user-a")
    assert (run.status, run.source, run.entrypoint) == ("completed", "burr-tracker", "count_up")
    assert (run.step_count, run.first_sequence_id, run.last_sequence_id) == (4, 0, 3)
    steps = database.read_steps(run.run_id, 0, 100)
    assert [s.action for s in steps] == ["count_up", "count_up", "count_up", "stop"]
    assert all(s.status == "completed" and s.error is None for s in steps)
    for sequence_id, state in burr_states.items():
        assert database.state_at(run.run_id, sequence_id) == state
    # Keys the first action does not write are the only ones known before it ran.
    assert database.state_at(run.run_id, -1) == {"limit": 3, "owner": "ada"}
    assert database.get_step(run.run_id, 3).delta == {"set": {"done": True}}
    assert database.get_step(run.run_id, 2).delta["append"] == {"history": [2]}
    first_line, second_line = (
        (storage / PROJECT / "counter" / "log.jsonl").read_text().splitlines()[:2]
    )
    begin, end = json.loads(first_line), json.loads(second_line)
    assert steps[0].started_at == datetime.fromisoformat(begin["start_time"]).timestamp()
    assert steps[0].ended_at == datetime.fromisoformat(end["end_time"]).timestamp()
    assert run.created_at == steps[0].started_at
    assert all(s.started_at is not None and s.ended_at is not None for s in steps)


def test_graph_is_translated_with_conditions_and_corrected_inputs(storage, database):
    _run_to_end(_counter(storage))
    chat_builder = (
        ApplicationBuilder()
        .with_actions(respond=respond)
        .with_transitions(("respond", "respond", default))
        .with_state(chat=[])
        .with_entrypoint("respond")
    )
    chat = _tracked(chat_builder, storage, "chat")
    chat.step(inputs={"prompt": "hi"})

    import_tracker_dir(storage, database)

    graph = _only_run(database, "counter").graph
    assert graph["entrypoint"] == "count_up"
    assert [a["name"] for a in graph["actions"]] == ["count_up", "stop"]
    count_action = graph["actions"][0]
    assert count_action["reads"] == ["count", "limit"]
    assert count_action["writes"] == ["count", "history"]
    assert "def count_up" in count_action["source"]
    assert count_action["async"] is False
    assert graph["transitions"] == [
        {
            "from": "count_up",
            "to": "count_up",
            "condition": {"kind": "expr", "name": "count < limit", "expr": "count < limit"},
        },
        {"from": "count_up", "to": "stop", "condition": {"kind": "default", "name": "default"}},
    ]
    (respond_action,) = _only_run(database, "chat").graph["actions"]
    # Burr's graph.json swaps required and optional inputs; the import swaps them back.
    assert respond_action["inputs"] == ["prompt"]
    assert respond_action["optional_inputs"] == ["style"]


def test_chatbot_steps_keep_inputs_results_and_appended_history(storage, database):
    builder = (
        ApplicationBuilder()
        .with_actions(respond=respond)
        .with_transitions(("respond", "respond", default))
        .with_state(chat=[], user="grace")
        .with_entrypoint("respond")
    )
    app = _tracked(builder, storage, "chat")
    burr_states = {}
    for inputs in ({"prompt": "hi"}, {"prompt": "yo", "style": "loud"}, {"prompt": "bye"}):
        _action, _result, state = app.step(inputs=inputs)
        burr_states[state["__SEQUENCE_ID"]] = _public(state.get_all())

    import_tracker_dir(storage, database)

    run = _only_run(database, "chat")
    steps = database.read_steps(run.run_id, 0, 10)
    assert [s.inputs for s in steps] == [
        {"prompt": "hi"},
        {"prompt": "yo", "style": "loud"},
        {"prompt": "bye"},
    ]
    assert [s.result for s in steps] == [{"reply": "hi"}, {"reply": "YO"}, {"reply": "bye"}]
    assert steps[1].delta == {"append": {"chat": [{"user": "yo", "bot": "YO"}]}}
    for sequence_id, state in burr_states.items():
        assert database.state_at(run.run_id, sequence_id) == state
    assert database.state_at(run.run_id, -1) == {"user": "grace"}
    assert database.search_steps(run.run_id, changed_key="chat", limit=10) == steps


def test_action_that_raised_gives_failed_run_with_burr_error(storage, database):
    app = _counter(storage, app_id="exploding", last="explode")
    burr_states = {}
    with pytest.raises(ValueError, match="cannot count past 3"):
        while True:
            _action, _result, state = app.step()
            burr_states[state["__SEQUENCE_ID"]] = _public(state.get_all())

    import_tracker_dir(storage, database)

    run = _only_run(database, "exploding")
    assert run.status == "failed"
    assert run.last_sequence_id == 3
    failed = database.get_step(run.run_id, 3)
    assert (failed.action, failed.status) == ("explode", "failed")
    assert failed.error == "ValueError: cannot count past 3"
    assert failed.traceback.startswith("Traceback (most recent call last):")
    assert "raise ValueError" in failed.traceback
    assert failed.delta == {}
    for sequence_id, state in burr_states.items():
        assert database.state_at(run.run_id, sequence_id) == state
    # A failed step leaves the state as it was (Burr logs the unchanged state too).
    assert database.state_at(run.run_id, 3) == burr_states[2] == _public(app.state.get_all())
    assert database.list_runs(status="failed") == [run]


def test_first_step_that_raised_gives_the_exact_initial_state(storage, database):
    builder = (
        ApplicationBuilder()
        .with_actions(explode=explode)
        .with_transitions(("explode", "explode", default))
        .with_state(count=7)
        .with_entrypoint("explode")
    )
    app = _tracked(builder, storage, "early")
    with pytest.raises(ValueError):
        app.step()

    import_tracker_dir(storage, database)

    run = _only_run(database, "early")
    assert run.status == "failed"
    assert database.state_at(run.run_id, -1) == {"count": 7}
    assert database.get_step(run.run_id, 0).error == "ValueError: cannot count past 7"


_KILLED_APP = textwrap.dedent(
    """
    import os, signal, sys
    from burr.core import ApplicationBuilder, State, action, default

    @action(reads=["count"], writes=["count"])
    def first(state: State) -> State:
        return state.update(count=state["count"] + 1)

    @action(reads=["count"], writes=["count"])
    def second(state: State) -> State:
        os.kill(os.getpid(), signal.SIGKILL)

    app = (
        ApplicationBuilder()
        .with_actions(first=first, second=second)
        .with_transitions(("first", "second", default), ("second", "first", default))
        .with_state(count=0, label="doomed")
        .with_entrypoint("first")
        .with_tracker("local", project="demo", params={"storage_dir": sys.argv[1]})
        .with_identifiers(app_id="killed")
        .build()
    )
    app.run(halt_after=["second"])
    """
)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_app_killed_mid_step_keeps_completed_steps_and_is_interrupted(tmp_path, storage, database):
    # A file, not `-c`: Burr's tracker records each action's source, which needs one.
    script = tmp_path / "killed_app.py"
    script.write_text(_KILLED_APP, encoding="utf-8")
    process = subprocess.run(
        [sys.executable, str(script), str(storage)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == -signal.SIGKILL, process.stderr

    result = import_path(storage, database)

    run = _only_run(database, "killed")
    assert result.run_ids == [run.run_id]
    assert run.status == "interrupted"
    assert run.step_count == 1
    assert database.get_step(run.run_id, 0).action == "first"
    assert database.state_at(run.run_id, 0) == {"count": 1, "label": "doomed"}
    with pytest.raises(RunDatabaseError):
        database.get_step(run.run_id, 1)
    assert any("step 1 ('second') never finished" in note for note in result.notes)


def test_truncated_last_log_line_is_ignored(storage, database):
    burr_states = _run_to_end(_counter(storage))
    log = storage / PROJECT / "counter" / "log.jsonl"
    with log.open("a", encoding="utf-8") as handle:
        handle.write('{"type":"begin_entry","start_time":"2024-01-0')

    result = import_tracker_dir(storage, database)

    run = _only_run(database, "counter")
    assert run.status == "completed"
    assert run.step_count == len(burr_states)
    assert database.state_at(run.run_id, 3) == burr_states[3]
    assert any("cut short" in note and "line 9" in note for note in result.notes)


def test_fork_is_linked_to_its_parent_run(storage, database):
    parent_states = _run_to_end(_counter(storage, app_id="parent"))
    tracker = LocalTrackingClient(project=PROJECT, storage_dir=str(storage))
    fork = (
        _counter_builder()
        .initialize_from(
            tracker,
            resume_at_next_action=True,
            default_state={},
            default_entrypoint="count_up",
            fork_from_app_id="parent",
            fork_from_sequence_id=1,
        )
        .with_tracker(tracker)
        .with_identifiers(app_id="fork")
        .build()
    )
    fork_states = _run_to_end(fork)
    assert min(fork_states) == 2

    result = import_tracker_dir(storage, database)

    parent, child = _only_run(database, "parent"), _only_run(database, "fork")
    assert result.run_ids == [parent.run_id, child.run_id]
    assert (child.parent_run_id, child.parent_sequence_id) == (parent.run_id, 1)
    assert child.first_sequence_id == 2
    assert database.state_at(child.run_id, 1) == parent_states[1]
    for sequence_id, state in fork_states.items():
        assert database.state_at(child.run_id, sequence_id) == state


def test_fork_without_its_parent_is_imported_unlinked(storage, database):
    _run_to_end(_counter(storage, app_id="parent"))
    tracker = LocalTrackingClient(project=PROJECT, storage_dir=str(storage))
    fork = (
        _counter_builder()
        .initialize_from(
            tracker,
            resume_at_next_action=True,
            default_state={},
            default_entrypoint="count_up",
            fork_from_app_id="parent",
            fork_from_sequence_id=0,
        )
        .with_tracker(tracker)
        .with_identifiers(app_id="orphan")
        .build()
    )
    fork_states = _run_to_end(fork)

    result = import_tracker_dir(storage / PROJECT / "orphan", database)

    run = _only_run(database, "orphan")
    assert run.parent_run_id is None
    assert any("not in the run database" in note for note in result.notes)
    for sequence_id, state in fork_states.items():
        assert database.state_at(run.run_id, sequence_id) == state


def test_parent_imported_earlier_is_linked_to_a_fork_imported_later(storage, database):
    parent_app = _counter(storage, app_id="parent", partition_key="p")
    parent_app.step()
    parent_app.step()
    tracker = LocalTrackingClient(project=PROJECT, storage_dir=str(storage))
    fork = (
        _counter_builder()
        .initialize_from(
            tracker,
            resume_at_next_action=True,
            default_state={},
            default_entrypoint="count_up",
            fork_from_app_id="parent",
            fork_from_partition_key="p",
        )
        .with_tracker(tracker)
        .with_identifiers(app_id="late-fork", partition_key="p")
        .build()
    )
    fork_states = _run_to_end(fork)
    metadata = json.loads((storage / PROJECT / "late-fork" / "metadata.json").read_text())
    assert metadata["parent_pointer"]["sequence_id"] is None  # Burr's "latest step" fork

    import_tracker_dir(storage / PROJECT / "parent", database)
    import_tracker_dir(storage / PROJECT / "late-fork", database)

    parent, child = _only_run(database, "parent"), _only_run(database, "late-fork")
    assert (child.parent_run_id, child.parent_sequence_id) == (parent.run_id, 1)
    assert (child.partition_key, child.first_sequence_id) == ("p", 2)
    assert database.state_at(child.run_id, 1) == _public(parent_app.state.get_all())
    for sequence_id, state in fork_states.items():
        assert database.state_at(child.run_id, sequence_id) == state


def test_app_that_never_ran_a_step_is_a_created_run(storage, database):
    _counter(storage, app_id="idle")

    import_tracker_dir(storage, database)

    run = _only_run(database, "idle")
    assert (run.status, run.step_count, run.last_sequence_id) == ("created", 0, None)
    assert run.graph["entrypoint"] == "count_up"
    assert database.initial_state(run.run_id) == {}


@pytest.mark.parametrize("level", ["storage", "project", "app", "log file"])
def test_storage_project_or_app_folder_can_be_imported(storage, database, level):
    _run_to_end(_counter(storage))
    target = {
        "storage": storage,
        "project": storage / PROJECT,
        "app": storage / PROJECT / "counter",
        "log file": storage / PROJECT / "counter" / "log.jsonl",
    }[level]

    import_path(target, database)

    (run,) = database.list_runs()
    assert (run.project, run.app_id, run.step_count) == (PROJECT, "counter", 4)


def test_reimporting_skips_apps_already_imported(storage, database):
    _run_to_end(_counter(storage, app_id="first"))
    first = import_tracker_dir(storage, database)
    _run_to_end(_counter(storage, app_id="second"))

    again = import_tracker_dir(storage, database)

    assert len(first.run_ids) == 1
    assert again.skipped == ["first"]
    assert again.run_ids == [_only_run(database, "second").run_id]
    assert any("already in the run database" in note for note in again.notes)
    third = import_path(storage, database)
    assert (third.run_ids, sorted(third.skipped)) == ([], ["first", "second"])
    assert database.count_runs() == 2


# --- persister databases -----------------------------------------------------------------------


def _persisted_app(persister, app_id: str, partition_key: str, last: str = "stop"):
    return (
        _counter_builder(last)
        .with_state(count=0, limit=2, history=[])
        .with_entrypoint("count_up")
        .with_state_persister(persister)
        .with_identifiers(app_id=app_id, partition_key=partition_key)
        .build()
    )


def test_persister_database_runs_match_the_persisted_states(tmp_path, database):
    path = tmp_path / "state.db"
    persister = SQLLitePersister(db_path=str(path), table_name="burr_state")
    persister.initialize()
    _run_to_end(_persisted_app(persister, "app-1", "alice"))
    with pytest.raises(ValueError):
        _run_to_end(_persisted_app(persister, "app-1", "bob", last="explode"))
    persister.cleanup()
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT partition_key, sequence_id, position, status, state FROM burr_state"
        ).fetchall()

    result = import_path(path, database)

    assert len(result.run_ids) == 2
    runs = {run.partition_key: run for run in database.list_runs(project="burr-persister")}
    assert set(runs) == {"alice", "bob"}
    assert runs["alice"].status == "completed" and runs["bob"].status == "failed"
    assert {run.source for run in runs.values()} == {"burr-persister"}
    assert runs["alice"].entrypoint == "count_up"
    for partition_key, sequence_id, position, status, state in rows:
        run_id = runs[partition_key].run_id
        step = database.get_step(run_id, sequence_id)
        assert step.action == position
        assert step.status == status
        if status == "completed":
            assert database.state_at(run_id, sequence_id) == _public(json.loads(state))
        else:
            assert step.error == PERSISTER_FAILURE
            assert database.state_at(run_id, sequence_id) == database.state_at(
                run_id, sequence_id - 1
            )
    assert [s.action for s in database.read_steps(runs["bob"].run_id)] == [
        "count_up",
        "count_up",
        "explode",
    ]
    assert database.state_at(runs["alice"].run_id, -1) == {}
    alice_steps = database.read_steps(runs["alice"].run_id)
    assert runs["alice"].created_at == min(s.started_at for s in alice_steps)

    again = import_persister_db(path, database)
    assert (again.run_ids, sorted(again.skipped)) == ([], ["app-1", "app-1"])
    assert sorted(again.notes) == [
        "burr-persister/alice/app-1 is already in the run database; it was skipped.",
        "burr-persister/bob/app-1 is already in the run database; it was skipped.",
    ]


def test_persister_table_is_chosen_by_name_when_there_are_several(tmp_path, database):
    path = tmp_path / "state.db"
    for table in ("first_table", "second_table"):
        persister = SQLLitePersister(db_path=str(path), table_name=table)
        persister.initialize()
        _run_to_end(_persisted_app(persister, f"app-{table}", ""))
        persister.cleanup()

    with pytest.raises(BurrImportError, match="several Burr persister tables"):
        import_path(path, database)
    with pytest.raises(BurrImportError, match="no table 'third_table'"):
        import_persister_db(path, database, table_name="third_table")
    result = import_persister_db(path, database, table_name="second_table", project="ledger")

    (run,) = database.list_runs()
    assert result.run_ids == [run.run_id]
    assert (run.project, run.app_id, run.partition_key) == ("ledger", "app-second_table", None)


# --- errors ------------------------------------------------------------------------------------


def test_missing_path_is_refused(tmp_path, database):
    with pytest.raises(BurrImportError, match="does not exist"):
        import_path(tmp_path / "nowhere", database)


def test_folder_without_burr_apps_is_refused(tmp_path, database):
    (tmp_path / "empty" / "project").mkdir(parents=True)
    with pytest.raises(BurrImportError, match="contains no Burr applications"):
        import_path(tmp_path / "empty", database)


def test_file_that_is_not_sqlite_is_refused(tmp_path, database):
    path = tmp_path / "notes.txt"
    path.write_text("hello\n")
    with pytest.raises(BurrImportError, match="neither a Burr tracker folder nor a SQLite"):
        import_path(path, database)
    with pytest.raises(BurrImportError, match="is not a SQLite database"):
        import_persister_db(path, database)


def test_sqlite_file_without_persister_table_is_refused(tmp_path, database):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE things (name TEXT)")
    with pytest.raises(BurrImportError, match="no table laid out like Burr's SQLitePersister"):
        import_path(path, database)
    with pytest.raises(BurrImportError, match="already a burrdesk run database"):
        import_path(database.path, database)


def test_malformed_log_line_is_named_and_nothing_is_imported(storage, database):
    _run_to_end(_counter(storage, app_id="good"))
    _run_to_end(_counter(storage, app_id="broken"))
    log = storage / PROJECT / "broken" / "log.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = "this is not json\n"
    log.write_text("".join(lines), encoding="utf-8")

    with pytest.raises(BurrImportError) as raised:
        import_path(storage, database)

    assert str(raised.value) == f"{log} line 2 is not valid JSON."
    assert database.count_runs() == 0


def test_log_entry_of_the_wrong_shape_is_named(storage, database):
    _run_to_end(_counter(storage))
    log = storage / PROJECT / "counter" / "log.jsonl"
    with log.open("a", encoding="utf-8") as handle:
        handle.write('{"type": "end_entry", "action": "stop", "sequence_id": "four"}\n')

    with pytest.raises(BurrImportError, match=r"line 9 is not a Burr log entry \(its sequence_id"):
        import_tracker_dir(storage, database)
    assert database.count_runs() == 0


def test_metadata_that_is_not_json_is_named(storage, database):
    _run_to_end(_counter(storage))
    metadata = storage / PROJECT / "counter" / "metadata.json"
    metadata.write_text("{", encoding="utf-8")
    with pytest.raises(BurrImportError, match=f"{metadata} is not valid JSON"):
        import_path(storage, database)


# --- conditions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("default", "default"),
        ("count < limit", "expr"),
        ("len(chat) > 2", "expr"),
        ("count >= 3", "expr"),  # when(count__gte=3)
        ("status in ['a', 'b']", "expr"),  # when(status__in=[...])
        ("mode=generate_image", "custom"),  # when(mode="generate_image")
        ("a >= 1, b < 2", "custom"),  # when() with two keys: not a tuple expression
        ("lmda_is_done_", "custom"),  # Condition.lmda
        ("~count < 3", "custom"),  # ~expr("count < 3")
        ("count < 3 | done=True", "custom"),
        ("x < 1 & y > 2", "custom"),
        ("tags contains 'python'", "custom"),
        ("__import__('os')", "custom"),
    ],
)
def test_burr_condition_names_are_described_safely(name, kind):
    description = describe_burr_condition(name)
    assert description["kind"] == kind
    assert description["name"] == name
    assert ("expr" in description) == (kind == "expr")


def test_imported_runs_are_read_with_the_ordinary_reader(storage, database, tmp_path):
    _run_to_end(_counter(storage))
    import_tracker_dir(storage, database)
    with RunDatabase(tmp_path / "runs.db", read_only=True) as reader:
        (run,) = reader.list_runs()
        assert reader.integrity_check() == "ok"
        assert reader.state_at(run.run_id, 3)["done"] is True
    assert os.path.exists(tmp_path / "runs.db")
