"""The flow a recorded run ran, as a document the canvas can draw.

A run started from a flow stores that flow; a run from code or a Burr import stores only a graph
description (actions with reads, writes and source; transitions with described conditions).
Either way the timeline can show what the run executed, read-only, and offer it as a new flow.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from burrdesk.model.flow_document import FlowDocument, FlowEdge, FlowNode
from burrdesk.model.flow_layout import apply_layout
from burrdesk.model.run_records import RunRecord


def condition_from_description(description: dict[str, Any] | None) -> str | dict[str, Any]:
    """A flow edge condition for a described condition (see `describe_condition`).

    `~`, `|` and `&` over expressions become one expression; what has no flow form (a Python
    function, a combination with a `when`) stays a named custom condition, shown but not run.
    """
    if not description:
        return "default"
    kind = description.get("kind")
    name = str(description.get("name") or kind or "condition")
    if kind == "default":
        return "default"
    if kind == "expr" and isinstance(description.get("expr"), str):
        return f"expr: {description['expr']}"
    if kind == "when" and isinstance(description.get("when"), dict):
        return {"when": description["when"]}
    if kind == "not":
        inner = condition_from_description(description.get("operand"))
        if isinstance(inner, str) and inner.startswith("expr: "):
            return f"expr: not ({inner[6:]})"
    if kind in ("or", "and"):
        parts = [condition_from_description(d) for d in description.get("operands", [])]
        if parts and all(isinstance(p, str) and p.startswith("expr: ") for p in parts):
            return "expr: " + f" {kind} ".join(f"({p[6:]})" for p in parts)  # type: ignore[index]
    return {"custom": name}


def document_from_graph(graph: dict[str, Any], name: str) -> FlowDocument:
    """A laid-out flow of python nodes for a graph description."""
    nodes = []
    for action in graph.get("actions", []):
        action_name = str(action.get("name", ""))
        nodes.append(
            FlowNode(
                id=action_name,
                kind="python",
                label=action_name.replace("_", " ").capitalize(),
                reads=[str(k) for k in action.get("reads", [])],
                writes=[str(k) for k in action.get("writes", [])],
                code=action.get("source") or "",
            )
        )
    edges = [
        FlowEdge(
            source=str(t.get("from")),
            target=str(t.get("to")),
            condition=condition_from_description(t.get("condition")),
        )
        for t in graph.get("transitions", [])
    ]
    document = FlowDocument(name=name, entrypoint=graph.get("entrypoint"), nodes=nodes, edges=edges)
    return apply_layout(document)


def recorded_document(run: RunRecord) -> FlowDocument | None:
    """The flow `run` recorded, else one drawn from its graph; None when it recorded neither."""
    if run.flow:
        try:
            return FlowDocument.model_validate(run.flow)
        except ValidationError:
            pass
    if run.graph and run.graph.get("actions"):
        return document_from_graph(run.graph, name=run.project)
    return None
