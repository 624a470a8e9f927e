"""What Apache Burr's local tracker writes, read as JSON only (nothing is unpickled or run).

A tracker folder is `<storage_dir>/<project>/<app_id>/` with `graph.json`, `metadata.json`
and `log.jsonl`: one `begin_entry`/`end_entry` pair per step, plus the step's
`begin_span`/`end_span`, `attribute` and `begin_stream`/`first_item_stream`/`end_stream`
lines. Both the one-off import (`burr_import.py`) and the live view of a folder in place
(`burr_trace_mirror.py`) read it through this module, so they agree on every field.
"""

from __future__ import annotations

import ast
import dataclasses
import datetime
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from burrdesk.model.restricted_expression import ExpressionError, compile_expression

TRACKER_SOURCE = "burr-tracker"
LOG = "log.jsonl"
GRAPH = "graph.json"
METADATA = "metadata.json"

STEP_DETAIL_LINES = (
    "begin_span",
    "end_span",
    "attribute",
    "begin_stream",
    "first_item_stream",
    "end_stream",
)


class BurrFormatError(Exception):
    """A Burr recording that cannot be read; the message is one sentence meant for the user."""


# --- graph.json ------------------------------------------------------------------------------


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


# --- application folders ---------------------------------------------------------------------


@dataclasses.dataclass
class TrackerApp:
    """One tracker application folder: who it is (from metadata.json) and its graph."""

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
        return app_label(self.project, self.partition_key, self.app_id)

    @property
    def log_path(self) -> Path:
        return self.directory / LOG


def default_storage_dir() -> Path:
    """Where Burr's `LocalTrackingClient` writes unless told otherwise."""
    return Path.home() / ".burr"


def find_app_dirs(root: Path) -> list[tuple[str, Path]]:
    """(project, folder) for each app folder at, under, or two levels under `root`."""
    try:
        if is_app_dir(root):
            return [(root.resolve().parent.name, root)]
        children = sorted(d for d in root.iterdir() if d.is_dir())
        apps = [(root.resolve().name, d) for d in children if is_app_dir(d)]
        if apps:
            return apps
        for project in children:
            for d in sorted(project.iterdir()):
                if d.is_dir() and is_app_dir(d):
                    apps.append((project.name, d))
        return apps
    except OSError as exc:
        raise BurrFormatError(f"{root} cannot be read: {exc.strerror or exc}.") from None


def is_app_dir(directory: Path) -> bool:
    return (directory / LOG).is_file() or (directory / GRAPH).is_file()


def looks_like_tracker_folder(path: Path) -> bool:
    """Whether `path` is a storage folder, a project folder or an app folder of Burr's tracker."""
    try:
        return path.is_dir() and bool(find_app_dirs(path))
    except BurrFormatError:
        return False


