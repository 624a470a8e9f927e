"""A JSON description of an application's graph, stored with each run so it can be drawn later
and its steps turned into test cases and fork scripts (each action says where it is defined).

Conditions are described by kind and data (`expr` text, `when` keyword arguments, operands of
`~`, `|`, `&`), not by code, so a reader never has to execute anything to show them.
"""

from __future__ import annotations

import json
from typing import Any

from burrdesk.engine.conditions import Condition
from burrdesk.engine.graph import ApplicationGraph
from burrdesk.model.state_codec import to_jsonable


def describe_condition(condition: Condition) -> dict[str, Any]:
    description: dict[str, Any] = {"kind": condition.kind, "name": condition.name}
    if condition.kind == "expr":
        description["expr"] = condition.spec
    elif condition.kind == "when":
        description["when"] = to_jsonable(condition.spec)
    elif condition.kind == "not":
        description["operand"] = describe_condition(condition.spec)
    elif condition.kind in ("or", "and"):
        description["operands"] = [describe_condition(c) for c in condition.spec]
    return description


def _source_of(action: Any) -> str | None:
    try:
        return action.get_source()
    except (OSError, TypeError):
        return None


def describe_action_origin(action: Any) -> dict[str, Any]:
    """Where an action of either engine is defined (module, qualified name, function or class),
    and the values `.bind()` fixed when they are plain JSON: what a test case imports."""
    function = getattr(action, "_originating_fn", None)
    target = function if function is not None else type(action)
    origin: dict[str, Any] = {
        "module": getattr(target, "__module__", None),
        "qualname": getattr(target, "__qualname__", None),
        "kind": "function" if function is not None else "class",
    }
    bound = getattr(action, "_bound_params", None)
    if bound:
        try:
            origin["bound"] = json.loads(json.dumps(dict(bound)))
        except (TypeError, ValueError):
            origin["bound"] = None
    return origin


def describe_graph(graph: ApplicationGraph, *, include_source: bool = True) -> dict[str, Any]:
    """Actions (with reads, writes, inputs, tags, source and where each is defined, for test
    cases and fork scripts) and ordered transitions."""
    actions = []
    for action in graph.actions:
        required, optional = action.optional_and_required_inputs
        entry: dict[str, Any] = {
            "name": action.name,
            "reads": list(action.reads),
            "writes": list(action.writes),
            "inputs": sorted(i for i in required if not i.startswith("__")),
            "optional_inputs": sorted(i for i in optional if not i.startswith("__")),
            "tags": list(action.tags),
            "async": action.is_async(),
            **describe_action_origin(action),
        }
        if include_source:
            entry["source"] = _source_of(action)
        actions.append(entry)
    transitions = [
        {"from": t.from_.name, "to": t.to.name, "condition": describe_condition(t.condition)}
        for t in graph.transitions
    ]
    return {
        "actions": actions,
        "transitions": transitions,
        "entrypoint": graph.entrypoint.name,
        "engine": "burrdesk",
    }


__all__ = ["describe_action_origin", "describe_condition", "describe_graph"]
