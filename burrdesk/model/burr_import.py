"""Importing runs that Apache Burr recorded, so they can be browsed and forked in burrdesk.

Two sources are read, both as JSON only (nothing is unpickled, nothing is executed):

* Burr's local tracker folders, `<storage_dir>/<project>/<app_id>/` with `graph.json`,
  `metadata.json` and `log.jsonl` (one `begin_entry`/`end_entry` pair per step, plus the
  step's `begin_span`/`end_span`, `attribute` and `begin_stream`/`first_item_stream`/
  `end_stream` lines, kept as its spans, attributes and stream);
* a SQLite file written by Burr's `SQLitePersister` (one row per step with the state after it).

Each Burr application becomes one run. Every source is checked completely before the first run
is written, so a malformed file leaves the run database untouched. Logs are streamed twice
(check, then write) rather than loaded, because a tracker log holds the whole state at every
step and can be far larger than memory allows. Applications already in the database (same
project, partition key and app id) are skipped, so importing a folder again only adds new runs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from burrdesk.model.burr_tracker_format import (
    GRAPH,
    LOG,
    METADATA,
    TRACKER_SOURCE,
    BurrFormatError,
    LoggedStep,
    StepAssembler,
    TrackerApp,
    app_label,
    check_entry,
    describe_burr_condition,
    describe_burr_graph,
    find_app_dirs,
    fork_point,
    parents_first,
    public_state,
    read_app_folder,
    start_sequence,
    start_state,
    timestamp,
)
from burrdesk.model.run_database import RunDatabase, RunDatabaseError, burr_persister_tables
from burrdesk.model.run_database_schema import FORMAT_MARKER

PERSISTER_SOURCE = "burr-persister"
DEFAULT_PERSISTER_PROJECT = "burr-persister"
PERSISTER_FAILURE = "the step failed (Burr's persister does not record the error message)"

_SQLITE_HEADER = b"SQLite format 3\x00"


BurrImportError = BurrFormatError
"""A Burr recording that cannot be imported; the message is one sentence meant for the user."""


@dataclasses.dataclass
class ImportResult:
    """What an import did: the runs it added, the apps it left alone, and anything worth telling.

    `skipped` names apps (their app ids) that were already in the database; `notes` are
    sentences about partial data (a step cut off by a killed process, a truncated log line,
    a fork whose parent is missing) that a user should see but that did not stop the import.
    """

    run_ids: list[int] = dataclasses.field(default_factory=list)
    skipped: list[str] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)


# --- detecting what a path is ----------------------------------------------------------------


def import_path(
    path: str | Path,
    database: RunDatabase,
    *,
    table_name: str | None = None,
    project: str | None = None,
) -> ImportResult:
    """Imports whatever Burr recording `path` is: a tracker folder, or a persister SQLite file.

    One entry point lets the CLI and the GUI accept a dropped path without asking the user
    which kind it is. `table_name` and `project` only apply to persister files. A tracker file
    (`log.jsonl`, `graph.json`, `metadata.json`) imports the application folder it is in.
    """
    path = Path(path)
    if not path.exists():
        raise BurrImportError(f"{path} does not exist.")
    if path.is_dir():
        return import_tracker_dir(path, database)
    if path.name in (LOG, GRAPH, METADATA):
        return import_tracker_dir(path.parent, database)
    if not _is_sqlite_file(path):
        raise BurrImportError(
            f"{path} is neither a Burr tracker folder nor a SQLite database of Burr's persister."
        )
    return import_persister_db(
        path, database, table_name=table_name, project=project or DEFAULT_PERSISTER_PROJECT
    )


def _is_sqlite_file(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(len(_SQLITE_HEADER)) == _SQLITE_HEADER
    except OSError as exc:
        raise BurrImportError(f"{path} cannot be read: {exc.strerror or exc}.") from None


# --- Burr's local tracker folders ------------------------------------------------------------


@dataclasses.dataclass
class _ImportPlan:
    """One tracker app and what the checking pass found in its log."""

    app: TrackerApp
    first_step: LoggedStep | None = None
    unfinished: tuple[int, str] | None = None
    status: str = "completed"


def import_tracker_dir(path: str | Path, database: RunDatabase) -> ImportResult:
    """Imports Burr local-tracker recordings: a storage folder, one project's, or one app's.

    Each app folder becomes a run in the folder's project (source "burr-tracker"), with its
    partition key, its graph, its steps (inputs, result, exception, times, state) and, for a
    fork whose parent is imported too, a link to the parent run.

    The state before the first step is not in Burr's log (see `start_state`); a fork starts
    from its parent's state at the fork point. (A fork "from the latest step" has no fork
    sequence id in Burr's metadata; it is inferred, see `_fork_point`.)

    A step that began but never ended (the process was killed mid-step) is not imported, since
    it has no resulting state, and the run is marked "interrupted"; `notes` says which step it
    was. A run whose last step raised is "failed"; otherwise "completed" ("created" for an app
    that never ran a step). A truncated last log line, which a killed writer leaves behind, is
    ignored; any other malformed line stops the import before anything is written.
    """
    root = Path(path)
    if not root.exists():
        raise BurrImportError(f"{root} does not exist.")
    if not root.is_dir():
        raise BurrImportError(f"{root} is not a folder of Burr tracker recordings.")
    apps = [read_app_folder(d, project) for project, d in find_app_dirs(root)]
    if not apps:
        raise BurrImportError(
            f"{root} contains no Burr applications (no folder with a {LOG} or {GRAPH})."
        )
    result = ImportResult()
    fresh = []
    for app in apps:
        if _existing_run(database, app.project, app.partition_key, app.app_id) is not None:
            result.skipped.append(app.app_id)
            result.notes.append(f"{app.label} is already in the run database; it was skipped.")
        else:
            fresh.append(app)
    plans = {app.key: _scan_log(app, result.notes) for app in fresh}
    for app in parents_first(fresh):
        run_id = _write_tracker_app(plans[app.key], database, result)
        if run_id is not None:
            result.run_ids.append(run_id)
    return result


def _log_lines(app: TrackerApp, notes: list[str] | None) -> Iterator[dict[str, Any]]:
    """Each entry of the app's log; checks every line it yields.

    Only the last line may be cut short (no newline and not JSON): that is what a process
    killed while writing leaves, and it is skipped, with a note when `notes` is given.
    """
    log_path = app.log_path
    if not log_path.is_file():
        return
    try:
        handle = log_path.open(encoding="utf-8", errors="replace", newline="")
    except OSError as exc:
        raise BurrImportError(f"{log_path} cannot be read: {exc.strerror or exc}.") from None
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                if not line.endswith("\n"):
                    if notes is not None:
                        notes.append(
                            f"{app.label}: the last line of {log_path} (line {number}) is cut "
                            "short, as a killed process leaves it; it was ignored."
                        )
                    return
                raise BurrImportError(f"{log_path} line {number} is not valid JSON.") from None
            check_entry(entry, f"{log_path} line {number}")
            yield entry


def _logged_steps(app: TrackerApp, notes: list[str] | None) -> Iterator[LoggedStep]:
    assembler = StepAssembler()
    for entry in _log_lines(app, notes):
        yield from assembler.add(entry)
    yield from assembler.flush()


def _scan_log(app: TrackerApp, notes: list[str]) -> _ImportPlan:
    """The checking pass: validates every line and works out the run's shape and status."""
    plan = _ImportPlan(app)
    assembler = StepAssembler()
    last: LoggedStep | None = None
    first_time = None
    for entry in _log_lines(app, notes):
        if first_time is None and entry["type"] in ("begin_entry", "end_entry"):
            first_time = timestamp(entry.get("start_time") or entry.get("end_time"))
        for step in assembler.add(entry):
            plan.first_step = plan.first_step or step
            last = step
    for step in assembler.flush():
        plan.first_step = plan.first_step or step
        last = step
    if first_time is not None:
        app.created_at = first_time
    if assembler.repeated:
        notes.append(
            f"{app.label}: {len(assembler.repeated)} logged step(s) reuse an earlier sequence "
            f"id (the first is {assembler.repeated[0]}); only steps that follow the last "
            "imported one were imported."
        )
    plan.unfinished = assembler.unfinished
    if plan.unfinished is not None:
        plan.status = "interrupted"
        notes.append(
            f"{app.label}: step {plan.unfinished[0]} ({plan.unfinished[1]!r}) never finished "
            "(the process stopped during it), so it was not imported and the run is marked "
            "interrupted."
        )
    elif last is not None and last.failed:
        plan.status = "failed"
    elif plan.first_step is None:
        plan.status = "created"
    return plan


