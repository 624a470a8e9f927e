"""Where an arrow runs when one curve between its ends would pass behind other cards, without Qt.

Auto-layout leaves a channel for every edge that skips layers (a virtual node in each layer it
passes), and people leave gaps when they arrange cards by hand; an arrow drawn as one curve
between its ends ignores both. The router groups the cards between the ends into columns, finds
the gaps each column leaves, and picks one gap per column so that the arrow travels as little
up and down as it can. The arrow then runs level through each chosen gap and bends only between
columns, where no card stands. Pure geometry, so it is tested without a display.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from burrdesk.model.rect_index import Rect

Run = tuple[float, float, float]
"""A level stretch of the arrow: the x it enters at, the x it leaves at, and its y."""

CLEARANCE = 16.0
"""Room kept between an arrow and a card: enough for a label centred on the arrow."""


def route_runs(
    x_from: float,
    x_to: float,
    y_from: float,
    y_to: float,
    obstacles: list[Rect],
    *,
    clearance: float = CLEARANCE,
) -> list[Run]:
    """The level runs of an arrow travelling from `x_from` to `x_to`, in travel order.

    `y_from` and `y_to` are where the arrow would like to be at either end (its ports, or for
    an arrow looping back, the lane below its cards). Every obstacle overlapping the x range is
    avoided by `clearance`; obstacles are clipped to the range, so a card reaching past an end
    only matters inside it. No obstacles in the range: no runs, the arrow can go as it likes.
    """
    low, high = min(x_from, x_to), max(x_from, x_to)
    boxes = sorted(
        (
            max(left - clearance, low),
            top - clearance,
            min(right + clearance, high),
            bottom + clearance,
        )
        for left, top, right, bottom in obstacles
        if left - clearance < high and right + clearance > low
    )
    columns: list[tuple[float, float, list[tuple[float, float]]]] = []
    for left, top, right, bottom in boxes:
        if columns and left <= columns[-1][1]:
            start, end, spans = columns[-1]
            spans.append((top, bottom))
            columns[-1] = (start, max(end, right), spans)
        else:
            columns.append((left, right, [(top, bottom)]))
    if not columns:
        return []
    if x_to < x_from:
        columns.reverse()

    def ideal(x: float) -> float:
        if x_to == x_from:
            return y_from
        share = min(max((x - x_from) / (x_to - x_from), 0.0), 1.0)
        return y_from + share * (y_to - y_from)

    candidates = [
        [_clamp(ideal((start + end) / 2), gap) for gap in _free_gaps(spans)]
        for start, end, spans in columns
    ]
    # Cheapest path through one candidate per column: vertical travel, plus a little for
    # leaving the straight line, so that equal detours prefer the side the arrow leans to.
    cost = [abs(y - y_from) + _lean(y, columns[0], ideal) for y in candidates[0]]
    back: list[list[int]] = []
    for i in range(1, len(columns)):
        step_cost, step_back = [], []
        for y in candidates[i]:
            best = min(range(len(cost)), key=lambda j: cost[j] + abs(y - candidates[i - 1][j]))
            step_cost.append(
                cost[best] + abs(y - candidates[i - 1][best]) + _lean(y, columns[i], ideal)
            )
            step_back.append(best)
        cost = step_cost
        back.append(step_back)
    choice = min(range(len(cost)), key=lambda j: cost[j] + abs(candidates[-1][j] - y_to))
    chosen = [choice]
    for step_back in reversed(back):
        chosen.append(step_back[chosen[-1]])
    chosen.reverse()
    runs = []
    for (start, end, _spans), ys, j in zip(columns, candidates, chosen, strict=True):
        enter, leave = (start, end) if x_to >= x_from else (end, start)
        runs.append((enter, leave, ys[j]))
    return runs


def _free_gaps(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The vertical gaps a column's (inflated) cards leave, the open ones above and below too."""
    gaps = []
    reach = -math.inf
    for top, bottom in sorted(spans):
        if top > reach:
            gaps.append((reach, top))
        reach = max(reach, bottom)
    gaps.append((reach, math.inf))
    return gaps


def _clamp(y: float, gap: tuple[float, float]) -> float:
    return min(max(y, gap[0]), gap[1])


def _lean(y: float, column: tuple[float, float, list], ideal: Callable[[float], float]) -> float:
    """What leaving the straight line costs: a quarter of vertical travel, so that of two
    equal detours the one on the side the arrow leans to wins."""
    return 0.25 * abs(y - ideal((column[0] + column[1]) / 2))
