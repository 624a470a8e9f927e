"""The run database's schema, its version, and the migrations that reach it.

A run database is a plain SQLite file that other programs may open, so the schema is a file
format: every change gets a new `SCHEMA_VERSION` and a migration function here, and a file from a
newer burrdesk is refused rather than guessed at.

Tables (version 1):
  meta(key, value)            format marker, schema_version, created_by
  runs(run_id, ...)           one row per run; `graph` and `flow` are JSON
  steps(run_id, sequence_id)  one row per step; `delta` holds only what the step changed
  checkpoints(run_id, sequence_id, state)
                              the full state after that step (or before the first step), written
                              often enough that any state is one checkpoint plus a bounded number
                              of deltas away
Version 2 adds what real Burr programs produce:
  runs.spawning_parent_run_id, runs.spawning_parent_sequence_id
                              the run and step that started this run (a sub-application of a
                              parallel action); its children list under that step
  steps.stream_started_at, steps.first_item_at, steps.item_count
                              a streaming step: when it started streaming, its first item, and
                              how many partial results it streamed
  spans(run_id, sequence_id, span_id)
                              the spans an action opened, with their parent span and times
  attributes(run_id, sequence_id, position)
                              the values it logged, on a span or on the step

Version 3 keeps a step's spans and attributes in the step's own row, `steps.trace` (JSON:
{"spans": [[span_id, parent_span_id, name, started_at, ended_at, dependencies], ...],
"attributes": [[span_id, key, value, logged_at], ...]}), instead of the two tables: a traced
step is then one INSERT, committed on its own like any other, which halves what tracing costs
per step. Migrating a version 2 file moves its span and attribute rows there.

Version 4 adds what people say about steps:
  annotations(project, partition_key, app_id, sequence_id)
                              a step marked good or bad, tagged, with a note and an expected
                              value (`tags` and `expected` are JSON). Keyed by the app's
                              identity rather than the run id, so a note on a step of a Burr
                              trace survives re-reading the trace into a fresh cache.

A reader opens an older file read-only as it is (what it lacks reads as empty); opening it for
writing migrates it.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import sqlite_utils

FORMAT_MARKER = "burrdesk.run-database"
SCHEMA_VERSION = 4
PARENT_INDEX = "idx_runs_parent_run_id"
SPAWNING_INDEX = "idx_runs_spawning_parent_run_id"


def _create_version_1(db: sqlite_utils.Database) -> None:
    db["meta"].create({"key": str, "value": str}, pk="key", not_null={"value"})
    db["runs"].create(
        {
            "run_id": int,
            "project": str,
            "app_id": str,
            "partition_key": str,
            "status": str,
            "entrypoint": str,
            "graph": str,
            "flow": str,
            "created_at": float,
            "updated_at": float,
            "step_count": int,
            "first_sequence_id": int,
            "last_sequence_id": int,
            "parent_run_id": int,
            "parent_sequence_id": int,
            "next_action": str,
            "source": str,
            "writer_pid": int,
            "writer_host": str,
        },
        pk="run_id",
        not_null={"project", "app_id", "partition_key", "status", "created_at", "updated_at"},
        defaults={"partition_key": "", "step_count": 0, "source": "burrdesk"},
        foreign_keys=[("parent_run_id", "runs", "run_id")],
    )
    db["runs"].create_index(["project", "partition_key", "app_id"], unique=True)
    db["runs"].create_index(["created_at"])
    ensure_indexes(db)
    steps_sql = db.create_table_sql(
        "steps",
        {
            "run_id": int,
            "sequence_id": int,
            "action": str,
            "status": str,
            "started_at": float,
            "ended_at": float,
            "inputs": str,
            "result": str,
            "error": str,
            "traceback": str,
            "delta": str,
        },
        pk=("run_id", "sequence_id"),
        not_null={"action", "status"},
    )
    # WITHOUT ROWID: steps are small, read by (run, sequence) ranges, and written one per
    # commit; clustering them on the key halves the pages each commit writes.
    db.execute(steps_sql.strip().rstrip(";") + " WITHOUT ROWID")
    db["checkpoints"].create(
        {"run_id": int, "sequence_id": int, "state": str},
        pk=("run_id", "sequence_id"),
        not_null={"state"},
    )


def _add_version_2(db: sqlite_utils.Database) -> None:
    runs = db["runs"]
    runs.add_column("spawning_parent_run_id", int, fk="runs", fk_col="run_id")
    runs.add_column("spawning_parent_sequence_id", int)
    runs.create_index(["spawning_parent_run_id"], index_name=SPAWNING_INDEX)
    steps = db["steps"]
    steps.add_column("stream_started_at", float)
    steps.add_column("first_item_at", float)
    steps.add_column("item_count", int)
    for name, columns, pk, required in (
        (
            "spans",
            {
                "run_id": int,
                "sequence_id": int,
                "span_id": str,
                "parent_span_id": str,
                "name": str,
                "started_at": float,
                "ended_at": float,
                "dependencies": str,
            },
            ("run_id", "sequence_id", "span_id"),
            {"name"},
        ),
        (
            "attributes",
            {
                "run_id": int,
                "sequence_id": int,
                "position": int,
                "span_id": str,
                "key": str,
                "value": str,
                "logged_at": float,
            },
            ("run_id", "sequence_id", "position"),
            {"key"},
        ),
    ):
        sql = db.create_table_sql(name, columns, pk=pk, not_null=required)
        # Read a step's worth at a time, by key: clustered like steps.
        db.execute(sql.strip().rstrip(";") + " WITHOUT ROWID")


def _move_traces_into_steps(db: sqlite_utils.Database) -> None:
    db["steps"].add_column("trace", str)
    traces: dict[tuple[int, int], dict[str, list]] = {}
    for row in db.execute(
        "SELECT run_id, sequence_id, span_id, parent_span_id, name, started_at, ended_at, "
        "dependencies FROM spans ORDER BY run_id, sequence_id, started_at, span_id"
    ).fetchall():
        run_id, sequence_id, *span = row
        span[-1] = json.loads(span[-1]) if span[-1] else []
        traces.setdefault((run_id, sequence_id), {"spans": [], "attributes": []})["spans"].append(
            span
        )
    for row in db.execute(
        "SELECT run_id, sequence_id, span_id, key, value, logged_at FROM attributes "
        "ORDER BY run_id, sequence_id, position"
    ).fetchall():
        run_id, sequence_id, span_id, key, value, logged_at = row
        trace = traces.setdefault((run_id, sequence_id), {"spans": [], "attributes": []})
        trace["attributes"].append([span_id, key, json.loads(value), logged_at])
    for (run_id, sequence_id), trace in traces.items():
        db.execute(
            "UPDATE steps SET trace = ? WHERE run_id = ? AND sequence_id = ?",
            (json.dumps(trace, ensure_ascii=False, separators=(",", ":")), run_id, sequence_id),
        )
    db.execute("DROP TABLE spans")
    db.execute("DROP TABLE attributes")


def _add_annotations(db: sqlite_utils.Database) -> None:
    db["annotations"].create(
        {
            "project": str,
            "partition_key": str,
            "app_id": str,
            "sequence_id": int,
            "action": str,
            "verdict": str,
            "tags": str,
            "note": str,
            "expected": str,
            "created_at": float,
            "updated_at": float,
        },
        pk=("project", "partition_key", "app_id", "sequence_id"),
        not_null={"project", "partition_key", "app_id", "sequence_id", "tags", "note"},
        defaults={"partition_key": "", "tags": "[]", "note": ""},
    )


def ensure_indexes(db: sqlite_utils.Database) -> None:
    """Indexes added after version 1 shipped. An index is not part of the file format (older
    readers ignore it, and every query is correct without it), so it is added whenever a file is
    opened for writing instead of bumping the schema version and locking out read-only users."""
    db["runs"].create_index(["parent_run_id"], index_name=PARENT_INDEX, if_not_exists=True)


MIGRATIONS: dict[int, Callable[[sqlite_utils.Database], None]] = {
    1: _create_version_1,
    2: _add_version_2,
    3: _move_traces_into_steps,
    4: _add_annotations,
}
"""Migration to version N, applied in order from the file's version to SCHEMA_VERSION."""
