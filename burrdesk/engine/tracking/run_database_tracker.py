"""Recording runs into the run database: a lifecycle hook, and a loader for resume and fork.

`RunDatabaseTracker` is told about each step by the engine and appends it to the run database
(one committed transaction per step, only the keys the step changed). A streaming step also
records when it started streaming, its first item and how many it streamed; a traced step
its spans and attributes (kept in memory until the step ends, then written with it); a
sub-application (a parallel action's task) becomes a child run of the step that started it.
It is also a state loader, so `initialize_from(tracker, fork_from_app_id=...,
fork_from_sequence_id=...)` starts an application from any recorded step, exactly as Burr's
tracker does, with values of registered serde types read back as the program's objects.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
import time
import traceback
import weakref
from collections.abc import Callable
from typing import Any

from burrdesk.engine.graph import ApplicationGraph, Graph
from burrdesk.engine.graph_description import describe_graph
from burrdesk.engine.lifecycle import (
    DoLogAttributeHook,
    PostApplicationCreateHook,
    PostEndSpanHook,
    PostRunStepHook,
    PostStreamItemHook,
    PreRunStepHook,
    PreStartSpanHook,
    PreStartStreamHook,
)
from burrdesk.engine.persistence import BaseStateLoader, PersistedStateData
from burrdesk.engine.state import State
from burrdesk.model.data_location import default_database_path
from burrdesk.model.run_database import RunDatabase, RunDatabaseError, RunWriter
from burrdesk.model.run_database_opener import open_run_database
from burrdesk.model.value_serde import deserialize_state

_STREAM_CLOSED = "GeneratorExit: the caller stopped reading the stream before the action finished."


class _TrackedApp:
    """What the tracker keeps for one application while its current step runs."""

    __slots__ = ("writer", "at_end", "pending", "stream", "spans", "attributes")

    def __init__(self, writer: RunWriter, at_end: Callable[[str, Any], bool]):
        self.writer = writer
        self.at_end = at_end
        self.pending: tuple[float, Any, dict[str, Any]] | None = None
        self.stream: dict[str, Any] | None = None
        self.spans: dict[str, dict[str, Any]] = {}
        self.attributes: list[dict[str, Any]] = []

    def start_step(self, started_at: float, state: Any, inputs: dict[str, Any]) -> None:
        self.pending = (started_at, state, inputs)
        self.stream = None
        self.spans = {}
        self.attributes = []


class RunDatabaseTracker(
    PostApplicationCreateHook,
    PreRunStepHook,
    PostRunStepHook,
    PreStartStreamHook,
    PostStreamItemHook,
    PreStartSpanHook,
    PostEndSpanHook,
    DoLogAttributeHook,
    BaseStateLoader,
):
    """Records every step of the applications it is attached to (`with_hooks` or `with_tracker`)."""

    def __init__(
        self,
        db_path: str | os.PathLike[str] | None = None,
        project: str = "default",
        *,
        flow: dict[str, Any] | None = None,
    ):
        self.db_path = db_path if db_path is not None else default_database_path()
        self.project = project
        self.flow = flow
        self._database: RunDatabase | None = None
        self._apps: dict[tuple[str, str | None], _TrackedApp] = {}
        self._run_ids: dict[tuple[str, str | None], int] = {}
        self._lock = threading.Lock()
        self._closed = False
        self.database  # noqa: B018 - a bad path fails here, when the tracker is made

    @property
    def database(self) -> RunDatabase:
        """The run database, opened when first needed and again after the tracker closed it
        (every application it recorded had ended; a later one, or a fork, opens it anew)."""
        with self._lock:
            if self._database is None:
                self._database = open_run_database(self.db_path)
                self._closed = False
                _open_trackers.add(self)
            return self._database

    def run_id_for(self, app_id: str, partition_key: str | None = None) -> int:
        """The run id this tracker records (or recorded) `app_id` under."""
        return self._run_ids[(app_id, partition_key)]

    def __enter__(self) -> RunDatabaseTracker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- hooks ------------------------------------------------------------------------------

    def post_application_create(
        self,
        *,
        app_id: str,
        partition_key: str | None,
        state: State,
        application_graph: ApplicationGraph,
        parent_pointer: Any = None,
        spawning_parent_pointer: Any = None,
        **future_kwargs: Any,
    ) -> None:
        database = self.database
        existing = database.find_run(
            app_id, project=self.project, partition_key=partition_key or ""
        )
        sequence_id = state.get("__SEQUENCE_ID")
        start = -1 if sequence_id is None else sequence_id
        if existing is not None:
            run_id = existing.run_id
            writer = database.writer(run_id)
            writer.checkpoint(start, self._state_values(state))
            database.set_run_status(run_id, "running")
        else:
            parent_run_id = None
            if parent_pointer is not None:
                parent = database.find_run(
                    parent_pointer.app_id,
                    project=self.project,
                    partition_key=parent_pointer.partition_key or "",
                )
                parent_run_id = parent.run_id if parent is not None else None
            spawner = None
            if spawning_parent_pointer is not None:
                spawner = database.find_run(
                    spawning_parent_pointer.app_id,
                    project=self.project,
                    partition_key=spawning_parent_pointer.partition_key or "",
                )
            run_id = database.create_run(
                project=self.project,
                app_id=app_id,
                partition_key=partition_key,
                initial_state=self._state_values(state),
                start_sequence_id=start,
                graph=self._describe_graph(application_graph),
                entrypoint=application_graph.entrypoint.name,
                flow=self.flow if spawner is None else None,
                parent_run_id=parent_run_id,
                parent_sequence_id=parent_pointer.sequence_id if parent_pointer else None,
                spawning_parent_run_id=spawner.run_id if spawner is not None else None,
                spawning_parent_sequence_id=(
                    spawning_parent_pointer.sequence_id if spawner is not None else None
                ),
            )
            writer = database.writer(run_id)
        with self._lock:
            self._apps[(app_id, partition_key)] = _TrackedApp(
                writer, self._end_test(application_graph)
            )
            self._run_ids[(app_id, partition_key)] = writer.run_id

    def pre_run_step(
        self,
        *,
        app_id: str,
        partition_key: str | None,
        state: State,
        inputs: dict[str, Any],
        **future_kwargs: Any,
    ) -> None:
        tracked = self._apps.get((app_id, partition_key))
        if tracked is not None:
            tracked.start_step(time.time(), state, inputs)

    def post_run_step(
        self,
        *,
        app_id: str,
        partition_key: str | None,
        action: Any,
        state: State,
        result: dict | None,
        sequence_id: int,
        exception: Exception | None,
        **future_kwargs: Any,
    ) -> None:
        tracked = self._apps.get((app_id, partition_key))
        if tracked is not None:
            self._record_step(tracked, action, state, result, sequence_id, exception, time.time())

    def _record_step(
        self,
        tracked: _TrackedApp,
        action: Any,
        state: Any,
        result: dict | None,
        sequence_id: int,
        exception: BaseException | None,
        ended_at: float,
    ) -> None:
        started_at, before, inputs = tracked.pending or (None, state, {})
        tracked.pending = None
        error = tb = None
        if isinstance(exception, GeneratorExit):
            error = _STREAM_CLOSED
        elif exception is not None and not isinstance(exception, Exception):
            return  # interrupted (Ctrl-C, exit): the step did not happen; nothing to record
        elif exception is not None:
            error = f"{type(exception).__name__}: {exception}"
            tb = "".join(traceback.format_exception(exception))
        inputs = {k: v for k, v in inputs.items() if not k.startswith("__")}
        tracked.writer.record_step(
            sequence_id=sequence_id,
            action=action.name,
            before=self._state_values(before),
            after=self._state_values(state),
            writes=action.writes,
            inputs=self._serialized(inputs),
            result=self._serialized(result),
            error=error,
            traceback=tb,
            started_at=started_at,
            ended_at=ended_at,
            stream=tracked.stream,
            spans=list(tracked.spans.values()),
            attributes=tracked.attributes,
        )
        if exception is None and tracked.at_end(action.name, state):
            tracked.writer.finish("completed")
            self._ended(tracked)

    def _ended(self, tracked: _TrackedApp) -> None:
        """An application reached its end: once none is left, the database goes idle (its WAL
        emptied into the file, the checkpoint thread stopped) while the process lives on. The
        connection stays open for whoever holds `tracker.database`; `close()`, a `with` block,
        garbage collection or the interpreter's exit close it."""
        with self._lock:
            for key, other in list(self._apps.items()):
                if other is tracked:
                    del self._apps[key]
            idle = not self._apps
            database = self._database
        if idle and database is not None:
            database.idle()

    # --- streaming and tracing (kept until the step is recorded) -------------------------------

    def pre_start_stream(
        self, *, app_id: str, partition_key: str | None, **future_kwargs: Any
    ) -> None:
        tracked = self._apps.get((app_id, partition_key))
        if tracked is not None:
            tracked.stream = {"started_at": time.time(), "first_item_at": None, "item_count": 0}

    def post_stream_item(
        self, *, app_id: str, partition_key: str | None, **future_kwargs: Any
    ) -> None:
        tracked = self._apps.get((app_id, partition_key))
        if tracked is None or tracked.stream is None:
            return
        stream = tracked.stream
        if stream["first_item_at"] is None:
            stream["first_item_at"] = time.time()
        stream["item_count"] += 1

    def pre_start_span(
        self,
        *,
        app_id: str,
        partition_key: str | None,
        span: Any,
        span_dependencies: list[str],
        **future_kwargs: Any,
    ) -> None:
        tracked = self._apps.get((app_id, partition_key))
        if tracked is not None:
            tracked.spans[span.uid] = {
                "span_id": span.uid,
                "parent_span_id": span.parent.uid if span.parent is not None else None,
                "name": span.name,
                "started_at": time.time(),
                "ended_at": None,
                "dependencies": list(span_dependencies),
            }

    def post_end_span(
        self, *, app_id: str, partition_key: str | None, span: Any, **future_kwargs: Any
    ) -> None:
        tracked = self._apps.get((app_id, partition_key))
        if tracked is not None and span.uid in tracked.spans:
            tracked.spans[span.uid]["ended_at"] = time.time()

    def do_log_attributes(
        self,
        *,
        app_id: str,
        partition_key: str | None,
        attributes: dict[str, Any],
        span: Any,
        **future_kwargs: Any,
    ) -> None:
        tracked = self._apps.get((app_id, partition_key))
        if tracked is None:
            return
        now = time.time()
        span_id = span.uid if span is not None else None
        tracked.attributes.extend(
            {"span_id": span_id, "key": key, "value": value, "logged_at": now}
            for key, value in attributes.items()
        )

    # --- what differs between engines (see burrdesk/burr_tracking.py) -------------------------

    def _describe_graph(self, application_graph: Any) -> dict[str, Any]:
        return describe_graph(application_graph)

    def _end_test(self, application_graph: Any) -> Callable[[str, Any], bool]:
        """Whether no transition leads on from an action, in the state after it."""
        next_after = self._next_after(application_graph)
        entrypoint = application_graph.entrypoint.name

        def at_end(action_name: str, state: Any) -> bool:
            try:
                return next_after(action_name, state, entrypoint) is None
            except Exception:  # noqa: BLE001 - a condition that cannot be evaluated is no end
                return False

        return at_end

    def _next_after(self, application_graph: Any) -> Callable[[str, Any, str], Any]:
        """The graph's "which action follows this one, in this state" (None: none does)."""
        graph = Graph(list(application_graph.actions), list(application_graph.transitions))
        return graph.next_action

    def _state_values(self, state: Any) -> dict[str, Any]:
        return state._values

    def _serialized(self, value: Any) -> Any:
        """Inputs and results as stored (burrdesk's codec handles its own values)."""
        return value

    def _state_from(self, values: dict[str, Any]) -> Any:
        return State(deserialize_state(values))

    # --- loading (resume and fork) ----------------------------------------------------------

    def load(
        self,
        partition_key: str | None,
        app_id: str | None,
        sequence_id: int | None = None,
        **kwargs: Any,
    ) -> PersistedStateData | None:
        database = self.database
        if app_id is None:
            runs = database.list_runs(
                project=self.project, partition_key=partition_key or "", limit=1
            )
            if not runs:
                return None
            run = runs[0]
        else:
            run = database.find_run(app_id, project=self.project, partition_key=partition_key or "")
            if run is None:
                return None
        if sequence_id is None:
            sequence_id = run.last_sequence_id
            if sequence_id is None:
                sequence_id = database.start_sequence_id(run.run_id)
        try:
            values = database.state_at(run.run_id, sequence_id)
        except RunDatabaseError:
            return None
        position, status = self._position(run, sequence_id)
        if position is None:
            return None
        return PersistedStateData(
            partition_key=partition_key or "",
            app_id=run.app_id,
            sequence_id=sequence_id,
            position=position,
            state=self._state_from(values),
            created_at=str(run.created_at),
            status=status,
        )

    def _position(self, run: Any, sequence_id: int) -> tuple[str | None, str]:
        """The action at `sequence_id` and its status, as Burr's loaders report them.

        A fork that has not run yet reports its chosen next action (or, with none chosen, the
        parent's action at the fork point as completed, so the transitions pick what follows).
        """
        database = self.database
        try:
            step = database.get_step(run.run_id, sequence_id)
            return step.action, step.status
        except RunDatabaseError:
            pass
        if run.next_action is not None and run.last_sequence_id is None:
            return run.next_action, "pending"
        prior = database.prior_action(run.run_id, sequence_id)
        if prior is None:
            return run.entrypoint, "pending"
        return prior, "completed"

    def list_app_ids(self, partition_key: str | None, **kwargs: Any) -> list[str]:
        runs = self.database.list_runs(
            project=self.project, partition_key=partition_key or "", limit=10_000
        )
        return [run.app_id for run in runs]

    # --- closing ----------------------------------------------------------------------------

    def close(self, status: str = "stopped") -> None:
        """Marks runs this tracker left running as `status` and closes the database (once)."""
        if self._closed:
            return
        with self._lock:
            apps, self._apps = list(self._apps.values()), {}
        try:
            for tracked in apps:
                run = tracked.writer.database.get_run(tracked.writer.run_id)
                if run.status in ("running", "created"):
                    tracked.writer.finish(status)
        except RunDatabaseError:
            # The database went away (a server outage): its runs read as "interrupted" once
            # this process ends, which is what happened to them; closing must still close.
            pass
        finally:
            self._close_database()

    def _close_database(self) -> None:
        with self._lock:
            database, self._database = self._database, None
            self._closed = True
        if database is not None:
            database.close()
        _open_trackers.discard(self)


_open_trackers: weakref.WeakSet[RunDatabaseTracker] = weakref.WeakSet()


@atexit.register
def _close_open_trackers() -> None:
    """A process that exits normally leaves its paused runs "stopped", not "interrupted"."""
    for tracker in list(_open_trackers):
        with contextlib.suppress(Exception):  # never turn a clean exit into a traceback
            tracker.close()
