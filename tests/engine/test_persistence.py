"""Persisters: save each step, resume where an app stopped, fork from any step."""

import sqlite3

import pytest

from burrdesk.engine import ApplicationBuilder, State, action, expr
from burrdesk.engine.persistence import InMemoryPersister, SQLitePersister, SQLLitePersister


@action(reads=["n"], writes=["n"])
def count(state: State) -> State:
    return state.update(n=state["n"] + 1)


@action(reads=["n"], writes=["n"])
def fragile(state: State) -> State:
    if state["n"] == 2:
        raise RuntimeError("two is unlucky")
    return state.update(n=state["n"] + 1)


def builder(persister=None, app_id="app", step=count):
    b = (
        ApplicationBuilder()
        .with_actions(count=step)
        .with_transitions(("count", "count", expr("n < 5")))
        .with_identifiers(app_id=app_id)
    )
    return b.with_state_persister(persister) if persister else b


def resumed(persister, app_id="app", **fork):
    return (
        builder(persister, app_id=app_id)
        .initialize_from(
            persister,
            resume_at_next_action=True,
            default_state={"n": 0},
            default_entrypoint="count",
            **fork,
        )
        .build()
    )


@pytest.fixture(params=["sqlite", "memory"])
def persister(request, tmp_path):
    if request.param == "memory":
        return InMemoryPersister()
    p = SQLitePersister(db_path=str(tmp_path / "state.db"), table_name="burr_state")
    p.initialize()
    return p


def test_nothing_saved_starts_from_the_default_state(persister):
    app = resumed(persister)
    assert app.state.get_all() == {"n": 0} and app.sequence_id is None


def test_resume_continues_at_the_next_action_with_the_same_sequence(persister):
    first = resumed(persister)
    first.step()
    first.step()
    again = resumed(persister)
    assert again.state["n"] == 2 and again.sequence_id == 1
    again.step()
    assert again.sequence_id == 2 and again.state["n"] == 3
    assert persister.load(None, "app")["sequence_id"] == 2


def test_a_failed_step_is_saved_as_failed_and_resuming_retries_it(persister):
    app = (
        builder(persister, step=fragile)
        .initialize_from(
            persister,
            resume_at_next_action=True,
            default_state={"n": 0},
            default_entrypoint="count",
        )
        .build()
    )
    with pytest.raises(RuntimeError):
        app.run(halt_after=[])
    latest = persister.load(None, "app")
    assert (latest["status"], latest["sequence_id"], latest["position"]) == ("failed", 2, "count")
    retry = resumed(persister)
    assert retry.get_next_action().name == "count" and retry.state["n"] == 2


def test_fork_starts_a_new_app_from_a_chosen_step(persister):
    original = resumed(persister)
    original.run(halt_after=[])
    fork = resumed(persister, app_id="fork", fork_from_app_id="app", fork_from_sequence_id=1)
    assert fork.state["n"] == 2 and fork.sequence_id == 1
    assert fork.parent_pointer.app_id == "app" and fork.parent_pointer.sequence_id == 1
    fork.step()
    assert persister.load(None, "fork")["state"]["n"] == 3
    assert persister.load(None, "app")["state"]["n"] == 5
    assert persister.list_app_ids(None) == ["fork", "app"]


def test_forking_into_the_same_app_id_is_refused(persister):
    with pytest.raises(ValueError, match="into itself"):
        resumed(persister, app_id="app", fork_from_app_id="app")


def test_override_state_values_apply_on_top_of_the_loaded_state(persister):
    resumed(persister).step()
    app = (
        builder(persister)
        .initialize_from(
            persister,
            resume_at_next_action=True,
            default_state={"n": 0},
            default_entrypoint="count",
            override_state_values={"n": 3},
        )
        .build()
    )
    app.step()
    assert app.state["n"] == 4


def test_uninitialized_sqlite_persister_is_refused(tmp_path):
    p = SQLitePersister(db_path=str(tmp_path / "x.db"))
    with pytest.raises(RuntimeError, match="not initialized"):
        builder(p).with_state(n=0).with_entrypoint("count").build()


def test_sqlite_rows_use_burrs_columns_and_json_state(tmp_path):
    path = tmp_path / "state.db"
    p = SQLLitePersister(db_path=str(path), table_name="my_table")
    p.initialize()
    app = resumed(p)
    app.step()
    row = (
        sqlite3.connect(path)
        .execute("SELECT partition_key, app_id, sequence_id, position, status, state FROM my_table")
        .fetchone()
    )
    assert row[:5] == ("", "app", 0, "count", "completed")
    assert '"n":1' in row[5]


def test_corrupt_saved_state_is_a_clear_error(tmp_path):
    path = tmp_path / "state.db"
    p = SQLitePersister(db_path=str(path))
    p.initialize()
    p.connection.execute(
        "INSERT INTO burr_state (partition_key, app_id, sequence_id, position, status, state) "
        "VALUES ('', 'bad', 0, 'count', 'completed', '{not json')"
    )
    with pytest.raises(ValueError, match="state saved for app 'bad' at sequence 0.*not valid JSON"):
        p.load(None, "bad")


def test_table_names_are_checked():
    with pytest.raises(ValueError, match="letters, digits and underscores"):
        SQLitePersister(db_path=":memory:", table_name="x; DROP TABLE y")
