"""A restricted evaluator for transition conditions written as text (`expr("count < 10")`).

Flow files travel between people, so a condition string must not be able to import, reach
dunder attributes or call arbitrary functions. The source is parsed with `ast`, every node is
checked against an allow-list, and the tree is compiled into nested Python closures: evaluation
never calls `eval`, and a checked expression costs about as much as the equivalent lambda.

Allowed: literals, names of state keys, comparisons (including `in`, `is`), `and`/`or`/`not`,
arithmetic, subscripts and slices, `a if c else b`, list/tuple/set/dict displays, and calls to a
few pure builtins (`len`, `abs`, `min`, `max`, `sum`, `all`, `any`, `str`, `int`, `float`,
`bool`, `round`, `sorted`). Attribute access, comprehensions, lambdas and everything else are
rejected with a message naming the construct and its column.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from typing import Any

SAFE_BUILTINS: dict[str, Callable[..., Any]] = {
    "len": len,
    "abs": abs,
    "min": min,
    "max": max,
    "sum": sum,
    "all": all,
    "any": any,
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "round": round,
    "sorted": sorted,
}

_MAX_POWER = 10_000
_MAX_REPEAT = 1_000_000

Evaluator = Callable[[Mapping[str, Any]], Any]


class ExpressionError(ValueError):
    """A condition expression that does not parse or uses a construct that is not allowed."""

    def __init__(self, message: str, source: str, column: int | None = None):
        where = f" (column {column + 1})" if column is not None else ""
        shown = source if len(source) <= 80 else f"{source[:60]}…{source[-10:]}"
        super().__init__(f"Condition {shown!r}: {message}{where}.")
        self.source = source
        self.column = column
        self.reason = message


def _power(base: Any, exponent: Any) -> Any:
    if isinstance(exponent, int) and abs(exponent) > _MAX_POWER:
        raise ValueError(f"exponent {exponent} is too large for a condition")
    return base**exponent


def _multiply(left: Any, right: Any) -> Any:
    for seq, count in ((left, right), (right, left)):
        if (
            isinstance(seq, (str, list, tuple))
            and isinstance(count, int)
            and count * max(len(seq), 1) > _MAX_REPEAT
        ):
            raise ValueError("repetition is too large for a condition")
    return left * right


_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: _multiply,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: _power,
}
_UNARY = {
    ast.Not: operator.not_,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}
_COMPARE = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}

_DESCRIPTIONS = {
    ast.Attribute: "attribute access",
    ast.Lambda: "lambda",
    ast.ListComp: "a list comprehension",
    ast.SetComp: "a set comprehension",
    ast.DictComp: "a dict comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.NamedExpr: "the walrus operator",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.JoinedStr: "an f-string",
    ast.Starred: "unpacking with *",
}


class CompiledExpression:
    """A checked condition: `names` are the state keys it reads; call `evaluate(values)`."""

    __slots__ = ("source", "names", "_run")

    def __init__(self, source: str, names: tuple[str, ...], run: Evaluator):
        self.source = source
        self.names = names
        self._run = run

    def evaluate(self, values: Mapping[str, Any]) -> Any:
        try:
            return self._run(values)
        except ExpressionError:
            raise
        except Exception as exc:
            raise ValueError(
                f"Condition {self.source!r} failed: {type(exc).__name__}: {exc}"
            ) from exc

    def __repr__(self) -> str:
        return f"CompiledExpression({self.source!r})"


def compile_expression(source: str) -> CompiledExpression:
    """Parses and checks `source`, raising `ExpressionError` if it is not allowed."""
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError("an empty expression is not a condition", str(source))
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        text = source.strip()
        column = (exc.offset - 1) if exc.offset else len(text)  # offset 0: "ended too early"
        raise ExpressionError(f"syntax error: {exc.msg}", source, column) from None
    except (RecursionError, MemoryError):
        raise ExpressionError(_TOO_DEEP, source) from None
    names: dict[str, None] = {}
    run = _Compiler(source, names).build(tree.body)
    return CompiledExpression(source, tuple(names), run)


MAX_DEPTH = 60
"""How deeply a condition may nest. Evaluating recurses once per level, on the engine's stack,
so a condition of a thousand nested `not`s is refused when it is checked, not when it runs."""
_TOO_DEEP = f"the expression nests more than {MAX_DEPTH} levels deep"


class _Compiler:
    def __init__(self, source: str, names: dict[str, None]):
        self.source = source
        self.names = names
        self.depth = 0

    def reject(self, node: ast.AST, what: str) -> ExpressionError:
        return ExpressionError(
            f"{what} is not allowed", self.source, getattr(node, "col_offset", None)
        )

    def build(self, node: ast.AST) -> Evaluator:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            what = _DESCRIPTIONS.get(type(node), f"'{type(node).__name__}'")
            raise self.reject(node, what)
        if self.depth >= MAX_DEPTH:
            raise ExpressionError(_TOO_DEEP, self.source, getattr(node, "col_offset", None))
        self.depth += 1
        try:
            return method(node)
        finally:
            self.depth -= 1

    def _Constant(self, node: ast.Constant) -> Evaluator:
        value = node.value
        if not isinstance(value, (str, int, float, bool, type(None))):
            raise self.reject(node, f"a {type(value).__name__} literal")
        return lambda _values: value

    def _Name(self, node: ast.Name) -> Evaluator:
        key = node.id
        if key.startswith("__"):
            raise self.reject(node, f"the name {key!r} (names starting with '__')")
        self.names[key] = None
        return lambda values: values[key]

    def _Compare(self, node: ast.Compare) -> Evaluator:
        first = self.build(node.left)
        rest = []
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            fn = _COMPARE.get(type(op))
            if fn is None:
                raise self.reject(node, f"the comparison {type(op).__name__}")
            rest.append((fn, self.build(comparator)))
        if len(rest) == 1:
            ((fn, right),) = rest
            return lambda values: fn(first(values), right(values))

        def chain(values: Mapping[str, Any]) -> bool:
            left = first(values)
            for fn, right_eval in rest:
                right = right_eval(values)
                if not fn(left, right):
                    return False
                left = right
            return True

        return chain

    def _BoolOp(self, node: ast.BoolOp) -> Evaluator:
        parts = [self.build(v) for v in node.values]
        if isinstance(node.op, ast.And):

            def conj(values: Mapping[str, Any]) -> Any:
                result: Any = True
                for part in parts:
                    result = part(values)
                    if not result:
                        return result
                return result

            return conj

        def disj(values: Mapping[str, Any]) -> Any:
            result: Any = False
            for part in parts:
                result = part(values)
                if result:
                    return result
            return result

        return disj

    def _UnaryOp(self, node: ast.UnaryOp) -> Evaluator:
        fn = _UNARY.get(type(node.op))
        if fn is None:
            raise self.reject(node, f"the operator {type(node.op).__name__}")
        operand = self.build(node.operand)
        return lambda values: fn(operand(values))

    def _BinOp(self, node: ast.BinOp) -> Evaluator:
        fn = _BINARY.get(type(node.op))
        if fn is None:
            raise self.reject(node, f"the operator {type(node.op).__name__}")
        left, right = self.build(node.left), self.build(node.right)
        return lambda values: fn(left(values), right(values))

    def _IfExp(self, node: ast.IfExp) -> Evaluator:
        test, body, orelse = self.build(node.test), self.build(node.body), self.build(node.orelse)
        return lambda values: body(values) if test(values) else orelse(values)

    def _Subscript(self, node: ast.Subscript) -> Evaluator:
        container, index = self.build(node.value), self.build(node.slice)
        return lambda values: container(values)[index(values)]

    def _Slice(self, node: ast.Slice) -> Evaluator:
        parts = [
            self.build(p) if p is not None else None for p in (node.lower, node.upper, node.step)
        ]
        lower, upper, step = parts
        return lambda values: slice(
            lower(values) if lower else None,
            upper(values) if upper else None,
            step(values) if step else None,
        )

    def _elements(self, elts: list[ast.expr]) -> list[Evaluator]:
        return [self.build(e) for e in elts]

    def _Tuple(self, node: ast.Tuple) -> Evaluator:
        items = self._elements(node.elts)
        return lambda values: tuple(item(values) for item in items)

    def _List(self, node: ast.List) -> Evaluator:
        items = self._elements(node.elts)
        return lambda values: [item(values) for item in items]

    def _Set(self, node: ast.Set) -> Evaluator:
        items = self._elements(node.elts)
        return lambda values: {item(values) for item in items}

    def _Dict(self, node: ast.Dict) -> Evaluator:
        if any(k is None for k in node.keys):
            raise self.reject(node, "dict unpacking with **")
        pairs = [
            (self.build(k), self.build(v)) for k, v in zip(node.keys, node.values, strict=True)
        ]
        return lambda values: {k(values): v(values) for k, v in pairs}

    def _Call(self, node: ast.Call) -> Evaluator:
        func = node.func
        if isinstance(func, ast.Attribute):
            raise self.reject(func, "attribute access (calling a method)")
        if not isinstance(func, ast.Name) or func.id not in SAFE_BUILTINS:
            called = func.id if isinstance(func, ast.Name) else ast.unparse(func)
            allowed = ", ".join(SAFE_BUILTINS)
            raise self.reject(node, f"calling {called!r} (only {allowed} may be called)")
        if node.keywords:
            raise self.reject(node, "keyword arguments")
        fn = SAFE_BUILTINS[func.id]
        args = self._elements(node.args)
        return lambda values: fn(*(arg(values) for arg in args))
