"""Rectangles kept in order of their left edge, to find the ones an area touches quickly.

An arrow asks which cards stand in its way each time it is drawn, and a 500-node flow draws
about 700 arrows when it opens. Qt's own scene index answers by calling back into Python for
every item near the question, which made opening such a flow take seconds; this index answers
from plain numbers.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Hashable
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)
Rect = tuple[float, float, float, float]
"""left, top, right, bottom"""


class RectIndex(Generic[Key]):
    """Keys with a rectangle each; `touching` finds those whose rectangle meets an area."""

    def __init__(self) -> None:
        self._entries: list[tuple[float, int, Key]] = []  # (left, insertion number, key)
        self._rects: dict[Key, tuple[Rect, int]] = {}
        self._counter = 0
        self._widest = 0.0

    def __len__(self) -> int:
        return len(self._rects)

    def rect(self, key: Key) -> Rect | None:
        entry = self._rects.get(key)
        return entry[0] if entry else None

    def put(self, key: Key, rect: Rect) -> None:
        """Adds `key`, or moves it to `rect`."""
        self.remove(key)
        self._counter += 1
        self._rects[key] = (rect, self._counter)
        insort(self._entries, (rect[0], self._counter, key), key=_order)
        self._widest = max(self._widest, rect[2] - rect[0])

    def remove(self, key: Key) -> None:
        entry = self._rects.pop(key, None)
        if entry is None:
            return
        (left, *_rest), number = entry
        at = bisect_left(self._entries, (left, number), key=_order)
        del self._entries[at]

    def touching(self, left: float, top: float, right: float, bottom: float) -> list[Key]:
        """The keys whose rectangle overlaps the area (sharing only an edge does not count)."""
        first = bisect_right(self._entries, left - self._widest, key=_left)
        last = bisect_left(self._entries, right, key=_left)
        found = []
        for _edge, _number, key in self._entries[first:last]:
            x0, y0, x1, y1 = self._rects[key][0]
            if x1 > left and y0 < bottom and y1 > top:
                found.append(key)
        return found


def _left(entry: tuple[float, int, object]) -> float:
    return entry[0]


def _order(entry: tuple[float, int, object]) -> tuple[float, int]:
    return entry[0], entry[1]
