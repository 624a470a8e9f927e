"""Lifecycle hooks: objects told about each step, stream, span and call, with Burr's signatures.

A hook subclasses one or more of these bases and is passed to `ApplicationBuilder.with_hooks`.
Every method receives keyword arguments only and must accept `**future_kwargs`, so new
arguments can be added without breaking existing hooks (the same contract as Burr's). As in
Burr, a hook is called because its class derives from the base that declares it, not because
it happens to have a method of that name.
"""

from __future__ import annotations

import abc
import asyncio
import datetime
import enum
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from burrdesk.engine.actions import Action
    from burrdesk.engine.graph import ApplicationGraph
    from burrdesk.engine.state import State
    from burrdesk.engine.visibility.tracing import ActionSpan

_HOOK = "_burrdesk_hook"
"""The class attribute naming the hook a base declares (set by `_declares`)."""
_ASYNC = "_burrdesk_hook_is_async"

SYNC_HOOKS: set[str] = set()
ASYNC_HOOKS: set[str] = set()


def _declares(hook_name: str, *, is_async: bool = False) -> Callable[[type], type]:
    """Marks a base class as the declaration of `hook_name` (sync or async)."""

    def mark(cls: type) -> type:
        setattr(cls, _HOOK, hook_name)
        setattr(cls, _ASYNC, is_async)
        (ASYNC_HOOKS if is_async else SYNC_HOOKS).add(hook_name)
        return cls

    return mark


class ExecuteMethod(enum.Enum):
    """The application method a person called, for the execute-call hooks."""

    step = "step"
    astep = "astep"
    iterate = "iterate"
    aiterate = "aiterate"
    run = "run"
    arun = "arun"
    stream_result = "stream_result"
    astream_result = "astream_result"
    stream_iterate = "stream_iterate"
    astream_iterate = "astream_iterate"


# --- steps ------------------------------------------------------------------------------------


@_declares("pre_run_step")
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


@_declares("pre_run_step", is_async=True)
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


@_declares("post_run_step")
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


@_declares("post_run_step", is_async=True)
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


@_declares("post_application_create")
class PostApplicationCreateHook(abc.ABC):
    """Called once when `ApplicationBuilder.build()` has made the application.

    `parent_pointer` says which run it was forked from; `spawning_parent_pointer` which run
    and step started it (a sub-application of `MapStates` and the like).
    """

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


# --- calls of the application's methods -------------------------------------------------------


@_declares("pre_run_execute_call")
class PreApplicationExecuteCallHook(abc.ABC):
    """Called when a person calls `step`, `run`, `iterate`, `stream_result`... (once, not
    again for the steps that call makes)."""

    @abc.abstractmethod
    def pre_run_execute_call(
        self,
        *,
        app_id: str,
        partition_key: str | None,
        state: State,
        method: ExecuteMethod,
        **future_kwargs: Any,
    ) -> None: ...


@_declares("pre_run_execute_call", is_async=True)
class PreApplicationExecuteCallHookAsync(abc.ABC):
    @abc.abstractmethod
    async def pre_run_execute_call(
        self,
        *,
        app_id: str,
        partition_key: str | None,
        state: State,
        method: ExecuteMethod,
        **future_kwargs: Any,
    ) -> None: ...


@_declares("post_run_execute_call")
class PostApplicationExecuteCallHook(abc.ABC):
    """Called when the method a person called returns (or raises: `exception`)."""

    @abc.abstractmethod
    def post_run_execute_call(
        self,
        *,
        app_id: str,
        partition_key: str | None,
        state: State,
        method: ExecuteMethod,
        exception: Exception | None,
        **future_kwargs: Any,
    ) -> None: ...


@_declares("post_run_execute_call", is_async=True)
class PostApplicationExecuteCallHookAsync(abc.ABC):
    @abc.abstractmethod
    async def post_run_execute_call(
        self,
        *,
        app_id: str,
        partition_key: str | None,
        state: State,
        method: ExecuteMethod,
        exception: Exception | None,
        **future_kwargs: Any,
    ) -> None: ...


# --- tracing spans and attributes -------------------------------------------------------------


@_declares("pre_start_span")
class PreStartSpanHook(abc.ABC):
    """Called when an action enters a span (`with __tracer("name"):` or `@trace()`)."""

    @abc.abstractmethod
    def pre_start_span(
        self,
        *,
        action: str,
        action_sequence_id: int,
        span: ActionSpan,
        span_dependencies: list[str],
        app_id: str,
        partition_key: str | None,
        **future_kwargs: Any,
    ) -> None: ...


@_declares("pre_start_span", is_async=True)
class PreStartSpanHookAsync(abc.ABC):
    @abc.abstractmethod
    async def pre_start_span(
        self,
        *,
        action: str,
        action_sequence_id: int,
        span: ActionSpan,
        span_dependencies: list[str],
        app_id: str,
        partition_key: str | None,
        **future_kwargs: Any,
    ) -> None: ...


