"""Every canvas edit as a `QUndoCommand`, each with a text a person can read in the Edit menu."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QUndoCommand

from burrdesk.model.flow_document import FlowEdge, FlowNode
from burrdesk.views.canvas.flow_editor_model import FlowEditorModel

Position = tuple[float, float]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


class AddNodesCommand(QUndoCommand):
    """Adds nodes and the edges between/to them (one node, a paste, a duplicate)."""

    def __init__(
        self,
        model: FlowEditorModel,
        nodes: list[FlowNode],
        edges: list[FlowEdge] | None = None,
        text: str | None = None,
    ):
        if text is None:
            text = (
                f"Add {nodes[0].kind} node '{nodes[0].id}'"
                if len(nodes) == 1 and not edges
                else f"Add {_plural(len(nodes), 'node')}"
            )
        super().__init__(text)
        self.model = model
        self.nodes = nodes
        self.edges = edges or []
        self._entrypoint_before: str | None = None
        self._edge_indexes: list[int] = []

    def redo(self) -> None:
        self._entrypoint_before = self.model.document.entrypoint
        for node in self.nodes:
            self.model.add_node(node)
        self._edge_indexes = [
            self.model.add_edge(edge, self.model.place_for(edge)) for edge in self.edges
        ]

    def undo(self) -> None:
        for index in reversed(self._edge_indexes):
            self.model.remove_edge(index)
        for node in reversed(self.nodes):
            self.model.remove_node(node.id)
        if self.model.document.entrypoint != self._entrypoint_before:
            self.model.update_flow(entrypoint=self._entrypoint_before)


class RemoveItemsCommand(QUndoCommand):
    """Deletes nodes (with every edge touching them) and edges."""

    def __init__(self, model: FlowEditorModel, node_ids: list[str], edge_indexes: list[int]):
        document = model.document
        doomed = set(node_ids)
        indexes = set(edge_indexes)
        indexes |= {
            i for i, e in enumerate(document.edges) if e.source in doomed or e.target in doomed
        }
        parts = []
        if node_ids:
            parts.append(_plural(len(node_ids), "node"))
        if indexes and not node_ids:
            parts.append(_plural(len(indexes), "edge"))
        super().__init__(f"Delete {' and '.join(parts) or 'nothing'}")
        self.model = model
        self.node_ids = list(node_ids)
        self.edge_indexes = sorted(indexes)
        self._removed_edges: list[tuple[int, FlowEdge]] = []
        self._removed_nodes: list[tuple[int, FlowNode]] = []
        self._entrypoint: str | None = None

    def redo(self) -> None:
        self._entrypoint = self.model.document.entrypoint
        self._removed_edges = [
            (i, self.model.remove_edge(i)) for i in sorted(self.edge_indexes, reverse=True)
        ]
        self._removed_nodes = []
        for node_id in self.node_ids:
            node, index = self.model.remove_node(node_id)
            self._removed_nodes.append((index, node))
        if self._entrypoint in self.node_ids:
            remaining = self.model.node_ids()
            self.model.update_flow(entrypoint=remaining[0] if remaining else None)

    def undo(self) -> None:
        for index, node in reversed(self._removed_nodes):
            self.model.add_node(node, index)
        for index, edge in reversed(self._removed_edges):
            self.model.add_edge(edge, index)
        if self.model.document.entrypoint != self._entrypoint:
            self.model.update_flow(entrypoint=self._entrypoint)


class MoveNodesCommand(QUndoCommand):
    """Moves nodes; consecutive nudges of the same selection merge into one step."""

    NUDGE_ID = 4242

    def __init__(
        self,
        model: FlowEditorModel,
        before: dict[str, Position],
        after: dict[str, Position],
        text: str | None = None,
        nudge: bool = False,
    ):
        super().__init__(text or f"Move {_plural(len(after), 'node')}")
        self.model = model
        self.before = dict(before)
        self.after = dict(after)
        self.nudge = nudge

    def id(self) -> int:
        return self.NUDGE_ID if self.nudge else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt override
        if not isinstance(other, MoveNodesCommand) or set(other.after) != set(self.after):
            return False
        self.after = dict(other.after)
        return True

    def redo(self) -> None:
        self.model.move_nodes(self.after)

    def undo(self) -> None:
        self.model.move_nodes(self.before)


class ConnectCommand(QUndoCommand):
    """Adds a transition."""

    def __init__(self, model: FlowEditorModel, edge: FlowEdge):
        super().__init__(f"Connect {edge.source} → {edge.target}")
        self.model = model
        self.edge = edge
        self._index: int | None = None

    def redo(self) -> None:
        self._index = self.model.add_edge(self.edge, self.model.place_for(self.edge))

    def undo(self) -> None:
        if self._index is not None:
            self.model.remove_edge(self._index)


class EditNodeCommand(QUndoCommand):
    """Changes fields of one node (code, label, reads, params, ...)."""

    def __init__(
        self, model: FlowEditorModel, node_id: str, changes: dict[str, Any], text: str | None = None
    ):
        fields = ", ".join(changes)
        super().__init__(text or f"Edit {fields} of '{node_id}'")
        self.model = model
        self.node_id = node_id
        self.changes = changes
        self._old: dict[str, Any] = {}

    def redo(self) -> None:
        self._old = self.model.update_node(self.node_id, **self.changes)

    def undo(self) -> None:
        self.model.update_node(self.node_id, **self._old)


class RenameNodeCommand(QUndoCommand):
    def __init__(self, model: FlowEditorModel, old_id: str, new_id: str):
        super().__init__(f"Rename '{old_id}' to '{new_id}'")
        self.model = model
        self.old_id = old_id
        self.new_id = new_id

    def redo(self) -> None:
        self.model.rename_node(self.old_id, self.new_id)

    def undo(self) -> None:
        self.model.rename_node(self.new_id, self.old_id)


class EditEdgeCommand(QUndoCommand):
    """Changes an edge (its condition, most often)."""

    def __init__(self, model: FlowEditorModel, index: int, changes: dict[str, Any]):
        edge = model.document.edges[index]
        what = "condition" if list(changes) == ["condition"] else ", ".join(changes)
        super().__init__(f"Change {what} of {edge.source} → {edge.target}")
        self.model = model
        self.index = index
        self.changes = changes
        self._old: dict[str, Any] = {}

    def redo(self) -> None:
        self._old = self.model.update_edge(self.index, **self.changes)

    def undo(self) -> None:
        self.model.update_edge(self.index, **self._old)


class ReorderEdgeCommand(QUndoCommand):
    """Tries a transition before or after another one from the same node (swaps them)."""

    def __init__(self, model: FlowEditorModel, index: int, other: int):
        edge = model.document.edges[index]
        sooner = "earlier" if other < index else "later"
        super().__init__(f"Try {edge.source} → {edge.target} {sooner}")
        self.model = model
        self.index = index
        self.other = other

    def redo(self) -> None:
        self.model.swap_edges(self.index, self.other)

    def undo(self) -> None:
        self.model.swap_edges(self.index, self.other)


class EditFlowCommand(QUndoCommand):
    """Changes the flow's name, description, initial state or entrypoint."""

    LABELS = {"state": "initial state", "entrypoint": "entrypoint", "name": "name"}

    def __init__(self, model: FlowEditorModel, changes: dict[str, Any]):
        label = ", ".join(self.LABELS.get(k, k) for k in changes)
        super().__init__(f"Change {label}")
        self.model = model
        self.changes = changes
        self._old: dict[str, Any] = {}

    def redo(self) -> None:
        self._old = self.model.update_flow(**self.changes)

    def undo(self) -> None:
        self.model.update_flow(**self._old)
