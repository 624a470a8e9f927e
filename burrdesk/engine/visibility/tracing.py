"""Spans and attributes inside an action: `__tracer`, `with __tracer("name") as t`, `@trace()`.

An action that declares a `__tracer` parameter gets a `TracerFactory`; calling it opens a span
(nested spans become children), and `log_attributes` attaches values to the current span (or
to the step, outside any span). `@trace()` does the same for any function called while an
action runs. None of this does anything by itself: it tells the lifecycle hooks
(`pre_start_span`, `post_end_span`, `do_log_attributes`), and the run-database tracker stores
what they are told, so the timeline can draw the spans.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import inspect
import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from burrdesk.engine.lifecycle import LifecycleAdapterSet

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class ActionSpan:
    """One span of an action's work: its name, its parent, and its place among its siblings."""

    action: str
    action_sequence_id: int
    name: str
    parent: ActionSpan | None
    sequence_id: int = 0
    child_count: int = 0

    def spawn(self, name: str) -> ActionSpan:
        """A new child span of this one (numbered from 0 among this span's children)."""
        self.child_count += 1
        return ActionSpan(
            action=self.action,
            action_sequence_id=self.action_sequence_id,
            name=name,
            parent=self,
            sequence_id=self.child_count - 1,
        )

    @functools.cached_property
    def uid(self) -> str:
        """`<step>:<index>.<index>...`: the step's sequence id and the path down to this span
        (fixed once the span exists: computed once)."""
        path = []
        current: ActionSpan | None = self
        while current is not None:
            path.append(str(current.sequence_id))
            current = current.parent
        return f"{self.action_sequence_id}:{'.'.join(reversed(path))}"

    @classmethod
    def create_initial(
        cls, action: str, name: str, sequence_id: int, action_sequence_id: int
    ) -> ActionSpan:
        """A top-level span of an action (the `sequence_id`-th one it opened)."""
        return cls(
            action=action,
            action_sequence_id=action_sequence_id,
            name=name,
            parent=None,
            sequence_id=sequence_id,
        )


execution_context_var: ContextVar[ActionSpan | None] = ContextVar("execution_context", default=None)
"""The span the running code is inside (None outside any span)."""


def create_span_id() -> str:
    return f"span_{uuid.uuid4()}"


class ActionSpanTracer(AbstractContextManager, AbstractAsyncContextManager):
    """A span as a (sync or async) context manager; entering and leaving it tells the hooks."""

    def __init__(
        self,
        action: str,
        action_sequence_id: int,
        span_name: str,
        lifecycle_adapters: LifecycleAdapterSet,
        app_id: str,
        partition_key: str | None,
        span_dependencies: list[str],
        top_level_span_count: int = 0,
        context_var: ContextVar[ActionSpan | None] = execution_context_var,
    ):
        self.action = action
        self.action_sequence_id = action_sequence_id
        self.span_name = span_name
        self.lifecycle_adapters = lifecycle_adapters
        self.app_id = app_id
        self.partition_key = partition_key
        self.span_dependencies = span_dependencies
        self.top_level_span_count = top_level_span_count
        self.context_var = context_var

    def _hook_arguments(self, span: ActionSpan) -> dict[str, Any]:
        return {
            "action": self.action,
            "span": span,
            "span_dependencies": self.span_dependencies,
            "action_sequence_id": self.action_sequence_id,
            "app_id": self.app_id,
            "partition_key": self.partition_key,
        }

    def _enter(self) -> ActionSpan:
        current = self.context_var.get()
        if current is None:
            span = ActionSpan.create_initial(
                self.action,
                self.span_name,
                self.top_level_span_count - 1,
                action_sequence_id=self.action_sequence_id,
            )
        else:
            span = current.spawn(self.span_name)
        self.context_var.set(span)
        return span

    def _exit(self) -> ActionSpan:
        span = self.context_var.get()
        assert span is not None, "a span was left that was never entered"
        self.context_var.set(span.parent)
        return span

    def __enter__(self) -> ActionSpanTracer:
        span = self._enter()
        self._arguments = self._hook_arguments(span)
        self.lifecycle_adapters.call("pre_start_span", **self._arguments)
        return self

    def __exit__(self, *_exc_info: object) -> None:
        span = self._exit()
        arguments = getattr(self, "_arguments", None)
        if arguments is None or arguments["span"] is not span:
            arguments = self._hook_arguments(span)
        self.lifecycle_adapters.call("post_end_span", **arguments)
        return None

    async def __aenter__(self) -> ActionSpanTracer:
        span = self._enter()
        self.lifecycle_adapters.call("pre_start_span", **self._hook_arguments(span))
        await self.lifecycle_adapters.acall_async_only(
            "pre_start_span", **self._hook_arguments(span)
        )
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        span = self._exit()
        self.lifecycle_adapters.call("post_end_span", **self._hook_arguments(span))
        await self.lifecycle_adapters.acall_async_only(
            "post_end_span", **self._hook_arguments(span)
        )
        return None

    def log_attribute(self, key: str, value: Any) -> None:
        """Attaches one value to the current span (or to the step outside any span)."""
        self.log_attributes(**{key: value})

    def log_attributes(self, **attributes: Any) -> None:
        """Attaches values to the current span (or to the step outside any span)."""
        self.lifecycle_adapters.call(
            "do_log_attributes",
            attributes=attributes,
            action=self.action,
            action_sequence_id=self.action_sequence_id,
            span=self.context_var.get(),
            app_id=self.app_id,
            partition_key=self.partition_key,
            tags={},
        )


