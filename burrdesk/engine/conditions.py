"""Transition conditions: `default`, `when(key=value)`, `expr("...")` and their combinations.

`expr` goes through the restricted evaluator, so a condition read from a flow file cannot run
code. `when` accepts Burr's Django-style suffixes (`count__gte=3`, `status__in=[...]`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from burrdesk.engine.actions import Function
from burrdesk.engine.state import State
from burrdesk.model.restricted_expression import compile_expression

_OPERATORS: dict[str, tuple[str, Callable[[Any, Any], bool]]] = {
    "eq": ("==", lambda a, b: a == b),
    "ne": ("!=", lambda a, b: a != b),
    "lt": ("<", lambda a, b: a < b),
    "lte": ("<=", lambda a, b: a <= b),
    "gt": (">", lambda a, b: a > b),
    "gte": (">=", lambda a, b: a >= b),
    "in": ("in", lambda a, b: a in b),
    "notin": ("not in", lambda a, b: a not in b),
    "contains": ("contains", lambda a, b: b in a),
    "is": ("is", lambda a, b: a is b),
    "isnot": ("is not", lambda a, b: a is not b),
}


class Condition(Function):
    """A predicate over state that decides whether a transition is taken."""

    KEY = "PROCEED"

    def __init__(
        self,
        keys: list[str],
        resolver: Callable[[State], bool],
        name: str | None = None,
        *,
        kind: str = "custom",
        spec: Any = None,
    ):
        self._keys = list(keys)
        self._resolver = resolver
        self._name = name
        self.kind = kind
        """One of default / when / expr / not / or / and / custom: lets a flow editor round-trip it."""
        self.spec = spec
        """The data behind the condition: when-kwargs, expr source, or the operand conditions."""

    @staticmethod
    def expr(expression: str) -> Condition:
        """A condition written as a Python-like expression over state keys (restricted)."""
        compiled = compile_expression(expression)

        def resolve(state: State) -> bool:
            return bool(compiled.evaluate(state._values))  # noqa: SLF001 - hot path

        return Condition(
            list(compiled.names), resolve, name=expression, kind="expr", spec=expression
        )

    safe_expr = expr

    @staticmethod
    def lmda(resolver: Callable[[State], bool], state_keys: list[str]) -> Condition:
        return Condition(state_keys, resolver, name=f"lmda_{resolver.__name__}_")

    @classmethod
    def when(cls, **kwargs: Any) -> Condition:
        """True when every `key=value` holds (suffixes: __gt, __lte, __in, __contains, ...)."""
        parsed = []
        for raw_key, value in kwargs.items():
            key, symbol, fn, explicit = raw_key, "=", _OPERATORS["eq"][1], False
            for suffix, (sym, op) in _OPERATORS.items():
                if raw_key.endswith(f"__{suffix}") and len(raw_key) > len(suffix) + 2:
                    key, symbol, fn, explicit = raw_key[: -len(suffix) - 2], sym, op, True
                    break
            parsed.append((key, symbol, fn, value, explicit))
        keys = list(dict.fromkeys(p[0] for p in parsed))

        def resolve(state: State) -> bool:
            return all(fn(state.get(key), value) for key, _s, fn, value, _e in parsed)

        parts = []
        for key, symbol, _fn, value, explicit in sorted(parsed, key=lambda p: p[0]):
            if not explicit:
                parts.append(f"{key}={value}")
            elif symbol.isalnum() or " " in symbol:
                parts.append(f"{key} {symbol} {value!r}")
            else:
                parts.append(f"{key}{symbol}{value!r}")
        return Condition(keys, resolve, name=", ".join(parts), kind="when", spec=dict(kwargs))

    def _validate(self, state: State) -> None:
        missing = [key for key in self._keys if key not in state]
        if missing:
            raise ValueError(
                f"Condition {self._name!r} reads state keys that are missing: {', '.join(missing)}."
            )

    def run(self, state: State, **run_kwargs: Any) -> dict:
        self._validate(state)
        return {Condition.KEY: self._resolver(state)}

    def evaluate(self, state: State) -> bool:
        """Checks the keys are present, then resolves the condition."""
        if self._keys:
            self._validate(state)
        return bool(self._resolver(state))

    @property
    def reads(self) -> list[str]:
        return self._keys

    @property
    def name(self) -> str | None:
        return self._name

    @property
    def resolver(self) -> Callable[[State], bool]:
        return self._resolver

    def __or__(self, other: Condition) -> Condition:
        if not isinstance(other, Condition):
            raise ValueError(f"Cannot OR a Condition with {other!r}.")
        return Condition(
            self._keys + other._keys,
            lambda state: self._resolver(state) or other._resolver(state),
            name=f"{self._name} | {other._name}",
            kind="or",
            spec=(self, other),
        )

    def __and__(self, other: Condition) -> Condition:
        if not isinstance(other, Condition):
            raise ValueError(f"Cannot AND a Condition with {other!r}.")
        return Condition(
            self._keys + other._keys,
            lambda state: self._resolver(state) and other._resolver(state),
            name=f"{self._name} & {other._name}",
            kind="and",
            spec=(self, other),
        )

    def __invert__(self) -> Condition:
        return Condition(
            self._keys,
            lambda state: not self._resolver(state),
            name=f"~{self._name}",
            kind="not",
            spec=self,
        )

    def __repr__(self) -> str:
        return f"condition: {self._name}"


default = Condition([], lambda _state: True, name="default", kind="default")
Condition.default = default  # type: ignore[attr-defined]
when = Condition.when
expr = Condition.expr
safe_expr = Condition.expr
lmda = Condition.lmda
