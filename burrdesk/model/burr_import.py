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

import ast
import contextlib
import dataclasses
import datetime
import itertools
import json
import sqlite3
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from burrdesk.model.restricted_expression import ExpressionError, compile_expression
from burrdesk.model.run_database import RunDatabase, RunDatabaseError, burr_persister_tables
from burrdesk.model.run_database_schema import FORMAT_MARKER

TRACKER_SOURCE = "burr-tracker"
PERSISTER_SOURCE = "burr-persister"
DEFAULT_PERSISTER_PROJECT = "burr-persister"
PERSISTER_FAILURE = "the step failed (Burr's persister does not record the error message)"

_LOG = "log.jsonl"
_GRAPH = "graph.json"
_METADATA = "metadata.json"
_SQLITE_HEADER = b"SQLite format 3\x00"


class BurrImportError(Exception):
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
    if path.name in (_LOG, _GRAPH, _METADATA):
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


# --- Burr's graph.json -----------------------------------------------------------------------


def describe_burr_condition(name: str) -> dict[str, Any]:
    """A transition condition in burrdesk's graph format, from the name Burr's tracker stored.

    Burr keeps only a condition's name: "default", the source of an `expr(...)`, "key=value"
    for `when(...)`, "lmda_..." for lambdas, and "a | b", "a & b", "~a" for combinations. The
    name is kept as an `expr` only when it parses as a condition with the same meaning
    (`when(count__gte=3)` is named "count >= 3", which qualifies); everything else is
    `custom`, which a reader draws by name and never evaluates.
    """
    if name == "default":
        return {"kind": "default", "name": "default"}
    if _is_plain_expression(name):
        return {"kind": "expr", "name": name, "expr": name}
    return {"kind": "custom", "name": name}


def _is_plain_expression(text: str) -> bool:
    if not text or text.lstrip().startswith("~") or " | " in text or " & " in text:
        return False
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return False
    # A bare name is a lambda's or a custom condition's name; a tuple is several `when` keys;
    # `|`, `&` and `~` would be Burr's combinations, whose meaning differs from Python's.
    if isinstance(tree.body, ast.Name | ast.Tuple):
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.BitOr | ast.BitAnd | ast.Invert):
            return False
    try:
        compile_expression(text)
    except (ExpressionError, ValueError):
        return False
    return True


def describe_burr_graph(model: Mapping[str, Any]) -> dict[str, Any]:
    """burrdesk's graph description (see `describe_graph`) of a Burr tracker `graph.json`.

    Stored with each imported run so the graph can be drawn and forks can name actions. Burr
    (through 0.43 at least) writes an action's required inputs under "optional_inputs" and its
    optional ones under "inputs"; they are swapped back here. Burr does not record tags or
    whether an action is async; `async` is guessed from the recorded source.
    """
    actions = []
    for action in model.get("actions") or []:
        code = action.get("code")
        actions.append(
            {
                "name": action["name"],
                "reads": list(action.get("reads") or []),
                "writes": list(action.get("writes") or []),
                "inputs": _input_names(action.get("optional_inputs")),
                "optional_inputs": _input_names(action.get("inputs")),
                "tags": list(action.get("tags") or []),
                "async": isinstance(code, str) and "async def" in code,
                "source": code if isinstance(code, str) else None,
            }
        )
    transitions = [
        {
            "from": transition.get("from_", transition.get("from")),
            "to": transition["to"],
            "condition": describe_burr_condition(str(transition.get("condition") or "default")),
        }
        for transition in model.get("transitions") or []
    ]
    return {"actions": actions, "transitions": transitions, "entrypoint": model.get("entrypoint")}


def _input_names(names: Any) -> list[str]:
    return sorted(str(n) for n in names or [] if not str(n).startswith("__"))


# --- Burr's local tracker folders ------------------------------------------------------------


