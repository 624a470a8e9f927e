"""The tracker: every step of an engine run lands in the run database, durably."""

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest
from database_targets import is_server, tracker_kwargs

from burrdesk.engine import ApplicationBuilder, State, action, default, expr
from burrdesk.engine.tracking import RunDatabaseTracker
from burrdesk.model.run_database import RunDatabase
from burrdesk.model.run_database_opener import open_run_database


@action(reads=["count"], writes=["count"])
def increment(state: State) -> State:
    return state.update(count=state["count"] + 1)


@action(reads=["count"], writes=["result"])
def finish(state: State) -> tuple[dict, State]:
    return {"final": state["count"]}, state.update(result=f"done at {state['count']}")


@action(reads=[], writes=["prompt", "chat_history"])
def human_input(state: State, prompt: str) -> State:
    return state.update(prompt=prompt).append(chat_history={"role": "user", "content": prompt})


@action(reads=["chat_history"], writes=["chat_history"])
def ai_response(state: State) -> State:
    if state["chat_history"][-1]["content"] == "crash":
        raise RuntimeError("the model is down")
    reply = "echo: " + state["chat_history"][-1]["content"]
    return state.append(chat_history={"role": "assistant", "content": reply})


def counter_builder(db_path, app_id="counter-1", limit=5):
    return (
        ApplicationBuilder()
        .with_actions(increment=increment, finish=finish)
        .with_transitions(
            ("increment", "increment", expr(f"count < {limit}")), ("increment", "finish", default)
        )
        .with_state(count=0)
        .with_identifiers(app_id=app_id)
        .with_entrypoint("increment")
        .with_tracker(project="demo", **tracker_kwargs(db_path))
    )


def chat_builder(tracker, app_id="chat-1"):
    return (
        ApplicationBuilder()
        .with_actions(human_input=human_input, ai_response=ai_response)
        .with_transitions(("human_input", "ai_response"), ("ai_response", "human_input"))
        .with_state(chat_history=[])
        .with_identifiers(app_id=app_id, partition_key="alice")
        .with_entrypoint("human_input")
        .with_hooks(tracker)
    )


def test_a_tracked_run_records_graph_steps_results_and_completion(db_target):
    app = counter_builder(db_target).build()
    app.run(halt_after=["finish"])
    db = open_run_database(db_target)
    (run,) = db.list_runs()
    assert (run.project, run.app_id, run.status, run.step_count) == (
        "demo",
        "counter-1",
        "completed",
        6,
    )
    assert run.graph["entrypoint"] == "increment"
    assert [t["condition"] for t in run.graph["transitions"]] == [
        {"kind": "expr", "name": "count < 5", "expr": "count < 5"},
        {"kind": "default", "name": "default"},
    ]
    assert "def increment" in run.graph["actions"][0]["source"]
    steps = db.read_steps(run.run_id)
    assert [s.action for s in steps] == ["increment"] * 5 + ["finish"]
    assert steps[-1].result == {"final": 5}
    assert all(s.started_at <= s.ended_at for s in steps)
    assert db.state_at(run.run_id, 5) == {"count": 5, "result": "done at 5"}


def test_inputs_errors_and_partition_are_recorded(db_target):
    tracker = RunDatabaseTracker(db_target, project="chat")
    app = chat_builder(tracker).build()
    app.run(halt_after=["ai_response"], inputs={"prompt": "hi"})
    with pytest.raises(RuntimeError, match="model is down"):
        app.run(halt_after=["ai_response"], inputs={"prompt": "crash"})
    db = tracker.database
    run = db.get_run(tracker.run_id_for("chat-1", "alice"))
    assert (run.partition_key, run.status) == ("alice", "failed")
    failed = db.get_step(run.run_id, 3)
    assert failed.status == "failed" and failed.error == "RuntimeError: the model is down"
    assert "raise RuntimeError" in failed.traceback
    assert db.get_step(run.run_id, 2).inputs == {"prompt": "crash"}
    assert [m["content"] for m in db.state_at(run.run_id, 3)["chat_history"]] == [
        "hi",
        "echo: hi",
        "crash",
    ]


