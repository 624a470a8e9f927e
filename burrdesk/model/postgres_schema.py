"""The run database's tables on a PostgreSQL server, their version, and opening a connection.

The same tables as the SQLite file (`run_database_schema.py`, version 4), with the same text
encodings for states, deltas, inputs, results and traces, so a run copied between the two is
the same bytes. A server holding a newer version is refused rather than guessed at; a server
database with other tables and no marker is someone else's and is not touched.
"""

from __future__ import annotations

from typing import Any

from burrdesk.model.run_database import RunDatabaseError, first_line
from burrdesk.model.run_database_schema import FORMAT_MARKER

SERVER_SCHEMA_VERSION = 2
"""Version 1 holds what SQLite version 4 holds; version 2 adds `burrdesk_jsonb`."""

_TABLES = (
    """CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
    """CREATE TABLE runs (
        run_id BIGSERIAL PRIMARY KEY,
        project TEXT NOT NULL,
        app_id TEXT NOT NULL,
        partition_key TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL,
        entrypoint TEXT,
        graph TEXT,
        flow TEXT,
        created_at DOUBLE PRECISION NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL,
        step_count INTEGER NOT NULL DEFAULT 0,
        first_sequence_id BIGINT,
        last_sequence_id BIGINT,
        parent_run_id BIGINT REFERENCES runs (run_id),
        parent_sequence_id BIGINT,
        next_action TEXT,
        source TEXT NOT NULL DEFAULT 'burrdesk',
        writer_pid INTEGER,
        writer_host TEXT,
        spawning_parent_run_id BIGINT REFERENCES runs (run_id),
        spawning_parent_sequence_id BIGINT,
        UNIQUE (project, partition_key, app_id)
    )""",
    "CREATE INDEX runs_created_at ON runs (created_at)",
    "CREATE INDEX runs_parent ON runs (parent_run_id)",
    "CREATE INDEX runs_spawning_parent ON runs (spawning_parent_run_id)",
    """CREATE TABLE steps (
        run_id BIGINT NOT NULL REFERENCES runs (run_id),
        sequence_id BIGINT NOT NULL,
        action TEXT NOT NULL,
        status TEXT NOT NULL,
        started_at DOUBLE PRECISION,
        ended_at DOUBLE PRECISION,
        inputs TEXT,
        result TEXT,
        error TEXT,
        traceback TEXT,
        delta TEXT,
        stream_started_at DOUBLE PRECISION,
        first_item_at DOUBLE PRECISION,
        item_count INTEGER,
        trace TEXT,
        PRIMARY KEY (run_id, sequence_id)
    )""",
    """CREATE TABLE checkpoints (
        run_id BIGINT NOT NULL REFERENCES runs (run_id),
        sequence_id BIGINT NOT NULL,
        state TEXT NOT NULL,
        PRIMARY KEY (run_id, sequence_id)
    )""",
    """CREATE TABLE annotations (
        project TEXT NOT NULL,
        partition_key TEXT NOT NULL DEFAULT '',
        app_id TEXT NOT NULL,
        sequence_id BIGINT NOT NULL,
        action TEXT,
        verdict TEXT,
        tags TEXT NOT NULL DEFAULT '[]',
        note TEXT NOT NULL DEFAULT '',
        expected TEXT,
        created_at DOUBLE PRECISION,
        updated_at DOUBLE PRECISION,
        PRIMARY KEY (project, partition_key, app_id, sequence_id)
    )""",
)


def connect(url: str, *, create: bool = True, autocommit: bool = False) -> Any:
    """A connection to the server at `url` with burrdesk's tables (created in an empty
    database unless `create` is false; then an empty database is refused).

    The password comes from the URL, `PGPASSWORD` or `~/.pgpass` (libpq reads them); burrdesk
    never stores one. Every failure is a RunDatabaseError of one sentence.
    """
    try:
        import psycopg
    except ImportError:
        raise RunDatabaseError(
            "PostgreSQL needs the psycopg package: pip install 'burrdesk[server]'."
        ) from None
    try:
        conn = psycopg.connect(url, connect_timeout=10)
    except psycopg.Error as exc:
        raise RunDatabaseError(f"Cannot connect to {shown_url(url)}: {first_line(exc)}.") from None
    try:
        if not create and _checked_version(conn, url) == 0:
            raise RunDatabaseError(
                f"{shown_url(url)} has no burrdesk runs yet (an empty database)."
            )
        _prepare(conn, url)
        conn.commit()
        conn.autocommit = autocommit
    except psycopg.Error as exc:
        conn.close()
        raise RunDatabaseError(
            f"{shown_url(url)} cannot be used as a run database: {first_line(exc)}."
        ) from None
    except BaseException:
        conn.close()
        raise
    return conn


_JSONB_FUNCTION = """CREATE OR REPLACE FUNCTION burrdesk_jsonb(value TEXT) RETURNS JSONB
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $body$
    BEGIN
        RETURN value::jsonb;
    EXCEPTION WHEN others THEN
        RETURN NULL;
    END
    $body$"""
"""Stored text as JSONB, or NULL where JSONB cannot hold it (NaN, a NUL character): queries
that look inside deltas, results and tags must not fail on one odd value."""

MIGRATIONS: dict[int, tuple[str, ...]] = {1: _TABLES, 2: (_JSONB_FUNCTION,)}
"""The statements that bring a server database to each version, in order."""
_SCHEMA_LOCK = 0x6275_7272_6465_736B
"""A transaction-level advisory lock held while the tables are created or migrated: programs
connecting to a new database together must not both create them."""


def _prepare(conn: Any, url: str) -> None:
    version = _checked_version(conn, url)
    conn.commit()
    if version == SERVER_SCHEMA_VERSION:
        return
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
        version = _checked_version(conn, url)
        for target in range(version + 1, SERVER_SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[target]:
                conn.execute(statement)
        if version == 0:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('format', %s), ('schema_version', %s), "
                "('created_by', 'burrdesk')",
                (FORMAT_MARKER, str(SERVER_SCHEMA_VERSION)),
            )
        elif version < SERVER_SCHEMA_VERSION:
            conn.execute(
                "UPDATE meta SET value = %s WHERE key = 'schema_version'",
                (str(SERVER_SCHEMA_VERSION),),
            )


def _checked_version(conn: Any, url: str) -> int:
    """The server database's schema version (0 when it is empty); refuses someone else's
    tables and a newer version."""
    tables = {
        row[0]
        for row in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
    }
    if not tables:
        return 0
    meta = {}
    if "meta" in tables:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    if meta.get("format") != FORMAT_MARKER:
        raise RunDatabaseError(
            f"{shown_url(url)} holds other tables ({', '.join(sorted(tables)[:3])}…) and no "
            "burrdesk runs; use an empty database for burrdesk."
        )
    try:
        version = int(meta.get("schema_version", "0"))
    except ValueError:
        raise RunDatabaseError(
            f"{shown_url(url)} has an unreadable schema version {meta.get('schema_version')!r}."
        ) from None
    if version > SERVER_SCHEMA_VERSION:
        raise RunDatabaseError(
            f"{shown_url(url)} was written by a newer burrdesk (server schema version {version}); "
            f"this burrdesk reads up to version {SERVER_SCHEMA_VERSION}, so please upgrade it."
        )
    return version


def shown_url(url: str) -> str:
    """The URL as it may be printed: without a password."""
    head, sep, tail = url.partition("://")
    if not sep or "@" not in tail:
        return url
    credentials, _, host = tail.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{head}://{user}@{host}"
