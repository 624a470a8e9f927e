"""Typed state with pydantic: `PydanticTypingSystem` and `@action.pydantic` (Burr's
`burr.integrations.pydantic`).

An application built `.with_typing(PydanticTypingSystem(MyState))` gives `app.state.data` as a
`MyState`. A `@action.pydantic(reads=, writes=)` function takes the model and returns it; the
engine hands it a model of just the fields it reads (plus the ones it writes, optional) and
folds the fields it writes back into the state. State stays a mapping of field values, so the
run database stores a model's fields as JSON (`model_dump(mode="json")`), never pickled.
"""

from __future__ import annotations

import copy
import inspect
import types
import typing
from collections.abc import Callable
from typing import Any, Optional, TypeVar

import pydantic
from pydantic_core import PydanticUndefined

from burrdesk.engine.actions import (
    ACTION_FUNCTION,
    FunctionBasedAction,
    bind,
    derive_inputs_from_fn,
)
from burrdesk.engine.state import State
from burrdesk.engine.streaming_actions import FunctionBasedStreamingAction
from burrdesk.engine.typing import ActionSchema, TypingSystem

ModelType = TypeVar("ModelType", bound=pydantic.BaseModel)
StateModel = TypeVar("StateModel", bound=pydantic.BaseModel)


def model_to_dict(model: pydantic.BaseModel, include: list[str] | None = None) -> dict[str, Any]:
    """The model's field values (the values themselves, not dumped), optionally only some."""
    fields = type(model).model_fields
    names = fields if include is None else [name for name in include if name in fields]
    return {name: getattr(model, name) for name in names}


def subset_model(
    model: type[ModelType],
    fields: list[str],
    force_optional_fields: list[str],
    model_name_suffix: str,
) -> type[ModelType]:
    """A model with only `fields` of `model`, plus `force_optional_fields` made optional."""
    chosen: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name in fields:
            chosen[name] = (info.annotation, info)
        elif name in force_optional_fields:
            relaxed = copy.deepcopy(info)
            if relaxed.default_factory is None and relaxed.default is PydanticUndefined:
                relaxed.default = None
                if info.annotation is not None:
                    relaxed.annotation = Optional[info.annotation]  # type: ignore[assignment]  # noqa: UP045
            chosen[name] = (relaxed.annotation, relaxed)
    return pydantic.create_model(  # type: ignore[call-overload,no-any-return]
        model.__name__ + model_name_suffix, __config__=model.model_config, **chosen
    )


def model_from_state(model: type[ModelType], state: State) -> ModelType:
    """The model built from the state keys it has fields for."""
    return model(**{name: state[name] for name in model.model_fields if name in state})


def merge_to_state(model: pydantic.BaseModel, write_keys: list[str], state: State) -> State:
    """The state with the model's `write_keys` fields written into it."""
    return state.update(**model_to_dict(model, include=write_keys))


class PydanticActionSchema(ActionSchema):
    """The model types a pydantic action reads, writes and streams."""

    def __init__(
        self,
        input_type: type[pydantic.BaseModel],
        output_type: type[pydantic.BaseModel],
        intermediate_result_type: type,
    ):
        self._input_type = input_type
        self._output_type = output_type
        self._intermediate_result_type = intermediate_result_type

    def state_input_type(self) -> type[pydantic.BaseModel]:
        return self._input_type

    def state_output_type(self) -> type[pydantic.BaseModel]:
        return self._output_type

    def intermediate_result_type(self) -> type:
        return self._intermediate_result_type


def _signature_models(fn: Callable[..., Any]) -> tuple[type, type]:
    """The model types a pydantic action's `state` parameter and return value are annotated with."""
    name = fn.__qualname__
    if "state" not in inspect.signature(fn).parameters:
        raise ValueError(
            f"Function {name} is not a valid pydantic action: its first parameter must be the "
            "state (a pydantic model)."
        )
    hints = typing.get_type_hints(fn)
    state_model, returned = hints.get("state"), hints.get("return")
    for role, hint in (("'state' parameter", state_model), ("return value", returned)):
        if not (isinstance(hint, type) and issubclass(hint, pydantic.BaseModel)):
            raise ValueError(
                f"Function {name} is not a valid pydantic action: its {role} must be annotated "
                f"with a pydantic.BaseModel subclass, not {hint!r}."
            )
    return state_model, returned  # type: ignore[return-value]


def _check_keys(model: type[pydantic.BaseModel], keys: list[str], fn: Callable[..., Any]) -> None:
    missing = [key for key in keys if key not in model.model_fields]
    if missing:
        raise ValueError(
            f"Function {fn.__qualname__} is not a valid pydantic action: {missing} are not "
            f"fields of {model.__qualname__}."
        )