@_declares("post_end_span")
class PostEndSpanHook(abc.ABC):
    """Called when an action leaves a span."""

    @abc.abstractmethod
    def post_end_span(
        self,
        *,
        action: str,
        action_sequence_id: int,
        span: ActionSpan,
        span_dependencies: list[str],
        app_id: str,
        partition_key: str | None,
        **future_kwargs: Any,
    ) -> None: ...


@_declares("post_end_span", is_async=True)
class PostEndSpanHookAsync(abc.ABC):
    @abc.abstractmethod
    async def post_end_span(
        self,
        *,
        action: str,
        action_sequence_id: int,
        span: ActionSpan,
        span_dependencies: list[str],
        app_id: str,
        partition_key: str | None,
        **future_kwargs: Any,
    ) -> None: ...


@_declares("do_log_attributes")
class DoLogAttributeHook(abc.ABC):
    """Called with the attributes an action logs (`span` is None outside any span)."""

    @abc.abstractmethod
    def do_log_attributes(
        self,
        *,
        attributes: dict[str, Any],
        action: str,
        action_sequence_id: int,
        span: ActionSpan | None,
        tags: dict,
        app_id: str,
        partition_key: str | None,
        **future_kwargs: Any,
    ) -> None: ...


@_declares("do_log_attributes", is_async=True)
class DoLogAttributeHookAsync(abc.ABC):
    @abc.abstractmethod
    async def do_log_attributes(
        self,
        *,
        attributes: dict[str, Any],
        action: str,
        action_sequence_id: int,
        span: ActionSpan | None,
        tags: dict,
        app_id: str,
        partition_key: str | None,
        **future_kwargs: Any,
    ) -> None: ...


# --- streaming --------------------------------------------------------------------------------


@_declares("pre_start_stream")
class PreStartStreamHook(abc.ABC):
    """Called when a streaming action starts streaming (`stream_result`)."""

    @abc.abstractmethod
    def pre_start_stream(
        self,
        *,
        action: str,
        sequence_id: int,
        app_id: str,
        partition_key: str | None,
        **future_kwargs: Any,
    ) -> None: ...


@_declares("pre_start_stream", is_async=True)
class PreStartStreamHookAsync(abc.ABC):
    @abc.abstractmethod
    async def pre_start_stream(
        self,
        *,
        action: str,
        sequence_id: int,
        app_id: str,
        partition_key: str | None,
        **future_kwargs: Any,
    ) -> None: ...


@_declares("post_stream_item")
class PostStreamItemHook(abc.ABC):
    """Called for each intermediate item a streaming action yields."""

    @abc.abstractmethod
    def post_stream_item(
        self,
        *,
        item: Any,
        item_index: int,
        stream_initialize_time: datetime.datetime,
        first_stream_item_start_time: datetime.datetime,
        action: str,
        sequence_id: int,
        app_id: str,
        partition_key: str | None,
        **future_kwargs: Any,
    ) -> None: ...


@_declares("post_stream_item", is_async=True)
class PostStreamItemHookAsync(abc.ABC):
    @abc.abstractmethod
    async def post_stream_item(
        self,
        *,
        item: Any,
        item_index: int,
        stream_initialize_time: datetime.datetime,
        first_stream_item_start_time: datetime.datetime,
        action: str,
        sequence_id: int,
        app_id: str,
        partition_key: str | None,
        **future_kwargs: Any,
    ) -> None: ...


@_declares("post_end_stream")
class PostEndStreamHook(abc.ABC):
    """Called when a stream is finished (exhausted, or ended by an exception)."""

    @abc.abstractmethod
    def post_end_stream(
        self,
        *,
        action: str,
        sequence_id: int,
        app_id: str,
        partition_key: str | None,
        **future_kwargs: Any,
    ) -> None: ...


@_declares("post_end_stream", is_async=True)
class PostEndStreamHookAsync(abc.ABC):
    @abc.abstractmethod
    async def post_end_stream(
        self,
        *,
        action: str,
        sequence_id: int,
        app_id: str,
        partition_key: str | None,
        **future_kwargs: Any,
    ) -> None: ...


LifecycleAdapter = Any
"""Any object deriving from one or more of the hook bases above (Burr's name for it)."""


