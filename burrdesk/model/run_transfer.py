"""Copying runs between a run database file and a PostgreSQL server (`burrdesk push`/`pull`).

A run is matched by its identity (project, partition key, app id), never by its run id, which
differs between the two. Copying is idempotent and resumable: a run already there gains only
the steps it lacks, so pushing twice adds nothing and a push cut off half-way is finished by
the next one. Parents (forks) and spawning parents (sub-applications) are copied first and
linked by their ids on the other side. Rows are copied as stored (the same JSON text), in
pages, so neither side is read whole.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from burrdesk.model import postgres_schema
from burrdesk.model.run_database import RunDatabase, RunDatabaseError, first_line
from burrdesk.model.run_database_schema import SCHEMA_VERSION

PAGE = 1000

RUN_COLUMNS = (
    "project",
    "app_id",
    "partition_key",
    "status",
    "entrypoint",
    "graph",
    "flow",
    "created_at",
    "updated_at",
    "step_count",
    "first_sequence_id",
    "last_sequence_id",
    "parent_run_id",
    "parent_sequence_id",
    "next_action",
    "source",
    "spawning_parent_run_id",
    "spawning_parent_sequence_id",
)
STEP_COLUMNS = (
    "sequence_id",
    "action",
    "status",
    "started_at",
    "ended_at",
    "inputs",
    "result",
    "error",
    "traceback",
    "delta",
    "stream_started_at",
    "first_item_at",
    "item_count",
    "trace",
)
ANNOTATION_COLUMNS = (
    "project",
    "partition_key",
    "app_id",
    "sequence_id",
    "action",
    "verdict",
    "tags",
    "note",
    "expected",
    "created_at",
    "updated_at",
)
_PARENTS = ("parent_run_id", "spawning_parent_run_id")


@dataclasses.dataclass
class TransferResult:
    """What a push or pull did."""

    runs_added: int = 0
    runs_updated: int = 0
    runs_unchanged: int = 0
    steps_added: int = 0
    annotations_copied: int = 0

    def summary(self, verb: str, where: str) -> str:
        return (
            f"{verb} {self.runs_added} new run(s) and {self.steps_added} step(s) {where}; "
            f"{self.runs_updated} run(s) gained steps, {self.runs_unchanged} were already there."
        )


class _Side:
    """One end of a copy: SQL for a SQLite run database or for a server, same operations."""

    def __init__(self, conn: Any, placeholder: str):
        self.conn = conn
        self.p = placeholder

    def rows(self, sql: str, args: tuple = ()) -> list[tuple]:
        return self.conn.execute(sql.replace("?", self.p), args).fetchall()

    def pages(self, sql: str, args: tuple) -> Iterator[list[tuple]]:
        """`sql` must end in `sequence_id > ? ORDER BY sequence_id LIMIT ?`; args without the
        last two."""
        after = -(2**62)
        while True:
            page = self.rows(sql, (*args, after, PAGE))
            if not page:
                return
            yield page
            after = page[-1][0]

    def runs(self) -> list[dict[str, Any]]:
        columns = ("run_id", *RUN_COLUMNS)
        rows = self.rows(f"SELECT {', '.join(columns)} FROM runs ORDER BY run_id")
        return [dict(zip(columns, row, strict=True)) for row in rows]

    def find(self, run: dict[str, Any]) -> tuple[int, int | None] | None:
        rows = self.rows(
            "SELECT run_id, last_sequence_id FROM runs WHERE project = ? AND partition_key = ? "
            "AND app_id = ?",
            (run["project"], run["partition_key"] or "", run["app_id"]),
        )
        return (rows[0][0], rows[0][1]) if rows else None

    def insert_run(self, run: dict[str, Any]) -> int:
        values = tuple(run[c] if c != "partition_key" else run[c] or "" for c in RUN_COLUMNS)
        marks = ", ".join([self.p] * len(RUN_COLUMNS))
        return self.conn.execute(
            f"INSERT INTO runs ({', '.join(RUN_COLUMNS)}) VALUES ({marks}) RETURNING run_id",
            values,
        ).fetchone()[0]

    def insert_ignoring(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        marks = ", ".join([self.p] * len(columns))
        conflict = "ON CONFLICT DO NOTHING"
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) {conflict}"
        cursor = self.conn.cursor()
        cursor.executemany(sql, rows)

    def refresh_run(self, run_id: int, run: dict[str, Any], step_count: int) -> None:
        self.conn.execute(
            "UPDATE runs SET status = ?, updated_at = ?, step_count = ?, first_sequence_id = ?, "
            "last_sequence_id = ?, next_action = ? WHERE run_id = ?".replace("?", self.p),
            (
                run["status"],
                run["updated_at"],
                step_count,
                run["first_sequence_id"],
                run["last_sequence_id"],
                run["next_action"],
                run_id,
            ),
        )

    def step_count(self, run_id: int) -> int:
        return self.rows("SELECT COUNT(*) FROM steps WHERE run_id = ?", (run_id,))[0][0]


def _copy(source: _Side, target: _Side, result: TransferResult) -> None:
    ids: dict[int, int] = {}
    for run in source.runs():
        local_id = run["run_id"]
        found = target.find(run)
        mapped = dict(run)
        for column in _PARENTS:
            if run[column] is not None:
                mapped[column] = ids.get(run[column])
        if found is None:
            target_id, last = target.insert_run(mapped), None
            result.runs_added += 1
        else:
            target_id, last = found
        ids[local_id] = target_id
        added = _copy_rows(source, target, local_id, target_id, last)
        if found is not None:
            if added:
                result.runs_updated += 1
            else:
                result.runs_unchanged += 1
        result.steps_added += added
        if added or found is None:
            target.refresh_run(target_id, mapped, target.step_count(target_id))
        target.conn.commit()
    rows = source.rows(f"SELECT {', '.join(ANNOTATION_COLUMNS)} FROM annotations")
    if rows:
        target.insert_ignoring("annotations", ANNOTATION_COLUMNS, rows)
        result.annotations_copied = len(rows)
    target.conn.commit()


def _copy_rows(
    source: _Side, target: _Side, source_id: int, target_id: int, last: int | None
) -> int:
    """The steps (and checkpoints) after `last` that the target lacks; how many steps."""
    after = -(2**62) if last is None else last
    added = 0
    for page in source.pages(
        f"SELECT {', '.join(STEP_COLUMNS)} FROM steps WHERE run_id = ? AND sequence_id > ? "
        "ORDER BY sequence_id LIMIT ?",
        (source_id,),
    ):
        if page[-1][0] <= after:
            continue
        fresh = [(target_id, *row) for row in page if row[0] > after]
        target.insert_ignoring("steps", ("run_id", *STEP_COLUMNS), fresh)
        added += len(fresh)
    low = -(2**62) if last is None else last + 1
    for page in source.pages(
        "SELECT sequence_id, state FROM checkpoints WHERE run_id = ? AND sequence_id > ? "
        "ORDER BY sequence_id LIMIT ?",
        (source_id,),
    ):
        fresh = [(target_id, *row) for row in page if row[0] >= low or last is None]
        target.insert_ignoring("checkpoints", ("run_id", "sequence_id", "state"), fresh)
    return added


def _open_file(path: str | Path, *, create: bool) -> RunDatabase:
    database = RunDatabase(path, create=create, read_only=not create)
    if database.version < SCHEMA_VERSION:
        database.close()
        raise RunDatabaseError(
            f"{path} has schema version {database.version}; open it once in burrdesk (or "
            "record into it) to upgrade it before copying runs."
        )
    return database


def push(path: str | Path, url: str) -> TransferResult:
    """Uploads the runs of the file at `path` to the server at `url`."""
    database = _open_file(path, create=False)
    server = postgres_schema.connect(url)
    result = TransferResult()
    try:
        with database._lock:
            _copy(_Side(database.conn, "?"), _Side(server, "%s"), result)
    except Exception as exc:
        server.rollback()
        raise _sentence(exc, url) from None
    finally:
        server.close()
        database.close()
    return result


def pull(url: str, path: str | Path) -> TransferResult:
    """Brings the server's runs into the file at `path` (created when missing)."""
    server = postgres_schema.connect(url)
    database = _open_file(path, create=True)
    result = TransferResult()
    try:
        with database._lock:
            local = _Side(database.conn, "?")
            local.conn.execute("BEGIN")
            local_commit = _SqliteCommit(database.conn)
            _copy(_Side(server, "%s"), _Side(local_commit, "?"), result)
    except Exception as exc:
        with_rollback = database.conn.in_transaction
        if with_rollback:
            database.conn.execute("ROLLBACK")
        raise _sentence(exc, url) from None
    finally:
        server.close()
        database.close()
    return result


class _SqliteCommit:
    """A SQLite connection in autocommit mode that commits the way psycopg's does (`commit()`
    ends the transaction and starts the next), so `_copy` treats both ends alike."""

    def __init__(self, conn: Any):
        self._conn = conn

    def execute(self, sql: str, args: tuple = ()) -> Any:
        return self._conn.execute(sql, args)

    def cursor(self) -> Any:
        return self._conn.cursor()

    def commit(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("COMMIT")
        self._conn.execute("BEGIN")


def _sentence(exc: Exception, url: str) -> RunDatabaseError:
    if isinstance(exc, RunDatabaseError):
        return exc
    shown = postgres_schema.shown_url(url)
    return RunDatabaseError(f"Copying runs with {shown} failed: {first_line(exc)}.")
