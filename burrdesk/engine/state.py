"""The immutable state an application carries from step to step.

Every operation returns a new `State` that shares the unchanged values with the old one
(structural sharing): appending to a 2,000-message history copies a list of references, never
the messages themselves. That keeps per-step cost flat as state grows, where a deep copy would
make a long chat O(n^2). The flip side is the same rule Burr states: treat values you read from
state as read-only and produce changes through these operations.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from burrdesk.model.state_codec import from_jsonable, to_jsonable

_MISSING = object()


class State(Mapping[str, Any]):
    """An immutable mapping of state keys to values."""

    __slots__ = ("_values",)

    def __init__(self, initial_values: Mapping[str, Any] | None = None):
        self._values: dict[str, Any] = dict(initial_values) if initial_values else {}

    @classmethod
    def _adopt(cls, values: dict[str, Any]) -> State:
        """Wraps a dict this module just built, without copying it again."""
        state = cls.__new__(cls)
        state._values = values
        return state

    def update(self, **updates: Any) -> State:
        """Sets (or adds) keys to new values."""
        return State._adopt({**self._values, **updates})

    def append(self, **updates: Any) -> State:
        """Appends one value to each list-valued key, creating the list if absent."""
        values = dict(self._values)
        for key, value in updates.items():
            values[key] = [*self._list_at(key, "append to"), value]
        return State._adopt(values)

    def extend(self, **updates: Iterable[Any]) -> State:
        """Extends each list-valued key with several values, creating the list if absent."""
        values = dict(self._values)
        for key, more in updates.items():
            values[key] = [*self._list_at(key, "extend"), *more]
        return State._adopt(values)

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
        return State._adopt(values)

    def wipe(self, delete: list[str] | None = None, keep: list[str] | None = None) -> State:
        """Removes the keys in `delete`, or every key not in `keep`; with neither, removes all."""
        if delete is not None and keep is not None:
            raise ValueError("State.wipe takes either delete= or keep=, not both.")
        if delete is not None:
            doomed = set(delete)
            return State._adopt({k: v for k, v in self._values.items() if k not in doomed})
        kept = set(keep or ())
        return State._adopt({k: v for k, v in self._values.items() if k in kept})

    def merge(self, other: Mapping[str, Any]) -> State:
        """Returns this state overlaid with every key of `other`."""
        other_values = other._values if isinstance(other, State) else dict(other)
        return State._adopt({**self._values, **other_values})

    def subset(self, *keys: str, ignore_missing: bool = True) -> State:
        """Returns a state holding only `keys`."""
        values = self._values
        if not ignore_missing:
            missing = [k for k in keys if k not in values]
            if missing:
                raise KeyError(f"State has no keys {missing}; it has {self._public_keys()}.")
        return State._adopt({k: values[k] for k in keys if k in values})

    def get_all(self) -> dict[str, Any]:
        """Returns a new dict of every key and value (the values themselves are shared)."""
        return dict(self._values)

    def get(self, key: str, default: Any = None) -> Any:
        return self._values.get(key, default)

    def keys(self) -> list[str]:  # type: ignore[override]
        return list(self._values)

    def serialize(self, **_kwargs: Any) -> dict[str, Any]:
        """Returns a JSON-compatible dict; values JSON cannot hold become tagged reprs."""
        return {key: to_jsonable(value) for key, value in self._values.items()}

    @classmethod
    def deserialize(cls, json_dict: Mapping[str, Any], **_kwargs: Any) -> State:
        """Inverse of `serialize` (tagged reprs stay tagged: no code runs on load)."""
        return cls._adopt({key: from_jsonable(value) for key, value in json_dict.items()})

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
