"""The immutable state an application carries from step to step.

Every operation returns a new `State` that shares the unchanged values with the old one
(structural sharing): appending to a 2,000-message history copies a list of references, never
the messages themselves. That keeps per-step cost flat as state grows, where a deep copy would
make a long chat O(n^2). The flip side is the same rule Burr states: treat values you read from
state as read-only and produce changes through these operations.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Generic, TypeVar

from burrdesk.engine.typing import TypingSystem
from burrdesk.model.state_codec import from_jsonable, to_jsonable
from burrdesk.model.value_serde import (
    FIELD_SERIALIZATION,
    deserialize_state,
    register_field_serde,
    serialize_fields,
)

__all__ = [
    "FIELD_SERIALIZATION",
    "DictBasedTypingSystem",
    "State",
    "TypingSystem",
    "register_field_serde",
]

_MISSING = object()
_NOT_BUILT = object()
StateType = TypeVar("StateType")


class DictBasedTypingSystem(TypingSystem[dict]):
    """The default typing system: a state's data is a plain dict of its values."""

    def state_type(self) -> type[dict]:
        return dict

    def state_pre_action_run_type(self, action: Any, graph: Any) -> type[dict]:
        return dict

    def state_post_action_run_type(self, action: Any, graph: Any) -> type[dict]:
        return dict

    def construct_data(self, state: State) -> dict[str, Any]:
        return state.get_all()

    def construct_state(self, data: dict[str, Any]) -> State:
        return State(data, typing_system=self)


_DICT_TYPING = DictBasedTypingSystem()


class State(Mapping[str, Any], Generic[StateType]):
    """An immutable mapping of state keys to values, with an optional typing system (the
    pydantic one makes `state.data` a model)."""

    __slots__ = ("_values", "_typing", "_data")

    def __init__(
        self,
        initial_values: Mapping[str, Any] | None = None,
        typing_system: TypingSystem | None = None,
    ):
        self._values: dict[str, Any] = dict(initial_values) if initial_values else {}
        self._typing = typing_system
        self._data = _NOT_BUILT

    @classmethod
    def _adopt(cls, values: dict[str, Any], typing_system: TypingSystem | None = None) -> State:
        """Wraps a dict this module just built, without copying it again."""
        state = cls.__new__(cls)
        state._values = values
        state._typing = typing_system
        state._data = _NOT_BUILT
        return state

    def _new(self, values: dict[str, Any]) -> State:
        return State._adopt(values, self._typing)

    @property
    def typing_system(self) -> TypingSystem:
        return self._typing if self._typing is not None else _DICT_TYPING

    def with_typing_system(self, typing_system: TypingSystem) -> State:
        """This state under another typing system (the values are shared)."""
        return State._adopt(self._values, typing_system)

    @property
    def data(self) -> Any:
        """The state as its typing system's object: a dict, or the application's model."""
        if self._data is _NOT_BUILT:
            self._data = self.typing_system.construct_data(self)
        return self._data

    def update(self, **updates: Any) -> State:
        """Sets (or adds) keys to new values."""
        return self._new({**self._values, **updates})

    def append(self, **updates: Any) -> State:
        """Appends one value to each list-valued key, creating the list if absent."""
        values = dict(self._values)
        for key, value in updates.items():
            values[key] = [*self._list_at(key, "append to"), value]
        return self._new(values)

    def extend(self, **updates: Iterable[Any]) -> State:
        """Extends each list-valued key with several values, creating the list if absent."""
        values = dict(self._values)
        for key, more in updates.items():
            values[key] = [*self._list_at(key, "extend"), *more]
        return self._new(values)

    def increment(self, **updates: int) -> State:
        """Adds to integer keys; an absent key starts from zero."""
        values = dict(self._values)
        for key, delta in updates.items():
            current = values.get(key, 0)
            if not isinstance(current, int):
                raise ValueError(
                    f"Cannot increment state key {key!r}: its value is a "
                    f"{type(current).__name__}, not an integer."
                )
            values[key] = current + delta
        return self._new(values)

    def wipe(self, delete: list[str] | None = None, keep: list[str] | None = None) -> State:
        """Removes the keys in `delete`, or every key not in `keep`; with neither, removes all."""
        if delete is not None and keep is not None:
            raise ValueError("State.wipe takes either delete= or keep=, not both.")
        if delete is not None:
            doomed = set(delete)
            return self._new({k: v for k, v in self._values.items() if k not in doomed})
        kept = set(keep or ())
        return self._new({k: v for k, v in self._values.items() if k in kept})

    def merge(self, other: Mapping[str, Any]) -> State:
        """Returns this state overlaid with every key of `other`."""
        other_values = other._values if isinstance(other, State) else dict(other)
        return self._new({**self._values, **other_values})

    def subset(self, *keys: str, ignore_missing: bool = True) -> State:
        """Returns a state holding only `keys`."""
        values = self._values
        if not ignore_missing:
            missing = [k for k in keys if k not in values]
            if missing:
                raise KeyError(f"State has no keys {missing}; it has {self._public_keys()}.")
        return self._new({k: values[k] for k in keys if k in values})

    def get_all(self) -> dict[str, Any]:
        """Returns a new dict of every key and value (the values themselves are shared)."""
        return dict(self._values)

    def get(self, key: str, default: Any = None) -> Any:
        return self._values.get(key, default)

    def keys(self) -> list[str]:  # type: ignore[override]
        return list(self._values)

    def serialize(self, **_kwargs: Any) -> dict[str, Any]:
        """Returns a JSON-compatible dict: registered serdes (fields, then types) apply, and
        other values JSON cannot hold become tagged reprs."""
        return {key: to_jsonable(value) for key, value in serialize_fields(self._values).items()}

    @classmethod
    def deserialize(cls, json_dict: Mapping[str, Any], **_kwargs: Any) -> State:
        """Inverse of `serialize`: registered deserializers rebuild their values (a key with no
        deserializer raises, as in Burr); tagged reprs stay tagged, so no other code runs."""
        values = {key: from_jsonable(value) for key, value in json_dict.items()}
        return cls._adopt(deserialize_state(values, strict=True))

    def _list_at(self, key: str, verb: str) -> list[Any]:
        current = self._values.get(key, _MISSING)
        if current is _MISSING:
            return []
        if not isinstance(current, list):
            raise ValueError(
                f"Cannot {verb} state key {key!r}: its value is a "
                f"{type(current).__name__}, not a list."
            )
        return current

    def _public_keys(self) -> list[str]:
        return [k for k in self._values if not k.startswith("__")]

    def __getitem__(self, key: str) -> Any:
        try:
            return self._values[key]
        except KeyError:
            raise KeyError(
                f"Key {key!r} not found in state. Keys in state: {self._public_keys()}. "
                "Make sure an earlier action writes it (or it is in the initial state) "
                "and that the action reading it declares it in reads=[...]."
            ) from None

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, State):
            return self._values == other._values
        if isinstance(other, Mapping):
            return self._values == dict(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._values)