def _write_tracker_app(
    plan: _ImportPlan, database: RunDatabase, result: ImportResult
) -> int | None:
    """The writing pass: creates the run and records its steps from the log."""
    app = plan.app
    if _existing_run(database, app.project, app.partition_key, app.app_id) is not None:
        result.skipped.append(app.app_id)
        result.notes.append(f"{app.label} is already in the run database; it was skipped.")
        return None
    parent_run_id = None
    if app.parent_app_id is not None:
        parent = _existing_run(database, app.project, app.parent_partition_key, app.parent_app_id)
        if parent is None:
            result.notes.append(
                f"{app.label} was forked from app {app.parent_app_id!r}, which is not in the "
                "run database, so it is imported without a link to its parent."
            )
        else:
            parent_run_id = parent.run_id
            if app.parent_sequence_id is None:
                app.parent_sequence_id = fork_point(
                    plan.first_step, plan.unfinished, parent.last_sequence_id
                )
    spawner_run_id = None
    if app.spawner_app_id is not None:
        spawner = _existing_run(
            database, app.project, app.spawner_partition_key, app.spawner_app_id
        )
        if spawner is None:
            result.notes.append(
                f"{app.label} was started by a step of app {app.spawner_app_id!r}, which is not "
                "in the run database, so it is imported as a run of its own."
            )
        else:
            spawner_run_id = spawner.run_id
    start_sequence_id = start_sequence(app, plan.first_step, plan.unfinished)
    initial = start_state(app, plan.first_step)
    if parent_run_id is not None and app.parent_sequence_id is not None:
        with contextlib.suppress(RunDatabaseError):
            initial = database.state_at(parent_run_id, app.parent_sequence_id)
    run_id = database.create_run(
        project=app.project,
        app_id=app.app_id,
        initial_state=initial,
        start_sequence_id=start_sequence_id,
        partition_key=app.partition_key,
        graph=app.graph,
        entrypoint=app.graph.get("entrypoint") if app.graph else None,
        parent_run_id=parent_run_id,
        parent_sequence_id=app.parent_sequence_id if parent_run_id is not None else None,
        status="running",
        source=TRACKER_SOURCE,
        created_at=app.created_at,
        spawning_parent_run_id=spawner_run_id,
        spawning_parent_sequence_id=app.spawner_sequence_id if spawner_run_id else None,
    )
    writer = database.writer(run_id)
    writes = app.writes or {}
    current = initial
    for step in _logged_steps(app, None):
        fields = step.record_fields()
        writer.record_step(before=current, writes=writes.get(fields["action"], ()), **fields)
        if not step.failed:
            current = fields["after"]
    writer.finish(plan.status)
    return run_id