def read_json_file(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            return json.load(handle)
    except OSError as exc:
        raise BurrFormatError(f"{path} cannot be read: {exc.strerror or exc}.") from None
    except ValueError:
        raise BurrFormatError(f"{path} is not valid JSON.") from None


def read_app_folder(directory: Path, project: str) -> TrackerApp:
    """The app's identity and graph; its log is not read."""
    app = TrackerApp(directory=directory, project=project, app_id=directory.name)
    metadata_path = directory / METADATA
    if metadata_path.is_file():
        metadata = read_json_file(metadata_path)
        if not isinstance(metadata, dict):
            raise BurrFormatError(f"{metadata_path} is not a Burr application metadata object.")
        if isinstance(metadata.get("app_id"), str) and metadata["app_id"]:
            app.app_id = metadata["app_id"]
        if isinstance(metadata.get("partition_key"), str) and metadata["partition_key"]:
            app.partition_key = metadata["partition_key"]
        parent = metadata.get("parent_pointer")
        if isinstance(parent, dict) and isinstance(parent.get("app_id"), str):
            app.parent_app_id = parent["app_id"]
            if isinstance(parent.get("partition_key"), str):
                app.parent_partition_key = parent["partition_key"]
            if is_int(parent.get("sequence_id")):
                app.parent_sequence_id = parent["sequence_id"]
        spawner = metadata.get("spawning_parent_pointer")
        if isinstance(spawner, dict) and isinstance(spawner.get("app_id"), str):
            app.spawner_app_id = spawner["app_id"]
            if isinstance(spawner.get("partition_key"), str):
                app.spawner_partition_key = spawner["partition_key"]
            if is_int(spawner.get("sequence_id")):
                app.spawner_sequence_id = spawner["sequence_id"]
    graph_path = directory / GRAPH
    if graph_path.is_file():
        model = read_json_file(graph_path)
        try:
            app.graph = describe_burr_graph(model)
        except (AttributeError, KeyError, TypeError):
            raise BurrFormatError(f"{graph_path} is not a Burr graph description.") from None
        app.writes = {a["name"]: a["writes"] for a in app.graph["actions"]}
    try:
        app.created_at = (graph_path if graph_path.is_file() else directory).stat().st_mtime
    except OSError:
        app.created_at = None
    return app


def parents_first(apps: Iterable[TrackerApp]) -> list[TrackerApp]:
    """The apps in an order that puts a fork's parent, and a child's spawner, before it."""
    remaining = list(apps)
    keys = {app.key for app in remaining}
    ordered: list[TrackerApp] = []
    placed: set[tuple[str, str, str]] = set()
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


# --- log.jsonl -------------------------------------------------------------------------------


def check_entry(entry: Any, where: str) -> None:
    """Raises BurrFormatError unless `entry` is a log line burrdesk can read; `where` names the
    line ("…/log.jsonl line 3") in the message."""

    def bad(reason: str) -> BurrFormatError:
        return BurrFormatError(f"{where} is not a Burr log entry ({reason}).")

    if not isinstance(entry, dict) or not isinstance(entry.get("type"), str):
        raise bad("it has no entry type")
    kind = entry["type"]
    if kind in STEP_DETAIL_LINES:
        if not is_int(entry.get("action_sequence_id")):
            raise bad("its action_sequence_id is not an integer")
        if kind in ("begin_span", "end_span") and not isinstance(entry.get("span_id"), str):
            raise bad("its span_id is not text")
        if kind == "attribute" and not isinstance(entry.get("key"), str):
            raise bad("its key is not text")
        return
    if kind not in ("begin_entry", "end_entry"):
        return  # a line type this burrdesk does not know: newer Burr, nothing to keep
    if not is_int(entry.get("sequence_id")):
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


class StepDetails:
    """The spans, attributes and stream a step's log lines describe (they may come before
    and after its end_entry, so a step is complete only when the next one begins)."""

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
                "started_at": timestamp(entry.get("start_time")),
                "ended_at": None,
                "dependencies": [str(d) for d in entry.get("span_dependencies") or []],
            }
        elif kind == "end_span":
            span = self.spans.setdefault(
                entry["span_id"],
                {"span_id": entry["span_id"], "parent_span_id": None, "name": None},
            )
            span["ended_at"] = timestamp(entry.get("end_time"))
        elif kind == "attribute":
            self.attributes.append(
                {
                    "span_id": entry.get("span_id"),
                    "key": entry["key"],
                    "value": entry.get("value"),
                    "logged_at": timestamp(entry.get("time_logged"), naive_is_utc=True),
                }
            )
        elif kind == "begin_stream":
            self.stream = {
                "started_at": timestamp(entry.get("stream_init_time")),
                "first_item_at": None,
                "item_count": 0,
            }
        elif kind == "first_item_stream":
            self.stream = self.stream or {"started_at": None, "item_count": 0}
            self.stream["first_item_at"] = timestamp(entry.get("first_item_time"))
        elif kind == "end_stream":
            self.stream = self.stream or {"started_at": None, "first_item_at": None}
            count = entry.get("items_streamed")
            self.stream["item_count"] = count if is_int(count) else 0

    def finished_spans(self, action: str, started_at: float | None) -> list[dict[str, Any]]:
        """The spans, a span Burr logged only the end of named after the action it is in."""
        for span in self.spans.values():
            if span["name"] is None:
                span["name"] = action
                span["started_at"] = started_at
        return list(self.spans.values())


