"""Streaming actions: actions that yield partial results before their final one.

Two styles, as in Burr. A generator function decorated with `@streaming_action(reads=,
writes=)` yields `(partial_result, None)` items and ends with `(final_result, new_state)`
(`FunctionBasedStreamingAction`). A class deriving from `StreamingAction` (or
`AsyncStreamingAction`) yields result dicts from `stream_run` and folds the last one into the
state in `update`. `Application.stream_result` hands the partial results out through a
`StreamingResultContainer` while they are produced; `step` and `run` simply run such an action
to the end.
"""

from __future__ import annotations

import abc
import inspect
import sys
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Coroutine, Generator, Iterator
from typing import Any, Generic, TypeVar

from burrdesk.engine.actions import (
    Action,
    SingleStepAction,
    derive_inputs_from_fn,
)
from burrdesk.engine.state import State
from burrdesk.engine.typing import DEFAULT_SCHEMA, ActionSchema

StateType = TypeVar("StateType")
StreamResultType = TypeVar("StreamResultType")
StreamType = tuple[dict, State | None]
GeneratorReturnType = Generator[StreamType, None, None]
AsyncGeneratorReturnType = AsyncGenerator[StreamType, None]


class StreamingAction(Action, abc.ABC):
    """A two-step streaming action: `stream_run` yields result dicts, the last one is final."""

    @abc.abstractmethod
    def stream_run(self, state: State, **run_kwargs: Any) -> Generator[dict, None, None]: ...

    def run(self, state: State, **run_kwargs: Any) -> dict:
        """Runs the stream to its end and returns the final result."""
        last = None
        for item in self.stream_run(state, **run_kwargs):
            last = item
        return last  # type: ignore[return-value]

    @property
    def streaming(self) -> bool:
        return True


class AsyncStreamingAction(Action, abc.ABC):
    """The asynchronous two-step streaming action (`async def stream_run` yielding dicts)."""

    @abc.abstractmethod
    async def stream_run(self, state: State, **run_kwargs: Any) -> AsyncGenerator[dict, None]: ...

    async def run(self, state: State, **run_kwargs: Any) -> dict:
        last = None
        async for item in self.stream_run(state, **run_kwargs):
            last = item
        return last  # type: ignore[return-value]

    @property
    def streaming(self) -> bool:
        return True

    def is_async(self) -> bool:
        return True


class SingleStepStreamingAction(SingleStepAction, abc.ABC):
    """A streaming action that yields `(partial, None)` items and a final `(result, state)`."""

    @abc.abstractmethod
    def stream_run_and_update(
        self, state: State, **run_kwargs: Any
    ) -> GeneratorReturnType | AsyncGeneratorReturnType: ...

    def _run_and_update(self, state: State, **run_kwargs: Any) -> tuple[dict, State]:
        result, new_state = None, state
        for result, new_state in self.stream_run_and_update(state, **run_kwargs):  # type: ignore[misc]  # noqa: B007
            pass
        return result, new_state  # type: ignore[return-value]

    async def _arun_and_update(self, state: State, **run_kwargs: Any) -> tuple[dict, State]:
        result, new_state = None, state
        async for result, new_state in self.stream_run_and_update(state, **run_kwargs):  # type: ignore[union-attr]  # noqa: B007
            pass
        return result, new_state  # type: ignore[return-value]

    def run_and_update(
        self, state: State, **run_kwargs: Any
    ) -> tuple[dict, State] | Coroutine[Any, Any, tuple[dict, State]]:
        """Runs the stream to its end (used when a streaming action runs as a plain step)."""
        if self.is_async():
            return self._arun_and_update(state, **run_kwargs)
        return self._run_and_update(state, **run_kwargs)

    @property
    def streaming(self) -> bool:
        return True

    def is_async(self) -> bool:
        return inspect.isasyncgenfunction(self.stream_run_and_update)


class FunctionBasedStreamingAction(SingleStepStreamingAction):
    """A streaming action made from a decorated generator function (sync or async)."""

    def __init__(
        self,
        fn: Callable[..., Any],
        reads: list[str],
        writes: list[str],
        bound_params: dict[str, Any] | None = None,
        input_spec: tuple[list[str], list[str]] | None = None,
        originating_fn: Callable[..., Any] | None = None,
        schema: ActionSchema = DEFAULT_SCHEMA,
        tags: list[str] | None = None,
    ):
        super().__init__()
        self._fn = fn
        self._reads = list(reads)
        self._writes = list(writes)
        self._bound_params = dict(bound_params or {})
        self._originating_fn = originating_fn or fn
        if input_spec is None:
            self._inputs = derive_inputs_from_fn(self._bound_params, fn)
        else:
            self._inputs = (
                [name for name in input_spec[0] if name not in self._bound_params],
                [name for name in input_spec[1] if name not in self._bound_params],
            )
        self._schema = schema
        self._tags = list(tags or [])
        self._is_async = inspect.isasyncgenfunction(fn)

    @property
    def fn(self) -> Callable[..., Any]:
        return self._fn

    @property
    def reads(self) -> list[str]:
        return self._reads

    @property
    def writes(self) -> list[str]:
        return self._writes

    @property
    def inputs(self) -> tuple[list[str], list[str]]:
        return self._inputs

    @property
    def schema(self) -> ActionSchema:
        return self._schema

    @property
    def tags(self) -> list[str]:
        return self._tags

    def with_params(self, **kwargs: Any) -> FunctionBasedStreamingAction:
        bound = FunctionBasedStreamingAction(
            self._fn,
            self._reads,
            self._writes,
            {**self._bound_params, **kwargs},
            input_spec=self._inputs,
            originating_fn=self._originating_fn,
            schema=self._schema,
            tags=self._tags,
        )
        bound._name = self._name
        return bound

    def stream_run_and_update(
        self, state: State, **run_kwargs: Any
    ) -> GeneratorReturnType | AsyncGeneratorReturnType:
        return self._fn(state, **self._bound_params, **run_kwargs)

    def is_async(self) -> bool:
        return self._is_async

    def get_source(self) -> str:
        return inspect.getsource(self._originating_fn)


