"""Lifecycle hooks: objects told about each step, with Burr's keyword signatures.

A hook subclasses one or more of these bases and is passed to `ApplicationBuilder.with_hooks`.
Every method receives keyword arguments only and must accept `**future_kwargs`, so new
arguments can be added without breaking existing hooks (the same contract as Burr's).
"""

from __future__ import annotations

import abc
import inspect
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from burrdesk.engine.actions import Action
    from burrdesk.engine.graph import ApplicationGraph
    from burrdesk.engine.state import State


class PreRunStepHook(abc.ABC):
    """Called before an action runs (synchronous applications and `astep` alike)."""

    @abc.abstractmethod
    def pre_run_step(
        self,
        *,
        action: Action,
        state: State,
        inputs: dict[str, Any],
        sequence_id: int,
        app_id: str,
        partition_key: str | None,
        **future_kwargs: Any,
    ) -> None: ...


class PreRunStepHookAsync(abc.ABC):
    """Awaited before an action runs in `astep`/`arun`/`aiterate`."""

    @abc.abstractmethod
    async def pre_run_step(
        self,
        *,
        action: Action,
        state: State,
        inputs: dict[str, Any],
        sequence_id: int,
        app_id: str,
        partition_key: str | None,
        **future_kwargs: Any,
    ) -> None: ...


class PostRunStepHook(abc.ABC):
    """Called after an action ran; `exception` is set (and `result` None) when it raised."""

    @abc.abstractmethod
    def post_run_step(
        self,
        *,
        app_id: str,
        partition_key: str | None,
        action: Action,
        state: State,
        result: dict[str, Any] | None,
        sequence_id: int,
        exception: Exception | None,
        **future_kwargs: Any,
    ) -> None: ...


class PostRunStepHookAsync(abc.ABC):
    """Awaited after an action ran in `astep`/`arun`/`aiterate`."""

    @abc.abstractmethod
    async def post_run_step(
        self,
        *,
        app_id: str,
        partition_key: str | None,
        action: Action,
        state: State,
        result: dict[str, Any] | None,
        sequence_id: int,
        exception: Exception | None,
        **future_kwargs: Any,
    ) -> None: ...


class PostApplicationCreateHook(abc.ABC):
    """Called once when `ApplicationBuilder.build()` has made the application."""

    @abc.abstractmethod
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
    ) -> None: ...


class LifecycleAdapterSet:
    """The hooks of one application, sorted once by what they implement.

    Sorting at build time keeps the per-step cost of "no hooks" at two empty-tuple checks.
    """

    def __init__(self, *adapters: Any):
        self.adapters = list(adapters)
        self.pre_sync = tuple(a for a in adapters if _implements(a, "pre_run_step", sync=True))
        self.pre_async = tuple(a for a in adapters if _implements(a, "pre_run_step", sync=False))
        self.post_sync = tuple(a for a in adapters if _implements(a, "post_run_step", sync=True))
        self.post_async = tuple(a for a in adapters if _implements(a, "post_run_step", sync=False))
        self.create = tuple(a for a in adapters if hasattr(a, "post_application_create"))

    def call_pre_run_step(self, **kwargs: Any) -> None:
        for hook in self.pre_sync:
            hook.pre_run_step(**kwargs)

    def call_post_run_step(self, **kwargs: Any) -> None:
        for hook in self.post_sync:
            hook.post_run_step(**kwargs)

    async def acall_pre_run_step(self, **kwargs: Any) -> None:
        for hook in self.pre_sync:
            hook.pre_run_step(**kwargs)
        for hook in self.pre_async:
            await hook.pre_run_step(**kwargs)

    async def acall_post_run_step(self, **kwargs: Any) -> None:
        for hook in self.post_sync:
            hook.post_run_step(**kwargs)
        for hook in self.post_async:
            await hook.post_run_step(**kwargs)

    def call_post_application_create(self, **kwargs: Any) -> None:
        for hook in self.create:
            hook.post_application_create(**kwargs)


def _implements(adapter: Any, method: str, *, sync: bool) -> bool:
    fn = getattr(adapter, method, None)
    if fn is None:
        return False
    return inspect.iscoroutinefunction(fn) != sync