# --- Burr's SQLite persister -----------------------------------------------------------------


def import_persister_db(
    path: str | Path,
    database: RunDatabase,
    table_name: str | None = None,
    project: str = DEFAULT_PERSISTER_PROJECT,
) -> ImportResult:
    """Imports the runs in a SQLite file written by Burr's `SQLitePersister`.

    Lets apps that only persisted state (no tracker) be browsed and forked. One run per
    (partition key, app id), in `project`, with source "burr-persister"; the steps are the rows
    in sequence order, named by their `position`. The persister keeps no inputs, results,
    error messages or graph; a "failed" row becomes a failed step with a generic error, and
    a run whose last row failed is "failed" (otherwise "completed"). Step times are the rows'
    `created_at` (SQLite's CURRENT_TIMESTAMP: UTC, whole seconds; a table without one gets the
    import time). The state before the first
    step is empty (the persister does not say what the first action wrote), except when the
    first row failed: Burr then saved the unchanged state, which is used as is.

    The file is opened read-only. With `table_name` None, the one table laid out like the
    persister's is used; a file with several needs `table_name`.
    """
    source = Path(path)
    if not source.exists():
        raise BurrImportError(f"{source} does not exist.")
    if source.is_dir() or not _is_sqlite_file(source):
        raise BurrImportError(f"{source} is not a SQLite database.")
    try:
        conn = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BurrImportError(f"{source} cannot be opened: {exc}.") from None
    try:
        table = _choose_table(conn, source, table_name)
        columns = _check_persister_rows(conn, source, table)
        return _write_persister_runs(conn, table, columns, database, project)
    except sqlite3.DatabaseError as exc:
        raise BurrImportError(f"{source} cannot be read: {exc}.") from None
    finally:
        conn.close()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _choose_table(conn: sqlite3.Connection, source: Path, table_name: str | None) -> str:
    tables = burr_persister_tables(conn)
    if table_name is not None:
        if table_name not in tables:
            raise BurrImportError(
                f"{source} has no table {table_name!r} laid out like Burr's SQLitePersister's"
                + (f" (it has {', '.join(tables)})." if tables else ".")
            )
        return table_name
    if len(tables) == 1:
        return tables[0]
    if tables:
        raise BurrImportError(
            f"{source} has several Burr persister tables ({', '.join(tables)}); "
            "choose one with table_name."
        )
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "meta" in names:
        with contextlib.suppress(sqlite3.DatabaseError):
            marker = conn.execute("SELECT value FROM meta WHERE key='format'").fetchone()
            if marker and marker[0] == FORMAT_MARKER:
                raise BurrImportError(
                    f"{source} is already a burrdesk run database; open it instead of importing it."
                )
    raise BurrImportError(f"{source} has no table laid out like Burr's SQLitePersister's.")


