"""What a step changed in the state, stored compactly, and the diff between any two states.

A delta is a JSON object with up to four parts, applied in this order:
  {"set": {key: value}, "drop_front": {key: n}, "append": {key: [new items]}, "delete": [key]}
`drop_front`/`append` are used when a list grew at its end (a chat history gaining a message) or
slid forward (a window keeping the last N messages), so such a run stores each message once
instead of the whole list at every step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, Field

Delta = dict[str, Any]


class KeyChange(BaseModel):
    key: str
    old: Any
    new: Any


class StateDiff(BaseModel):
    """How one state differs from another."""

    added: dict[str, Any] = Field(default_factory=dict)
    removed: dict[str, Any] = Field(default_factory=dict)
    changed: list[KeyChange] = Field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def _is_internal(key: str) -> bool:
    return key.startswith("__")


def compute_delta(
    before: Mapping[str, Any], after: Mapping[str, Any], always: Iterable[str] = ()
) -> Delta:
    """The delta that turns `before` into `after` (internal `__` keys are left out).

    Unchanged values are recognised by identity first (the engine shares them between states),
    so a step costs time in proportion to the keys it touched; `always` names keys recorded
    even when their value object is the same (a value mutated in place).
    """
    forced = set(always)
    set_part: dict[str, Any] = {}
    append_part: dict[str, list[Any]] = {}
    drop_part: dict[str, int] = {}
    for key, value in after.items():
        if _is_internal(key):
            continue
        old = before.get(key, _ABSENT)
        if old is value and key not in forced:
            continue
        if old is _ABSENT:
            set_part[key] = value
            continue
        try:
            shift = _list_shift(old, value) if type(old) is list and type(value) is list else None
            changed = shift is None and (key in forced or old != value)
        except RecursionError:  # values nested too deep to compare: record the new one whole
            shift, changed = None, True
        if shift:
            dropped, added = shift
            if dropped:
                drop_part[key] = dropped
            if added:
                append_part[key] = added
        elif changed:
            set_part[key] = value
    delete_part = [k for k in before if k not in after and not _is_internal(k)]
    delta: Delta = {}
    if set_part:
        delta["set"] = set_part
    if drop_part:
        delta["drop_front"] = drop_part
    if append_part:
        delta["append"] = append_part
    if delete_part:
        delta["delete"] = delete_part
    return delta


class _Absent:
    def __repr__(self) -> str:
        return "<absent>"


_ABSENT: Any = _Absent()


_SHIFT_SEARCH = 8


def _list_shift(old: list[Any], new: list[Any]) -> tuple[int, list[Any]] | None:
    """(items dropped from the front, items appended) when `new` is `old` slid forward.

    Covers a growing history (nothing dropped) and a sliding window (oldest dropped); the
    overlap is compared in C, and unchanged elements are usually the same objects.
    """
    if not old:
        return (0, list(new)) if new else None
    last = old[-1]
    for position in range(len(new) - 1, max(-1, len(new) - 1 - _SHIFT_SEARCH), -1):
        if new[position] is last or new[position] == last:
            overlap = position + 1
            dropped = len(old) - overlap
            if dropped < 0:
                continue
            same = new[:overlap] == old if dropped == 0 else new[:overlap] == old[dropped:]
            if same:
                if dropped == 0 and overlap == len(new):
                    return None
                return dropped, new[overlap:]
    return None


def apply_delta(values: dict[str, Any], delta: Mapping[str, Any]) -> None:
    """Applies a delta in place (used when rebuilding a state from a checkpoint).

    `values` must own its lists (a freshly decoded checkpoint does): an append extends the
    list it has instead of copying it, so replaying thousands of appends to a long history
    costs their length, not the history's length times theirs."""
    for key, value in (delta.get("set") or {}).items():
        values[key] = value
    for key, count in (delta.get("drop_front") or {}).items():
        current = values.get(key)
        if isinstance(current, list):
            del current[:count]
    for key, items in (delta.get("append") or {}).items():
        current = values.get(key)
        if isinstance(current, list):
            current.extend(items)
        else:
            values[key] = list(items)
    for key in delta.get("delete") or ():
        values.pop(key, None)


def changed_keys(delta: Mapping[str, Any]) -> list[str]:
    """Every key a delta touches, in a stable order."""
    keys = [
        *(delta.get("set") or {}),
        *(delta.get("drop_front") or {}),
        *(delta.get("append") or {}),
        *(delta.get("delete") or ()),
    ]
    return list(dict.fromkeys(keys))


def diff_states(old: Mapping[str, Any], new: Mapping[str, Any]) -> StateDiff:
    """Added, removed and changed keys between two states, with old and new values."""
    added = {k: new[k] for k in new if k not in old and not _is_internal(k)}
    removed = {k: old[k] for k in old if k not in new and not _is_internal(k)}
    changed = [
        KeyChange(key=k, old=old[k], new=new[k])
        for k in new
        if k in old and not _is_internal(k) and old[k] != new[k]
    ]
    return StateDiff(added=added, removed=removed, changed=changed)