def _subsets(
    fn: Callable[..., Any], reads: list[str], writes: list[str], itype: type, otype: type
) -> tuple[type[pydantic.BaseModel], type[pydantic.BaseModel]]:
    _check_keys(itype, reads, fn)
    _check_keys(otype, writes, fn)
    reads_model = subset_model(
        itype, reads, [key for key in writes if key not in reads], f"{fn.__name__}_input"
    )
    writes_model = subset_model(otype, writes, [], f"{fn.__name__}_input")
    return reads_model, writes_model


def _written(writes_model: type[pydantic.BaseModel], writes: list[str], result: Any) -> Any:
    return writes_model(**model_to_dict(result, include=writes))


def pydantic_action(
    reads: list[str],
    writes: list[str],
    state_input_type: type[pydantic.BaseModel] | None = None,
    state_output_type: type[pydantic.BaseModel] | None = None,
    tags: list[str] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`@action.pydantic`: an action over a model (types from the signature unless given)."""

    def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
        if state_input_type is None and state_output_type is None:
            itype, otype = _signature_models(fn)
        elif state_input_type is not None and state_output_type is not None:
            itype, otype = state_input_type, state_output_type
        else:
            raise ValueError(
                "Give both state_input_type and state_output_type, or neither (then they come "
                "from the function's annotations)."
            )
        reads_model, writes_model = _subsets(fn, reads, writes, itype, otype)

        def run(state: State, **kwargs: Any) -> State:
            result = fn(state=model_from_state(reads_model, state), **kwargs)
            return merge_to_state(_written(writes_model, writes, result), writes, state)

        async def run_async(state: State, **kwargs: Any) -> State:
            result = await fn(state=model_from_state(reads_model, state), **kwargs)
            return merge_to_state(_written(writes_model, writes, result), writes, state)

        setattr(
            fn,
            ACTION_FUNCTION,
            FunctionBasedAction(
                run_async if inspect.iscoroutinefunction(fn) else run,
                reads,
                writes,
                input_spec=derive_inputs_from_fn({}, fn),
                originating_fn=fn,
                schema=PydanticActionSchema(reads_model, writes_model, dict),
                tags=tags,
            ),
        )
        fn.bind = types.MethodType(bind, fn)  # type: ignore[attr-defined]
        return fn

    return decorator


def pydantic_streaming_action(
    reads: list[str],
    writes: list[str],
    state_input_type: type[pydantic.BaseModel],
    state_output_type: type[pydantic.BaseModel],
    stream_type: type,
    tags: list[str] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`@streaming_action.pydantic`: a streaming action over a model; it yields
    `(partial, None)` and ends with `(final, model)`."""

    def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
        for role, given in (
            ("stream_type", stream_type),
            ("state_input_type", state_input_type),
            ("state_output_type", state_output_type),
        ):
            if given is None:
                raise ValueError(f"{role} is required for function: {fn.__qualname__}")
        reads_model, writes_model = _subsets(fn, reads, writes, state_input_type, state_output_type)

        def stream(state: State, **kwargs: Any) -> Any:
            for partial, final in fn(state=model_from_state(reads_model, state), **kwargs):
                if final is None:
                    yield partial, None
                else:
                    yield (
                        partial,
                        merge_to_state(_written(writes_model, writes, final), writes, state),
                    )

        async def stream_async(state: State, **kwargs: Any) -> Any:
            async for partial, final in fn(state=model_from_state(reads_model, state), **kwargs):
                if final is None:
                    yield partial, None
                else:
                    yield (
                        partial,
                        merge_to_state(_written(writes_model, writes, final), writes, state),
                    )

        setattr(
            fn,
            ACTION_FUNCTION,
            FunctionBasedStreamingAction(
                stream_async if inspect.isasyncgenfunction(fn) else stream,
                reads,
                writes,
                input_spec=derive_inputs_from_fn({}, fn),
                originating_fn=fn,
                schema=PydanticActionSchema(reads_model, writes_model, stream_type),
                tags=tags,
            ),
        )
        fn.bind = types.MethodType(bind, fn)  # type: ignore[attr-defined]
        return fn

    return decorator


class PydanticTypingSystem(TypingSystem[StateModel]):
    """Typed state as a pydantic model: `state.data` is a `model_type`."""

    def __init__(self, model_type: type[StateModel]):
        self.model_type = model_type

    def state_type(self) -> type[StateModel]:
        return self.model_type

    def state_pre_action_run_type(self, action: Any, graph: Any) -> type[pydantic.BaseModel]:
        raise NotImplementedError("The state type before an action runs is not derived yet.")

    def state_post_action_run_type(self, action: Any, graph: Any) -> type[pydantic.BaseModel]:
        raise NotImplementedError("The state type after an action ran is not derived yet.")

    def construct_data(self, state: State) -> StateModel:
        return model_from_state(self.model_type, state)

    def construct_state(self, data: StateModel) -> State:
        return State(model_to_dict(data))
