"""Actions: the units of work an application steps through.

Two styles, as in Burr: a plain function decorated with `@action(reads=, writes=)` (see
`action.py`) that returns the new `State` (or `(result, State)`), and a class deriving from
`Action` with `reads`, `writes`, `run` and `update`. Function parameters other than `state` are
*inputs* supplied at run time; `.bind(**kwargs)` fixes some of them in advance.
"""

from __future__ import annotations

import abc
import copy
import functools
import inspect
import types
from collections.abc import Callable
from typing import Any

from burrdesk.engine.state import State
from burrdesk.engine.typing import DEFAULT_SCHEMA, ActionSchema

ACTION_FUNCTION = "action_function"


class Function(abc.ABC):
    """The computing half of an action: reads state and inputs, returns a result dict."""

    @property
    @abc.abstractmethod
    def reads(self) -> list[str]: ...

    @abc.abstractmethod
    def run(self, state: State, **run_kwargs: Any) -> dict: ...

    @property
    def inputs(self) -> list[str] | tuple[list[str], list[str]]:
        """Required input names, or a (required, optional) pair."""
        return []

    @property
    def optional_and_required_inputs(self) -> tuple[set[str], set[str]]:
        """(required, optional) input names, whichever form `inputs` takes."""
        declared = self.inputs
        if isinstance(declared, tuple):
            return set(declared[0]), set(declared[1])
        return set(declared), set()

    def validate_inputs(self, inputs: dict[str, Any] | None) -> None:
        required, optional = self.optional_and_required_inputs
        given = set(inputs or {})
        missing, extra = required - given, given - required - optional
        if missing or extra:
            parts = [f"Inputs to action {self!r} are invalid."]
            if missing:
                parts.append(f"Missing: {', '.join(sorted(missing))}.")
            if extra:
                parts.append(f"Not accepted: {', '.join(sorted(extra))}.")
            raise ValueError(" ".join(parts))

    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.run)


class Reducer(abc.ABC):
    """The state-writing half of an action: folds a result into the state."""

    @property
    @abc.abstractmethod
    def writes(self) -> list[str]: ...

    @abc.abstractmethod
    def update(self, result: dict, state: State) -> State: ...


class Action(Function, Reducer, abc.ABC):
    """An action in a state machine; its name is given when it is added to an application."""

    def __init__(self) -> None:
        self._name: str | None = None

    def with_name(self, name: str) -> Action:
        """A copy of this action carrying `name` (an action is named once)."""
        if getattr(self, "_name", None) is not None:
            raise ValueError(
                f"Action {self._name!r} already has a name; cannot rename it {name!r}."
            )
        named = copy.copy(self)
        named._name = name
        return named

    @property
    def name(self) -> str | None:
        return getattr(self, "_name", None)

    @property
    def single_step(self) -> bool:
        return False

    @property
    def streaming(self) -> bool:
        return False

    @property
    def tags(self) -> list[str]:
        return []

    @property
    def schema(self) -> ActionSchema:
        """The state types this action reads and writes (typed actions; see `typing.py`)."""
        return DEFAULT_SCHEMA

    def input_schema(self) -> Any:
        """A type that validates this action's inputs, or None."""
        return None

    def get_source(self) -> str:
        try:
            return inspect.getsource(type(self))
        except (OSError, TypeError):
            return "No source available"

    def __repr__(self) -> str:
        reads = ", ".join(self.reads) if self.reads else "{}"
        writes = ", ".join(self.writes) if self.writes else "{}"
        return f"{self.name}: {reads} -> {writes}"


class SingleStepAction(Action, abc.ABC):
    """An action that computes its result and new state in one call (`run_and_update`)."""

    @property
    def single_step(self) -> bool:
        return True

    @abc.abstractmethod
    def run_and_update(self, state: State, **run_kwargs: Any) -> Any: ...

    def run(self, state: State, **run_kwargs: Any) -> dict:
        raise TypeError(f"{self.name} is a single-step action; call run_and_update().")

    def update(self, result: dict, state: State) -> State:
        raise TypeError(f"{self.name} is a single-step action; call run_and_update().")

    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.run_and_update)


def derive_inputs_from_fn(bound: dict[str, Any], fn: Callable) -> tuple[list[str], list[str]]:
    """Inputs of a function action: every parameter but `state` and the bound ones."""
    required, optional = [], []
    for name, param in inspect.signature(fn).parameters.items():
        if name == "state" or name in bound:
            continue
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        (required if param.default is param.empty else optional).append(name)
    return required, optional