def test_closing_the_tracker_marks_a_paused_run_stopped(db_target):
    tracker = RunDatabaseTracker(db_target, project="chat")
    chat_builder(tracker).build().run(halt_after=["ai_response"], inputs={"prompt": "hi"})
    tracker.close()
    assert open_run_database(db_target).list_runs()[0].status == "stopped"


def test_fork_from_a_recorded_step_through_initialize_from(db_target):
    tracker = RunDatabaseTracker(db_target, project="chat")
    original = chat_builder(tracker).build()
    for prompt in ("one", "two", "three"):
        original.run(halt_after=["ai_response"], inputs={"prompt": prompt})
    fork = (
        ApplicationBuilder()
        .with_actions(human_input=human_input, ai_response=ai_response)
        .with_transitions(("human_input", "ai_response"), ("ai_response", "human_input"))
        .with_identifiers(app_id="chat-fork", partition_key="alice")
        .with_hooks(tracker)
        .initialize_from(
            tracker,
            resume_at_next_action=True,
            default_state={"chat_history": []},
            default_entrypoint="human_input",
            fork_from_app_id="chat-1",
            fork_from_partition_key="alice",
            fork_from_sequence_id=1,
        )
        .build()
    )
    assert fork.sequence_id == 1 and fork.get_next_action().name == "human_input"
    fork.run(halt_after=["ai_response"], inputs={"prompt": "other"})
    db = tracker.database
    child = db.get_run(tracker.run_id_for("chat-fork", "alice"))
    parent = db.get_run(tracker.run_id_for("chat-1", "alice"))
    assert (child.parent_run_id, child.parent_sequence_id) == (parent.run_id, 1)
    assert [s.sequence_id for s in db.read_steps(child.run_id)] == [2, 3]
    contents = [m["content"] for m in db.state_at(child.run_id, 3)["chat_history"]]
    assert contents == ["one", "echo: one", "other", "echo: other"]
    assert [m["content"] for m in db.state_at(child.run_id, 0)["chat_history"]] == ["one"]


def test_a_database_fork_with_a_chosen_next_action_is_continued_by_the_engine(db_target):
    app = counter_builder(db_target, limit=10).build()
    app.run(halt_after=["finish"])
    tracker = app.builder.tracker
    db = tracker.database
    parent_id = tracker.run_id_for("counter-1")
    fork = db.fork(parent_id, 3, state_overrides={"count": 7}, next_action="finish")
    resumed = (
        ApplicationBuilder()
        .with_actions(increment=increment, finish=finish)
        .with_transitions(("increment", "increment", expr("count < 10")), ("increment", "finish"))
        .with_identifiers(app_id=fork.app_id)
        .with_hooks(tracker)
        .initialize_from(
            tracker, resume_at_next_action=True, default_state={}, default_entrypoint="increment"
        )
        .build()
    )
    assert resumed.get_next_action().name == "finish" and resumed.state["count"] == 7
    _, result, _ = resumed.run(halt_after=["finish"])
    assert result == {"final": 7}
    run = db.get_run(fork.run_id)
    assert (run.status, run.step_count, run.first_sequence_id) == ("completed", 1, 4)
    assert db.state_at(fork.run_id, 4)["result"] == "done at 7"


def test_resuming_the_same_app_id_continues_its_run(db_target):
    first = counter_builder(db_target, limit=100).build()
    first.step()
    first.step()
    first.builder.tracker.close()
    tracker = RunDatabaseTracker(db_target, project="demo")
    again = (
        ApplicationBuilder()
        .with_actions(increment=increment, finish=finish)
        .with_transitions(("increment", "increment", expr("count < 100")), ("increment", "finish"))
        .with_identifiers(app_id="counter-1")
        .with_hooks(tracker)
        .initialize_from(
            tracker,
            resume_at_next_action=True,
            default_state={"count": 0},
            default_entrypoint="increment",
        )
        .build()
    )
    again.step()
    (run,) = tracker.database.list_runs()
    assert (run.step_count, run.last_sequence_id, run.status) == (3, 2, "running")
    assert tracker.database.state_at(run.run_id, 2) == {"count": 3}