@dataclasses.dataclass
class LoggedStep:
    """One step as the log tells it: its end_entry, its begin_entry (if logged) and details."""

    end: dict[str, Any]
    begin: dict[str, Any]
    details: StepDetails

    @property
    def sequence_id(self) -> int:
        return self.end["sequence_id"]

    @property
    def failed(self) -> bool:
        return self.end.get("exception") is not None

    @property
    def state_after(self) -> dict[str, Any]:
        return public_state(self.end["state"])

    def record_fields(self) -> dict[str, Any]:
        """The keyword arguments of `RunWriter.record_step` but `before` and `writes`."""
        end = self.end
        exception = end.get("exception")
        started_at = timestamp(self.begin.get("start_time"))
        return {
            "sequence_id": end["sequence_id"],
            "action": end["action"],
            "after": self.state_after,
            "inputs": public_state(self.begin.get("inputs") or {}),
            "result": end.get("result"),
            "error": error_line(exception) if exception is not None else None,
            "traceback": exception,
            "started_at": started_at,
            "ended_at": timestamp(end.get("end_time")),
            "stream": self.details.stream,
            "spans": self.details.finished_spans(end["action"], started_at),
            "attributes": self.details.attributes,
        }


class StepAssembler:
    """Pairs a log's lines, fed in order, into complete steps.

    A step is complete when the next step begins (its spans and stream may still follow its
    end_entry) or when `flush` says the log is done. A step whose sequence id is not after the
    last one assembled (an app resumed under the same id logs its steps again) is skipped and
    counted in `repeated`. `held_from` is the byte offset a later read has to start from to
    see again every line of what is not complete yet, so the log can be read in pieces.
    """

    def __init__(self, after_sequence_id: int | None = None) -> None:
        self.last_sequence_id = after_sequence_id
        self.repeated: list[int] = []
        self._begins: dict[int, tuple[dict[str, Any], int]] = {}
        self._details: dict[int, StepDetails] = {}
        self._ended: tuple[dict[str, Any], dict[str, Any], int] | None = None

    def add(self, entry: dict[str, Any], offset: int = 0) -> list[LoggedStep]:
        """Takes one checked entry (the line starting at byte `offset`); returns the steps it
        completed."""
        kind = entry["type"]
        if kind in STEP_DETAIL_LINES:
            sequence_id = entry["action_sequence_id"]
            if self.last_sequence_id is None or sequence_id > self._done_through():
                self._details.setdefault(sequence_id, StepDetails()).add(entry)
            return []
        if kind == "begin_entry":
            done = self.flush() if self._ended is not None else []
            self._begins[entry["sequence_id"]] = (entry, offset)
            return done
        if kind != "end_entry":
            return []
        sequence_id = entry["sequence_id"]
        begin, begin_offset = self._begins.pop(sequence_id, ({}, offset))
        if self.last_sequence_id is not None and sequence_id <= self.last_sequence_id:
            self.repeated.append(sequence_id)
            return []
        done = self.flush() if self._ended is not None else []
        self._ended = (entry, begin, begin_offset)
        self.last_sequence_id = sequence_id
        return done

    def _done_through(self) -> int:
        """The last sequence id already handed out (details for it or earlier are late)."""
        assert self.last_sequence_id is not None
        held = self._ended is not None
        return self.last_sequence_id - 1 if held else self.last_sequence_id

    def flush(self) -> list[LoggedStep]:
        """The step that ended last, now taken as complete (the log ends, or is quiet)."""
        if self._ended is None:
            return []
        end, begin, _offset = self._ended
        self._ended = None
        sequence_id = end["sequence_id"]
        details = self._details.pop(sequence_id, None) or StepDetails()
        for stale in [s for s in self._begins if s <= sequence_id]:
            del self._begins[stale]
        for stale in [s for s in self._details if s < sequence_id]:
            del self._details[stale]
        return [LoggedStep(end, begin, details)]

    @property
    def holding_step(self) -> bool:
        """Whether a step has ended but is not handed out yet."""
        return self._ended is not None

    @property
    def unfinished(self) -> tuple[int, str] | None:
        """(sequence id, action) of the earliest step that began after the last one that
        ended and has not ended: a step running now, or one a killed process left."""
        after = self.last_sequence_id
        waiting = sorted(
            (s, e["action"]) for s, (e, _o) in self._begins.items() if after is None or s > after
        )
        return waiting[0] if waiting else None

    @property
    def held_from(self) -> int | None:
        offsets = [o for s, (_e, o) in self._begins.items() if self._is_live_begin(s)]
        if self._ended is not None:
            offsets.append(self._ended[2])
        return min(offsets) if offsets else None

    def _is_live_begin(self, sequence_id: int) -> bool:
        return self.last_sequence_id is None or sequence_id > self.last_sequence_id