class TracerFactory(ActionSpanTracer):
    """What an action's `__tracer` parameter receives: call it with a name for a span."""

    def __init__(
        self,
        action: str,
        sequence_id: int,
        app_id: str,
        partition_key: str | None,
        lifecycle_adapters: LifecycleAdapterSet,
        _context_var: ContextVar[ActionSpan | None] = execution_context_var,
    ):
        super().__init__(
            action=action,
            action_sequence_id=sequence_id,
            span_name="root",
            lifecycle_adapters=lifecycle_adapters,
            app_id=app_id,
            partition_key=partition_key,
            span_dependencies=[],
            top_level_span_count=0,
            context_var=_context_var,
        )

    def __call__(
        self, span_name: str, span_dependencies: list[str] | None = None
    ) -> ActionSpanTracer:
        if self.context_var.get() is None:
            self.top_level_span_count += 1
        return ActionSpanTracer(
            action=self.action,
            action_sequence_id=self.action_sequence_id,
            span_name=span_name,
            lifecycle_adapters=self.lifecycle_adapters,
            app_id=self.app_id,
            partition_key=self.partition_key,
            span_dependencies=list(span_dependencies or []),
            top_level_span_count=self.top_level_span_count,
            context_var=self.context_var,
        )


tracer_factory_context_var: ContextVar[TracerFactory | None] = ContextVar(
    "tracer_context", default=None
)
"""The tracer of the step running now, for `@trace()` (set by the application per step)."""

FunctionT = TypeVar("FunctionT", bound=Callable[..., Any])


class trace:  # noqa: N801 - named like Burr's decorator so imports carry over
    """Makes every call of the decorated function a span of the step that calls it, with its
    inputs and return value as attributes (outside a running action it just calls it)."""

    def __init__(
        self,
        capture_inputs: bool = True,
        capture_outputs: bool = True,
        input_filterlist: list[str] | None = None,
        span_name: str | None = None,
        _context_var: ContextVar[TracerFactory | None] = tracer_factory_context_var,
    ):
        self.capture_inputs = capture_inputs
        self.capture_outputs = capture_outputs
        self.input_filterlist = list(input_filterlist or [])
        self.span_name = span_name
        self.context_var = _context_var

    def _bound_arguments(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> dict:
        try:
            return dict(inspect.signature(fn).bind(*args, **kwargs).arguments)
        except TypeError as error:
            raise TypeError(f"{fn.__name__}: {error.args[0]}") from None

    @staticmethod
    def _function_attributes(fn: Callable[..., Any]) -> dict[str, str]:
        try:
            lines, _ = inspect.getsourcelines(fn)
            code_hash = hashlib.sha256("".join(lines).encode()).hexdigest()
        except (OSError, TypeError):
            code_hash = "Unable to retrieve source code for hash"
        return {"__burr_function": fn.__qualname__, "__burr_function_hash": code_hash}

    def _open(self, tracer: TracerFactory, fn: Callable[..., Any], args: Any, kwargs: Any) -> Any:
        bound = self._bound_arguments(fn, *args, **kwargs)
        span = tracer(self.span_name or fn.__name__)
        span.__enter__()
        if self.capture_inputs:
            span.log_attributes(
                **{k: v for k, v in bound.items() if k not in self.input_filterlist}
            )
        span.log_attributes(**self._function_attributes(fn))
        return span

    def __call__(self, fn: FunctionT) -> FunctionT:
        @functools.wraps(fn)
        def traced(*args: Any, **kwargs: Any) -> Any:
            tracer = self.context_var.get()
            if tracer is None:
                return fn(*args, **kwargs)
            span = self._open(tracer, fn, args, kwargs)
            try:
                output = fn(*args, **kwargs)
                if self.capture_outputs:
                    span.log_attributes(**{"return": output})
                return output
            finally:
                span.__exit__(None, None, None)

        @functools.wraps(fn)
        async def traced_async(*args: Any, **kwargs: Any) -> Any:
            tracer = self.context_var.get()
            if tracer is None:
                return await fn(*args, **kwargs)
            span = self._open(tracer, fn, args, kwargs)
            try:
                output = await fn(*args, **kwargs)
                if self.capture_outputs:
                    span.log_attributes(**{"return": output})
                return output
            finally:
                span.__exit__(None, None, None)

        if inspect.iscoroutinefunction(fn):
            return traced_async  # type: ignore[return-value]
        return traced  # type: ignore[return-value]