Finish = Callable[[dict | None, State, BaseException | None], Any]
"""Called once when a stream ends: the final result and state (or the state before the step
and None when it did not finish), and the exception that ended it, if any."""


class StreamingResultContainer(Generic[StateType, StreamResultType], Iterator[StreamResultType]):
    """What `stream_result` returns: iterate it for the partial results as they come, then
    `get()` the final result and state (`get()` first runs the stream to its end).

    The step is recorded, and the state updated, when the stream ends, also when the caller
    stops early or the action raises.
    """

    def __init__(
        self,
        streaming_result_generator: Iterator[StreamType],
        initial_state: State,
        process_result: Callable[[dict, State], tuple[dict, State]],
        callback: Finish,
    ):
        self.streaming_result_generator = streaming_result_generator
        self._initial_state = initial_state
        self._process_result = process_result
        self._callback = callback
        self._result: tuple[Any, State] | None = None
        self._callback_realized = False

    @staticmethod
    def pass_through(results: Any, final_state: State) -> StreamingResultContainer:
        """A container for a result that did not stream (a non-streaming action, a halt)."""

        def one() -> Generator[tuple[Any, State], None, None]:
            yield results, final_state

        return StreamingResultContainer(
            one(), final_state, lambda result, state: (result, state), lambda *_: None
        )

    def __next__(self) -> StreamResultType:
        if self._result is not None:
            raise StopIteration
        result, state = next(self.streaming_result_generator)
        if state is not None:
            self._result = self._process_result(result, state)
            raise StopIteration
        return result

    def __iter__(self) -> Iterator[StreamResultType]:
        def items() -> Generator[StreamResultType, None, None]:
            try:
                while True:
                    yield self.__next__()
            except StopIteration:
                return
            finally:
                if self._result is None:
                    self._result = None, self._initial_state
                if not self._callback_realized:
                    self._callback_realized = True
                    self._callback(*self._result, sys.exc_info()[1])

        return items()

    def get(self) -> tuple[StreamResultType, State]:
        for _ in self:
            pass
        return self._result  # type: ignore[return-value]


class AsyncStreamingResultContainer(
    Generic[StateType, StreamResultType], AsyncIterator[StreamResultType]
):
    """The asynchronous `StreamingResultContainer` (`async for`, then `await get()`)."""

    def __init__(
        self,
        streaming_result_generator: AsyncIterator[StreamType],
        initial_state: State,
        process_result: Callable[[dict, State], tuple[dict, State]],
        callback: Callable[[dict | None, State, BaseException | None], Coroutine[Any, Any, None]],
    ):
        self.streaming_result_generator = streaming_result_generator
        self._initial_state = initial_state
        self._process_result = process_result
        self._callback = callback
        self._result: tuple[Any, State] | None = None
        self._callback_realized = False

    @staticmethod
    def pass_through(results: Any, final_state: State) -> AsyncStreamingResultContainer:
        async def one() -> AsyncGenerator[tuple[Any, State], None]:
            yield results, final_state

        async def nothing(*_: Any) -> None:
            return None

        return AsyncStreamingResultContainer(
            one(), final_state, lambda result, state: (result, state), nothing
        )

    async def __anext__(self) -> StreamResultType:
        if self._result is not None:
            raise StopAsyncIteration
        result, state = await self.streaming_result_generator.__anext__()
        if state is not None:
            self._result = self._process_result(result, state)
            raise StopAsyncIteration
        return result

    def __aiter__(self) -> AsyncIterator[StreamResultType]:
        async def items() -> AsyncGenerator[StreamResultType, None]:
            try:
                while True:
                    yield await self.__anext__()
            except StopAsyncIteration:
                return
            finally:
                if self._result is None:
                    self._result = None, self._initial_state
                if not self._callback_realized:
                    self._callback_realized = True
                    await self._callback(*self._result, sys.exc_info()[1])

        return items()

    async def get(self) -> tuple[StreamResultType | None, State]:
        async for _ in self:
            pass
        return self._result  # type: ignore[return-value]
