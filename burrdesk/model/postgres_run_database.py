"""The run database on a PostgreSQL server: what a team shares when one file is not enough.

It is `RunDatabase` over another connection: the same tables (`postgres_schema.py`), the same
queries (written once with `?` placeholders, turned into psycopg's here), the same deltas,
checkpoints and writer. Only what the two SQL dialects differ in lives here: placeholders,
JSON look-ups, how a new run's id comes back, and SQLite's WAL upkeep, which a server does on
its own. Each step is still one committed statement, so a program killed mid-run leaves every
completed step on the server, readable by everyone else at once.

Readers follow live runs by polling (`steps_after`, `runs_after`: indexed range reads), as
they do a file. LISTEN/NOTIFY was left out on purpose: a NOTIFY in every step's transaction
makes all committing writers of the database queue on one lock, which the 8-writer load
test would feel, and a view polling once a second costs one small query.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from typing import Any

from burrdesk.model import postgres_schema
from burrdesk.model.run_database import RunDatabase, RunDatabaseError, first_line
from burrdesk.model.run_database_schema import SCHEMA_VERSION


class PostgresRunDatabase(RunDatabase):
    """A connection to the run database in one PostgreSQL database (create, read, write)."""

    BEGIN = "BEGIN"
    LIKE = "ILIKE"

    def __init__(self, url: str, *, create: bool = True, read_only: bool = False):
        raw = postgres_schema.connect(url, create=create and not read_only, autocommit=True)
        import psycopg  # connect() said what to install when it is missing

        self.url = url
        self.target = url
        self.path = None
        self.location = postgres_schema.shown_url(url)
        self.read_only = read_only
        self._lock = threading.RLock()
        self._checkpointer = None
        self.version = SCHEMA_VERSION
        self.DUPLICATE_ERRORS = (psycopg.errors.UniqueViolation,)
        self.DATABASE_ERRORS = (psycopg.Error,)
        if read_only:
            raw.execute("SET default_transaction_read_only = on")
        self.conn = _ServerConnection(raw)

    # --- the dialect ------------------------------------------------------------------------

    def _query(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            try:
                cursor = self.conn.execute(sql, args)
                return cursor.fetchall() if cursor.description is not None else []
            except self.DATABASE_ERRORS as exc:
                raise RunDatabaseError(
                    f"{self.location} cannot be read: {first_line(exc)}."
                ) from None

    def has_table(self, name: str) -> bool:
        return bool(
            self._query(
                "SELECT 1 FROM information_schema.tables "
                "WHERE table_schema = current_schema() AND table_name = ?",
                (name,),
            )
        )

    @staticmethod
    def json_array_has(column: str, member: str | None = None) -> str:
        array = f"burrdesk_jsonb({column})" + (f" -> '{member}'" if member else "")
        return f"({array}) @> jsonb_build_array(?::text)"

    @staticmethod
    def json_object_has(column: str, member: str) -> str:
        return f"(burrdesk_jsonb({column}) -> '{member}' -> ?::text) IS NOT NULL"

    @staticmethod
    def _in_json_list(column: str) -> str:
        return f"{column} IN (SELECT value::bigint FROM json_array_elements_text(?::json))"

    _USAGE_COLUMNS = (
        "CASE WHEN jsonb_typeof(burrdesk_jsonb(result) -> 'usage') = 'object' "
        "THEN burrdesk_jsonb(result) ->> 'model' END, "
        "CASE WHEN jsonb_typeof(burrdesk_jsonb(result) -> 'usage') = 'object' "
        "THEN (burrdesk_jsonb(result) -> 'usage')::text END"
    )

    def _pipelined(self) -> contextlib.AbstractContextManager[object]:
        """psycopg's pipeline mode: a batch's inserts go out back to back, and their answers
        are read when the batch ends (or a read needs one), instead of a round trip each."""
        return self.conn.raw.pipeline()

    def _insert_run(self, conn: Any, sql: str, args: tuple) -> int:
        return conn.execute(f"{sql} RETURNING run_id", args).fetchone()[0]

    # --- what a server does itself ------------------------------------------------------------

    def _between_steps(self) -> None:
        pass

    def settle_wal(self) -> None:
        pass

    def _start_checkpointer(self) -> None:
        pass

    def _stop_checkpointer(self) -> None:
        pass

    def integrity_check(self) -> str:
        """The server keeps its own files sound; this says it answers (and "ok" when it does)."""
        self._query("SELECT 1")
        return "ok"

    @property
    def schema_version(self) -> int:
        """The version of burrdesk's tables on the server (`postgres_schema.SERVER_SCHEMA_VERSION`)."""
        return int(self._query("SELECT value FROM meta WHERE key='schema_version'")[0][0])

    def close(self) -> None:
        with self._lock:
            self.conn.close()


class _ServerConnection:
    """A psycopg connection (autocommit) that takes SQL written with `?` placeholders."""

    def __init__(self, raw: Any):
        self.raw = raw

    def execute(self, sql: str, args: tuple | list = ()) -> Any:
        return self.raw.execute(_server_sql(sql), tuple(args))

    def close(self) -> None:
        self.raw.close()


@functools.lru_cache(maxsize=512)
def _server_sql(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")