class FunctionBasedAction(SingleStepAction):
    """An action made from a decorated function."""

    ACTION_FUNCTION = ACTION_FUNCTION

    def __init__(
        self,
        fn: Callable,
        reads: list[str],
        writes: list[str],
        bound_params: dict[str, Any] | None = None,
        input_spec: tuple[list[str], list[str]] | None = None,
        originating_fn: Callable | None = None,
        schema: ActionSchema = DEFAULT_SCHEMA,
        tags: list[str] | None = None,
    ):
        super().__init__()
        self._fn = fn
        self._reads = list(reads)
        self._writes = list(writes)
        self._bound_params = dict(bound_params or {})
        self._tags = list(tags or [])
        self._originating_fn = originating_fn or fn
        if input_spec is None:
            self._inputs = derive_inputs_from_fn(self._bound_params, fn)
        else:
            self._inputs = (
                [name for name in input_spec[0] if name not in self._bound_params],
                [name for name in input_spec[1] if name not in self._bound_params],
            )
        self._schema = schema
        self._is_async = inspect.iscoroutinefunction(fn)

    @property
    def fn(self) -> Callable:
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
    def bound_params(self) -> dict[str, Any]:
        return dict(self._bound_params)

    @property
    def tags(self) -> list[str]:
        return self._tags

    @property
    def schema(self) -> ActionSchema:
        return self._schema

    def with_params(self, **kwargs: Any) -> FunctionBasedAction:
        bound = FunctionBasedAction(
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

    def run_and_update(self, state: State, **run_kwargs: Any) -> Any:
        if self._bound_params:
            return self._fn(state, **self._bound_params, **run_kwargs)
        return self._fn(state, **run_kwargs)

    def is_async(self) -> bool:
        return self._is_async

    def get_source(self) -> str:
        return inspect.getsource(self._originating_fn)


def _copy_function(fn: types.FunctionType) -> types.FunctionType:
    clone = types.FunctionType(
        fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__, fn.__closure__
    )
    clone.__dict__.update(fn.__dict__)
    clone.__kwdefaults__ = fn.__kwdefaults__
    clone.__qualname__ = fn.__qualname__
    clone.__doc__ = fn.__doc__
    clone.__module__ = fn.__module__
    return clone


copy_func = _copy_function


def bind(fn: Callable, **kwargs: Any) -> Callable:
    """Returns a copy of an `@action` (or `@streaming_action`) function with some inputs fixed."""
    clone = _copy_function(fn)  # type: ignore[arg-type]
    clone.action_function = fn.action_function.with_params(**kwargs)  # type: ignore[attr-defined]
    clone.bind = types.MethodType(bind, clone)  # type: ignore[attr-defined]
    return clone


def create_action(candidate: Any, name: str) -> Action:
    """The named `Action` for an `@action` function or an `Action` instance."""
    if hasattr(candidate, ACTION_FUNCTION):
        candidate = getattr(candidate, ACTION_FUNCTION)
    elif isinstance(candidate, type) and issubclass(candidate, Action):
        raise ValueError(
            f"Action {name!r} is the class {candidate.__name__}; pass an instance: {candidate.__name__}()."
        )
    elif not isinstance(candidate, Action):
        raise ValueError(
            f"Action {name!r} is a {type(candidate).__name__}, not an action: decorate the "
            "function with @action(reads=[...], writes=[...]) (or @streaming_action) or "
            "subclass Action."
        )
    return candidate.with_name(name)


class Result(Action):
    """An action that returns some state keys as its result and changes nothing."""

    def __init__(self, *fields: str):
        super().__init__()
        self._fields = list(fields)

    @property
    def reads(self) -> list[str]:
        return self._fields

    @property
    def writes(self) -> list[str]:
        return []

    def run(self, state: State) -> dict:
        return {key: state[key] for key in self._fields}

    def update(self, result: dict, state: State) -> State:
        return state


class Input(Action):
    """An action that copies run-time inputs straight into state keys of the same names."""

    def __init__(self, *fields: str):
        super().__init__()
        self._fields = list(fields)

    @property
    def reads(self) -> list[str]:
        return []

    @property
    def writes(self) -> list[str]:
        return self._fields

    @property
    def inputs(self) -> list[str]:
        return self._fields

    def run(self, state: State, **run_kwargs: Any) -> dict:
        return {key: run_kwargs[key] for key in self._fields}

    def update(self, result: dict, state: State) -> State:
        return state.update(**result)


def type_eraser(func: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps a `run`, `stream_run` or `run_and_update` override that names its inputs, so its
    narrower signature passes type checkers (Burr's `type_eraser`; it changes nothing at run
    time)."""
    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            return await func(*args, **kwargs)

        return run_async
    if inspect.isasyncgenfunction(func):

        @functools.wraps(func)
        async def stream_async(*args: Any, **kwargs: Any) -> Any:
            async for item in func(*args, **kwargs):
                yield item

        return stream_async
    if inspect.isgeneratorfunction(func):

        @functools.wraps(func)
        def stream(*args: Any, **kwargs: Any) -> Any:
            yield from func(*args, **kwargs)

        return stream

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return run