@dataclasses.dataclass
class _TrackerApp:
    """One tracker application folder, filled in by the checking pass."""

    directory: Path
    project: str
    app_id: str
    partition_key: str | None = None
    parent_app_id: str | None = None
    parent_partition_key: str | None = None
    parent_sequence_id: int | None = None
    spawner_app_id: str | None = None
    spawner_partition_key: str | None = None
    spawner_sequence_id: int | None = None
    graph: dict[str, Any] | None = None
    writes: dict[str, list[str]] | None = None
    created_at: float | None = None
    first_step: dict[str, Any] | None = None
    last_sequence_id: int | None = None
    unfinished: tuple[int, str] | None = None
    status: str = "completed"

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.project, self.partition_key or "", self.app_id)

    @property
    def parent_key(self) -> tuple[str, str, str] | None:
        if self.parent_app_id is None:
            return None
        return (self.project, self.parent_partition_key or "", self.parent_app_id)

    @property
    def spawner_key(self) -> tuple[str, str, str] | None:
        if self.spawner_app_id is None:
            return None
        return (self.project, self.spawner_partition_key or "", self.spawner_app_id)

    @property
    def label(self) -> str:
        return _label(self.project, self.partition_key, self.app_id)


def import_tracker_dir(path: str | Path, database: RunDatabase) -> ImportResult:
    """Imports Burr local-tracker recordings: a storage folder, one project's, or one app's.

    Each app folder becomes a run in the folder's project (source "burr-tracker"), with its
    partition key, its graph, its steps (inputs, result, exception, times, state) and, for a
    fork whose parent is imported too, a link to the parent run.

    The state before the first step is not in Burr's log, which records only the state after
    each step. It is derived as the state after the first step without the keys the first
    action writes (keys it does not write cannot have changed); when the first step failed,
    Burr logged the unchanged state, which is then exact; a fork starts from its parent's state
    at the fork point; with no graph to name the writes, it is empty. (A fork "from the latest
    step" has no fork sequence id in Burr's metadata; it is inferred, see `_fork_point`.)

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
    apps = [_read_app_folder(d, project) for project, d in _find_app_dirs(root)]
    if not apps:
        raise BurrImportError(
            f"{root} contains no Burr applications (no folder with a {_LOG} or {_GRAPH})."
        )
    result = ImportResult()
    fresh = []
    for app in apps:
        if _existing_run(database, app.project, app.partition_key, app.app_id) is not None:
            result.skipped.append(app.app_id)
            result.notes.append(f"{app.label} is already in the run database; it was skipped.")
        else:
            fresh.append(app)
    for app in fresh:
        _scan_log(app, result.notes)
    for app in _parents_first(fresh):
        run_id = _write_tracker_app(app, database, result)
        if run_id is not None:
            result.run_ids.append(run_id)
    return result


def _find_app_dirs(root: Path) -> list[tuple[str, Path]]:
    """(project, folder) for each app folder at, under, or two levels under `root`."""
    try:
        if _is_app_dir(root):
            return [(root.resolve().parent.name, root)]
        children = sorted(d for d in root.iterdir() if d.is_dir())
        apps = [(root.resolve().name, d) for d in children if _is_app_dir(d)]
        if apps:
            return apps
        for project in children:
            for d in sorted(project.iterdir()):
                if d.is_dir() and _is_app_dir(d):
                    apps.append((project.name, d))
        return apps
    except OSError as exc:
        raise BurrImportError(f"{root} cannot be read: {exc.strerror or exc}.") from None


def _is_app_dir(directory: Path) -> bool:
    return (directory / _LOG).is_file() or (directory / _GRAPH).is_file()


def _read_json_file(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            return json.load(handle)
    except OSError as exc:
        raise BurrImportError(f"{path} cannot be read: {exc.strerror or exc}.") from None
    except ValueError:
        raise BurrImportError(f"{path} is not valid JSON.") from None


def _read_app_folder(directory: Path, project: str) -> _TrackerApp:
    app = _TrackerApp(directory=directory, project=project, app_id=directory.name)
    metadata_path = directory / _METADATA
    if metadata_path.is_file():
        metadata = _read_json_file(metadata_path)
        if not isinstance(metadata, dict):
            raise BurrImportError(f"{metadata_path} is not a Burr application metadata object.")
        if isinstance(metadata.get("app_id"), str) and metadata["app_id"]:
            app.app_id = metadata["app_id"]
        if isinstance(metadata.get("partition_key"), str) and metadata["partition_key"]:
            app.partition_key = metadata["partition_key"]
        parent = metadata.get("parent_pointer")
        if isinstance(parent, dict) and isinstance(parent.get("app_id"), str):
            app.parent_app_id = parent["app_id"]
            if isinstance(parent.get("partition_key"), str):
                app.parent_partition_key = parent["partition_key"]
            if _is_int(parent.get("sequence_id")):
                app.parent_sequence_id = parent["sequence_id"]
        spawner = metadata.get("spawning_parent_pointer")
        if isinstance(spawner, dict) and isinstance(spawner.get("app_id"), str):
            app.spawner_app_id = spawner["app_id"]
            if isinstance(spawner.get("partition_key"), str):
                app.spawner_partition_key = spawner["partition_key"]
            if _is_int(spawner.get("sequence_id")):
                app.spawner_sequence_id = spawner["sequence_id"]
    graph_path = directory / _GRAPH
    if graph_path.is_file():
        model = _read_json_file(graph_path)
        try:
            app.graph = describe_burr_graph(model)
        except (AttributeError, KeyError, TypeError):
            raise BurrImportError(f"{graph_path} is not a Burr graph description.") from None
        app.writes = {a["name"]: a["writes"] for a in app.graph["actions"]}
    try:
        app.created_at = (graph_path if graph_path.is_file() else directory).stat().st_mtime
    except OSError:
        app.created_at = None
    return app


def _log_lines(app: _TrackerApp, notes: list[str] | None) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, entry) for each line of the app's log; checks every line it yields.

    Only the last line may be cut short (no newline and not JSON): that is what a process
    killed while writing leaves, and it is skipped, with a note when `notes` is given.
    """
    log_path = app.directory / _LOG
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
            _check_entry(entry, log_path, number)
            yield number, entry