def _check_persister_rows(conn: sqlite3.Connection, source: Path, table: str) -> set[str]:
    """The checking pass: every state must be a JSON object and every sequence id an integer.

    SQLite's own JSON check scans the table; only rows it doubts are parsed in Python (which
    also accepts the NaN and Infinity that Python's `json` writes).
    """
    columns = {row[1] for row in conn.execute(f"PRAGMA table_info({_quote(table)})")}
    quoted = _quote(table)
    bad_sequence = conn.execute(
        f"SELECT app_id, sequence_id FROM {quoted} WHERE typeof(sequence_id) != 'integer' LIMIT 1"
    ).fetchone()
    if bad_sequence:
        raise BurrImportError(
            f"{source} table {table!r} has a sequence id that is not an integer "
            f"({bad_sequence[1]!r} for app {bad_sequence[0]!r})."
        )
    doubtful = conn.execute(
        f"SELECT app_id, sequence_id, state FROM {quoted} WHERE typeof(state) != 'text' OR "
        "CASE WHEN json_valid(state) THEN json_type(state) != 'object' ELSE 1 END"
    )
    for app_id, sequence_id, state in doubtful:
        if not isinstance(_load_state(state), dict):
            raise BurrImportError(
                f"{source} table {table!r} holds a state that is not a JSON object "
                f"(app {app_id!r}, sequence id {sequence_id})."
            )
    return columns


def _load_state(text: Any) -> Any:
    try:
        return json.loads(text.decode("utf-8") if isinstance(text, bytes) else text)
    except (TypeError, ValueError):
        return None


def _write_persister_runs(
    conn: sqlite3.Connection,
    table: str,
    columns: set[str],
    database: RunDatabase,
    project: str,
) -> ImportResult:
    quoted = _quote(table)
    created = "created_at" if "created_at" in columns else "NULL"
    apps = conn.execute(
        f"SELECT partition_key, app_id, MIN({created}) FROM {quoted} "
        f"GROUP BY partition_key, app_id ORDER BY MIN({created}), partition_key, app_id"
    ).fetchall()
    result = ImportResult()
    for partition_key, app_id, first_created in apps:
        app_id = str(app_id)
        label = app_label(project, partition_key, app_id)
        if _existing_run(database, project, partition_key, app_id) is not None:
            result.skipped.append(app_id)
            result.notes.append(f"{label} is already in the run database; it was skipped.")
            continue
        rows = conn.execute(
            f"SELECT sequence_id, position, status, state, {created} FROM {quoted} "
            f"WHERE partition_key IS ? AND app_id = ? ORDER BY sequence_id, {created}",
            (partition_key, app_id),
        )
        first = next(rows, None)
        if first is None:
            continue
        initial = public_state(_load_state(first[3])) if first[2] == "failed" else {}
        run_id = database.create_run(
            project=project,
            app_id=app_id,
            initial_state=initial,
            start_sequence_id=first[0] - 1,
            partition_key=partition_key or None,
            entrypoint=str(first[1]) if first[0] == 0 else None,
            status="running",
            source=PERSISTER_SOURCE,
            created_at=timestamp(first_created, naive_is_utc=True),
        )
        writer = database.writer(run_id)
        current: dict[str, Any] = initial
        last_sequence_id = None
        failed = False
        for sequence_id, position, status, state, created_at in itertools.chain([first], rows):
            if last_sequence_id is not None and sequence_id <= last_sequence_id:
                result.notes.append(
                    f"{label}: step {sequence_id} is stored more than once; only the first "
                    "was imported."
                )
                continue
            after = public_state(_load_state(state))
            failed = status == "failed"
            when = timestamp(created_at, naive_is_utc=True)
            writer.record_step(
                sequence_id=sequence_id,
                action=str(position),
                before=current,
                after=after,
                error=PERSISTER_FAILURE if failed else None,
                started_at=when,
                ended_at=when,
            )
            if not failed:
                current = after
            last_sequence_id = sequence_id
        writer.finish("failed" if failed else "completed")
        result.run_ids.append(run_id)
    return result


# --- shared helpers --------------------------------------------------------------------------


def _existing_run(
    database: RunDatabase, project: str, partition_key: str | None, app_id: str
) -> Any:
    return database.find_run(app_id, project=project, partition_key=partition_key or "")


__all__ = [
    "BurrImportError",
    "ImportResult",
    "describe_burr_condition",
    "describe_burr_graph",
    "import_path",
    "import_persister_db",
    "import_tracker_dir",
]
