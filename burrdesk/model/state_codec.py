"""JSON encoding of state values, for persisters and the run database.

State is stored as JSON, never pickled: a database may come from another machine, and opening it
must not run code. A value of a type the program registered a serializer for (Burr's `serde`,
see `value_serde.py`) is stored in that registered form, and a pydantic model as Burr stores
it (its JSON dump with the serde key). Any other value JSON cannot hold (a custom object, a
set, bytes) is stored as a tagged record with its type name and repr, plus a JSON rendering
where one exists (dataclasses, sets). Reading it back gives an `OpaqueValue` that shows as the
original repr.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from burrdesk.model.value_serde import registered_serializer, serialize_pydantic

TAG = "__burrdesk_opaque__"
_MAX_REPR = 10_000


@dataclasses.dataclass(frozen=True)
class OpaqueValue:
    """A stored value that JSON could not hold; carries its type name and repr, not the object."""

    type_name: str
    repr_text: str
    value: Any = None

    def __repr__(self) -> str:
        return self.repr_text

    def to_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {TAG: self.type_name, "repr": self.repr_text}
        if self.value is not None:
            record["value"] = self.value
        return record


def _type_name(value: Any) -> str:
    cls = type(value)
    return (
        cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    )


def _json_rendering(value: Any) -> Any:
    """A JSON-compatible view of a non-JSON value, or None when there is no obvious one."""
    try:
        if hasattr(value, "model_dump"):
            return value.model_dump(mode="json")
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return json.loads(dumps(dataclasses.asdict(value)))
        if isinstance(value, (set, frozenset)):
            return json.loads(dumps(sorted(value, key=repr)))
        if isinstance(value, (bytes, bytearray)):
            return value.decode("utf-8", errors="replace")
        if hasattr(value, "isoformat"):
            return value.isoformat()
    except Exception:  # noqa: BLE001 - a rendering is best-effort; the repr is always kept
        return None
    return None


def _tag(value: Any) -> Any:
    if isinstance(value, OpaqueValue):
        return value.to_json()
    registered = registered_serializer(type(value))
    if registered is not None:
        try:
            return registered(value)
        except Exception as exc:  # noqa: BLE001 - keep the step: store the repr instead
            return OpaqueValue(
                _type_name(value), f"<{_type_name(value)}: its serializer raised {exc!r}>"
            ).to_json()
    if hasattr(value, "model_dump") and hasattr(type(value), "model_fields"):
        try:
            return serialize_pydantic(value)
        except Exception:  # noqa: BLE001 - a model that cannot dump itself is kept as a repr
            pass
    try:
        text = repr(value)
    except Exception as exc:  # noqa: BLE001 - a broken __repr__ must not lose the step
        text = f"<unrepresentable {_type_name(value)}: {exc}>"
    if len(text) > _MAX_REPR:
        text = text[:_MAX_REPR] + "…"
    return OpaqueValue(_type_name(value), text, _json_rendering(value)).to_json()


def _untag(record: dict[str, Any]) -> Any:
    if TAG in record:
        return OpaqueValue(str(record[TAG]), str(record.get("repr", "")), record.get("value"))
    return record


_ENCODER = json.JSONEncoder(default=_tag, ensure_ascii=False, separators=(",", ":"))
_ASCII_ENCODER = json.JSONEncoder(default=_tag, ensure_ascii=True, separators=(",", ":"))
_DECODER = json.JSONDecoder(object_hook=_untag)


def dumps(value: Any) -> str:
    """Encodes any value as compact JSON text; non-JSON values become tagged records.

    Text is kept as itself (not `\\u` escapes), except a string that is not valid Unicode
    (a lone surrogate such as "\\ud800", which Python allows): its text is escaped, so it is
    stored, and read back, as the same string instead of failing to encode."""
    try:
        text = _ENCODER.encode(value)
    except RecursionError:
        text = _ENCODER.encode(_cut_deep(value))
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return _ASCII_ENCODER.encode(_cut_deep(value))
    return text


MAX_DEPTH = 100
"""Containers nested deeper than this are stored as a tagged repr (when too deep to encode)."""


def _cut_deep(value: Any, depth: int = 0) -> Any:
    """`value` with what nests below MAX_DEPTH replaced by a tagged repr: a value too deep for
    the JSON encoder (an action built a list 5,000 levels deep) is kept, cut, not lost."""
    if isinstance(value, dict | list | tuple):
        if depth >= MAX_DEPTH:
            kind = type(value).__name__
            return OpaqueValue(kind, f"<a {kind} nested more than {MAX_DEPTH} levels deep>")
        if isinstance(value, dict):
            return {k: _cut_deep(v, depth + 1) for k, v in value.items()}
        return [_cut_deep(v, depth + 1) for v in value]
    return value


def loads(text: str | bytes) -> Any:
    """Decodes `dumps` output; tagged records come back as `OpaqueValue`."""
    return _DECODER.decode(text if isinstance(text, str) else text.decode("utf-8"))


def to_jsonable(value: Any) -> Any:
    """The plain-JSON form of a value (tagged records stay plain dicts)."""
    return json.loads(dumps(value))


def from_jsonable(value: Any) -> Any:
    """Turns tagged records inside an already-parsed JSON value into `OpaqueValue`s."""
    if isinstance(value, dict):
        if TAG in value:
            return _untag(value)
        return {k: from_jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_jsonable(v) for v in value]
    return value
