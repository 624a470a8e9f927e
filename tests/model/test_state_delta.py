"""Deltas: what a step changed, compactly, and always enough to rebuild the state exactly."""

from hypothesis import given
from hypothesis import strategies as st

from burrdesk.model.state_delta import apply_delta, changed_keys, compute_delta, diff_states


def test_growing_list_is_an_append():
    old = ["a", "b"]
    assert compute_delta({"h": old}, {"h": [*old, "c"]}) == {"append": {"h": ["c"]}}


def test_sliding_window_is_a_drop_and_an_append():
    old = [1, 2, 3, 4]
    delta = compute_delta({"h": old}, {"h": [3, 4, 5]})
    assert delta == {"drop_front": {"h": 2}, "append": {"h": [5]}}
    assert changed_keys(delta) == ["h"]


def test_unchanged_objects_cost_nothing_and_forced_keys_are_recorded():
    shared = {"big": list(range(1000))}
    assert compute_delta(shared, dict(shared)) == {}
    assert compute_delta(shared, dict(shared), always=["big"]) == {"set": {"big": shared["big"]}}


def test_internal_keys_never_appear():
    assert compute_delta({"__SEQUENCE_ID": 1}, {"__SEQUENCE_ID": 2, "__PRIOR_STEP": "x"}) == {}


_values = st.one_of(st.integers(), st.text(max_size=3), st.lists(st.integers(), max_size=6))
_states = st.dictionaries(st.sampled_from(["a", "b", "c", "h"]), _values, max_size=4)


@given(_states, _states)
def test_applying_the_delta_rebuilds_the_new_state(before, after):
    values = {k: (list(v) if isinstance(v, list) else v) for k, v in before.items()}
    apply_delta(values, compute_delta(before, after))
    assert values == after


@given(
    st.lists(st.integers(), max_size=10), st.integers(0, 10), st.lists(st.integers(), max_size=4)
)
def test_any_slide_of_a_list_round_trips(items, drop, extra):
    before = {"h": items}
    after = {"h": items[drop:] + extra}
    values = {"h": list(items)}
    apply_delta(values, compute_delta(before, after))
    assert values == after


def test_diff_reports_added_removed_and_changed():
    diff = diff_states({"a": 1, "b": 2, "__x": 0}, {"a": 1, "b": 3, "c": 4})
    assert diff.added == {"c": 4} and diff.removed == {}
    assert [(c.key, c.old, c.new) for c in diff.changed] == [("b", 2, 3)]
