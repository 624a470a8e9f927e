"""The restricted evaluator: what a condition string may and may not do."""

import pytest

from burrdesk.model.restricted_expression import ExpressionError, compile_expression


@pytest.mark.parametrize(
    ("source", "values", "expected"),
    [
        ("count < 10", {"count": 3}, True),
        ("count >= 10 and not done", {"count": 12, "done": False}, True),
        ("1 < x <= 3", {"x": 3}, True),
        ("1 < x <= 3", {"x": 4}, False),
        ("len(history) > 2", {"history": [1, 2, 3]}, True),
        ("answer in ['yes', 'y']", {"answer": "y"}, True),
        ("items[-1]['role'] == 'user'", {"items": [{"role": "user"}]}, True),
        ("text[:3] == 'abc'", {"text": "abcdef"}, True),
        ("(a + b) * 2 % 5 == 1", {"a": 1, "b": 2}, True),
        ("x is None or y", {"x": None, "y": 0}, True),
        ("'big' if n > 5 else 'small'", {"n": 9}, "big"),
        ("max(scores) - min(scores)", {"scores": [3, 9, 4]}, 6),
        ("{'k': v}['k']", {"v": 7}, 7),
        ("2 ** 10", {}, 1024),
    ],
)
def test_allowed_constructs_evaluate_like_python(source, values, expected):
    assert compile_expression(source).evaluate(values) == expected


def test_names_are_the_state_keys_read_in_order():
    assert compile_expression("a < b and len(c) or a").names == ("a", "b", "c")


@pytest.mark.parametrize(
    ("source", "complaint"),
    [
        ("__import__('os').system('ls')", "attribute access"),
        ("__import__('os')", "calling '__import__'"),
        ("__builtins__", "names starting with '__'"),
        ("().__class__", "attribute access"),
        ("state.get('x')", "attribute access"),
        ("open('/etc/passwd')", "calling 'open'"),
        ("eval('1')", "calling 'eval'"),
        ("getattr(x, 'y')", "calling 'getattr'"),
        ("[c for c in x]", "a list comprehension"),
        ("lambda: 1", "lambda"),
        ("(y := 1)", "the walrus operator"),
        ("f'{x}'", "an f-string"),
        ("len(*x)", "unpacking with *"),
        ("sorted(x, key=len)", "keyword arguments"),
        ("b'raw'", "a bytes literal"),
    ],
)
def test_forbidden_constructs_are_rejected_at_compile_time(source, complaint):
    with pytest.raises(ExpressionError, match="is not allowed") as info:
        compile_expression(source)
    assert complaint in str(info.value)


def test_syntax_errors_name_the_column():
    with pytest.raises(ExpressionError, match=r"syntax error.*column") as info:
        compile_expression("count <")
    assert info.value.column is not None


def test_empty_expression_is_rejected():
    with pytest.raises(ExpressionError, match="empty expression"):
        compile_expression("   ")


def test_resource_bombs_are_refused_at_run_time():
    with pytest.raises(ValueError, match="exponent .* too large"):
        compile_expression("10 ** 100000000").evaluate({})
    with pytest.raises(ValueError, match="repetition is too large"):
        compile_expression("'x' * 100000000").evaluate({})


def test_runtime_errors_are_value_errors_naming_the_condition():
    with pytest.raises(ValueError, match=r"Condition 'a / b' failed: ZeroDivisionError"):
        compile_expression("a / b").evaluate({"a": 1, "b": 0})
