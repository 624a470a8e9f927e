"""The flow being edited, with change signals: the single place canvas edits go through.

Undo commands call these methods (never the views directly), and the scene, inspector,
problems panel and window title listen to the signals. The document itself stays a plain
pydantic `FlowDocument`, so saving, validating and compiling see exactly what is on screen.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from burrdesk.model.flow_document import FlowDocument, FlowEdge, FlowNode

NEW_CONDITION = "expr: False"
"""The condition of a new transition from a node that already has a default one: never
taken until the person writes its condition, so drawing it changes nothing ("True" would make
the default unreachable, and a self-loop loop for ever)."""


class FlowEditorModel(QObject):
    documentReset = Signal()
    nodeAdded = Signal(str)
    nodeRemoved = Signal(str)
    nodeChanged = Signal(str)
    nodeRenamed = Signal(str, str)
    edgesChanged = Signal()
    flowChanged = Signal()
    changed = Signal()

    def __init__(self, document: FlowDocument | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self._document = document or FlowDocument(name="untitled")

    @property
    def document(self) -> FlowDocument:
        return self._document

    def reset(self, document: FlowDocument) -> None:
        self._document = document
        self.documentReset.emit()
        self.changed.emit()

    # --- nodes ------------------------------------------------------------------------------

    def node(self, node_id: str) -> FlowNode:
        found = self._document.node(node_id)
        if found is None:
            raise KeyError(f"No node {node_id!r}.")
        return found

    def node_ids(self) -> list[str]:
        return [n.id for n in self._document.nodes]

    def unique_id(self, base: str) -> str:
        stem = "".join(c if c.isalnum() or c == "_" else "_" for c in base).strip("_") or "node"
        if stem[0].isdigit():
            stem = f"n_{stem}"
        existing = set(self.node_ids())
        if stem not in existing:
            return stem
        number = 2
        while f"{stem}_{number}" in existing:
            number += 1
        return f"{stem}_{number}"

    def add_node(self, node: FlowNode, index: int | None = None) -> None:
        nodes = list(self._document.nodes)
        nodes.insert(len(nodes) if index is None else index, node)
        self._document.nodes = nodes
        if self._document.entrypoint is None:
            self._document.entrypoint = node.id
            self.flowChanged.emit()
        self.nodeAdded.emit(node.id)
        self.changed.emit()

    def remove_node(self, node_id: str) -> tuple[FlowNode, int]:
        """Removes a node (its edges must be removed first); returns it and its index."""
        index = self.node_ids().index(node_id)
        nodes = list(self._document.nodes)
        node = nodes.pop(index)
        self._document.nodes = nodes
        self.nodeRemoved.emit(node_id)
        self.changed.emit()
        return node, index

    def update_node(self, node_id: str, **changes: Any) -> dict[str, Any]:
        """Sets fields of a node; returns their old values (for undo)."""
        index = self.node_ids().index(node_id)
        node = self._document.nodes[index]
        old = {key: getattr(node, key) for key in changes}
        nodes = list(self._document.nodes)
        nodes[index] = node.model_copy(update=changes)
        self._document.nodes = nodes
        self.nodeChanged.emit(node_id)
        self.changed.emit()
        return old

    def move_nodes(self, positions: dict[str, tuple[float, float]]) -> None:
        nodes = list(self._document.nodes)
        for i, node in enumerate(nodes):
            if node.id in positions:
                nodes[i] = node.model_copy(update={"position": tuple(positions[node.id])})
        self._document.nodes = nodes
        for node_id in positions:
            self.nodeChanged.emit(node_id)
        self.changed.emit()

    def rename_node(self, old_id: str, new_id: str) -> None:
        """Renames a node and everything that refers to it (edges, entrypoint, function name)."""
        index = self.node_ids().index(old_id)
        node = self._document.nodes[index]
        code = node.code
        if node.kind == "python" and f"def {old_id}(" in code:
            code = code.replace(f"def {old_id}(", f"def {new_id}(", 1)
        nodes = list(self._document.nodes)
        nodes[index] = node.model_copy(update={"id": new_id, "code": code})
        self._document.nodes = nodes
        self._document.edges = [
            e.model_copy(
                update={
                    "source": new_id if e.source == old_id else e.source,
                    "target": new_id if e.target == old_id else e.target,
                }
            )
            for e in self._document.edges
        ]
        if self._document.entrypoint == old_id:
            self._document.entrypoint = new_id
        self.nodeRenamed.emit(old_id, new_id)
        self.edgesChanged.emit()
        self.flowChanged.emit()
        self.changed.emit()

    # --- edges ------------------------------------------------------------------------------

    def place_for(self, edge: FlowEdge) -> int | None:
        """Where a new edge goes: a conditional one before its source's default edge, since
        transitions are tried in order and nothing after the default is ever tried; anything
        else at the end (None)."""
        if edge.condition_kind == "default":
            return None
        for index, other in enumerate(self._document.edges):
            if other.source == edge.source and other.condition_kind == "default":
                return index
        return None

    def add_edge(self, edge: FlowEdge, index: int | None = None) -> int:
        edges = list(self._document.edges)
        position = len(edges) if index is None else index
        edges.insert(position, edge)
        self._document.edges = edges
        self.edgesChanged.emit()
        self.changed.emit()
        return position

    def remove_edge(self, index: int) -> FlowEdge:
        edges = list(self._document.edges)
        edge = edges.pop(index)
        self._document.edges = edges
        self.edgesChanged.emit()
        self.changed.emit()
        return edge

    def swap_edges(self, first: int, second: int) -> None:
        """Exchanges two edges' places: the order edges from one node are tried in."""
        edges = list(self._document.edges)
        edges[first], edges[second] = edges[second], edges[first]
        self._document.edges = edges
        self.edgesChanged.emit()
        self.changed.emit()

    def update_edge(self, index: int, **changes: Any) -> dict[str, Any]:
        edge = self._document.edges[index]
        old = {key: getattr(edge, key) for key in changes}
        edges = list(self._document.edges)
        edges[index] = edge.model_copy(update=changes)
        self._document.edges = edges
        self.edgesChanged.emit()
        self.changed.emit()
        return old

    # --- the flow itself --------------------------------------------------------------------

    def update_flow(self, **changes: Any) -> dict[str, Any]:
        """Sets name, description, state or entrypoint; returns the old values."""
        old = {key: getattr(self._document, key) for key in changes}
        for key, value in changes.items():
            setattr(self._document, key, value)
        self.flowChanged.emit()
        self.changed.emit()
        return old