KILLED_RUN = textwrap.dedent(
    """
    import os, signal, sys
    from burrdesk.engine import ApplicationBuilder, State, action, expr

    @action(reads=["count"], writes=["count"])
    def increment(state: State) -> State:
        if state["count"] == 500:
            os.kill(os.getpid(), signal.SIGKILL)
        return state.update(count=state["count"] + 1)

    app = (
        ApplicationBuilder()
        .with_actions(increment=increment)
        .with_transitions(("increment", "increment", expr("count < 10**6")))
        .with_state(count=0)
        .with_identifiers(app_id="doomed")
        .with_entrypoint("increment")
        .with_tracker(
            "postgresql" if sys.argv[1].startswith("postgresql:") else "sqlite",
            project="kill",
            params={"db_url": sys.argv[1]},
        )
        .build()
    )
    app.run(halt_after=[])
    """
)


def test_kill_9_mid_run_leaves_every_completed_step_readable(db_target):
    process = subprocess.run([sys.executable, "-c", KILLED_RUN, db_target], capture_output=True)
    assert process.returncode == -signal.SIGKILL, process.stderr.decode()
    if not is_server(db_target):
        assert sqlite3.connect(db_target).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db = open_run_database(db_target, read_only=True)
    (run,) = db.list_runs()
    assert run.status == "interrupted"
    assert run.step_count == 500 and run.last_sequence_id == 499
    assert db.state_at(run.run_id, 499) == {"count": 500}
    assert [s.sequence_id for s in db.read_last_steps(run.run_id, 2)] == [498, 499]
    db.close()


def test_tracking_leaves_the_application_state_and_results_unchanged(tmp_path):
    plain = counter_builder(tmp_path / "a.db")
    tracked_result = plain.build().run(halt_after=["finish"])
    untracked = (
        ApplicationBuilder()
        .with_actions(increment=increment, finish=finish)
        .with_transitions(("increment", "increment", expr("count < 5")), ("increment", "finish"))
        .with_state(count=0)
        .with_entrypoint("increment")
        .build()
        .run(halt_after=["finish"])
    )
    assert tracked_result[1] == untracked[1] and tracked_result[2] == untracked[2]


def test_default_database_location_is_used_without_a_path(tmp_path, monkeypatch):
    monkeypatch.setenv("BURRDESK_DATA_DIR", str(tmp_path / "data"))
    app = (
        ApplicationBuilder()
        .with_actions(increment=increment)
        .with_state(count=0)
        .with_entrypoint("increment")
        .with_tracker(project="default-db")
        .build()
    )
    app.step()
    assert os.path.exists(tmp_path / "data" / "runs.db")
    assert RunDatabase(tmp_path / "data" / "runs.db").list_runs()[0].project == "default-db"


@action(reads=["count"], writes=["count", "deep"])
def nest_deeper(state: State) -> State:
    deep: list = [state["count"]]
    for _ in range(5_000):
        deep = [deep]
    return state.update(count=state["count"] + 1, deep=deep)


def test_an_action_building_a_value_too_deep_for_json_is_still_recorded(db_target):
    app = (
        ApplicationBuilder()
        .with_actions(nest=nest_deeper)
        .with_transitions(("nest", "nest"))
        .with_state(count=0)
        .with_entrypoint("nest")
        .with_tracker(project="deep", **tracker_kwargs(db_target))
        .build()
    )
    for _ in range(3):
        app.step()
    app.builder.tracker.close()
    with open_run_database(db_target, read_only=True) as db:
        (run,) = db.list_runs()
        assert run.step_count == 3 and db.state_at(run.run_id, 2)["count"] == 3
        assert "deep" in db.get_step(run.run_id, 2).delta["set"]
