"""The run database: every step of every run, in one SQLite file, readable while it is written.

One writer appends steps (the tracker, in the engine's thread or process); any number of readers
(the timeline, the CLI) follow along on their own connections, which WAL mode allows. Each step
commits on its own, so a process killed mid-run (even `kill -9`) leaves every completed step
readable. Every read is an indexed query over a bounded range: nothing here loads a whole table.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import sqlite_utils

from burrdesk.model.run_database_schema import (
    FORMAT_MARKER,
    MIGRATIONS,
    PARENT_INDEX,
    SCHEMA_VERSION,
    ensure_indexes,
)
from burrdesk.model.run_records import (
    AttributeRecord,
    LineageSegment,
    RunRecord,
    SpanRecord,
    StepMeasure,
    StepRecord,
)
from burrdesk.model.state_codec import dumps, loads
from burrdesk.model.state_delta import StateDiff, apply_delta, compute_delta, diff_states
from burrdesk.model.value_serde import FIELD_SERIALIZATION, serialize_fields

_RUN_COLUMNS_V1 = (
    "run_id, project, app_id, partition_key, status, entrypoint, graph, flow, created_at, "
    "updated_at, step_count, first_sequence_id, last_sequence_id, parent_run_id, "
    "parent_sequence_id, next_action, source, writer_pid, writer_host, "
    # A live writer refreshes the runs row every few dozen steps, not every step; these two
    # indexed look-ups add the steps written since (a bounded range), so counts are exact.
    "(SELECT COUNT(*) FROM steps AS s WHERE s.run_id = runs.run_id "
    "AND s.sequence_id > COALESCE(runs.last_sequence_id, -9223372036854775807)), "
    "(SELECT MAX(s.sequence_id) FROM steps AS s WHERE s.run_id = runs.run_id), "
    "(SELECT COUNT(*) FROM runs AS f WHERE f.parent_run_id = runs.run_id)"
)
_RUN_COLUMNS = (
    _RUN_COLUMNS_V1 + ", spawning_parent_run_id, spawning_parent_sequence_id, "
    "(SELECT COUNT(*) FROM runs AS c WHERE c.spawning_parent_run_id = runs.run_id)"
)
_STEP_COLUMNS_V1 = (
    "run_id, sequence_id, action, status, started_at, ended_at, inputs, result, error, "
    "traceback, delta"
)
_STEP_COLUMNS = _STEP_COLUMNS_V1 + ", stream_started_at, first_item_at, item_count"
_V1_EXTRA_RUN = ", NULL, NULL, 0"
_V1_EXTRA_STEP = ", NULL, NULL, NULL"
_HOST = socket.gethostname()
WAL_SIZE_LIMIT = 4 * 1024 * 1024
"""Bytes a WAL file is cut back to when it restarts (`PRAGMA journal_size_limit`)."""
_LIVE_STATUSES = ("running", "interrupted")
_NOW: Any = object()


class RunDatabaseError(Exception):
    """A run database that cannot be used; the message is one sentence meant for the user."""


class RunDatabase:
    """A connection to one run database file (create it, read it, write runs into it).

    `open_run_database` also opens one on a PostgreSQL server (`PostgresRunDatabase`, the
    same interface over the same tables)."""

    path: Path | None
    location: str
    """Where the database is, as it may be shown (a file path, or a URL without password)."""
    target: Path | str
    """What `open_run_database` opens it again with (the path, or the URL as given)."""
    _run_columns = _RUN_COLUMNS
    _step_columns = _STEP_COLUMNS

    def __init__(
        self, path: str | os.PathLike[str], *, create: bool = True, read_only: bool = False
    ):
        self.path = Path(path)
        self.location = str(self.path)
        self.target = self.path
        self.read_only = read_only
        if not self.path.exists():
            if not create or read_only:
                raise RunDatabaseError(f"There is no run database at {self.path}.")
            self.path.parent.mkdir(parents=True, exist_ok=True)
        elif self.path.is_dir():
            raise RunDatabaseError(f"{self.path} is a folder, not a run database file.")
        self._lock = threading.RLock()
        self._checkpointer: _Checkpointer | None = None
        self.version = SCHEMA_VERSION
        try:
            if read_only:
                self.conn = _connect_for_reading(self.path)
            else:
                self.conn = sqlite3.connect(
                    self.path, check_same_thread=False, isolation_level=None
                )
        except sqlite3.Error as exc:
            raise RunDatabaseError(f"{self.path} cannot be opened: {exc}.") from None
        try:
            self._prepare()
        except RunDatabaseError:
            self.conn.close()
            raise
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise RunDatabaseError(_explain_database_error(self.path, exc)) from None
        self.db = sqlite_utils.Database(self.conn)

    # --- opening, validating and migrating --------------------------------------------------

    def _prepare(self) -> None:
        conn = self.conn
        conn.execute("PRAGMA busy_timeout = 5000")
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        if not tables:
            if self.read_only:
                raise RunDatabaseError(f"{self.path} is an empty file, not a run database.")
            self._use_wal()
            self._migrate(0)
            return
        meta = {}
        if "meta" in tables:
            with contextlib.suppress(sqlite3.DatabaseError):
                meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("format") != FORMAT_MARKER:
            raise RunDatabaseError(_foreign_database_message(self.path, conn, tables))
        try:
            version = int(meta.get("schema_version", "0"))
        except ValueError:
            raise RunDatabaseError(
                f"{self.path} has an unreadable schema version {meta.get('schema_version')!r}."
            ) from None
        if version > SCHEMA_VERSION:
            raise RunDatabaseError(
                f"{self.path} was written by a newer burrdesk (schema version {version}); "
                f"this burrdesk reads up to version {SCHEMA_VERSION}, so please upgrade it."
            )
        if not self.read_only:
            self._use_wal()
        if version < SCHEMA_VERSION:
            if self.read_only:
                self._read_as_version(version)
            else:
                self._migrate(version)
        if (
            not self.read_only
            and not conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (PARENT_INDEX,)
            ).fetchone()
        ):
            with self._transaction():
                ensure_indexes(sqlite_utils.Database(conn))

    def _read_as_version(self, version: int) -> None:
        """Reads an older file as it is (read-only: it cannot be migrated); what it lacks
        reads as empty."""
        if version < 1:
            raise RunDatabaseError(
                f"{self.path} has schema version {version}, which no burrdesk release wrote."
            )
        self.version = version
        if version == 1:
            self._run_columns = _RUN_COLUMNS_V1 + _V1_EXTRA_RUN
            self._step_columns = _STEP_COLUMNS_V1 + _V1_EXTRA_STEP

    @property
    def has_spans(self) -> bool:
        """Whether the file can hold spans, attributes, streams and child runs (version 2 on)."""
        return self.version >= 2

    def _use_wal(self) -> None:
        """WAL lets readers follow a run while it is written; set only on our own files.

        `journal_size_limit` cuts the WAL file back whenever it restarts, so a long run's WAL
        stays a few MB instead of keeping its largest size (see `RunWriter.WAL_RESET_STEPS`)."""
        self._retry_when_locked(self._enter_wal)
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")

    def _enter_wal(self) -> None:
        if self.conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            self.conn.execute("PRAGMA journal_mode = WAL")

    def _retry_when_locked(self, statement: Callable[[], None], seconds: float = 5.0) -> None:
        """Runs `statement`, again while another program holds the lock it needs. Changing
        the journal mode does not wait on the busy timeout: a program opening a new file
        while another already writes it would fail at once with "database is locked"."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                statement()
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def idle(self) -> None:
        """Nothing is being written for now: stop the checkpoint thread and empty the WAL (a
        new writer starts the thread again)."""
        self._stop_checkpointer()
        self.settle_wal()

    def settle_wal(self) -> None:
        """Copies the WAL into the file and empties it, when no reader is in the way (a run
        ended: what it wrote need not stay twice on disk). Waits at most a moment for readers."""
        if self.read_only:
            return
        with self._lock, contextlib.suppress(sqlite3.Error):
            self.conn.execute("PRAGMA busy_timeout = 100")
            try:
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                self.conn.execute("PRAGMA busy_timeout = 5000")

    def _migrate(self, from_version: int) -> None:
        """Brings the file to SCHEMA_VERSION, one version per transaction. Each re-reads the
        version once it holds the write lock: two programs opening a new file at once (two
        trackers starting together) must not both create its tables."""
        db = sqlite_utils.Database(self.conn)
        for target in range(from_version + 1, SCHEMA_VERSION + 1):
            with self._transaction() as conn:
                if self._version_in_file(conn) >= target:
                    continue
                MIGRATIONS[target](db)
                rows = [
                    {"key": "format", "value": FORMAT_MARKER},
                    {"key": "schema_version", "value": str(target)},
                    {"key": "created_by", "value": "burrdesk"},
                ]
                if target > 1:
                    rows.pop()
                db["meta"].upsert_all(rows, pk="key")

    @staticmethod
    def _version_in_file(conn: sqlite3.Connection) -> int:
        if not conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
        ).fetchone():
            return 0
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else 0

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction; a database error in it (a locked file, a server gone away) is
        a RunDatabaseError of one sentence, and nothing of the transaction is kept."""
        with self._lock:
            try:
                self.conn.execute(self.BEGIN)
                try:
                    yield self.conn
                    self.conn.execute("COMMIT")
                except BaseException:
                    with contextlib.suppress(*self.DATABASE_ERRORS):
                        self.conn.execute("ROLLBACK")
                    raise
            except self.DATABASE_ERRORS as exc:
                raise RunDatabaseError(
                    f"{self.location} could not be written: {first_line(exc)}."
                ) from None

    def _query(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            try:
                return self.conn.execute(sql, args).fetchall()
            except sqlite3.DatabaseError as exc:
                raise RunDatabaseError(_explain_database_error(self.path, exc)) from None

    # --- what the SQL dialects differ in (see `postgres_run_database.py`) -----------------

    BEGIN = "BEGIN IMMEDIATE"
    """Starts a write transaction (IMMEDIATE: take the write lock now, not at the first write)."""
    LIKE = "LIKE"
    """Case-insensitive pattern matching (SQLite's LIKE is, for ASCII)."""
    DUPLICATE_ERRORS: tuple[type[BaseException], ...] = (sqlite3.IntegrityError,)
    DATABASE_ERRORS: tuple[type[BaseException], ...] = (sqlite3.DatabaseError,)

    def has_table(self, name: str) -> bool:
        return bool(
            self._query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
        )

    @staticmethod
    def json_array_has(column: str, member: str | None = None) -> str:
        """SQL true when the JSON array in `column` (or in its object `member`) holds the
        string given as parameter (false where the text is not strict JSON: a NaN)."""
        array = f"{column}, '$.{member}'" if member else column
        return (
            f"CASE WHEN json_valid({column}) THEN EXISTS "
            f"(SELECT 1 FROM json_each({array}) WHERE value = ?) ELSE 0 END"
        )

    @staticmethod
    def json_object_has(column: str, member: str) -> str:
        """SQL true when the object `member` of the JSON in `column` has the key given as
        parameter."""
        return (
            f"CASE WHEN json_valid({column}) THEN EXISTS "
            f"(SELECT 1 FROM json_each({column}, '$.{member}') WHERE key = ?) ELSE 0 END"
        )

    @staticmethod
    def _in_json_list(column: str) -> str:
        """SQL true when `column` is one of the numbers in the JSON list given as parameter."""
        return f"{column} IN (SELECT value FROM json_each(?))"

    _USAGE_COLUMNS = (
        "CASE WHEN json_valid(result) AND json_type(result, '$.usage') = 'object' "
        "THEN json_extract(result, '$.model') END, "
        "CASE WHEN json_valid(result) AND json_type(result, '$.usage') = 'object' "
        "THEN json_extract(result, '$.usage') END"
    )
    """An LLM node's model and token usage, read from its result without parsing the rest."""

    def _pipelined(self) -> contextlib.AbstractContextManager[object]:
        """Inside a batch: statements that may be sent without waiting for each answer
        (a server's round trips; a file has none)."""
        return contextlib.nullcontext()

    def _insert_run(self, conn: Any, sql: str, args: tuple) -> int:
        return conn.execute(sql, args).lastrowid

    def _between_steps(self) -> None:
        """A checkpoint on the writing connection, between two steps: nothing is appended
        while it runs, so it can finish, and the next step then writes the WAL from its start
        again. The background checkpointer alone never catches a writer that never pauses."""
        with self._lock, contextlib.suppress(sqlite3.Error):
            self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def close(self) -> None:
        self._stop_checkpointer()
        with self._lock:
            self.conn.close()

    def __enter__(self) -> RunDatabase:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return int(self._query("SELECT value FROM meta WHERE key='schema_version'")[0][0])

    def integrity_check(self) -> str:
        """SQLite's own integrity verdict ("ok" when the file is sound); reads the whole file."""
        return self._query("PRAGMA integrity_check")[0][0]

    # --- reading runs -----------------------------------------------------------------------

    def list_runs(
        self,
        *,
        project: str | None = None,
        app_id: str | None = None,
        partition_key: str | None = None,
        status: str | None = None,
        search: str | None = None,
        roots_only: bool = False,
        forks_of: int | None = None,
        children_of: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[RunRecord]:
        """Runs, newest first, optionally filtered.

        `roots_only` leaves out forks and sub-applications (the top level of a tree of runs);
        `forks_of` lists the forks of one run instead, and `children_of` its forks and the
        sub-applications its steps started, oldest first, the order they were made in.
        """
        where, args = self._run_filter(project, app_id, partition_key, status, search)
        clauses = [where.removeprefix("WHERE ")] if where else []
        if roots_only:
            clauses.append("parent_run_id IS NULL")
            if self.has_spans:
                clauses.append("spawning_parent_run_id IS NULL")
        if forks_of is not None:
            clauses.append("parent_run_id = ?")
            args = (*args, forks_of)
        if children_of is not None:
            if self.has_spans:
                clauses.append("(parent_run_id = ? OR spawning_parent_run_id = ?)")
                args = (*args, children_of, children_of)
            else:
                clauses.append("parent_run_id = ?")
                args = (*args, children_of)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        order = "ASC" if forks_of is not None or children_of is not None else "DESC"
        sql = f"SELECT {self._run_columns} FROM runs {where} ORDER BY created_at {order}, run_id {order}"
        if status in _LIVE_STATUSES:
            runs = [r for r in map(_run_from_row, self._query(sql, args)) if r.status == status]
            return runs[offset : offset + limit]
        rows = self._query(f"{sql} LIMIT ? OFFSET ?", (*args, limit, offset))
        return [_run_from_row(row) for row in rows]

    def runs_after(self, run_id: int, limit: int = 100) -> list[RunRecord]:
        """Runs created after run `run_id` (ids only grow), oldest first: how a view notices
        new runs and new forks without re-reading what it shows."""
        rows = self._query(
            f"SELECT {self._run_columns} FROM runs WHERE run_id > ? ORDER BY run_id LIMIT ?",
            (run_id, limit),
        )
        return [_run_from_row(row) for row in rows]

    def visit_counts(self, run_id: int) -> tuple[dict[str, int], dict[str, int]]:
        """How often each action ran and each transition ("a->b") was taken in a run's
        timeline (a fork's inherited steps included). Reads every step: callers bound it."""
        nodes: dict[str, int] = {}
        edges: dict[str, int] = {}
        previous: str | None = None
        for segment in self.lineage(run_id):
            rows = self._query(
                "SELECT prev, action, COUNT(*) FROM (SELECT action, LAG(action) OVER "
                "(ORDER BY sequence_id) AS prev, sequence_id FROM steps WHERE run_id = ? "
                "AND sequence_id BETWEEN ? AND ?) AS ordered GROUP BY prev, action",
                (segment.run_id, segment.first_sequence_id, segment.last_sequence_id),
            )
            first_action = None
            for prev, action, count in rows:
                nodes[action] = nodes.get(action, 0) + count
                if prev is None:
                    first_action = action
                else:
                    key = f"{prev}->{action}"
                    edges[key] = edges.get(key, 0) + count
            if previous is not None and first_action is not None:
                key = f"{previous}->{first_action}"
                edges[key] = edges.get(key, 0) + 1
            last = self._query(
                "SELECT action FROM steps WHERE run_id = ? AND sequence_id <= ? "
                "ORDER BY sequence_id DESC LIMIT 1",
                (segment.run_id, segment.last_sequence_id),
            )
            previous = last[0][0] if last else previous
        return nodes, edges

    def last_run_id(self) -> int:
        """The highest run id so far (0 when there are none); see `runs_after`."""
        return self._query("SELECT COALESCE(MAX(run_id), 0) FROM runs")[0][0]

    def lineage(self, run_id: int) -> list[LineageSegment]:
        """The steps a run's timeline shows, as ranges of runs, oldest first.

        A fork starts with its parent's steps up to the fork point (and that parent's own
        inherited steps, for a fork of a fork), then its own. A run that is not a fork is one
        segment. The ancestors' ranges are `inherited`.
        """
        segments: list[LineageSegment] = []
        seen: set[int] = set()
        run: RunRecord | None = self.get_run(run_id)
        upper: int | None = None
        while run is not None and run.run_id not in seen:
            seen.add(run.run_id)
            first, last = run.first_sequence_id, run.last_sequence_id
            if upper is not None and last is not None:
                last = min(last, upper)
            if first is not None and last is not None and first <= last:
                if run.last_sequence_id - first + 1 == run.step_count:
                    count = last - first + 1
                else:
                    count = self._query(
                        "SELECT COUNT(*) FROM steps WHERE run_id = ? AND sequence_id BETWEEN ? AND ?",
                        (run.run_id, first, last),
                    )[0][0]
                segments.append(
                    LineageSegment(
                        run_id=run.run_id,
                        first_sequence_id=first,
                        last_sequence_id=last,
                        step_count=count,
                        inherited=run.run_id != run_id,
                    )
                )
            if run.parent_run_id is None or run.parent_sequence_id is None:
                break
            upper = run.parent_sequence_id if upper is None else min(upper, run.parent_sequence_id)
            try:
                run = self.get_run(run.parent_run_id)
            except RunDatabaseError:
                break
        return segments[::-1]

    def count_runs(
        self,
        *,
        project: str | None = None,
        app_id: str | None = None,
        partition_key: str | None = None,
        status: str | None = None,
        search: str | None = None,
    ) -> int:
        where, args = self._run_filter(project, app_id, partition_key, status, search)
        if status in _LIVE_STATUSES:
            return len(
                self.list_runs(
                    project=project,
                    app_id=app_id,
                    partition_key=partition_key,
                    status=status,
                    search=search,
                    limit=2**62,
                )
            )
        return self._query(f"SELECT COUNT(*) FROM runs {where}", args)[0][0]

    def _run_filter(
        self,
        project: str | None,
        app_id: str | None,
        partition_key: str | None,
        status: str | None,
        search: str | None,
    ) -> tuple[str, tuple]:
        clauses, args = [], []
        for column, value in (
            ("project", project),
            ("app_id", app_id),
            ("partition_key", partition_key),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                args.append(value)
        if status is not None:
            # "running" and "interrupted" are told apart by whether the writer is alive, which
            # only Python can check: the SQL takes both and `_derived_filter` sorts them out.
            if status in _LIVE_STATUSES:
                clauses.append("status IN ('running', 'interrupted')")
            else:
                clauses.append("status = ?")
                args.append(status)
        if search:
            like = self.LIKE
            clauses.append(f"(project {like} ? OR app_id {like} ? OR partition_key {like} ?)")
            args.extend([f"%{search}%"] * 3)
        return ("WHERE " + " AND ".join(clauses)) if clauses else "", tuple(args)

    def projects(self) -> list[str]:
        return [row[0] for row in self._query("SELECT DISTINCT project FROM runs ORDER BY project")]

    def get_run(self, run_id: int) -> RunRecord:
        rows = self._query(f"SELECT {self._run_columns} FROM runs WHERE run_id = ?", (run_id,))
        if not rows:
            raise RunDatabaseError(f"{self.location} has no run {run_id}.")
        return _run_from_row(rows[0])

    def find_run(
        self, app_id: str, *, project: str | None = None, partition_key: str | None = None
    ) -> RunRecord | None:
        """The run with this app id (and project/partition when given), or None."""
        clauses, args = ["app_id = ?"], [app_id]
        if project is not None:
            clauses.append("project = ?")
            args.append(project)
        if partition_key is not None:
            clauses.append("partition_key = ?")
            args.append(partition_key)
        rows = self._query(
            f"SELECT {self._run_columns} FROM runs WHERE {' AND '.join(clauses)} "
            "ORDER BY created_at DESC LIMIT 1",
            tuple(args),
        )
        return _run_from_row(rows[0]) if rows else None

    # --- reading steps ----------------------------------------------------------------------

    def count_steps(self, run_id: int) -> int:
        return self.get_run(run_id).step_count

    def read_steps(
        self, run_id: int, start_sequence_id: int | None = None, limit: int = 100
    ) -> list[StepRecord]:
        """Up to `limit` steps from `start_sequence_id` on (from the first step when None)."""
        start = -(2**62) if start_sequence_id is None else start_sequence_id
        rows = self._query(
            f"SELECT {self._step_columns} FROM steps WHERE run_id = ? AND sequence_id >= ? "
            "ORDER BY sequence_id LIMIT ?",
            (run_id, start, limit),
        )
        return [_step_from_row(row) for row in rows]

    def read_last_steps(self, run_id: int, limit: int = 100) -> list[StepRecord]:
        """The last `limit` steps, in sequence order."""
        rows = self._query(
            f"SELECT {self._step_columns} FROM steps WHERE run_id = ? ORDER BY sequence_id DESC LIMIT ?",
            (run_id, limit),
        )
        return [_step_from_row(row) for row in reversed(rows)]

    def read_step_page(self, run_id: int, row: int, limit: int = 100) -> list[StepRecord]:
        """Steps by position (row 0 is the first step), for table views that page by row."""
        run = self.get_run(run_id)
        if run.first_sequence_id is None:
            return []
        if run.last_sequence_id - run.first_sequence_id + 1 == run.step_count:
            return self.read_steps(run_id, run.first_sequence_id + row, limit)
        rows = self._query(
            f"SELECT {self._step_columns} FROM steps WHERE run_id = ? ORDER BY sequence_id LIMIT ? OFFSET ?",
            (run_id, limit, row),
        )
        return [_step_from_row(r) for r in rows]

    def get_step(self, run_id: int, sequence_id: int) -> StepRecord:
        rows = self._query(
            f"SELECT {self._step_columns} FROM steps WHERE run_id = ? AND sequence_id = ?",
            (run_id, sequence_id),
        )
        if not rows:
            raise RunDatabaseError(f"Run {run_id} has no step {sequence_id}.")
        return _step_from_row(rows[0])

    def steps_after(
        self, run_id: int, sequence_id: int | None, limit: int = 1000
    ) -> list[StepRecord]:
        """Steps recorded after `sequence_id`: how a view follows a live run."""
        start = -(2**62) if sequence_id is None else sequence_id + 1
        return self.read_steps(run_id, start, limit)

    def search_steps(
        self,
        run_id: int,
        *,
        action: str | None = None,
        status: str | None = None,
        changed_key: str | None = None,
        sequence_ids: Collection[int] | None = None,
        after_sequence_id: int | None = None,
        limit: int = 100,
    ) -> list[StepRecord]:
        """Steps matching every given filter, in sequence order, a page at a time.

        `sequence_ids` keeps only those steps (the annotated ones, say, whose annotations may
        live in another database)."""
        clauses, args = ["run_id = ?"], [run_id]
        if sequence_ids is not None:
            clauses.append(self._in_json_list("sequence_id"))
            args.append(json.dumps(sorted(sequence_ids)))
        if after_sequence_id is not None:
            clauses.append("sequence_id > ?")
            args.append(after_sequence_id)
        if action:
            clauses.append(f"action {self.LIKE} ?")
            args.append(f"%{action}%")
        if status:
            clauses.append("status = ?")
            args.append(status)
        if changed_key:
            clauses.append(
                f"({self.json_object_has('delta', 'set')} "
                f"OR {self.json_object_has('delta', 'append')} "
                f"OR {self.json_array_has('delta', 'delete')})"
            )
            args.extend([changed_key] * 3)
        rows = self._query(
            f"SELECT {self._step_columns} FROM steps WHERE {' AND '.join(clauses)} "
            "ORDER BY sequence_id LIMIT ?",
            (*args, limit),
        )
        return [_step_from_row(r) for r in rows]

    def step_measures(
        self, run_id: int, after_sequence_id: int | None = None, limit: int = 1000
    ) -> list[StepMeasure]:
        """Up to `limit` steps after `after_sequence_id`, as timings, errors and traces only:
        what insights add up over many steps, without parsing states, inputs or results."""
        after = -(2**62) if after_sequence_id is None else after_sequence_id
        stream = "stream_started_at, first_item_at" if self.version >= 2 else "NULL, NULL"
        trace = "trace" if self.version >= 3 else "NULL"
        rows = self._query(
            f"SELECT sequence_id, action, status, started_at, ended_at, error, {stream}, {trace}, "
            f"{self._USAGE_COLUMNS} FROM steps WHERE run_id = ? AND sequence_id > ? ORDER BY sequence_id LIMIT ?",
            (run_id, after, limit),
        )
        measures = []
        for seq, action, status, started, ended, error, s_start, first, text, model, usage in rows:
            if text:
                traced = loads(text)
            elif self.version == 2:
                traced = self._trace(run_id, seq)
            else:
                traced = {}
            measures.append(
                StepMeasure(
                    run_id,
                    seq,
                    action,
                    status,
                    started,
                    ended,
                    error,
                    s_start,
                    first,
                    traced if isinstance(traced, dict) else {},
                    model,
                    loads(usage) if usage else None,
                )
            )
        return measures

    # --- spans, attributes and sub-applications of a step --------------------------------

    def _trace(self, run_id: int, sequence_id: int) -> dict[str, list]:
        """A step's spans and attributes as stored (see the schema, version 3)."""
        if self.version >= 3:
            rows = self._query(
                "SELECT trace FROM steps WHERE run_id = ? AND sequence_id = ?",
                (run_id, sequence_id),
            )
            return loads(rows[0][0]) if rows and rows[0][0] else {}
        if self.version == 2:  # opened read-only, not migrated: the two tables of version 2
            spans = self._query(
                "SELECT span_id, parent_span_id, name, started_at, ended_at, dependencies "
                "FROM spans WHERE run_id = ? AND sequence_id = ? ORDER BY started_at, span_id",
                (run_id, sequence_id),
            )
            attributes = self._query(
                "SELECT span_id, key, value, logged_at FROM attributes "
                "WHERE run_id = ? AND sequence_id = ? ORDER BY position",
                (run_id, sequence_id),
            )
            return {
                "spans": [[*row[:5], loads(row[5]) if row[5] else []] for row in spans],
                "attributes": [
                    [span, key, loads(value) if value is not None else None, logged]
                    for span, key, value, logged in attributes
                ],
            }
        return {}

    def spans(self, run_id: int, sequence_id: int) -> list[SpanRecord]:
        """The spans the step opened, in the order they started."""
        return [
            SpanRecord(
                run_id=run_id,
                sequence_id=sequence_id,
                span_id=span_id,
                parent_span_id=parent,
                name=name,
                started_at=started,
                ended_at=ended,
                dependencies=dependencies or [],
            )
            for span_id, parent, name, started, ended, dependencies in self._trace(
                run_id, sequence_id
            ).get("spans", [])
        ]

    def attributes(self, run_id: int, sequence_id: int) -> list[AttributeRecord]:
        """The values the step logged, in the order it logged them."""
        return [
            AttributeRecord(
                run_id=run_id,
                sequence_id=sequence_id,
                position=position,
                span_id=span_id,
                key=key,
                value=value,
                logged_at=logged_at,
            )
            for position, (span_id, key, value, logged_at) in enumerate(
                self._trace(run_id, sequence_id).get("attributes", [])
            )
        ]

    def child_runs(self, run_id: int, sequence_id: int | None = None) -> list[RunRecord]:
        """The sub-applications a run's steps (or one step) started, oldest first."""
        if not self.has_spans:
            return []
        clauses, args = ["spawning_parent_run_id = ?"], [run_id]
        if sequence_id is not None:
            clauses.append("spawning_parent_sequence_id = ?")
            args.append(sequence_id)
        rows = self._query(
            f"SELECT {self._run_columns} FROM runs WHERE {' AND '.join(clauses)} "
            "ORDER BY created_at, run_id",
            tuple(args),
        )
        return [_run_from_row(row) for row in rows]

    # --- rebuilding states ------------------------------------------------------------------

    def state_at(self, run_id: int, sequence_id: int) -> dict[str, Any]:
        """The full state after step `sequence_id` (before the first step: its sequence id - 1).

        One checkpoint plus the deltas since it; a fork's states before its first step come
        from its parent run.
        """
        checkpoint = self._query(
            "SELECT sequence_id, state FROM checkpoints WHERE run_id = ? AND sequence_id <= ? "
            "ORDER BY sequence_id DESC LIMIT 1",
            (run_id, sequence_id),
        )
        if not checkpoint:
            run = self.get_run(run_id)
            if _inherits(run, sequence_id):
                return self.state_at(run.parent_run_id, sequence_id)
            raise RunDatabaseError(f"Run {run_id} has no state recorded at step {sequence_id}.")
        base_sequence, text = checkpoint[0]
        values = loads(text)
        if base_sequence == sequence_id:
            return values
        run = self.get_run(run_id)
        if run.last_sequence_id is None or sequence_id > run.last_sequence_id:
            raise RunDatabaseError(f"Run {run_id} has no step {sequence_id}.")
        for (delta_text,) in self._query(
            "SELECT delta FROM steps WHERE run_id = ? AND sequence_id > ? AND sequence_id <= ? "
            "ORDER BY sequence_id",
            (run_id, base_sequence, sequence_id),
        ):
            if delta_text:
                apply_delta(values, loads(delta_text))
        return values

    def initial_state(self, run_id: int) -> dict[str, Any]:
        """The state the run started from (before its first step)."""
        rows = self._query(
            "SELECT state FROM checkpoints WHERE run_id = ? ORDER BY sequence_id LIMIT 1", (run_id,)
        )
        if not rows:
            raise RunDatabaseError(f"Run {run_id} has no recorded starting state.")
        return loads(rows[0][0])

    def start_sequence_id(self, run_id: int) -> int:
        """The sequence id of the state a run starts from (-1 for a fresh run, N for a fork at N)."""
        rows = self._query("SELECT MIN(sequence_id) FROM checkpoints WHERE run_id = ?", (run_id,))
        if rows[0][0] is None:
            raise RunDatabaseError(f"Run {run_id} has no recorded starting state.")
        return rows[0][0]

    def diff(self, run_id: int, from_sequence_id: int, to_sequence_id: int) -> StateDiff:
        """What changed in the state between two steps of a run."""
        return diff_states(
            self.state_at(run_id, from_sequence_id), self.state_at(run_id, to_sequence_id)
        )

    # --- writing ----------------------------------------------------------------------------

    def create_run(
        self,
        *,
        project: str,
        app_id: str,
        initial_state: Mapping[str, Any],
        start_sequence_id: int = -1,
        partition_key: str | None = None,
        graph: dict[str, Any] | None = None,
        entrypoint: str | None = None,
        flow: dict[str, Any] | None = None,
        parent_run_id: int | None = None,
        parent_sequence_id: int | None = None,
        next_action: str | None = None,
        status: str = "running",
        source: str = "burrdesk",
        created_at: float | None = None,
        spawning_parent_run_id: int | None = None,
        spawning_parent_sequence_id: int | None = None,
    ) -> int:
        """Adds a run and the state it starts from; returns its run id.

        `spawning_parent_run_id`/`_sequence_id` name the step that started it (a child run).
        """
        now = time.time() if created_at is None else created_at
        with self._transaction() as conn:
            try:
                run_id = self._insert_run(
                    conn,
                    "INSERT INTO runs (project, app_id, partition_key, status, entrypoint, graph, "
                    "flow, created_at, updated_at, step_count, parent_run_id, parent_sequence_id, "
                    "next_action, source, writer_pid, writer_host, spawning_parent_run_id, "
                    "spawning_parent_sequence_id) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        project,
                        app_id,
                        partition_key or "",
                        status,
                        entrypoint,
                        dumps(graph) if graph is not None else None,
                        dumps(flow) if flow is not None else None,
                        now,
                        now,
                        parent_run_id,
                        parent_sequence_id,
                        next_action,
                        source,
                        os.getpid(),
                        _HOST,
                        spawning_parent_run_id,
                        spawning_parent_sequence_id,
                    ),
                )
            except self.DUPLICATE_ERRORS:
                raise RunDatabaseError(
                    f"Project {project!r} already has a run with app id {app_id!r}"
                    + (f" in partition {partition_key!r}" if partition_key else "")
                    + "; app ids must be unique within a project."
                ) from None
            conn.execute(
                "INSERT INTO checkpoints (run_id, sequence_id, state) VALUES (?, ?, ?)",
                (run_id, start_sequence_id, dumps(_public(serialize_fields(initial_state)))),
            )
        return run_id

    def set_start(
        self,
        run_id: int,
        initial_state: Mapping[str, Any],
        start_sequence_id: int,
        *,
        parent_sequence_id: int | None = None,
    ) -> None:
        """Replaces the state a run starts from, while it has no steps.

        For runs created before anything said what they start from: a Burr log followed live
        names its first state only with its first step.
        """
        with self._transaction() as conn:
            if conn.execute("SELECT 1 FROM steps WHERE run_id = ? LIMIT 1", (run_id,)).fetchone():
                raise RunDatabaseError(
                    f"Run {run_id} already has steps, so the state it starts from is fixed."
                )
            conn.execute("DELETE FROM checkpoints WHERE run_id = ?", (run_id,))
            conn.execute(
                "INSERT INTO checkpoints (run_id, sequence_id, state) VALUES (?, ?, ?)",
                (run_id, start_sequence_id, dumps(_public(serialize_fields(initial_state)))),
            )
            if parent_sequence_id is not None:
                conn.execute(
                    "UPDATE runs SET parent_sequence_id = ? WHERE run_id = ?",
                    (parent_sequence_id, run_id),
                )

    def writer(self, run_id: int) -> RunWriter:
        """A writer that appends steps to an existing run."""
        self._start_checkpointer()
        return RunWriter(self, run_id)

    def _start_checkpointer(self) -> None:
        """Moves WAL checkpoints (copying pages back and fsync) off the writing thread.

        SQLite would otherwise checkpoint inside whichever commit crosses 1,000 WAL pages,
        stalling the engine; a background thread on its own connection does it every quarter
        second instead, which also keeps the WAL file small.
        """
        if self._checkpointer is not None or self.read_only:
            return
        self.conn.execute("PRAGMA wal_autocheckpoint = 0")
        self._checkpointer = _Checkpointer(self.path)
        self._checkpointer.start()
        # A database dropped without close() (its application garbage collected) must not
        # leave the thread, and with it a connection holding the WAL, running for ever.
        self._checkpointer_finalizer = weakref.finalize(self, self._checkpointer.stop)

    def _stop_checkpointer(self) -> None:
        """Stops the thread now (through its finalizer, so that one is spent too and a
        database idled and restarted many times does not pile them up)."""
        if self._checkpointer is not None:
            self._checkpointer_finalizer()
            self._checkpointer = None

    def set_run_status(self, run_id: int, status: str) -> None:
        with self._transaction() as conn:
            conn.execute(
                "UPDATE runs SET status = ?, updated_at = ? WHERE run_id = ?",
                (status, time.time(), run_id),
            )

    def fork(
        self,
        run_id: int,
        sequence_id: int,
        *,
        state_overrides: Mapping[str, Any] | None = None,
        next_action: str | None = None,
        app_id: str | None = None,
        state: Mapping[str, Any] | None = None,
    ) -> RunRecord:
        """A new run that starts from the state after step `sequence_id` of `run_id`.

        `state` replaces that state outright (an edited copy); `state_overrides` changes some
        keys of it; `next_action` chooses what runs first (by default,
        whatever the transitions pick after the parent's step). The new run has no steps yet;
        the engine continues it (see `RunDatabaseTracker`).
        """
        import uuid

        parent = self.get_run(run_id)
        start = dict(state) if state is not None else self.state_at(run_id, sequence_id)
        if state_overrides:
            start.update(state_overrides)
        if next_action is not None and parent.graph is not None:
            names = [a["name"] for a in parent.graph.get("actions", [])]
            if next_action not in names:
                raise RunDatabaseError(
                    f"Run {run_id} has no action {next_action!r} to continue with "
                    f"(its actions are {', '.join(names)})."
                )
        child = self.create_run(
            project=parent.project,
            app_id=app_id or str(uuid.uuid4()),
            partition_key=parent.partition_key,
            initial_state=start,
            start_sequence_id=sequence_id,
            graph=parent.graph,
            entrypoint=parent.entrypoint,
            flow=parent.flow,
            parent_run_id=run_id,
            parent_sequence_id=sequence_id,
            next_action=next_action,
            status="created",
            source=parent.source,
        )
        return self.get_run(child)

    def prior_action(self, run_id: int, sequence_id: int) -> str | None:
        """The action that produced the state at `sequence_id` (following forks to the parent)."""
        rows = self._query(
            "SELECT action FROM steps WHERE run_id = ? AND sequence_id = ?", (run_id, sequence_id)
        )
        if rows:
            return rows[0][0]
        run = self.get_run(run_id)
        if _inherits(run, sequence_id):
            return self.prior_action(run.parent_run_id, sequence_id)
        return None


def _connect_for_reading(path: Path) -> sqlite3.Connection:
    """A connection that never writes the database.

    A WAL file that we may write is opened read-write with `query_only` on: SQLite then
    refuses every write, yet the last connection to close still removes the `-wal` and `-shm`
    files it had to create (a `mode=ro` connection cannot, and leaves them behind). Other
    files (a rollback-journal database, a file we may not write) open with `mode=ro`.
    """
    uri = path.resolve().as_uri()
    if _is_wal_file(path) and os.access(path, os.W_OK) and os.access(path.parent, os.W_OK):
        conn = sqlite3.connect(
            f"{uri}?mode=rw", uri=True, check_same_thread=False, isolation_level=None
        )
        conn.execute("PRAGMA query_only = ON")
        return conn
    return sqlite3.connect(
        f"{uri}?mode=ro", uri=True, check_same_thread=False, isolation_level=None
    )


def _is_wal_file(path: Path) -> bool:
    """Bytes 18 and 19 of a SQLite header are 2 in a database in WAL mode."""
    try:
        with path.open("rb") as handle:
            header = handle.read(20)
    except OSError:
        return False
    return (
        len(header) == 20
        and header.startswith(b"SQLite format 3\x00")
        and header[18:20] == b"\x02\x02"
    )


class _Checkpointer(threading.Thread):
    """Runs PASSIVE WAL checkpoints periodically on its own connection (never blocks writers)."""

    INTERVAL = 0.25

    def __init__(self, path: Path):
        super().__init__(name=f"burrdesk-checkpoint-{path.name}", daemon=True)
        self.path = path
        self._stop_event = threading.Event()

    def run(self) -> None:
        try:
            conn = sqlite3.connect(self.path, isolation_level=None)
        except sqlite3.Error:
            return
        try:
            conn.execute("PRAGMA busy_timeout = 1000")
            while not self._stop_event.wait(self.INTERVAL):
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            with contextlib.suppress(sqlite3.Error):
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            conn.close()

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)


class CheckpointPolicy:
    """Decides when a full state is worth storing.

    A checkpoint is written once the deltas since the last one add up to its size (so
    checkpoints cost at most about as much as the deltas: O(n) bytes for a growing history),
    but not more often than every `min_steps`. Every `max_steps` one is due as well, so that
    rebuilding a state reads a bounded number of deltas, as long as it costs at most
    `step_budget` bytes per step since the last: a state that has grown large (a long chat)
    is then snapshotted less often instead of filling the disk with copies of itself
    (100,000 steps of a growing history took 1 GB with a fixed interval of 1,000 steps).
    """

    def __init__(self, min_steps: int = 32, max_steps: int = 1000, step_budget: int = 384):
        self.min_steps = min_steps
        self.max_steps = max_steps
        self.step_budget = step_budget
        self.steps_since = 0
        self.delta_bytes_since = 0
        self.checkpoint_bytes = 0

    def after_step(self, delta_bytes: int) -> bool:
        self.steps_since += 1
        self.delta_bytes_since += delta_bytes
        if self.steps_since < self.min_steps:
            return False
        if self.delta_bytes_since >= self.checkpoint_bytes:
            return True
        return (
            self.steps_since >= self.max_steps
            and self.checkpoint_bytes <= self.step_budget * self.steps_since
        )

    def checkpointed(self, size: int) -> None:
        self.steps_since = 0
        self.delta_bytes_since = 0
        self.checkpoint_bytes = size


class RunWriter:
    """Appends steps to one run; each `record_step` is its own committed transaction.

    Most steps are a single INSERT committed on its own; the runs row (counts, status, time)
    is refreshed every `RUN_REFRESH_STEPS` steps or second, on a failure, and at `finish`;
    readers add the few steps written since (see `_RUN_COLUMNS`).
    """

    RUN_REFRESH_STEPS = 64
    WAL_RESET_STEPS = 64
    """Steps between checkpoints on the writing connection (see `_reset_wal`)."""
    RUN_REFRESH_SECONDS = 1.0

    def __init__(self, database: RunDatabase, run_id: int, policy: CheckpointPolicy | None = None):
        self.database = database
        self.run_id = run_id
        self.policy = policy or CheckpointPolicy()
        run = database.get_run(run_id)
        self.step_count = run.step_count
        self.first_sequence_id = run.first_sequence_id
        self.last_sequence_id = run.last_sequence_id
        self._unrefreshed = 0
        self._refreshed_at = 0.0
        self._status = run.status
        self._batched = False
        self._since_reset = 0
        database._query(
            "UPDATE runs SET writer_pid = ?, writer_host = ? WHERE run_id = ?",
            (os.getpid(), _HOST, run_id),
        )

    def record_step(
        self,
        *,
        sequence_id: int,
        action: str,
        before: Mapping[str, Any],
        after: Mapping[str, Any],
        writes: tuple[str, ...] | list[str] = (),
        inputs: Mapping[str, Any] | None = None,
        result: Any = None,
        error: str | None = None,
        traceback: str | None = None,
        started_at: float | None = None,
        ended_at: float | None = _NOW,
        stream: Mapping[str, Any] | None = None,
        spans: Iterable[Mapping[str, Any]] = (),
        attributes: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        """Stores one step: its delta against `before`, plus a checkpoint when one is due.

        `ended_at` defaults to now; pass None when the end time is unknown (imports).
        `stream` ({"started_at", "first_item_at", "item_count"}) describes a streaming step;
        `spans` ({"span_id", "parent_span_id", "name", "started_at", "ended_at",
        "dependencies"}) and `attributes` ({"span_id", "key", "value", "logged_at"}) are what
        the action traced. They are written in the step's own transaction.
        """
        failed = error is not None
        if FIELD_SERIALIZATION:  # fields with their own serde are stored in that form
            before, after = serialize_fields(before), serialize_fields(after)
        delta = {} if failed else compute_delta(before, after, writes)
        delta_text = dumps(delta) if delta else None
        checkpoint_text = None
        if self.policy.after_step(len(delta_text) if delta_text else 0):
            checkpoint_text = dumps(_public(after))
            self.policy.checkpointed(len(checkpoint_text))
        now = time.time()
        ended = now if ended_at is _NOW else ended_at
        step_row = (
            self.run_id,
            sequence_id,
            action,
            "failed" if failed else "completed",
            started_at,
            ended,
            dumps(dict(inputs)) if inputs else None,
            dumps(result) if result is not None and result != {} else None,
            error,
            traceback,
            delta_text,
            stream.get("started_at") if stream else None,
            stream.get("first_item_at") if stream else None,
            stream.get("item_count") if stream else None,
            _trace_text(spans, attributes),
        )
        status = "failed" if failed else "running"
        step_count = self.step_count + 1
        first = sequence_id if self.first_sequence_id is None else self.first_sequence_id
        refresh = (
            status != self._status
            or self._unrefreshed + 1 >= self.RUN_REFRESH_STEPS
            or now - self._refreshed_at >= self.RUN_REFRESH_SECONDS
        )
        database = self.database
        with database._lock:
            conn = database.conn
            single = (checkpoint_text is None and not refresh) or self._batched
            if not single:
                conn.execute(database.BEGIN)
            try:
                conn.execute(_INSERT_STEP, step_row)
                if checkpoint_text is not None:
                    conn.execute(_UPSERT_CHECKPOINT, (self.run_id, sequence_id, checkpoint_text))
                if refresh:
                    conn.execute(
                        _REFRESH_RUN,
                        (step_count, first, sequence_id, now, status, self.run_id),
                    )
                if not single:
                    conn.execute("COMMIT")
            except BaseException as exc:
                if not single:
                    with contextlib.suppress(*database.DATABASE_ERRORS):
                        conn.execute("ROLLBACK")
                if isinstance(exc, database.DUPLICATE_ERRORS):
                    raise RunDatabaseError(
                        f"Run {self.run_id} already has a step {sequence_id}; a resumed "
                        "application must continue after the run's last step."
                    ) from None
                if isinstance(exc, database.DATABASE_ERRORS):
                    raise RunDatabaseError(
                        f"Step {sequence_id} of run {self.run_id} could not be recorded in "
                        f"{database.location}: {first_line(exc)}."
                    ) from None
                raise
        self.step_count = step_count
        self.first_sequence_id = first
        self.last_sequence_id = sequence_id
        self._unrefreshed += 1
        if refresh:
            self._unrefreshed = 0
            self._refreshed_at = now
            self._status = status
        self._since_reset += 1
        if self._since_reset >= self.WAL_RESET_STEPS and not self._batched:
            self._reset_wal()

    def _reset_wal(self) -> None:
        self._since_reset = 0
        self.database._between_steps()

    @contextlib.contextmanager
    def batched(self) -> Iterator[RunWriter]:
        """Records many steps in one transaction: for importers and generators, not live runs
        (a step inside a batch becomes durable only when the batch ends)."""
        with self.database._transaction(), self.database._pipelined():
            self._batched = True
            try:
                yield self
            finally:
                self._batched = False
        self.finish(self._status)

    def checkpoint(self, sequence_id: int, state: Mapping[str, Any]) -> None:
        """Stores the full state at `sequence_id` now (when a resumed app's state was edited)."""
        text = dumps(_public(serialize_fields(state)))
        with self.database._transaction() as conn:
            conn.execute(_UPSERT_CHECKPOINT, (self.run_id, sequence_id, text))
        self.policy.checkpointed(len(text))

    def finish(self, status: str) -> None:
        """Marks the run completed, failed or stopped, with its final counts."""
        now = time.time()
        with self.database._transaction() as conn:
            conn.execute(
                _REFRESH_RUN,
                (
                    self.step_count,
                    self.first_sequence_id,
                    self.last_sequence_id,
                    now,
                    status,
                    self.run_id,
                ),
            )
        self._unrefreshed = 0
        self._refreshed_at = now
        self._status = status
        if status != "running":
            self.database.settle_wal()


_INSERT_STEP = (
    "INSERT INTO steps (run_id, sequence_id, action, status, started_at, ended_at, inputs, "
    "result, error, traceback, delta, stream_started_at, first_item_at, item_count, trace) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _trace_text(
    spans: Iterable[Mapping[str, Any]], attributes: Iterable[Mapping[str, Any]]
) -> str | None:
    """A step's `trace` column: its spans and attributes, compact (None when it has none)."""
    span_rows = [
        [
            span["span_id"],
            span.get("parent_span_id"),
            span["name"],
            span.get("started_at"),
            span.get("ended_at"),
            list(span.get("dependencies") or []),
        ]
        for span in spans
    ]
    attribute_rows = [
        [a.get("span_id"), str(a["key"]), a.get("value"), a.get("logged_at")] for a in attributes
    ]
    if not span_rows and not attribute_rows:
        return None
    return dumps({"spans": span_rows, "attributes": attribute_rows})


_UPSERT_CHECKPOINT = (
    "INSERT INTO checkpoints (run_id, sequence_id, state) VALUES (?, ?, ?) "
    "ON CONFLICT (run_id, sequence_id) DO UPDATE SET state = excluded.state"
)
_REFRESH_RUN = (
    "UPDATE runs SET step_count = ?, first_sequence_id = ?, last_sequence_id = ?, "
    "updated_at = ?, status = ? WHERE run_id = ?"
)


def first_line(exc: BaseException) -> str:
    """An exception's message as part of a sentence: its first line, without a final stop."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0].rstrip(".")


def _inherits(run: RunRecord, sequence_id: int) -> bool:
    """Whether a fork's state at `sequence_id` lives in its parent run."""
    return (
        run.parent_run_id is not None
        and run.parent_sequence_id is not None
        and sequence_id <= run.parent_sequence_id
    )


def _public(state: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in state.items() if not k.startswith("__")}


def _writer_alive(pid: int | None, host: str | None) -> bool:
    if pid is None or host != _HOST:
        return True
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _run_from_row(row: tuple) -> RunRecord:
    (
        run_id,
        project,
        app_id,
        partition_key,
        status,
        entrypoint,
        graph,
        flow,
        created_at,
        updated_at,
        step_count,
        first_seq,
        last_seq,
        parent_run_id,
        parent_seq,
        next_action,
        source,
        writer_pid,
        writer_host,
        unrecorded_steps,
        live_last_seq,
        fork_count,
        spawning_parent_run_id,
        spawning_parent_seq,
        child_count,
    ) = row
    step_count = (step_count or 0) + (unrecorded_steps or 0)
    if live_last_seq is not None:
        last_seq = live_last_seq
        if first_seq is None:
            first_seq = live_last_seq - unrecorded_steps + 1
    if status == "running" and not _writer_alive(writer_pid, writer_host):
        status = "interrupted"
    return RunRecord(
        run_id=run_id,
        project=project,
        app_id=app_id,
        partition_key=partition_key or None,
        status=status,
        entrypoint=entrypoint,
        graph_json=graph or None,
        flow_json=flow or None,
        created_at=created_at,
        updated_at=updated_at,
        step_count=step_count,
        first_sequence_id=first_seq,
        last_sequence_id=last_seq,
        parent_run_id=parent_run_id,
        parent_sequence_id=parent_seq,
        next_action=next_action,
        source=source or "burrdesk",
        fork_count=fork_count or 0,
        spawning_parent_run_id=spawning_parent_run_id,
        spawning_parent_sequence_id=spawning_parent_seq,
        child_count=child_count or 0,
    )


def _step_from_row(row: tuple) -> StepRecord:
    (
        run_id,
        seq,
        action,
        status,
        started,
        ended,
        inputs,
        result,
        error,
        tb,
        delta,
        stream_started,
        first_item,
        item_count,
    ) = row
    return StepRecord(
        run_id=run_id,
        sequence_id=seq,
        action=action,
        status=status,
        started_at=started,
        ended_at=ended,
        inputs=loads(inputs) if inputs else {},
        result=loads(result) if result else ({} if status == "completed" else None),
        error=error,
        traceback=tb,
        delta=loads(delta) if delta else {},
        stream_started_at=stream_started,
        first_item_at=first_item,
        item_count=item_count,
    )


def burr_persister_tables(conn: sqlite3.Connection) -> list[str]:
    """Tables laid out like Burr's SQLLitePersister's (what `burrdesk import` can read)."""
    found = []
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall():
        columns = {row[1] for row in conn.execute(f"PRAGMA table_info('{name}')")}
        if columns >= _PERSISTER_COLUMNS:
            found.append(name)
    return found


_PERSISTER_COLUMNS = {"partition_key", "app_id", "sequence_id", "position", "status", "state"}


def _foreign_database_message(path: Path, conn: sqlite3.Connection, tables: set[str]) -> str:
    listed = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
    hint = ""
    if burr_persister_tables(conn):
        hint = "; it looks like a Burr persister database, which `burrdesk import` can convert"
    return (
        f"{path} is a SQLite database of another program, not a burrdesk run database "
        f"(its tables: {listed}){hint}."
    )


def _explain_database_error(path: Path, exc: sqlite3.DatabaseError) -> str:
    text = str(exc)
    if "file is not a database" in text:
        return f"{path} is not a SQLite database."
    if "malformed" in text or "disk image" in text:
        return f"{path} is damaged (truncated or corrupt) and cannot be read."
    if "readonly" in text or "read-only" in text:
        return f"{path} is read-only; burrdesk needs to write to it."
    return f"{path} cannot be read: {text}."
