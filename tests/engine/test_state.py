"""State: an immutable mapping whose operations return new states and share unchanged values."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from burrdesk.engine import State
from burrdesk.model.state_codec import OpaqueValue


def test_update_returns_new_state_and_leaves_old_untouched():
    before = State({"a": 1})
    after = before.update(a=2, b=3)
    assert before.get_all() == {"a": 1}
    assert after.get_all() == {"a": 2, "b": 3}


def test_append_and_extend_create_missing_lists_and_never_mutate_the_old_list():
    before = State({"items": [1]})
    after = before.append(items=2, fresh="x").extend(items=[3, 4])
    assert before["items"] == [1]
    assert after["items"] == [1, 2, 3, 4]
    assert after["fresh"] == ["x"]


def test_append_shares_elements_instead_of_copying_them():
    message = {"content": "x" * 200}
    state = State({"history": [message]}).append(history={"content": "y"})
    assert state["history"][0] is message


def test_append_to_a_non_list_is_a_clear_error():
    with pytest.raises(ValueError, match="Cannot append to state key 'count'.*int, not a list"):
        State({"count": 1}).append(count=2)


def test_increment_starts_absent_keys_at_zero_and_rejects_non_integers():
    state = State({"n": 5}).increment(n=2, m=1)
    assert (state["n"], state["m"]) == (7, 1)
    with pytest.raises(ValueError, match="Cannot increment state key 'name'"):
        State({"name": "x"}).increment(name=1)


def test_wipe_keep_delete_and_both_is_an_error():
    state = State({"a": 1, "b": 2, "c": 3})
    assert state.wipe(delete=["a"]).get_all() == {"b": 2, "c": 3}
    assert state.wipe(keep=["a"]).get_all() == {"a": 1}
    assert state.wipe().get_all() == {}
    with pytest.raises(ValueError, match="either delete= or keep="):
        state.wipe(delete=["a"], keep=["b"])


def test_merge_subset_keys_contains_and_get():
    state = State({"a": 1}).merge(State({"b": 2})).merge({"c": 3})
    assert state.keys() == ["a", "b", "c"]
    assert "b" in state and "z" not in state
    assert state.subset("a", "z").get_all() == {"a": 1}
    assert state.get("z", 9) == 9
    with pytest.raises(KeyError, match="State has no keys"):
        state.subset("z", ignore_missing=False)


def test_missing_key_error_names_the_key_and_what_exists():
    with pytest.raises(KeyError, match=r"'missing' not found in state.*\['a'\]"):
        State({"a": 1})["missing"]


def test_states_compare_equal_by_content_and_are_unhashable():
    assert State({"a": 1}) == State({"a": 1}) == {"a": 1}
    assert State({"a": 1}) != State({"a": 2})
    with pytest.raises(TypeError):
        hash(State())


def test_serialize_round_trips_json_values_and_tags_the_rest():
    class Custom:
        def __repr__(self):
            return "Custom()"

    state = State({"n": 1, "items": [1, "a", None], "obj": Custom(), "tags": {"b", "a"}})
    restored = State.deserialize(state.serialize())
    assert restored["n"] == 1 and restored["items"] == [1, "a", None]
    assert isinstance(restored["obj"], OpaqueValue)
    assert repr(restored["obj"]) == "Custom()"
    assert restored["tags"].value == ["a", "b"]


_keys = st.sampled_from(["a", "b", "c"])
_ops = st.lists(
    st.one_of(
        st.tuples(st.just("update"), _keys, st.integers()),
        st.tuples(st.just("append"), st.sampled_from(["l1", "l2"]), st.integers()),
        st.tuples(st.just("delete"), _keys, st.none()),
    ),
    max_size=30,
)


@given(_ops)
def test_every_intermediate_state_is_preserved_exactly(ops):
    """Property: applying operations never changes any earlier state (no aliasing leaks)."""
    states = [State()]
    snapshots = [{}]
    for op, key, value in ops:
        current = states[-1]
        if op == "update":
            new = current.update(**{key: value})
        elif op == "append":
            new = current.append(**{key: value})
        else:
            new = current.wipe(delete=[key])
        states.append(new)
        snapshots.append({k: list(v) if isinstance(v, list) else v for k, v in new.items()})
    for state, snapshot in zip(states, snapshots, strict=True):
        assert state.get_all() == snapshot
