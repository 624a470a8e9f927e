"""The router that takes an arrow through the gaps between the cards standing between its ends,
and the index that finds those cards."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from burrdesk.model.edge_route import CLEARANCE, route_runs
from burrdesk.model.rect_index import RectIndex


def card(left, top, width=220, height=74):
    return (left, top, left + width, top + height)


def assert_clear(runs, obstacles, clearance=CLEARANCE):
    """Every level run keeps `clearance` from every card it passes over or under."""
    for enter, leave, y in runs:
        low, high = sorted((enter, leave))
        for left, top, right, bottom in obstacles:
            if right > low and left < high:
                assert y <= top - clearance or y >= bottom + clearance, (y, (left, top))


def test_nothing_in_the_way_needs_no_runs():
    assert route_runs(0, 500, 30, 30, []) == []
    assert route_runs(0, 500, 30, 30, [card(600, 0), card(-400, 0)]) == []


def test_a_card_in_the_way_is_passed_on_the_side_the_arrow_is_nearer():
    blocker = card(200, 0)  # y 0..74; the arrow wants y 30, nearer the top
    runs = route_runs(0, 600, 30, 30, [blocker])
    assert len(runs) == 1
    enter, leave, y = runs[0]
    assert (enter, leave) == (200 - CLEARANCE, 420 + CLEARANCE)
    assert y == -CLEARANCE
    runs = route_runs(0, 600, 60, 60, [blocker])
    assert runs[0][2] == 74 + CLEARANCE


def test_the_arrow_takes_the_gap_a_layout_leaves_between_two_cards():
    column = [card(200, 0), card(200, 114)]  # a 40 px gap between 74 and 114
    runs = route_runs(0, 600, 94, 94, column)
    assert [y for *_x, y in runs] == [94]
    # A gap narrower than twice the clearance is no gap.
    tight = [card(200, 0), card(200, 100)]
    (y,) = [y for *_x, y in route_runs(0, 600, 87, 87, tight)]
    assert y in (-CLEARANCE, 174 + CLEARANCE)


def test_several_columns_make_one_run_each_and_keep_the_arrow_close_to_straight():
    columns = [
        card(300, 0),
        card(300, 114),  # gap 74..114 in the first column
        card(640, -200),
        card(640, 60),  # gap -126..60 in the second: the arrow need not move
        card(980, 90),
    ]
    runs = route_runs(0, 1400, 94, 20, columns)
    assert len(runs) == 3
    assert [enter for enter, *_ in runs] == sorted(enter for enter, *_ in runs)
    assert_clear(runs, columns)
    first, second, third = (y for *_x, y in runs)
    assert 74 + CLEARANCE <= first <= 114 - CLEARANCE  # through the gap, not around the column
    assert -126 + CLEARANCE <= second <= 60 - CLEARANCE
    assert third <= 90 - CLEARANCE  # over the last card, the side the arrow ends on


def test_an_arrow_travelling_left_gets_its_runs_in_travel_order():
    columns = [card(0, 0), card(400, 0), card(800, 0)]
    runs = route_runs(1020, 0, 120, 120, columns)
    assert [round(enter) for enter, *_ in runs] == [1020, 636, 236]
    assert all(enter > leave for enter, leave, _ in runs)
    assert_clear(runs, columns)
    assert {y for *_x, y in runs} == {120}


def test_cards_reaching_past_the_ends_only_count_inside_them():
    runs = route_runs(100, 300, 30, 30, [card(0, 0, width=1000)])
    assert runs == [(100, 300, -CLEARANCE)]


@given(
    st.lists(
        st.tuples(
            st.integers(0, 8), st.integers(-6, 6), st.integers(40, 160), st.integers(100, 260)
        ),
        max_size=14,
    ),
    st.integers(-300, 300),
    st.integers(-300, 300),
)
def test_any_arrangement_of_cards_is_passed_with_room_to_spare(cards, y_from, y_to):
    obstacles = [card(120 + 340 * col, 130 * row, height=h, width=w) for col, row, h, w in cards]
    runs = route_runs(0, 3400, y_from, y_to, obstacles)
    assert_clear(runs, obstacles)
    assert all(math.isfinite(y) for *_x, y in runs)
    covered = sum(abs(leave - enter) for enter, leave, _ in runs)
    assert covered <= 3400


@given(
    st.lists(
        st.tuples(
            st.integers(0, 30),
            st.integers(-500, 500),
            st.integers(-500, 500),
            st.integers(1, 300),
            st.integers(1, 300),
        ),
        max_size=60,
    ),
    st.lists(
        st.tuples(st.integers(-600, 600), st.integers(-600, 600), st.integers(0, 400)), max_size=8
    ),
)
def test_the_index_finds_exactly_the_rectangles_an_area_overlaps(moves, areas):
    index: RectIndex[int] = RectIndex()
    truth: dict[int, tuple] = {}
    for key, left, top, width, height in moves:
        rect = (left, top, left + width, top + height)
        if width == 1:  # now and then one goes away
            index.remove(key)
            truth.pop(key, None)
        else:
            index.put(key, rect)
            truth[key] = rect
    assert len(index) == len(truth)
    for left, top, size in areas:
        area = (left, top, left + size, top + size)
        expected = {
            k
            for k, (x0, y0, x1, y1) in truth.items()
            if x0 < area[2] and x1 > area[0] and y0 < area[3] and y1 > area[1]
        }
        assert set(index.touching(*area)) == expected
