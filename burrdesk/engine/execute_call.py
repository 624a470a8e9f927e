"""The execute-call hooks: told about the method a person called (`step`, `run`, `iterate`,
`stream_result`...), once, not again for the calls that method makes.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Callable
from typing import Any

from burrdesk.engine.lifecycle import ExecuteMethod

_run_call_var: contextvars.ContextVar[dict[str, ExecuteMethod] | None] = contextvars.ContextVar(
    "run_call_var", default=None
)
"""The method a person called, per app id: only that outermost call tells the call hooks."""


class ExecuteCall:
    """Tells the call hooks about the method a person called (not about the calls it makes).

    For a method that returns a generator (`iterate`, `stream_iterate`), the hooks run when it
    is called, around making the generator, and each step it takes is a call of its own, as in
    Burr.
    """

    def __init__(self, method: ExecuteMethod):
        self.method = method

    def enter(self, app: Any) -> bool:
        calls = _run_call_var.get() or {}
        if app._app_id in calls:
            return False
        _run_call_var.set({**calls, app._app_id: self.method})
        app._adapters.call("pre_run_execute_call", method=self.method, **app._call_arguments())
        return True

    def leave(self, app: Any, error: BaseException | None) -> None:
        calls = _run_call_var.get() or {}
        if calls.get(app._app_id) is not self.method:
            return
        _run_call_var.set({k: v for k, v in calls.items() if k != app._app_id})
        app._adapters.call(
            "post_run_execute_call", method=self.method, exception=error, **app._call_arguments()
        )

    async def aenter(self, app: Any) -> bool:
        calls = _run_call_var.get() or {}
        if app._app_id in calls:
            return False
        _run_call_var.set({**calls, app._app_id: self.method})
        await app._adapters.acall(
            "pre_run_execute_call", method=self.method, **app._call_arguments()
        )
        return True

    async def aleave(self, app: Any, error: BaseException | None) -> None:
        calls = _run_call_var.get() or {}
        if calls.get(app._app_id) is not self.method:
            return
        _run_call_var.set({k: v for k, v in calls.items() if k != app._app_id})
        await app._adapters.acall(
            "post_run_execute_call", method=self.method, exception=error, **app._call_arguments()
        )

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def call_async(app: Any, *args: Any, **kwargs: Any) -> Any:
                if not app._call_hooks:
                    return await fn(app, *args, **kwargs)
                await self.aenter(app)
                error: BaseException | None = None
                try:
                    return await fn(app, *args, **kwargs)
                except BaseException as exc:
                    error = exc
                    raise
                finally:
                    await self.aleave(app, error)

            return call_async

        @functools.wraps(fn)
        def call(app: Any, *args: Any, **kwargs: Any) -> Any:
            if not app._call_hooks:
                return fn(app, *args, **kwargs)
            self.enter(app)
            error: BaseException | None = None
            try:
                return fn(app, *args, **kwargs)
            except BaseException as exc:
                error = exc
                raise
            finally:
                self.leave(app, error)

        return call