class LifecycleAdapterSet:
    """The hooks of one application, sorted once by the hooks their classes declare.

    Sorting at build time keeps the per-step cost of "no hooks" at an empty-tuple check.
    """

    def __init__(self, *adapters: Any):
        self.adapters = list(adapters)
        sync: dict[str, list[Any]] = {}
        asynchronous: dict[str, list[Any]] = {}
        for adapter in adapters:
            for cls in type(adapter).__mro__:
                name = vars(cls).get(_HOOK)
                if name is None:
                    continue
                table = asynchronous if vars(cls).get(_ASYNC) else sync
                hooked = table.setdefault(name, [])
                if adapter not in hooked:
                    hooked.append(adapter)
        self._sync = {name: tuple(hooked) for name, hooked in sync.items()}
        self._async = {name: tuple(hooked) for name, hooked in asynchronous.items()}
        self._calls = {
            name: tuple(getattr(hook, name) for hook in hooked) for name, hooked in sync.items()
        }
        self.pre_sync = self._sync.get("pre_run_step", ())
        self.post_sync = self._sync.get("post_run_step", ())
        self.pre_async = self._async.get("pre_run_step", ())
        self.post_async = self._async.get("post_run_step", ())

    def with_new_adapters(self, *adapters: Any) -> LifecycleAdapterSet:
        return LifecycleAdapterSet(*self.adapters, *adapters)

    def does_hook(self, hook_name: str, *, is_async: bool = False) -> bool:
        return hook_name in (self._async if is_async else self._sync)

    @property
    def async_hooks(self) -> dict[str, tuple[Any, ...]]:
        """The asynchronous hooks, by name (a synchronous call cannot await them)."""
        return dict(self._async)

    def call(self, hook_name: str, **kwargs: Any) -> None:
        """Calls the synchronous hooks named `hook_name`, in the order they were added."""
        for method in self._calls.get(hook_name, ()):
            method(**kwargs)

    async def acall(self, hook_name: str, **kwargs: Any) -> None:
        """Calls the synchronous hooks, then awaits the asynchronous ones together."""
        for hook in self._sync.get(hook_name, ()):
            getattr(hook, hook_name)(**kwargs)
        pending = [getattr(hook, hook_name)(**kwargs) for hook in self._async.get(hook_name, ())]
        if pending:
            await asyncio.gather(*pending)

    async def acall_async_only(self, hook_name: str, **kwargs: Any) -> None:
        """Awaits just the asynchronous hooks (the synchronous ones were called already)."""
        pending = [getattr(hook, hook_name)(**kwargs) for hook in self._async.get(hook_name, ())]
        if pending:
            await asyncio.gather(*pending)

    # The names the step loop and older callers use.
    def call_pre_run_step(self, **kwargs: Any) -> None:
        self.call("pre_run_step", **kwargs)

    def call_post_run_step(self, **kwargs: Any) -> None:
        self.call("post_run_step", **kwargs)

    async def acall_pre_run_step(self, **kwargs: Any) -> None:
        await self.acall("pre_run_step", **kwargs)

    async def acall_post_run_step(self, **kwargs: Any) -> None:
        await self.acall("post_run_step", **kwargs)

    def call_post_application_create(self, **kwargs: Any) -> None:
        self.call("post_application_create", **kwargs)


class StateAndResultsFullLogger(PostRunStepHook, PreRunStepHook):
    """Appends each step's state, action, result, exception and times to a `.jsonl` file
    (Burr's `burr.lifecycle.StateAndResultsFullLogger`). Values JSON cannot hold are written
    the way the run database stores them (registered serde forms, or a tagged repr)."""

    def __init__(
        self,
        jsonl_path: str,
        mode: str = "append",
        json_dump: Callable[[dict], str] | None = None,
    ):
        if not str(jsonl_path).endswith(".jsonl"):
            raise ValueError(f"jsonl_path must end with .jsonl. Got: {jsonl_path}")
        from burrdesk.model.state_codec import dumps

        self.jsonl_path = str(jsonl_path)
        self.json_dump = json_dump or dumps
        self._file = open(  # noqa: SIM115 - kept open for the application's life, like Burr's
            self.jsonl_path, "a" if mode == "append" else "w", encoding="utf-8"
        )
        self._started: list[datetime.datetime] = []

    def pre_run_step(self, **future_kwargs: Any) -> None:
        self._started.append(datetime.datetime.now())

    def post_run_step(
        self,
        *,
        state: State,
        action: Action,
        result: dict[str, Any] | None,
        exception: Exception | None,
        **future_kwargs: Any,
    ) -> None:
        record = {
            "state": state.get_all(),
            "action": action.name,
            "result": result,
            "exception": str(exception),
            "start_time": (
                self._started[-1] if self._started else datetime.datetime.now()
            ).isoformat(),
            "end_time": datetime.datetime.now().isoformat(),
        }
        self._file.write(self.json_dump(record) + "\n")
        self._file.flush()

    def __del__(self) -> None:
        file = getattr(self, "_file", None)
        if file is not None:
            file.close()


class SlowDownHook(PostRunStepHook, PreRunStepHook):
    """Sleeps before and after each step, to watch a run at a human pace (Burr's, too)."""

    def __init__(self, pre_sleep_time: float = 0.5, post_sleep_time: float = 0.5):
        self.pre_sleep_time = pre_sleep_time
        self.post_sleep_time = post_sleep_time

    def pre_run_step(self, **future_kwargs: Any) -> None:
        time.sleep(self.pre_sleep_time)

    def post_run_step(self, **future_kwargs: Any) -> None:
        time.sleep(self.post_sleep_time)
