"""The `@action` and `@streaming_action` decorators, and every name `burr.core.action` has.

`from burr.core.action import streaming_action` becomes
`from burrdesk.engine.action import streaming_action`. The classes themselves live in
`actions.py` (plain actions), `streaming_actions.py` and `conditions.py`; this module adds the
decorators, whose `.pydantic` forms come from `integrations/pydantic.py`.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

from burrdesk.engine.actions import (
    ACTION_FUNCTION,
    Action,
    Function,
    FunctionBasedAction,
    Input,
    Reducer,
    Result,
    SingleStepAction,
    bind,
    copy_func,
    create_action,
    derive_inputs_from_fn,
    type_eraser,
)
from burrdesk.engine.conditions import Condition, default, expr, lmda, safe_expr, when
from burrdesk.engine.integrations.pydantic import pydantic_action, pydantic_streaming_action
from burrdesk.engine.streaming_actions import (
    AsyncStreamingAction,
    AsyncStreamingResultContainer,
    FunctionBasedStreamingAction,
    SingleStepStreamingAction,
    StreamingAction,
    StreamingResultContainer,
)
from burrdesk.engine.typing import DEFAULT_SCHEMA, ActionSchema, DefaultSchema

__all__ = [
    "ACTION_FUNCTION",
    "DEFAULT_SCHEMA",
    "Action",
    "ActionSchema",
    "AsyncStreamingAction",
    "AsyncStreamingResultContainer",
    "Condition",
    "DefaultSchema",
    "Function",
    "FunctionBasedAction",
    "FunctionBasedStreamingAction",
    "Input",
    "Reducer",
    "Result",
    "SingleStepAction",
    "SingleStepStreamingAction",
    "StreamingAction",
    "StreamingResultContainer",
    "action",
    "bind",
    "copy_func",
    "create_action",
    "default",
    "derive_inputs_from_fn",
    "expr",
    "lmda",
    "safe_expr",
    "streaming_action",
    "type_eraser",
    "when",
]


class action:  # noqa: N801 - named like Burr's decorator so imports carry over
    """Decorator that turns `def f(state, ...) -> State` into an action.

    Parameters other than `state` are inputs, given at run time (optional when they have a
    default) or fixed with `f.bind(...)`. `@action.pydantic(...)` makes one over a typed state.
    """

    pydantic = staticmethod(pydantic_action)

    def __init__(self, reads: list[str], writes: list[str], tags: list[str] | None = None):
        self.reads = reads
        self.writes = writes
        self.tags = tags

    def __call__(self, fn: Callable) -> Callable:
        setattr(
            fn, ACTION_FUNCTION, FunctionBasedAction(fn, self.reads, self.writes, tags=self.tags)
        )
        fn.bind = types.MethodType(bind, fn)  # type: ignore[attr-defined]
        return fn


class streaming_action:  # noqa: N801 - named like Burr's decorator so imports carry over
    """Decorator for a generator that streams: it yields `(partial_result, None)` items and
    ends with `(final_result, new_state)`. Async generators work with `astream_result`.
    `@streaming_action.pydantic(...)` makes one over a typed state."""

    pydantic = staticmethod(pydantic_streaming_action)

    def __init__(self, reads: list[str], writes: list[str], tags: list[str] | None = None):
        self.reads = reads
        self.writes = writes
        self.tags = tags

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        fn = copy_func(fn)  # type: ignore[arg-type]
        setattr(
            fn,
            ACTION_FUNCTION,
            FunctionBasedStreamingAction(fn, self.reads, self.writes, tags=self.tags),
        )
        fn.bind = types.MethodType(bind, fn)  # type: ignore[attr-defined]
        return fn
