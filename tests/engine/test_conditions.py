"""Transition conditions: default, when, expr and their combinations."""

import pytest

from burrdesk.engine import Condition, State, default, expr, when
from burrdesk.model.restricted_expression import ExpressionError


def test_default_is_always_true():
    assert default.evaluate(State()) is True


@pytest.mark.parametrize(
    ("condition", "values", "expected"),
    [
        (when(mode="chat"), {"mode": "chat"}, True),
        (when(mode="chat", turns=2), {"mode": "chat", "turns": 3}, False),
        (when(count__gte=3), {"count": 3}, True),
        (when(count__lt=3), {"count": 3}, False),
        (when(status__in=["ok", "done"]), {"status": "done"}, True),
        (when(tags__contains="x"), {"tags": ["x"]}, True),
        (when(value__isnot=None), {"value": 0}, True),
    ],
)
def test_when_with_suffix_operators(condition, values, expected):
    assert condition.evaluate(State(values)) is expected


def test_combinators():
    low, even = expr("n < 5"), expr("n % 2 == 0")
    state = State({"n": 4})
    assert (low & even).evaluate(state)
    assert not (~low).evaluate(state)
    assert (~low | even).evaluate(state)
    assert (low & even).reads == ["n", "n"]
    assert (low | even).name == "n < 5 | n % 2 == 0"
    assert (~low).kind == "not" and (low | even).kind == "or"


def test_missing_key_is_a_clear_error():
    with pytest.raises(ValueError, match="reads state keys that are missing: count"):
        expr("count < 3").evaluate(State())


def test_expr_rejects_unsafe_text_when_the_condition_is_made():
    with pytest.raises(ExpressionError):
        expr("__import__('os')")


def test_conditions_carry_what_an_editor_needs_to_round_trip_them():
    assert expr("a > 1").kind == "expr" and expr("a > 1").spec == "a > 1"
    assert when(a=1).spec == {"a": 1} and when(a=1).kind == "when"
    assert default.kind == "default"


def test_lmda_wraps_a_python_function():
    condition = Condition.lmda(lambda s: s["x"] > 1, ["x"])
    assert condition.evaluate(State({"x": 2}))
    assert condition.reads == ["x"]


def test_combining_with_a_non_condition_is_an_error():
    with pytest.raises(ValueError, match="Cannot OR"):
        default | True  # noqa: B018
