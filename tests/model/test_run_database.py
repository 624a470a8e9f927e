"""The run database: schema, bad files, paging, state rebuilding, diffs and forks."""

import math
import sqlite3

import pytest
from fork_recording import continue_fork

from burrdesk.model.run_database import CheckpointPolicy, RunDatabase, RunDatabaseError
from burrdesk.model.run_database_opener import open_run_database
from burrdesk.model.run_database_schema import SCHEMA_VERSION
from burrdesk.model.state_codec import OpaqueValue


@pytest.fixture
def db(db_target):
    """Each test here runs on a SQLite file and again on a PostgreSQL database."""
    with open_run_database(db_target) as database:
        yield database


def record_counter(db, steps=10, project="demo", app_id="app", policy=None):
    run_id = db.create_run(project=project, app_id=app_id, initial_state={"count": 0})
    writer = db.writer(run_id)
    if policy is not None:
        writer.policy = policy
    state = {"count": 0}
    for seq in range(steps):
        new = {**state, "count": state["count"] + 1}
        writer.record_step(sequence_id=seq, action="increment", before=state, after=new)
        state = new
    return run_id, writer


def test_new_database_file_has_schema_version_and_wal(tmp_path):
    with RunDatabase(tmp_path / "runs.db") as db:
        assert db.schema_version == SCHEMA_VERSION
        assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.integrity_check() == "ok"


def test_run_lifecycle_counts_and_status(db):
    run_id, writer = record_counter(db, steps=5)
    run = db.get_run(run_id)
    assert (run.status, run.step_count, run.first_sequence_id, run.last_sequence_id) == (
        "running",
        5,
        0,
        4,
    )
    writer.finish("completed")
    assert db.get_run(run_id).status == "completed"


def test_counts_are_exact_between_run_row_refreshes(db):
    run_id, _ = record_counter(db, steps=100)
    assert db.count_steps(run_id) == 100
    assert db.get_run(run_id).last_sequence_id == 99


def test_state_at_every_step_matches_what_was_recorded(db):
    run_id, _ = record_counter(db, steps=200, policy=CheckpointPolicy(min_steps=7, max_steps=20))
    assert db.state_at(run_id, -1) == {"count": 0}
    for seq in (0, 6, 7, 19, 20, 133, 199):
        assert db.state_at(run_id, seq) == {"count": seq + 1}
    with pytest.raises(RunDatabaseError, match="has no step 200"):
        db.state_at(run_id, 200)


def test_growing_lists_are_stored_as_appends_not_copies(db):
    run_id = db.create_run(project="p", app_id="chat", initial_state={"history": []})
    writer = db.writer(run_id)
    history: list[str] = []
    for seq in range(50):
        new = [*history, f"message {seq} " + "x" * 200]
        writer.record_step(
            sequence_id=seq, action="talk", before={"history": history}, after={"history": new}
        )
        history = new
    step = db.get_step(run_id, 30)
    assert step.delta == {"append": {"history": [history[30]]}}
    assert db.state_at(run_id, 49)["history"] == history
    assert db.state_at(run_id, 10)["history"] == history[:11]


def test_deltas_record_sets_deletes_and_internal_keys_are_dropped(db):
    run_id = db.create_run(
        project="p", app_id="a", initial_state={"a": 1, "b": 2, "__SEQUENCE_ID": 0}
    )
    writer = db.writer(run_id)
    writer.record_step(
        sequence_id=0,
        action="edit",
        before={"a": 1, "b": 2},
        after={"a": 5, "c": 3, "__PRIOR_STEP": "edit"},
    )
    step = db.get_step(run_id, 0)
    assert step.delta == {"set": {"a": 5, "c": 3}, "delete": ["b"]}
    assert step.changed_keys == ["a", "c", "b"]
    assert db.state_at(run_id, 0) == {"a": 5, "c": 3}
    assert db.initial_state(run_id) == {"a": 1, "b": 2}


def test_failed_step_keeps_error_traceback_and_state(db):
    run_id = db.create_run(project="p", app_id="a", initial_state={"n": 1})
    db.writer(run_id).record_step(
        sequence_id=0,
        action="boom",
        before={"n": 1},
        after={"n": 1},
        inputs={"x": 2},
        error="ValueError: bad",
        traceback="Traceback ...",
    )
    step = db.get_step(run_id, 0)
    assert (step.status, step.error, step.traceback, step.inputs) == (
        "failed",
        "ValueError: bad",
        "Traceback ...",
        {"x": 2},
    )
    assert db.get_run(run_id).status == "failed"
    assert db.state_at(run_id, 0) == {"n": 1}