def _check_entry(entry: Any, log_path: Path, number: int) -> None:
    def bad(reason: str) -> BurrImportError:
        return BurrImportError(f"{log_path} line {number} is not a Burr log entry ({reason}).")

    if not isinstance(entry, dict) or not isinstance(entry.get("type"), str):
        raise bad("it has no entry type")
    kind = entry["type"]
    if kind in _STEP_DETAIL_LINES:
        if not _is_int(entry.get("action_sequence_id")):
            raise bad("its action_sequence_id is not an integer")
        if kind in ("begin_span", "end_span") and not isinstance(entry.get("span_id"), str):
            raise bad("its span_id is not text")
        if kind == "attribute" and not isinstance(entry.get("key"), str):
            raise bad("its key is not text")
        return
    if kind not in ("begin_entry", "end_entry"):
        return  # a line type this burrdesk does not know: newer Burr, nothing to keep
    if not _is_int(entry.get("sequence_id")):
        raise bad("its sequence_id is not an integer")
    if not isinstance(entry.get("action"), str):
        raise bad("its action is not a name")
    if kind == "begin_entry":
        if not isinstance(entry.get("inputs", {}), dict | None):
            raise bad("its inputs are not an object")
    else:
        if not isinstance(entry.get("state"), dict):
            raise bad("its state is not an object")
        if not isinstance(entry.get("exception"), str | None):
            raise bad("its exception is not text")


_STEP_DETAIL_LINES = (
    "begin_span",
    "end_span",
    "attribute",
    "begin_stream",
    "first_item_stream",
    "end_stream",
)


