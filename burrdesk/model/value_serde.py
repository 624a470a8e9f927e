"""How values of a user's own types are stored: Burr's serde registrations.

A program registers, as it would with `burr.core.serde`, a serializer for its type (a function
returning a JSON dict that carries `KEY`) and a deserializer for that key, or a serializer and
deserializer for a whole state field (`register_field_serde`). The state codec and the run
database store such values in the registered form, and the engine reads them back into the
user's objects when a run is resumed or forked.

Reading never runs code the reading process did not register: a database opened by the desktop
app shows a registered value as the JSON it was stored as. Pydantic models are stored as Burr
stores them (`model_dump` plus `KEY: "pydantic"` and the class path) and come back as models
only when that class is already imported in this process; nothing is imported to find it.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Mapping
from typing import Any

KEY = "__burr_serde__"
"""The key a serialized dict carries to say which deserializer reads it."""
PYDANTIC_KEY = "pydantic"
PYDANTIC_CLASS = "__pydantic_class"

FieldSerde = tuple[Callable[..., Any], Callable[..., Any]]
FIELD_SERIALIZATION: dict[str, FieldSerde] = {}
"""Serializer and deserializer per state field name (`register_field_serde`)."""


class StringDispatch:
    """Deserializers by the `KEY` value a serializer wrote (singledispatch by string)."""

    def __init__(self) -> None:
        self.func_map: dict[str, Callable[..., Any]] = {}

    def register(self, key: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            self.func_map[key] = func
            return func

        return decorator

    def call(self, key: str, *args: Any, **kwargs: Any) -> Any:
        if key not in self.func_map:
            raise ValueError(
                f"No deserializer is registered for {key!r} (registered: "
                f"{sorted(self.func_map)}); import the module that registers it first."
            )
        return self.func_map[key](*args, **kwargs)


deserializer = StringDispatch()


@functools.singledispatch
def serialize(value: Any, **kwargs: Any) -> Any:
    """What a registered serializer returns for the type of `value`; for a type without one,
    its `str` (as Burr does; the state codec keeps such values as a tagged repr instead)."""
    if value is None:
        return None
    return str(value)


@serialize.register(str)
@serialize.register(int)
@serialize.register(float)
@serialize.register(bool)
def _serialize_primitive(value: Any, **kwargs: Any) -> Any:
    return value


@serialize.register(dict)
def _serialize_dict(value: dict, **kwargs: Any) -> dict[str, Any]:
    return {k: serialize(v, **kwargs) for k, v in value.items()}


@serialize.register(list)
def _serialize_list(value: list, **kwargs: Any) -> list[Any]:
    return [serialize(v, **kwargs) for v in value]


_BUILT_IN = {object, str, int, float, bool, dict, list}


def registered_serializer(kind: type) -> Callable[..., Any] | None:
    """The serializer a program registered for `kind` (or a base of it), if any."""
    found = serialize.dispatch(kind)
    for registered, function in serialize.registry.items():
        if function is found and registered in _BUILT_IN:
            return None
    return found


def serialize_pydantic(value: Any) -> dict[str, Any]:
    """A pydantic model as Burr stores it: its JSON dump, the serde key and its class path."""
    data = value.model_dump(mode="json")
    data[KEY] = PYDANTIC_KEY
    data[PYDANTIC_CLASS] = f"{type(value).__module__}.{type(value).__name__}"
    return data


@deserializer.register(PYDANTIC_KEY)
def _deserialize_pydantic(value: dict, **kwargs: Any) -> Any:
    """The model again when its class is already imported here; otherwise the stored dict."""
    path = str(value.get(PYDANTIC_CLASS, ""))
    module_name, _, class_name = path.rpartition(".")
    model = getattr(sys.modules.get(module_name), class_name, None)
    if not (isinstance(model, type) and hasattr(model, "model_validate")):
        return value
    fields = {k: v for k, v in value.items() if k not in (KEY, PYDANTIC_CLASS)}
    try:
        return model.model_validate(fields)
    except Exception:  # noqa: BLE001 - a model that changed since the value was stored
        return value


def deserialize(value: Any, *, strict: bool = True, **kwargs: Any) -> Any:
    """Reads back a serialized value: dicts carrying `KEY` go to their deserializer.

    `strict=False` keeps a dict whose key has no deserializer here (a run recorded by a
    program with registrations this one lacks) instead of raising.
    """
    if isinstance(value, dict):
        key = value.get(KEY)
        if key is not None:
            if key in deserializer.func_map:
                return deserializer.call(key, value, **kwargs)
            if strict:
                deserializer.call(key, value, **kwargs)
            return value
        return {k: deserialize(v, strict=strict, **kwargs) for k, v in value.items()}
    if isinstance(value, list):
        return [deserialize(v, strict=strict, **kwargs) for v in value]
    return value


def register_field_serde(
    field_name: str, serializer: Callable[..., Any], deserializer: Callable[..., Any]
) -> None:
    """Stores the state field `field_name` with its own serializer and deserializer.

    Both must accept `**kwargs`; the serializer must return a dict (as in Burr).
    """
    for role, function in (("Serializer", serializer), ("Deserializer", deserializer)):
        parameters = inspect.signature(function).parameters.values()
        if not any(p.kind == p.VAR_KEYWORD for p in parameters):
            raise ValueError(f"{role} for [{field_name}] must have **kwargs argument.")
    FIELD_SERIALIZATION[field_name] = (serializer, deserializer)


def serialize_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """`values` with each field that has a field serde in its serialized form."""
    if not FIELD_SERIALIZATION:
        return dict(values)
    encoded = dict(values)
    for key, (field_serializer, _) in FIELD_SERIALIZATION.items():
        if key in encoded:
            result = field_serializer(encoded[key])
            if not isinstance(result, dict):
                raise ValueError(
                    f"Field serde for {key} must return a dict, but "
                    f"{getattr(field_serializer, '__name__', field_serializer)} returned "
                    f"{type(result).__name__}."
                )
            encoded[key] = result
    return encoded


def deserialize_state(values: Mapping[str, Any], *, strict: bool = False) -> dict[str, Any]:
    """A stored state's values as the program's objects: field serdes first, then `KEY`s."""
    revived: dict[str, Any] = {}
    for key, value in values.items():
        field = FIELD_SERIALIZATION.get(key)
        if field is not None and isinstance(value, dict):
            revived[key] = field[1](value)
        else:
            revived[key] = deserialize(value, strict=strict)
    return revived