def test_paging_reads_only_the_requested_range(db):
    run_id, _ = record_counter(db, steps=250)
    page = db.read_steps(run_id, 100, limit=20)
    assert [s.sequence_id for s in page] == list(range(100, 120))
    assert [s.sequence_id for s in db.read_last_steps(run_id, 3)] == [247, 248, 249]
    assert [s.sequence_id for s in db.read_step_page(run_id, 240, 100)] == list(range(240, 250))
    assert [s.sequence_id for s in db.steps_after(run_id, 247)] == [248, 249]
    assert db.steps_after(run_id, 249) == []


def test_list_runs_newest_first_with_filters(db):
    first, _ = record_counter(db, steps=1, project="alpha", app_id="one")
    second, writer = record_counter(db, steps=1, project="beta", app_id="two")
    writer.finish("completed")
    assert [r.run_id for r in db.list_runs()] == [second, first]
    assert [r.app_id for r in db.list_runs(project="alpha")] == ["one"]
    assert [r.app_id for r in db.list_runs(status="completed")] == ["two"]
    assert [r.app_id for r in db.list_runs(search="tw")] == ["two"]
    assert db.count_runs() == 2 and db.projects() == ["alpha", "beta"]


def test_search_steps_by_action_status_and_changed_key(db):
    run_id = db.create_run(project="p", app_id="a", initial_state={})
    writer = db.writer(run_id)
    writer.record_step(sequence_id=0, action="ask", before={}, after={"q": 1})
    writer.record_step(sequence_id=1, action="answer", before={"q": 1}, after={"q": 1, "r": 2})
    writer.record_step(
        sequence_id=2,
        action="answer",
        before={"q": 1, "r": 2},
        after={"q": 1, "r": 2},
        error="E: x",
    )
    assert [s.sequence_id for s in db.search_steps(run_id, action="answer")] == [1, 2]
    assert [s.sequence_id for s in db.search_steps(run_id, status="failed")] == [2]
    assert [s.sequence_id for s in db.search_steps(run_id, changed_key="r")] == [1]


def test_diff_between_any_two_steps(db):
    run_id = db.create_run(project="p", app_id="a", initial_state={"a": 1, "gone": True})
    writer = db.writer(run_id)
    writer.record_step(
        sequence_id=0, action="x", before={"a": 1, "gone": True}, after={"a": 2, "new": "n"}
    )
    diff = db.diff(run_id, -1, 0)
    assert diff.added == {"new": "n"} and diff.removed == {"gone": True}
    assert [(c.key, c.old, c.new) for c in diff.changed] == [("a", 1, 2)]
    assert db.diff(run_id, 0, 0).is_empty


def test_fork_starts_from_a_step_with_edits_and_reads_history_from_its_parent(db):
    run_id, _ = record_counter(db, steps=10)
    fork = db.fork(run_id, 4, state_overrides={"count": 100}, next_action=None)
    assert (fork.parent_run_id, fork.parent_sequence_id, fork.status) == (run_id, 4, "created")
    assert db.state_at(fork.run_id, 4) == {"count": 100}
    assert db.state_at(fork.run_id, 2) == {"count": 3}
    assert db.prior_action(fork.run_id, 4) == "increment"
    writer = db.writer(fork.run_id)
    writer.record_step(
        sequence_id=5, action="increment", before={"count": 100}, after={"count": 101}
    )
    assert db.state_at(fork.run_id, 5) == {"count": 101}
    assert db.state_at(run_id, 5) == {"count": 6}


def test_runs_form_a_tree_of_forks(db):
    root, _ = record_counter(db, steps=10, app_id="root")
    first = db.fork(root, 4, app_id="first")
    second = db.fork(root, 7, app_id="second")
    db.fork(first.run_id, 2, app_id="grandchild")
    other, _ = record_counter(db, steps=3, app_id="other")

    assert [r.app_id for r in db.list_runs(roots_only=True)] == ["other", "root"]
    assert [r.app_id for r in db.list_runs(forks_of=root)] == ["first", "second"]
    assert [r.app_id for r in db.list_runs(forks_of=first.run_id)] == ["grandchild"]
    assert db.list_runs(forks_of=other) == []
    assert {r.app_id: r.fork_count for r in db.list_runs()} == {
        "root": 2,
        "first": 1,
        "second": 0,
        "grandchild": 0,
        "other": 0,
    }
    assert [r.app_id for r in db.runs_after(second.run_id)] == ["grandchild", "other"]