class _StepDetails:
    """The spans, attributes and stream a step's log lines describe (they may come before
    and after its end_entry, so a step is written when the next one begins)."""

    def __init__(self) -> None:
        self.spans: dict[str, dict[str, Any]] = {}
        self.attributes: list[dict[str, Any]] = []
        self.stream: dict[str, Any] | None = None

    def add(self, entry: dict[str, Any]) -> None:
        kind = entry["type"]
        if kind == "begin_span":
            self.spans[entry["span_id"]] = {
                "span_id": entry["span_id"],
                "parent_span_id": entry.get("parent_span_id"),
                "name": str(entry.get("span_name") or entry["span_id"]),
                "started_at": _timestamp(entry.get("start_time")),
                "ended_at": None,
                "dependencies": [str(d) for d in entry.get("span_dependencies") or []],
            }
        elif kind == "end_span":
            span = self.spans.setdefault(
                entry["span_id"],
                {"span_id": entry["span_id"], "parent_span_id": None, "name": None},
            )
            span["ended_at"] = _timestamp(entry.get("end_time"))
        elif kind == "attribute":
            self.attributes.append(
                {
                    "span_id": entry.get("span_id"),
                    "key": entry["key"],
                    "value": entry.get("value"),
                    "logged_at": _timestamp(entry.get("time_logged"), naive_is_utc=True),
                }
            )
        elif kind == "begin_stream":
            self.stream = {
                "started_at": _timestamp(entry.get("stream_init_time")),
                "first_item_at": None,
                "item_count": 0,
            }
        elif kind == "first_item_stream":
            self.stream = self.stream or {"started_at": None, "item_count": 0}
            self.stream["first_item_at"] = _timestamp(entry.get("first_item_time"))
        elif kind == "end_stream":
            self.stream = self.stream or {"started_at": None, "first_item_at": None}
            count = entry.get("items_streamed")
            self.stream["item_count"] = count if _is_int(count) else 0

    def finished_spans(self, action: str, started_at: float | None) -> list[dict[str, Any]]:
        """The spans, a span Burr logged only the end of named after the action it is in."""
        for span in self.spans.values():
            if span["name"] is None:
                span["name"] = action
                span["started_at"] = started_at
        return list(self.spans.values())


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _scan_log(app: _TrackerApp, notes: list[str]) -> None:
    """The checking pass: validates every line and works out the run's shape and status."""
    pending: dict[int, str] = {}
    last_failed = False
    first_time = None
    repeated: list[int] = []
    for _number, entry in _log_lines(app, notes):
        kind, sequence_id = entry["type"], entry.get("sequence_id")
        if kind == "begin_entry":
            pending[sequence_id] = entry["action"]
            first_time = first_time or _timestamp(entry.get("start_time"))
        elif kind == "end_entry":
            pending.pop(sequence_id, None)
            first_time = first_time or _timestamp(entry.get("end_time"))
            if app.last_sequence_id is not None and sequence_id <= app.last_sequence_id:
                repeated.append(sequence_id)
                continue
            if app.first_step is None:
                app.first_step = entry
            app.last_sequence_id = sequence_id
            last_failed = entry.get("exception") is not None
    if first_time is not None:
        app.created_at = first_time
    if repeated:
        notes.append(
            f"{app.label}: {len(repeated)} logged step(s) reuse an earlier sequence id "
            f"(the first is {repeated[0]}); only steps that follow the last imported one "
            "were imported."
        )
    unfinished = sorted(
        (seq, name)
        for seq, name in pending.items()
        if app.last_sequence_id is None or seq > app.last_sequence_id
    )
    if unfinished:
        app.unfinished = unfinished[0]
        app.status = "interrupted"
        notes.append(
            f"{app.label}: step {unfinished[0][0]} ({unfinished[0][1]!r}) never finished "
            "(the process stopped during it), so it was not imported and the run is marked "
            "interrupted."
        )
    elif last_failed:
        app.status = "failed"
    elif app.first_step is None:
        app.status = "created"


def _parents_first(apps: list[_TrackerApp]) -> list[_TrackerApp]:
    """The apps in an order that imports a fork's parent before the fork."""
    keys = {app.key for app in apps}
    ordered: list[_TrackerApp] = []
    placed: set[tuple[str, str, str]] = set()
    remaining = list(apps)
    while remaining:
        ready = [
            a
            for a in remaining
            if all(k not in keys or k in placed for k in (a.parent_key, a.spawner_key))
        ]
        if not ready:  # a cycle cannot come from Burr, but must not loop forever
            ready = remaining[:1]
        for app in ready:
            ordered.append(app)
            placed.add(app.key)
        remaining = [a for a in remaining if a.key not in placed]
    return ordered


def _write_tracker_app(app: _TrackerApp, database: RunDatabase, result: ImportResult) -> int | None:
    """The writing pass: creates the run and records its steps from the log."""
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
                app.parent_sequence_id = _fork_point(app, parent.last_sequence_id)
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
    initial, start_sequence_id = _tracker_start(app, database, parent_run_id)
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
    begins: dict[int, dict[str, Any]] = {}
    details: dict[int, _StepDetails] = {}
    ended: tuple[dict[str, Any], dict[str, Any]] | None = None
    last_sequence_id: int | None = None

    def record(end: dict[str, Any], begin: dict[str, Any]) -> None:
        nonlocal current
        sequence_id = end["sequence_id"]
        after = _public(end["state"])
        exception = end.get("exception")
        started_at = _timestamp(begin.get("start_time"))
        step = details.pop(sequence_id, None) or _StepDetails()
        writer.record_step(
            sequence_id=sequence_id,
            action=end["action"],
            before=current,
            after=after,
            writes=writes.get(end["action"], ()),
            inputs=_public(begin.get("inputs") or {}),
            result=end.get("result"),
            error=_error_line(exception) if exception is not None else None,
            traceback=exception,
            started_at=started_at,
            ended_at=_timestamp(end.get("end_time")),
            stream=step.stream,
            spans=step.finished_spans(end["action"], started_at),
            attributes=step.attributes,
        )
        if exception is None:
            current = after

    for _number, entry in _log_lines(app, None):
        kind = entry["type"]
        if kind in _STEP_DETAIL_LINES:
            details.setdefault(entry["action_sequence_id"], _StepDetails()).add(entry)
            continue
        sequence_id = entry.get("sequence_id")
        if kind == "begin_entry":
            if ended is not None:
                record(*ended)
                ended = None
            begins[sequence_id] = entry
            continue
        if kind != "end_entry":
            continue
        begin = begins.pop(sequence_id, None) or {}
        if last_sequence_id is not None and sequence_id <= last_sequence_id:
            continue
        if ended is not None:
            record(*ended)
        ended = (entry, begin)
        last_sequence_id = sequence_id
    if ended is not None:
        record(*ended)
    writer.finish(app.status)
    return run_id


