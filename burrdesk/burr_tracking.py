"""A tracker for Apache Burr itself, recording into a burrdesk run database.

A Burr program keeps every line as it is except the tracker it is built with::

    from burrdesk.burr_tracking import RunDatabaseTracker

    app = (
        burr.core.ApplicationBuilder()
        ...
        .with_tracker(RunDatabaseTracker(project="my-agent"))
        .build()
    )

Its steps, states, spans, attributes, streams and sub-applications then land in burrdesk's
default run database (or the file `db_path` names), where the desktop app browses, diffs and
forks them. It is also a Burr state loader, so `initialize_from(tracker, ...)` resumes or forks
a recorded run. burrdesk's engine tracker does the recording; this class only says how Burr's
graphs, states and values differ from burrdesk's. Importing it needs `apache-burr` installed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from burr.core import State as BurrState
from burr.core import serde as burr_serde
from burr.core.persistence import BaseStateLoader
from burr.lifecycle import PostApplicationExecuteCallHook
from burr.tracking.base import SyncTrackingClient
from burr.tracking.common.models import ApplicationModel

from burrdesk.engine.graph_description import describe_action_origin
from burrdesk.engine.tracking.run_database_tracker import (
    RunDatabaseTracker as _EngineTracker,
)
from burrdesk.model.burr_tracker_format import describe_burr_graph


class RunDatabaseTracker(
    _EngineTracker, SyncTrackingClient, PostApplicationExecuteCallHook, BaseStateLoader
):
    """Burr's tracking client and state loader over a burrdesk run database."""

    def __init__(
        self,
        project: str = "default",
        db_path: str | os.PathLike[str] | None = None,
    ):
        super().__init__(db_path, project=project)
        self._held: dict[tuple[str, str | None], tuple[Any, int, float]] = {}

    # --- a synchronous action in an async application ------------------------------------------
    #
    # Burr up to 0.43 runs it through `_step` without hooks and then calls `post_run_step` with
    # the state from before the step and no result (fixed upstream in apache/burr#895). Such a
    # step is held until the true state after it shows up: at the next step's start or when the
    # call that ran it returns. Its result stays unknown.

    def post_run_step(
        self,
        *,
        app_id: str,
        partition_key: str | None,
        action: Any,
        state: Any,
        result: dict | None,
        sequence_id: int,
        exception: Exception | None,
        **future_kwargs: Any,
    ) -> None:
        key = (app_id, partition_key)
        if result is None and exception is None and key in self._apps:
            self._held[key] = (action, sequence_id, time.time())
            return
        super().post_run_step(
            app_id=app_id,
            partition_key=partition_key,
            action=action,
            state=state,
            result=result,
            sequence_id=sequence_id,
            exception=exception,
        )

    def pre_run_step(
        self, *, app_id: str, partition_key: str | None, state: Any, **future_kwargs: Any
    ) -> None:
        self._release_held(app_id, partition_key, state)
        super().pre_run_step(
            app_id=app_id, partition_key=partition_key, state=state, **future_kwargs
        )

    def post_run_execute_call(
        self, *, app_id: str, partition_key: str | None, state: Any, **future_kwargs: Any
    ) -> None:
        self._release_held(app_id, partition_key, state)

    def _release_held(self, app_id: str, partition_key: str | None, state: Any) -> None:
        held = self._held.pop((app_id, partition_key), None)
        tracked = self._apps.get((app_id, partition_key))
        if held is not None and tracked is not None:
            action, sequence_id, ended_at = held
            self._record_step(tracked, action, state, None, sequence_id, None, ended_at)

    def copy(self) -> RunDatabaseTracker:
        """The tracker a sub-application (`MapStates`, `RunnableGraph`) records with.

        The same one: its runs go into the same database, so they link to the step that
        spawned them, and one connection serves every thread.
        """
        return self

    def post_end_stream(self, **future_kwargs: Any) -> None:
        """The stream's end is the step's end, which `post_run_step` records."""

    def _describe_graph(self, application_graph: Any) -> dict[str, Any]:
        model = ApplicationModel.from_application_graph(application_graph).model_dump()
        description = describe_burr_graph(model)
        recorded = {action.name: action for action in application_graph.actions}
        for entry in description["actions"]:
            action = recorded.get(entry["name"])
            entry["tags"] = list(action.tags) if action is not None else []
            if action is not None:
                entry.update(describe_action_origin(action))
        description["engine"] = "burr"
        return description

    def _next_after(self, application_graph: Any) -> Callable[[str, Any, str], Any]:
        return application_graph.get_next_node

    def _state_values(self, state: Any) -> dict[str, Any]:
        return state.serialize()

    def _serialized(self, value: Any) -> Any:
        return burr_serde.serialize(value) if value is not None else None

    def _state_from(self, values: dict[str, Any]) -> Any:
        return BurrState.deserialize(values)


__all__ = ["RunDatabaseTracker"]