def test_lineage_of_a_fork_is_its_parents_steps_up_to_the_fork_then_its_own(db):
    root, _ = record_counter(db, steps=10)
    assert [
        (s.run_id, s.first_sequence_id, s.last_sequence_id, s.inherited) for s in db.lineage(root)
    ] == [(root, 0, 9, False)]
    fork = db.fork(root, 4)
    assert [
        (s.run_id, s.first_sequence_id, s.last_sequence_id, s.step_count, s.inherited)
        for s in db.lineage(fork.run_id)
    ] == [(root, 0, 4, 5, True)]
    continue_fork(db, fork, 3)
    assert [
        (s.run_id, s.first_sequence_id, s.last_sequence_id, s.inherited)
        for s in db.lineage(fork.run_id)
    ] == [(root, 0, 4, True), (fork.run_id, 5, 7, False)]

    # A fork of the fork at a step it inherited reaches back past its parent's own steps.
    early = db.fork(fork.run_id, 2)
    assert [(s.run_id, s.last_sequence_id) for s in db.lineage(early.run_id)] == [(root, 2)]
    late = db.fork(fork.run_id, 6)
    continue_fork(db, late, 1)
    assert [
        (s.run_id, s.first_sequence_id, s.last_sequence_id, s.inherited)
        for s in db.lineage(late.run_id)
    ] == [
        (root, 0, 4, True),
        (fork.run_id, 5, 6, True),
        (late.run_id, 7, 7, False),
    ]


def test_a_file_written_before_the_fork_index_gets_it_when_opened_for_writing(tmp_path):
    path = tmp_path / "old.db"
    with RunDatabase(path) as db:
        record_counter(db, steps=2)
    with sqlite3.connect(path) as conn:
        conn.execute("DROP INDEX idx_runs_parent_run_id")
    with RunDatabase(path, read_only=True) as db:
        assert db.list_runs()[0].fork_count == 0
    with RunDatabase(path) as db:
        names = [r[0] for r in db.conn.execute("SELECT name FROM sqlite_master WHERE type='index'")]
        assert "idx_runs_parent_run_id" in names


def test_fork_with_an_unknown_next_action_is_refused(db):
    run_id = db.create_run(
        project="p",
        app_id="a",
        initial_state={},
        graph={"actions": [{"name": "x"}], "transitions": [], "entrypoint": "x"},
    )
    with pytest.raises(RunDatabaseError, match="no action 'y' to continue with"):
        db.fork(run_id, -1, next_action="y")


def test_duplicate_app_ids_in_a_project_are_refused(db):
    db.create_run(project="p", app_id="same", initial_state={})
    with pytest.raises(RunDatabaseError, match="already has a run with app id 'same'"):
        db.create_run(project="p", app_id="same", initial_state={})


def test_a_duplicate_step_is_a_clear_error_and_writes_nothing(db):
    run_id, writer = record_counter(db, steps=2)
    with pytest.raises(RunDatabaseError, match="already has a step 1"):
        writer.record_step(sequence_id=1, action="increment", before={}, after={"count": 9})
    assert db.count_steps(run_id) == 2 and db.state_at(run_id, 1) == {"count": 2}


def test_values_json_cannot_hold_come_back_as_tagged_reprs(db):
    class Thing:
        def __repr__(self):
            return "Thing(42)"

    run_id = db.create_run(project="p", app_id="a", initial_state={"t": Thing(), "s": {1, 2}})
    state = db.state_at(run_id, -1)
    assert isinstance(state["t"], OpaqueValue) and repr(state["t"]) == "Thing(42)"
    assert state["s"].value == [1, 2]


# --- bad files ------------------------------------------------------------------------------


def test_missing_file_in_read_only_mode(tmp_path):
    with pytest.raises(RunDatabaseError, match="There is no run database at"):
        RunDatabase(tmp_path / "absent.db", read_only=True)


def test_a_folder_is_not_a_database(tmp_path):
    with pytest.raises(RunDatabaseError, match="is a folder"):
        RunDatabase(tmp_path)