def _fork_point(app: _TrackerApp, parent_last_sequence_id: int | None) -> int | None:
    """Where a fork left its parent when Burr did not say (forking "from the latest step"
    stores no sequence id): the fork continues the parent's sequence ids, so it is just
    before the fork's first step, or the parent's last step when the fork never ran one."""
    if app.first_step is not None:
        return app.first_step["sequence_id"] - 1
    if app.unfinished is not None:
        return app.unfinished[0] - 1
    return parent_last_sequence_id


def _tracker_start(
    app: _TrackerApp, database: RunDatabase, parent_run_id: int | None
) -> tuple[dict[str, Any], int]:
    """The state before the app's first step and that state's sequence id (see the docstring
    of `import_tracker_dir` for how it is derived)."""
    first = app.first_step
    if first is not None:
        start = first["sequence_id"] - 1
    elif app.unfinished is not None:
        start = app.unfinished[0] - 1
    elif app.parent_sequence_id is not None:
        start = app.parent_sequence_id
    else:
        start = -1
    if parent_run_id is not None and app.parent_sequence_id is not None:
        with contextlib.suppress(RunDatabaseError):
            return database.state_at(parent_run_id, app.parent_sequence_id), start
    if first is None:
        return {}, start
    state = _public(first["state"])
    if first.get("exception") is not None:
        return state, start
    if app.writes is None or first["action"] not in app.writes:
        return {}, start
    written = set(app.writes[first["action"]])
    return {k: v for k, v in state.items() if k not in written}, start


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
        label = _label(project, partition_key, app_id)
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
        initial = _public(_load_state(first[3])) if first[2] == "failed" else {}
        run_id = database.create_run(
            project=project,
            app_id=app_id,
            initial_state=initial,
            start_sequence_id=first[0] - 1,
            partition_key=partition_key or None,
            entrypoint=str(first[1]) if first[0] == 0 else None,
            status="running",
            source=PERSISTER_SOURCE,
            created_at=_timestamp(first_created, naive_is_utc=True),
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
            after = _public(_load_state(state))
            failed = status == "failed"
            when = _timestamp(created_at, naive_is_utc=True)
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


def _label(project: str, partition_key: str | None, app_id: str) -> str:
    """How notes name an app: "project/app_id", or "project/partition/app_id"."""
    return "/".join(part for part in (project, partition_key, app_id) if part)


def _public(values: Mapping[str, Any]) -> dict[str, Any]:
    """Without Burr's internal keys (`__SEQUENCE_ID`, `__PRIOR_STEP`, `__context`, ...)."""
    return {k: v for k, v in values.items() if not str(k).startswith("__")}


def _error_line(formatted: str) -> str:
    """The "ExceptionType: message" line of a formatted traceback (Burr stores the whole)."""
    lines = [line for line in formatted.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else formatted


def _timestamp(value: Any, *, naive_is_utc: bool = False) -> float | None:
    """Epoch seconds from an ISO time (Burr's tracker writes naive local times) or a number."""
    if _is_int(value) or isinstance(value, float):
        return float(value)
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None and naive_is_utc:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp()


__all__ = [
    "BurrImportError",
    "ImportResult",
    "describe_burr_condition",
    "describe_burr_graph",
    "import_path",
    "import_persister_db",
    "import_tracker_dir",
]