def start_sequence(
    app: TrackerApp, first: LoggedStep | None, unfinished: tuple[int, str] | None
) -> int:
    """The sequence id of the state before the app's first step."""
    if first is not None:
        return first.sequence_id - 1
    if unfinished is not None:
        return unfinished[0] - 1
    if app.parent_sequence_id is not None:
        return app.parent_sequence_id
    return -1


def fork_point(
    first: LoggedStep | None,
    unfinished: tuple[int, str] | None,
    parent_last_sequence_id: int | None,
) -> int | None:
    """Where a fork left its parent when Burr did not say (forking "from the latest step"
    stores no sequence id): the fork continues the parent's sequence ids, so it is just
    before the fork's first step, or the parent's last step when the fork never ran one."""
    if first is not None:
        return first.sequence_id - 1
    if unfinished is not None:
        return unfinished[0] - 1
    return parent_last_sequence_id


def start_state(app: TrackerApp, first: LoggedStep | None) -> dict[str, Any]:
    """The state before the app's first step, which Burr's log does not record.

    It is the state after the first step without the keys the first action writes (keys it
    does not write cannot have changed); when the first step failed, Burr logged the unchanged
    state, which is then exact; with no graph to name the writes, it is empty.
    """
    if first is None:
        return {}
    state = first.state_after
    if first.failed:
        return state
    if app.writes is None or first.end["action"] not in app.writes:
        return {}
    written = set(app.writes[first.end["action"]])
    return {k: v for k, v in state.items() if k not in written}


# --- small readers -----------------------------------------------------------------------


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def app_label(project: str, partition_key: str | None, app_id: str) -> str:
    """How notes name an app: "project/app_id", or "project/partition/app_id"."""
    return "/".join(part for part in (project, partition_key, app_id) if part)


def public_state(values: Mapping[str, Any]) -> dict[str, Any]:
    """Without Burr's internal keys (`__SEQUENCE_ID`, `__PRIOR_STEP`, `__context`, ...)."""
    return {k: v for k, v in values.items() if not str(k).startswith("__")}


def error_line(formatted: str) -> str:
    """The "ExceptionType: message" line of a formatted traceback (Burr stores the whole)."""
    lines = [line for line in formatted.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else formatted


def timestamp(value: Any, *, naive_is_utc: bool = False) -> float | None:
    """Epoch seconds from an ISO time (Burr's tracker writes naive local times) or a number."""
    if is_int(value) or isinstance(value, float):
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