def test_a_text_file_is_not_sqlite(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("hello, this is not a database" * 100)
    with pytest.raises(RunDatabaseError, match="is not a SQLite database"):
        RunDatabase(path)
    assert path.read_text().startswith("hello")


def test_a_truncated_database_is_reported_as_damaged(tmp_path):
    path = tmp_path / "runs.db"
    with RunDatabase(path) as db:
        record_counter(db, steps=3000)
        db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(RunDatabaseError, match="damaged|not a SQLite"), RunDatabase(path) as db:
        db.list_runs()
        db.state_at(1, 2999)


def test_another_programs_sqlite_file_is_refused_without_changes(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER, total REAL)")
    conn.commit()
    conn.close()
    with pytest.raises(RunDatabaseError, match="another program.*invoices"):
        RunDatabase(path)
    tables = sqlite3.connect(path).execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == [("invoices",)]


def test_a_burr_persister_file_gets_an_import_hint(tmp_path):
    from burrdesk.engine.persistence import SQLitePersister

    path = tmp_path / "burr.db"
    SQLitePersister(str(path)).initialize()
    with pytest.raises(RunDatabaseError, match="burrdesk import"):
        RunDatabase(path)


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "runs.db"
    with RunDatabase(path) as db:
        db.conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(RunDatabaseError, match="newer burrdesk \\(schema version 99\\)"):
        RunDatabase(path)


def test_a_reader_follows_a_writer_on_another_connection(db_target):
    writer_db = open_run_database(db_target)
    run_id, writer = record_counter(writer_db, steps=3)
    reader = open_run_database(db_target, read_only=True)
    assert reader.count_steps(run_id) == 3
    writer.record_step(sequence_id=3, action="increment", before={"count": 3}, after={"count": 4})
    assert [s.sequence_id for s in reader.steps_after(run_id, 2)] == [3]
    assert reader.state_at(run_id, 3) == {"count": 4}
    reader.close()
    writer_db.close()


def test_a_growing_state_is_snapshotted_less_often_as_it_grows():
    """Checkpoints of a history growing by 200 bytes a step add up to O(n) bytes, within the
    per-step budget, where a fixed interval made them O(n²)."""
    policy = CheckpointPolicy()
    size, written, intervals, since = 0, 0, [], 0
    for _ in range(50_000):
        size += 200
        since += 1
        if policy.after_step(200):
            policy.checkpointed(size)
            written += size
            intervals.append(since)
            since = 0
    assert written <= (policy.step_budget + 200) * 50_000
    assert intervals[0] == policy.min_steps and max(intervals[:5]) <= policy.max_steps
    assert intervals[-1] > policy.max_steps  # large by now: fewer snapshots


def test_a_small_state_is_still_checkpointed_every_max_steps():
    """Steps that change nothing (empty deltas) still get a checkpoint every 1,000 steps, so
    rebuilding any state reads a bounded number of deltas."""
    policy = CheckpointPolicy()
    policy.checkpointed(40)
    due = []
    for step in range(1, 3_001):
        if policy.after_step(0):
            policy.checkpointed(40)
            due.append(step)
    assert due == [1000, 2000, 3000]


def test_values_strict_json_cannot_hold_do_not_break_the_queries_that_look_inside(db):
    """NaN and NUL are kept as stored (Python's JSON), but SQLite's JSON functions and
    PostgreSQL's JSONB refuse them: the look-ups treat such a row as one they cannot look
    into instead of calling the database damaged."""
    run_id = db.create_run(project="p", app_id="a", initial_state={"x": 0.0})
    writer = db.writer(run_id)
    writer.record_step(
        sequence_id=0, action="odd", before={"x": 0.0}, after={"x": math.nan, "text": "a\x00b"},
        result={"usage": {"prompt_tokens": 1}, "score": math.nan},
    )  # fmt: skip
    writer.record_step(
        sequence_id=1, action="llm", before={"x": math.nan}, after={"x": 1.0},
        result={"model": "gpt-4o", "usage": {"prompt_tokens": 5}},
    )  # fmt: skip
    state = db.state_at(run_id, 0)
    assert math.isnan(state["x"]) and state["text"] == "a\x00b"
    assert [(m.reply_model, m.reply_usage) for m in db.step_measures(run_id)] == [
        (None, None),
        ("gpt-4o", {"prompt_tokens": 5}),
    ]
    assert [s.sequence_id for s in db.search_steps(run_id, changed_key="x")] == [1]
    assert [s.sequence_id for s in db.search_steps(run_id, changed_key="text")] == []
