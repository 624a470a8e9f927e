"""What an application tells the code it runs about itself: `ApplicationContext` (what an action
gets as `__context`, or from `ApplicationContext.get()`), and `ParentPointer` (where an
application came from: a forked run, or the step that spawned it).
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any


def create_default_executor() -> Executor:
    return ThreadPoolExecutor()


@dataclasses.dataclass
class ApplicationIdentifiers:
    app_id: str
    partition_key: str | None
    sequence_id: int | None


@dataclasses.dataclass
class ApplicationContext(contextlib.AbstractContextManager, ApplicationIdentifiers):
    """What an action can ask for by declaring a `__context` parameter (or, from deeper code,
    `ApplicationContext.get()`): the app's identity, the step, and its tracker, persister and
    executor, so it can start sub-applications that are tracked as its children."""

    tracker: Any = None
    parallel_executor_factory: Callable[[], Executor] = create_default_executor
    state_initializer: Any = None
    state_persister: Any = None
    action_name: str | None = None

    @staticmethod
    def get() -> ApplicationContext | None:
        """The context of the step running now in this thread or task (None outside a step)."""
        current = application_context_var.get()
        return current() if callable(current) else current

    def __enter__(self) -> ApplicationContext:
        self._token = application_context_var.set(self)
        return self

    def __exit__(self, *_exc_info: object) -> None:
        application_context_var.set(None)


application_context_var: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "application_context", default=None
)
"""The running step's `ApplicationContext`, or a function that makes it (made only if asked)."""


@dataclasses.dataclass(frozen=True)
class ParentPointer:
    """Where an application came from: a forked run, or the step that spawned it."""

    app_id: str
    partition_key: str | None
    sequence_id: int | None
