"""What only the server backend has: its schema versions and migrations, refusing databases
that are not ours, read-only connections, and URLs shown without passwords. (Everything else is
the shared suite, run on both backends through the `db_target` fixture.)"""

from __future__ import annotations

import psycopg
import pytest

from burrdesk.engine import ApplicationBuilder, State, action
from burrdesk.model import postgres_schema
from burrdesk.model.run_database import RunDatabaseError
from burrdesk.model.run_database_opener import database_target, open_run_database, shown_target


def test_a_version_1_server_database_is_migrated_on_opening(postgres_url):
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        for statement in postgres_schema.MIGRATIONS[1]:
            conn.execute(statement)
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('format', %s), ('schema_version', '1')",
            (postgres_schema.FORMAT_MARKER,),
        )
    with open_run_database(postgres_url) as db:
        assert db.schema_version == postgres_schema.SERVER_SCHEMA_VERSION == 2
        run_id = db.create_run(project="p", app_id="a", initial_state={"x": 0})
        db.writer(run_id).record_step(
            sequence_id=0, action="set", before={"x": 0}, after={"x": 1}, result={"ok": 1}
        )
        assert [s.sequence_id for s in db.search_steps(run_id, changed_key="x")] == [0]


def test_a_newer_server_schema_and_someone_elses_tables_are_refused(postgres_url):
    open_run_database(postgres_url).close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(RunDatabaseError, match=r"newer burrdesk \(server schema version 99\)"):
        open_run_database(postgres_url)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("DROP TABLE meta")
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    with pytest.raises(RunDatabaseError, match="holds other tables") as refused:
        open_run_database(postgres_url)
    assert "\n" not in str(refused.value)


def test_read_only_refuses_an_empty_database_and_every_write(postgres_url):
    with pytest.raises(RunDatabaseError, match="has no burrdesk runs yet"):
        open_run_database(postgres_url, read_only=True)
    with psycopg.connect(postgres_url) as conn:
        tables = conn.execute("SELECT COUNT(*) FROM information_schema.tables "
                              "WHERE table_schema = 'public'").fetchone()[0]  # fmt: skip
    assert tables == 0, "a read-only open must not create the tables"
    open_run_database(postgres_url).close()
    with open_run_database(postgres_url, read_only=True) as reader:
        assert reader.read_only and reader.list_runs() == []
        with pytest.raises(RunDatabaseError, match="could not be written: cannot execute"):
            reader.create_run(project="p", app_id="a", initial_state={})


def test_the_url_is_shown_without_its_password_everywhere():
    url = "postgresql://ada:top%20secret@db.example:5433/team"
    assert shown_target(url) == "postgresql://ada@db.example:5433/team"
    assert database_target(url) == url
    with pytest.raises(RunDatabaseError) as failed:
        open_run_database("postgresql://ada:top%20secret@127.0.0.1:1/team")
    assert "secret" not in str(failed.value)
    assert str(failed.value).startswith("Cannot connect to postgresql://ada@127.0.0.1:1/team")


@action(reads=["count"], writes=["count"])
def increment(state: State) -> State:
    return state.update(count=state["count"] + 1)


def test_a_server_that_stops_mid_run_is_one_sentence_and_keeps_every_step_before():
    from postgres_server import start_or_skip

    server = start_or_skip()
    try:
        app = (
            ApplicationBuilder()
            .with_actions(increment=increment)
            .with_transitions(("increment", "increment"))
            .with_state(count=0)
            .with_entrypoint("increment")
            .with_tracker("postgresql", project="outage", params={"db_url": server.url})
            .build()
        )
        for _ in range(5):
            app.step()
        server.halt()
        with pytest.raises(RunDatabaseError) as lost:
            app.step()
        message = str(lost.value)
        assert message.startswith(f"Step 5 of run 1 could not be recorded in {server.url}: ")
        assert "\n" not in message
        app.builder.tracker.close()
        server.resume()
        with open_run_database(server.url, read_only=True) as db:
            (run,) = db.list_runs()
            assert (run.step_count, run.last_sequence_id) == (5, 4)
            assert db.state_at(run.run_id, 4) == {"count": 5}
    finally:
        server.stop()
