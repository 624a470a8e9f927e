"""The scene: items for every node and edge of a `FlowEditorModel`, kept in step with its signals.

The scene never edits the document itself: gestures (move, connect, delete) become undo commands
pushed on the window's `QUndoStack`, and the scene redraws from the model's signals.
"""

from __future__ import annotations

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QBrush,
    QPainterPath,
    QPen,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsSceneMouseEvent,
    QWidget,
)

from burrdesk.model.flow_document import FlowEdge, FlowNode
from burrdesk.model.flow_validation import Problem
from burrdesk.model.rect_index import Rect, RectIndex
from burrdesk.views import theme
from burrdesk.views.canvas.canvas_scene import CanvasScene
from burrdesk.views.canvas.card_style import canvas_color
from burrdesk.views.canvas.edge_item import EdgeItem
from burrdesk.views.canvas.flow_editor_model import NEW_CONDITION, FlowEditorModel
from burrdesk.views.canvas.node_item import NodeItem
from burrdesk.views.canvas.undo_commands import ConnectCommand, MoveNodesCommand, RemoveItemsCommand


class FlowScene(CanvasScene):
    """Items for every node and edge of the model, kept in step with its signals."""

    connectionDroppedOnCanvas = Signal(str, QPointF)

    def __init__(
        self,
        model: FlowEditorModel,
        undo_stack: QUndoStack,
        parent: QWidget | None = None,
        *,
        read_only: bool = False,
    ):
        super().__init__(parent)
        self.model = model
        self.undo_stack = undo_stack
        self.read_only = read_only
        self.nodes: dict[str, NodeItem] = {}
        self.edges: list[EdgeItem] = []
        self._press_positions: dict[str, tuple[float, float]] = {}
        self._pending_connection: QGraphicsPathItem | None = None
        self._connection_source: NodeItem | None = None
        self.setSceneRect(QRectF(-2000, -2000, 4000, 4000))
        self._card_index: RectIndex[NodeItem] = RectIndex()
        self._label_index: RectIndex[EdgeItem] = RectIndex()
        self._reroute_areas: list[Rect] = []
        self._reroute_timer = QTimer(self)
        self._reroute_timer.setSingleShot(True)
        self._reroute_timer.setInterval(0)
        self._reroute_timer.timeout.connect(self._reroute)
        model.documentReset.connect(self.rebuild)
        model.nodeAdded.connect(self._on_node_added)
        model.nodeRemoved.connect(self._on_node_removed)
        model.nodeChanged.connect(self._on_node_changed)
        model.nodeRenamed.connect(self._on_node_renamed)
        model.edgesChanged.connect(self.rebuild_edges)
        model.flowChanged.connect(self._mark_entrypoint)
        theme.theme_signals.changed.connect(self._restyle)
        self.rebuild()

    def _restyle(self, *args: object) -> None:
        self.setBackgroundBrush(QBrush(canvas_color("canvas_background", "#f8fafc")))
        self.update()

    def rebuild(self) -> None:
        for edge in self.edges:
            self.removeItem(edge)
        self.edges = []
        for item in self.nodes.values():
            self.removeItem(item)
        self.nodes = {}
        self._card_index = RectIndex()
        for node in self.model.document.nodes:
            self._add_node_item(node)
        self.rebuild_edges()
        self._mark_entrypoint()
        self._restyle()
        self._grow_scene_rect()

    def _add_node_item(self, node: FlowNode) -> NodeItem:
        item = NodeItem(node)
        if self.read_only:
            item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable, False)
            item.port.setEnabled(False)
            item.port.hide()
        self.addItem(item)
        self.nodes[node.id] = item
        self._card_index.put(item, item.scene_rect())
        return item

    def _on_node_added(self, node_id: str) -> None:
        self._add_node_item(self.model.node(node_id))
        self._mark_entrypoint()
        self._grow_scene_rect()

    def _on_node_removed(self, node_id: str) -> None:
        item = self.nodes.pop(node_id, None)
        if item is not None:
            for edge in list(item.edges):
                edge.detach()
                if edge in self.edges:
                    self.edges.remove(edge)
                    self.removeItem(edge)
                    self._label_index.remove(edge)
            self.removeItem(item)
            gone = self._card_index.rect(item)
            self._card_index.remove(item)
            if gone is not None:  # arrows that went around it can go straight again
                self._reroute_later(gone)

    def _on_node_changed(self, node_id: str) -> None:
        item = self.nodes.get(node_id)
        if item is not None:
            item.sync(self.model.node(node_id))

    def _on_node_renamed(self, old_id: str, new_id: str) -> None:
        item = self.nodes.pop(old_id, None)
        if item is not None:
            self.nodes[new_id] = item
            item.sync(self.model.node(new_id))

    def rebuild_edges(self) -> None:
        """Recreates edge items (indexes shift when edges change), keeping the selection quiet:
        a selection flicker would make the inspector drop the field being edited."""
        selected = {e.index for e in self.edges if e.isSelected()}
        blocked = self.blockSignals(True)
        try:
            self._recreate_edges(selected)
        finally:
            self.blockSignals(blocked)

    def _recreate_edges(self, selected: set[int]) -> None:
        for edge in self.edges:
            edge.detach()
            self.removeItem(edge)
        self.edges = []
        self._label_index = RectIndex()
        lanes: dict[tuple[str, str], int] = {}
        branching = {e.source for e in self.model.document.edges if e.condition_kind != "default"}
        for index, edge in enumerate(self.model.document.edges):
            source, target = self.nodes.get(edge.source), self.nodes.get(edge.target)
            if source is None or target is None:
                continue
            key = (
                (edge.source, edge.target)
                if edge.source <= edge.target
                else (edge.target, edge.source)
            )
            lane = lanes.get(key, 0)
            lanes[key] = lane + 1
            otherwise = edge.condition_kind == "default" and edge.source in branching
            item = EdgeItem(index, edge, source, target, lane, otherwise=otherwise)
            self.addItem(item)
            item.setSelected(index in selected)
            self.edges.append(item)
        for item in self.edges:  # once in the scene: an arrow goes around the cards there
            item.update_path()

    def card_moved(self, card: NodeItem) -> None:
        """Re-routes the arrows passing where the card was or is, once the moves under way are
        done (auto-layout moves every card; routing after each would see the others where
        they were)."""
        if card.scene() is not self:
            return
        before, now = self._card_index.rect(card), card.scene_rect()
        if before == now:
            return
        self._card_index.put(card, now)
        self._reroute_later(now if before is None else _union(before, now))

    def _reroute_later(self, area: Rect) -> None:
        self._reroute_areas.append(area)
        self.moves_pending = len(self._reroute_areas)
        if not self._reroute_timer.isActive():
            self._reroute_timer.start()

    def cards_touching(self, area: QRectF) -> list[NodeItem]:
        return self._card_index.touching(area.left(), area.top(), area.right(), area.bottom())

    def label_placed(self, edge: EdgeItem, rect: QRectF) -> None:
        if rect.isNull() or edge.scene() is not self:
            self._label_index.remove(edge)
        else:
            self._label_index.put(edge, (rect.left(), rect.top(), rect.right(), rect.bottom()))

    def labels_touching(self, area: QRectF) -> list[EdgeItem]:
        return self._label_index.touching(area.left(), area.top(), area.right(), area.bottom())

    def _reroute(self) -> None:
        moved: RectIndex[int] = RectIndex()
        for i, area in enumerate(self._reroute_areas):
            moved.put(i, area)
        self._reroute_areas = []
        self.moves_pending = 0
        for edge in self.edges:
            bounds = edge.shaped_by
            if moved.touching(bounds.left(), bounds.top(), bounds.right(), bounds.bottom()):
                edge.update_path()

    def _mark_entrypoint(self) -> None:
        entry = self.model.document.entrypoint
        for node_id, item in self.nodes.items():
            if item.is_entrypoint != (node_id == entry):
                item.is_entrypoint = node_id == entry
                item.update()

    def _grow_scene_rect(self) -> None:
        bounds = self.itemsBoundingRect().adjusted(-1500, -1500, 1500, 1500)
        self.setSceneRect(self.sceneRect().united(bounds))

    def set_problems(self, problems: list[Problem]) -> None:
        by_node: dict[str, list[Problem]] = {}
        by_edge: dict[int, list[Problem]] = {}
        for problem in problems:
            if problem.node_id is not None:
                by_node.setdefault(problem.node_id, []).append(problem)
            if problem.edge_index is not None:
                by_edge.setdefault(problem.edge_index, []).append(problem)
        for node_id, item in self.nodes.items():
            item.set_problems(by_node.get(node_id, []))
        for edge in self.edges:
            edge.problems = by_edge.get(edge.index, [])
            edge.update()

    def set_highlight(self, node_id: str | None, kind: str = "running", *, keep: str = "") -> None:
        """Outlines `node_id` as `kind` ("running" or "failed") and clears the others' outline,
        except outlines of kind `keep` (a failed node stays red while a run goes on)."""
        for item_id, item in self.nodes.items():
            wanted = kind if item_id == node_id else None
            if item.highlight != wanted and not (keep and item.highlight == keep):
                item.highlight = wanted
                item.update()

    def set_llm_echo(self, echo: bool) -> None:
        if echo != self.llm_echo:
            self.llm_echo = echo
            for item in self.nodes.values():
                if item.node.kind == "llm":
                    item.update()

    def set_visits(self, nodes: dict[str, int], edges: dict[str, int]) -> None:
        """Shows how often each node ran and each transition was taken in the current run."""
        for node_id, item in self.nodes.items():
            item.set_visits(nodes.get(node_id, 0))
        for edge in self.edges:
            count = edges.get(f"{edge.edge.source}->{edge.edge.target}", 0)
            if count != edge.traversed:
                edge.traversed = count
                edge.update_path()
                edge.update()

    def selected_node_ids(self) -> list[str]:
        return [i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)]

    def selected_edge_indexes(self) -> list[int]:
        return [i.index for i in self.selectedItems() if isinstance(i, EdgeItem)]

    def select_only(self, node_id: str | None = None, edge_index: int | None = None) -> None:
        self.clearSelection()
        if node_id is not None and node_id in self.nodes:
            self.nodes[node_id].setSelected(True)
        if edge_index is not None:
            for edge in self.edges:
                if edge.index == edge_index:
                    edge.setSelected(True)

    def delete_selection(self) -> None:
        nodes, edges = self.selected_node_ids(), self.selected_edge_indexes()
        if (nodes or edges) and not self.read_only:
            self.undo_stack.push(RemoveItemsCommand(self.model, nodes, edges))

    def nudge_selection(self, dx: float, dy: float) -> None:
        ids = self.selected_node_ids()
        if not ids or self.read_only:
            return
        before = {i: tuple(self.model.node(i).position) for i in ids}
        after = {i: (p[0] + dx, p[1] + dy) for i, p in before.items()}
        self.undo_stack.push(MoveNodesCommand(self.model, before, after, nudge=True))

    # --- moving -----------------------------------------------------------------------------

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        super().mousePressEvent(event)
        self._press_positions = {
            node_id: tuple(self.model.node(node_id).position)
            for node_id in self.selected_node_ids()
        }
        self.is_dragging = bool(self._press_positions)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        super().mouseReleaseEvent(event)
        self.is_dragging = False
        if not self._press_positions:
            return
        after = {}
        for node_id, before in self._press_positions.items():
            item = self.nodes.get(node_id)
            if item is not None:
                now = (item.pos().x(), item.pos().y())
                if now != before:
                    after[node_id] = now
        if after:
            before = {k: self._press_positions[k] for k in after}
            self.undo_stack.push(MoveNodesCommand(self.model, before, after))
        self._press_positions = {}

    # --- connecting -------------------------------------------------------------------------

    def begin_connection(self, source: NodeItem, at: QPointF) -> None:
        if self.read_only:
            return
        self._connection_source = source
        self._pending_connection = QGraphicsPathItem()
        pen = QPen(canvas_color("accent", "#2563eb"), 2, Qt.PenStyle.DashLine)
        self._pending_connection.setPen(pen)
        self._pending_connection.setZValue(10)
        self.addItem(self._pending_connection)
        self.drag_connection(at)

    def drag_connection(self, at: QPointF) -> None:
        if self._pending_connection is None or self._connection_source is None:
            return
        start = self._connection_source.output_point()
        path = QPainterPath(start)
        dx = max(abs(at.x() - start.x()) / 2, 40)
        path.cubicTo(start + QPointF(dx, 0), at - QPointF(dx, 0), at)
        self._pending_connection.setPath(path)

    def end_connection(self, at: QPointF) -> None:
        source = self._connection_source
        if self._pending_connection is not None:
            self.removeItem(self._pending_connection)
        self._pending_connection = None
        self._connection_source = None
        if source is None:
            return
        target = self.node_at(at)
        if target is not None:
            self.connect_nodes(source.node_id, target.node_id)
        elif QLineF(source.output_point(), at).length() > 30:
            self.connectionDroppedOnCanvas.emit(source.node_id, at)

    def node_at(self, at: QPointF) -> NodeItem | None:
        for item in self.items(at):
            while item is not None and not isinstance(item, NodeItem):
                item = item.parentItem()
            if isinstance(item, NodeItem):
                return item
        return None

    def connect_nodes(self, source: str, target: str, condition: str | dict = "default") -> None:
        existing = self.model.document.outgoing(source)
        if condition == "default" and any(e.condition_kind == "default" for e in existing):
            condition = NEW_CONDITION
        self.undo_stack.push(
            ConnectCommand(self.model, FlowEdge(source=source, target=target, condition=condition))
        )


def _union(a: Rect, b: Rect) -> Rect:
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])
