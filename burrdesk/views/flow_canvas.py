"""The node-graph canvas: cards for nodes, curved arrows for transitions, and the view around them.

The scene mirrors a `FlowEditorModel` (it never edits the document itself): gestures become
undo commands pushed on the window's `QUndoStack`, and the scene redraws from model signals.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QLineF, QPoint, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
    QPixmap,
    QPolygonF,
    QUndoStack,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSceneHoverEvent,
    QGraphicsSceneMouseEvent,
    QGraphicsView,
    QStyleOptionGraphicsItem,
    QWidget,
)

from burrdesk.model.flow_document import FlowEdge, FlowNode
from burrdesk.model.flow_layout import NODE_WIDTH, node_size
from burrdesk.model.flow_validation import Problem, node_reads, node_writes
from burrdesk.views import theme
from burrdesk.views.flow_editor_model import FlowEditorModel
from burrdesk.views.undo_commands import ConnectCommand, MoveNodesCommand, RemoveItemsCommand

NODE_KIND_MIME = "application/x-burrdesk-node-kind"
HEADER_HEIGHT = 32.0
ROW_HEIGHT = 18.0
GRID = 20.0
PORT_RADIUS = 6.0


LARGE_FLOW = 150
"""Nodes above which the overview waits for changes to settle before redrawing itself."""
OUTLINE_DETAIL = 0.35
"""Below this scale cards and edges are drawn without text (see NodeItem._paint_outline)."""


def node_height(node: FlowNode) -> float:
    return node_size(node)[1]


def _color(name: str, fallback: str) -> QColor:
    """A colour from the current theme (the theme module owns the palette)."""
    value = getattr(theme.current_theme(), name, None)
    if isinstance(value, QColor):
        return value
    return QColor(value or fallback)


KIND_COLORS = {
    "python": ("node_python", "#3b82f6"),
    "llm": ("node_llm", "#8b5cf6"),
    "input": ("node_input", "#10b981"),
    "end": ("node_end", "#64748b"),
}


class PortItem(QGraphicsItem):
    """A node's output handle: drag from it to another node to add a transition."""

    def __init__(self, node_item: NodeItem):
        super().__init__(node_item)
        self.node_item = node_item
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Drag to another node to add a transition")
        self._hover = False

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        r = PORT_RADIUS + 3
        return QRectF(-r, -r, 2 * r, 2 * r)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        accent = _color("accent", "#2563eb")
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(accent, 2))
        painter.setBrush(accent if self._hover else _color("canvas_background", "#ffffff"))
        painter.drawEllipse(QPointF(0, 0), PORT_RADIUS, PORT_RADIUS)

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        self._hover = True
        self.update()

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        self._hover = False
        self.update()

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        scene = self.scene()
        if isinstance(scene, FlowScene) and event.button() == Qt.MouseButton.LeftButton:
            scene.begin_connection(self.node_item, event.scenePos())
            event.accept()
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        scene = self.scene()
        if isinstance(scene, FlowScene):
            scene.drag_connection(event.scenePos())

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        scene = self.scene()
        if isinstance(scene, FlowScene):
            scene.end_connection(event.scenePos())


class NodeItem(QGraphicsItem):
    """A node drawn as a card: kind colour and icon, title, the keys it reads and writes."""

    def __init__(self, node: FlowNode):
        super().__init__()
        self.node = node
        self.edges: list[EdgeItem] = []
        self.problems: list[Problem] = []
        self.is_entrypoint = False
        self.highlight: str | None = None
        self.visits = 0
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsMovable
            | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
            | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges
            | QGraphicsItem.GraphicsItemFlag.ItemIsFocusable
        )
        self.setAcceptHoverEvents(True)
        self.port = PortItem(self)
        self.sync(node)

    @property
    def node_id(self) -> str:
        return self.node.id

    def sync(self, node: FlowNode) -> None:
        self.prepareGeometryChange()
        self.node = node
        self._height = node_height(node)
        self.port.setPos(NODE_WIDTH, self._height / 2)
        self.port.setVisible(node.kind != "end")
        self.setPos(QPointF(*node.position))
        self.setToolTip(self._tooltip())
        self.update()
        for edge in self.edges:
            edge.update_path()

    def _tooltip(self) -> str:
        lines = [f"{self.node.title} ({self.node.kind})"]
        if self.node.notes:
            lines.append(self.node.notes)
        lines += [str(p) for p in self.problems]
        return "\n".join(lines)

    def set_problems(self, problems: list[Problem]) -> None:
        self.problems = problems
        self.setToolTip(self._tooltip())
        self.update()

    def input_point(self) -> QPointF:
        return self.scenePos() + QPointF(0, self._height / 2)

    def output_point(self) -> QPointF:
        return self.scenePos() + QPointF(NODE_WIDTH, self._height / 2)

    def rect(self) -> QRectF:
        return QRectF(0, 0, NODE_WIDTH, self._height)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self.rect().adjusted(-16, -12, 12, 6)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(self.rect(), 10, 10)
        return path

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        node = self.node
        rect = self.rect()
        kind_name, kind_fallback = KIND_COLORS.get(node.kind, ("node_border", "#94a3b8"))
        kind_color = _color(kind_name, kind_fallback)
        if option.levelOfDetailFromTransform(painter.worldTransform()) < OUTLINE_DETAIL:
            self._paint_outline(painter, rect, kind_color)
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        text = _color("text", "#1e293b")
        muted = _color("muted_text", "#64748b")
        border = _color("node_border", "#cbd5e1")
        fill = _color("node_fill", "#ffffff")

        shadow = QColor(0, 0, 0, 38)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(shadow)
        painter.drawRoundedRect(rect.translated(0, 3), 10, 10)

        if self.isSelected():
            pen = QPen(_color("accent", "#2563eb"), 2.5)
        elif self.highlight == "running":
            pen = QPen(_color("accent", "#2563eb"), 3, Qt.PenStyle.DashLine)
        elif self.highlight == "failed" or any(p.severity == "error" for p in self.problems):
            pen = QPen(_color("error", "#dc2626"), 2)
        else:
            pen = QPen(border, 1.2)
        painter.setPen(pen)
        painter.setBrush(fill)
        painter.drawRoundedRect(rect, 10, 10)

        header = QPainterPath()
        header.addRoundedRect(QRectF(0, 0, NODE_WIDTH, HEADER_HEIGHT), 10, 10)
        header.addRect(QRectF(0, HEADER_HEIGHT - 10, NODE_WIDTH, 10))
        tint = QColor(kind_color)
        tint.setAlpha(46)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(tint)
        painter.drawPath(header.simplified())
        painter.setBrush(kind_color)
        painter.drawRoundedRect(QRectF(0, 0, 5, self._height), 2.5, 2.5)

        icon = (
            theme.icon(f"node-{node.kind}") if node.kind in KIND_COLORS else theme.icon("warning")
        )
        icon.paint(painter, QRectF(12, 7, 18, 18).toRect())

        title_font = QFont(painter.font())
        title_font.setPointSizeF(max(title_font.pointSizeF(), 9.5))
        title_font.setBold(True)
        painter.setFont(title_font)
        painter.setPen(text)
        metrics = QFontMetricsF(title_font)
        scene = self.scene()
        echo = node.kind == "llm" and isinstance(scene, FlowScene) and scene.llm_echo
        room = NODE_WIDTH - (122 if echo else 92)
        title = metrics.elidedText(node.title, Qt.TextElideMode.ElideRight, room)
        painter.drawText(
            QRectF(36, 0, NODE_WIDTH - 80, HEADER_HEIGHT), Qt.AlignmentFlag.AlignVCenter, title
        )

        small = QFont(painter.font())
        small.setBold(False)
        small.setPointSizeF(max(small.pointSizeF() - 1.5, 7.5))
        painter.setFont(small)
        painter.setPen(muted)
        if echo:
            painter.setPen(_color("warning", "#b8720a"))
        painter.drawText(
            QRectF(NODE_WIDTH - 90, 0, 80, HEADER_HEIGHT),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
            "llm · echo" if echo else node.kind,
        )
        self._paint_keys(painter, small, text, muted)
        self._paint_badges(painter, small)

    def _paint_outline(self, painter: QPainter, rect: QRectF, kind_color: QColor) -> None:
        """Far out (the overview, a zoomed-out large flow) text is unreadable: a card's shape
        and kind colour are enough, and ten times cheaper to draw."""
        if self.isSelected() or self.highlight == "running":
            border = QPen(_color("accent", "#2563eb"), 3)
        elif self.highlight == "failed" or any(p.severity == "error" for p in self.problems):
            border = QPen(_color("error", "#dc2626"), 3)
        else:
            border = QPen(_color("node_border", "#cbd5e1"), 1)
        painter.setPen(border)
        painter.setBrush(_color("node_fill", "#ffffff"))
        painter.drawRect(rect)
        header = QColor(kind_color)
        header.setAlpha(90)
        painter.fillRect(QRectF(0, 0, NODE_WIDTH, HEADER_HEIGHT), header)
        painter.fillRect(QRectF(0, 0, 6, rect.height()), kind_color)

    def _paint_keys(self, painter: QPainter, font: QFont, text: QColor, muted: QColor) -> None:
        reads, writes = node_reads(self.node), node_writes(self.node)
        metrics = QFontMetricsF(font)
        top = HEADER_HEIGHT + 8
        column = (NODE_WIDTH - 28) / 2
        painter.setPen(muted)
        if not reads and not writes:
            summary = {"end": "finishes the run", "input": "asks for input"}.get(
                self.node.kind, "reads and writes nothing"
            )
            painter.drawText(
                QRectF(14, top, NODE_WIDTH - 24, ROW_HEIGHT), Qt.AlignmentFlag.AlignLeft, summary
            )
            return
        for i, key in enumerate(reads):
            label = metrics.elidedText(f"← {key}", Qt.TextElideMode.ElideRight, column)
            painter.drawText(
                QRectF(14, top + i * ROW_HEIGHT, column, ROW_HEIGHT),
                Qt.AlignmentFlag.AlignLeft,
                label,
            )
        painter.setPen(text)
        for i, key in enumerate(writes):
            label = metrics.elidedText(f"{key} →", Qt.TextElideMode.ElideLeft, column)
            painter.drawText(
                QRectF(14 + column, top + i * ROW_HEIGHT, column, ROW_HEIGHT),
                Qt.AlignmentFlag.AlignRight,
                label,
            )

    def _paint_badges(self, painter: QPainter, font: QFont) -> None:
        if self.is_entrypoint:
            accent = _color("accent", "#2563eb")
            triangle = QPolygonF(
                [
                    QPointF(-14, self._height / 2 - 8),
                    QPointF(-3, self._height / 2),
                    QPointF(-14, self._height / 2 + 8),
                ]
            )
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(accent)
            painter.drawPolygon(triangle)
        if self.node.breakpoint:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(_color("error", "#dc2626"))
            painter.drawEllipse(QPointF(-6, 6), 5, 5)
        if self.visits:
            label = f"×{self.visits}"
            metrics = QFontMetricsF(font)
            width = metrics.horizontalAdvance(label) + 12
            pill = QRectF(NODE_WIDTH - width - 14, self._height - 9, width, 18)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(_color("accent", "#2563eb"))
            painter.drawRoundedRect(pill, 9, 9)
            painter.setPen(_color("accent_text", "#ffffff"))
            painter.setFont(font)
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, label)
        if self.problems:
            severe = any(p.severity == "error" for p in self.problems)
            color = _color("error", "#dc2626") if severe else _color("warning", "#d97706")
            center = QPointF(NODE_WIDTH - 2, 0)
            painter.setPen(QPen(_color("node_fill", "#ffffff"), 2))
            painter.setBrush(color)
            painter.drawEllipse(center, 9, 9)
            painter.setPen(QColor("#ffffff"))
            bold = QFont(font)
            bold.setBold(True)
            painter.setFont(bold)
            painter.drawText(
                QRectF(center.x() - 9, center.y() - 9, 18, 18), Qt.AlignmentFlag.AlignCenter, "!"
            )

    def contextMenuEvent(self, event: Any) -> None:  # noqa: N802
        scene = self.scene()
        if isinstance(scene, FlowScene):
            if not self.isSelected():
                scene.select_only(self.node_id)
            scene.nodeContextMenuRequested.emit(self.node_id, event.screenPos())
            event.accept()

    def set_visits(self, count: int) -> None:
        if count != self.visits:
            self.visits = count
            self.update()

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: object) -> object:  # noqa: N802
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionChange and isinstance(
            value, QPointF
        ):
            scene = self.scene()
            if isinstance(scene, FlowScene) and scene.snap_to_grid and scene.is_dragging:
                return QPointF(round(value.x() / GRID) * GRID, round(value.y() / GRID) * GRID)
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for edge in self.edges:
                edge.update_path()
        return super().itemChange(change, value)


class EdgeItem(QGraphicsPathItem):
    """A transition: a curved arrow with its condition as a label."""

    def __init__(self, index: int, edge: FlowEdge, source: NodeItem, target: NodeItem, lane: int):
        super().__init__()
        self.index = index
        self.edge = edge
        self.source = source
        self.target = target
        self.lane = lane
        self.problems: list[Problem] = []
        self.traversed = 0
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(-1)
        self.setAcceptHoverEvents(True)
        source.edges.append(self)
        if target is not source:
            target.edges.append(self)
        self._label_rect = QRectF()
        self._arrow = QPolygonF()
        self._bounds = QRectF()
        self.update_path()

    def detach(self) -> None:
        for node in (self.source, self.target):
            if self in node.edges:
                node.edges.remove(self)

    def update_path(self) -> None:
        self.prepareGeometryChange()
        start, end = self.source.output_point(), self.target.input_point()
        path = QPainterPath(start)
        offset = self.lane * 26.0
        if self.source is self.target:
            rect = self.source.sceneBoundingRect()
            top = rect.top() - 46 - offset
            path.cubicTo(
                start + QPointF(80, 0),
                QPointF(start.x() + 60, top),
                QPointF(rect.center().x(), top),
            )
            path.cubicTo(QPointF(end.x() - 60, top), end - QPointF(80, 0), end)
        elif end.x() > start.x() + 20:
            dx = max((end.x() - start.x()) / 2, 40)
            path.cubicTo(start + QPointF(dx, offset), end - QPointF(dx, -offset), end)
        else:
            source_rect = self.source.sceneBoundingRect()
            target_rect = self.target.sceneBoundingRect()
            below = max(source_rect.bottom(), target_rect.bottom()) + 40 + offset
            path.cubicTo(
                start + QPointF(90, 0),
                QPointF(start.x() + 90, below),
                QPointF((start.x() + end.x()) / 2, below),
            )
            path.cubicTo(QPointF(end.x() - 90, below), end - QPointF(90, 0), end)
        self.setPath(path)
        tip = path.pointAtPercent(1.0)
        angle = math.radians(-path.angleAtPercent(0.99))
        size = 10.0
        self._arrow = QPolygonF(
            [
                tip,
                tip - QPointF(math.cos(angle - 0.4) * size, math.sin(angle - 0.4) * size),
                tip - QPointF(math.cos(angle + 0.4) * size, math.sin(angle + 0.4) * size),
            ]
        )
        label = self.label_text()
        if label:
            font = QFont()
            font.setPointSizeF(8.5)
            width = min(QFontMetricsF(font).horizontalAdvance(label) + 14, 200)
            middle = path.pointAtPercent(0.5)
            self._label_rect = QRectF(middle.x() - width / 2, middle.y() - 10, width, 20)
        else:
            self._label_rect = QRectF()
        self._bounds = (
            super()
            .boundingRect()
            .united(self._label_rect)
            .united(self._arrow.boundingRect())
            .adjusted(-4, -4, 4, 4)
        )

    def label_text(self) -> str:
        text = self.edge.condition_label
        if self.traversed:
            text = f"{text}  ×{self.traversed}" if text else f"×{self.traversed}"
        return text

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self._bounds  # computed with the path: Qt asks for it thousands of times

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(12)
        shape = stroker.createStroke(self.path())
        if not self._label_rect.isNull():
            shape.addRect(self._label_rect)
        return shape

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        detailed = option.levelOfDetailFromTransform(painter.worldTransform()) >= OUTLINE_DETAIL
        if detailed:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.isSelected():
            color = _color("accent", "#2563eb")
        elif any(p.severity == "error" for p in self.problems):
            color = _color("error", "#dc2626")
        else:
            color = _color("edge", "#94a3b8")
        width = 2.6 if self.isSelected() else 1.8
        dashed = self.edge.condition_kind != "default"
        pen = QPen(
            color,
            width,
            Qt.PenStyle.DashLine if dashed and not self.isSelected() else Qt.PenStyle.SolidLine,
        )
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawPolygon(self._arrow)
        label = self.label_text() if detailed else ""
        if label and not self._label_rect.isNull():
            painter.setPen(QPen(color, 1))
            painter.setBrush(_color("edge_label_background", "#f8fafc"))
            painter.drawRoundedRect(self._label_rect, 9, 9)
            font = QFont(painter.font())
            font.setPointSizeF(8.5)
            painter.setFont(font)
            painter.setPen(_color("text", "#1e293b"))
            elided = QFontMetricsF(font).elidedText(
                label, Qt.TextElideMode.ElideRight, self._label_rect.width() - 10
            )
            painter.drawText(self._label_rect, Qt.AlignmentFlag.AlignCenter, elided)


class FlowScene(QGraphicsScene):
    """Items for every node and edge of the model, kept in step with its signals."""

    connectionDroppedOnCanvas = Signal(str, QPointF)
    nodeContextMenuRequested = Signal(str, QPoint)

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
        self.llm_echo = False
        """LLM nodes would run in echo mode (no endpoint): their cards say so."""
        self.nodes: dict[str, NodeItem] = {}
        self.edges: list[EdgeItem] = []
        self.snap_to_grid = True
        self.is_dragging = False
        self._press_positions: dict[str, tuple[float, float]] = {}
        self._pending_connection: QGraphicsPathItem | None = None
        self._connection_source: NodeItem | None = None
        self.setSceneRect(QRectF(-2000, -2000, 4000, 4000))
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
        self.setBackgroundBrush(QBrush(_color("canvas_background", "#f8fafc")))
        self.update()

    def rebuild(self) -> None:
        for edge in self.edges:
            self.removeItem(edge)
        self.edges = []
        for item in self.nodes.values():
            self.removeItem(item)
        self.nodes = {}
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
            self.removeItem(item)

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
        lanes: dict[tuple[str, str], int] = {}
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
            item = EdgeItem(index, edge, source, target, lane)
            self.addItem(item)
            item.setSelected(index in selected)
            self.edges.append(item)

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
        pen = QPen(_color("accent", "#2563eb"), 2, Qt.PenStyle.DashLine)
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
            condition = "expr: True"
        self.undo_stack.push(
            ConnectCommand(self.model, FlowEdge(source=source, target=target, condition=condition))
        )


class MiniMap(QFrame):
    """An overview of the whole flow in the canvas corner; click or drag to move there.

    The flow is rendered into a picture a moment after it changes, not on every repaint: a
    500-node flow would otherwise be drawn twice for each frame of the main view.
    """

    def __init__(self, main_view: FlowView):
        super().__init__(main_view)
        self.main_view = main_view
        self.setFixedSize(180, 110)
        self.setObjectName("miniMap")
        self.setToolTip("Overview: click to move the view")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self._picture = QPixmap()
        self._source = QRectF()  # the scene rectangle the picture shows
        self._target = QRectF()  # where the picture is drawn in this widget
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.refit)
        main_view.scene().changed.connect(self._schedule_refit)

    def _schedule_refit(self, _regions: object) -> None:
        if not self._timer.isActive():
            large = len(self.main_view.flow_scene.nodes) > LARGE_FLOW
            self._timer.start(150 if large else 0)

    def refit(self) -> None:
        """Renders the whole flow, fitted, into the picture."""
        scene = self.main_view.scene()
        area = QRectF(self.contentsRect())
        bounds = scene.itemsBoundingRect().adjusted(-60, -60, 60, 60)
        if not bounds.isValid() or bounds.isEmpty() or area.isEmpty():
            self._picture, self._source = QPixmap(), QRectF()
            self.update()
            return
        scale = min(area.width() / bounds.width(), area.height() / bounds.height())
        size = QSize(max(int(bounds.width() * scale), 1), max(int(bounds.height() * scale), 1))
        ratio = self.devicePixelRatioF()
        picture = QPixmap(size * ratio)
        picture.setDevicePixelRatio(ratio)
        picture.fill(Qt.GlobalColor.transparent)
        painter = QPainter(picture)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        scene.render(painter, QRectF(0, 0, size.width(), size.height()), bounds)
        painter.end()
        self._picture, self._source = picture, bounds
        left = area.left() + (area.width() - size.width()) / 2
        top = area.top() + (area.height() - size.height()) / 2
        self._target = QRectF(left, top, size.width(), size.height())
        self.update()

    def _to_widget(self, point: QPointF) -> QPointF:
        scale = self._target.width() / self._source.width()
        return QPointF(
            self._target.left() + (point.x() - self._source.left()) * scale,
            self._target.top() + (point.y() - self._source.top()) * scale,
        )

    def _to_scene(self, point: QPointF) -> QPointF:
        scale = self._source.width() / self._target.width()
        return QPointF(
            self._source.left() + (point.x() - self._target.left()) * scale,
            self._source.top() + (point.y() - self._target.top()) * scale,
        )

    def paintEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        painter = QPainter(self)
        painter.fillRect(self.contentsRect(), _color("canvas_background", "#f8fafc"))
        if self._picture.isNull() or self._source.isEmpty():
            return
        painter.drawPixmap(self._target.topLeft(), self._picture)
        view = self.main_view
        visible = view.mapToScene(view.viewport().rect()).boundingRect()
        content = self._source.adjusted(60, 60, -60, -60)
        if visible.contains(content):
            return  # everything is on screen: no frame to show
        frame = QRectF(self._to_widget(visible.topLeft()), self._to_widget(visible.bottomRight()))
        painter.setPen(QPen(_color("accent", "#2563eb"), 1))
        fill = QColor(_color("accent", "#2563eb"))
        fill.setAlpha(18)
        painter.setBrush(fill)
        painter.setClipRect(self.contentsRect())
        painter.drawRect(frame)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._source.isEmpty():
            return
        self.main_view.centerOn(self._to_scene(event.position()))
        self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.mousePressEvent(event)


class FlowView(QGraphicsView):
    """Zoom around the cursor, pan with the middle button or space+drag, rubber-band select,
    drop node kinds from the palette, Tab or double-click for the add-node popup."""

    nodeKindDropped = Signal(str, QPointF)
    addNodeRequested = Signal(QPointF)
    zoomChanged = Signal(float)

    def __init__(self, scene: FlowScene, parent: QWidget | None = None):
        super().__init__(scene, parent)
        self.flow_scene = scene
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.BoundingRectViewportUpdate)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._panning: QPointF | None = None
        self._space_down = False
        self.minimap = MiniMap(self)
        self.horizontalScrollBar().valueChanged.connect(self.minimap.update)
        self.verticalScrollBar().valueChanged.connect(self.minimap.update)
        self.on_paste: Callable[[], None] | None = None

    def resizeEvent(self, event: object) -> None:  # noqa: N802
        super().resizeEvent(event)  # type: ignore[arg-type]
        margin = 12
        self.minimap.move(
            self.viewport().width() - self.minimap.width() - margin,
            self.viewport().height() - self.minimap.height() - margin,
        )

    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
        current = self.zoom()
        factor = max(0.1 / current, min(factor, 3.0 / current))
        self.scale(factor, factor)
        self.zoomChanged.emit(self.zoom())
        self.minimap.update()

    def zoom_to_fit(self, rect: QRectF | None = None) -> None:
        target = rect if rect is not None else self.scene().itemsBoundingRect()
        if not target.isValid() or target.isEmpty():
            return
        self.fitInView(target.adjusted(-60, -60, 60, 60), Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom() > 1.25:
            self.zoom_by(1.25 / self.zoom())
        self.zoomChanged.emit(self.zoom())
        self.minimap.update()

    def zoom_to_selection(self) -> None:
        items = self.scene().selectedItems()
        if not items:
            return
        rect = items[0].sceneBoundingRect()
        for item in items[1:]:
            rect = rect.united(item.sceneBoundingRect())
        self.zoom_to_fit(rect)

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        painter.fillRect(rect, _color("canvas_background", "#f8fafc"))
        if self.zoom() < 0.35:
            return
        grid = _color("canvas_grid", "#e2e8f0")
        painter.setPen(QPen(grid, 0))
        step = GRID * 2
        left = math.floor(rect.left() / step) * step
        top = math.floor(rect.top() / step) * step
        points = []
        y = top
        while y < rect.bottom():
            x = left
            while x < rect.right():
                points.append(QPointF(x, y))
                x += step
            y += step
        painter.setPen(QPen(grid, 2.0 / max(self.zoom(), 0.1)))
        painter.drawPoints(points)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        delta = event.angleDelta().y()
        if delta:
            self.zoom_by(1.0015**delta)
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.MiddleButton or (
            self._space_down and event.button() == Qt.MouseButton.LeftButton
        ):
            self._panning = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._panning is not None:
            delta = event.position() - self._panning
            self._panning = event.position()
            self.horizontalScrollBar().setValue(int(self.horizontalScrollBar().value() - delta.x()))
            self.verticalScrollBar().setValue(int(self.verticalScrollBar().value() - delta.y()))
            self.minimap.update()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._panning is not None:
            self._panning = None
            self.viewport().unsetCursor()
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        scene_pos = self.mapToScene(event.position().toPoint())
        if self.flow_scene.read_only:
            return
        if self.flow_scene.itemAt(scene_pos, self.transform()) is None:
            self.addNodeRequested.emit(scene_pos)
            return
        super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        if key == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_down = True
            self.setDragMode(QGraphicsView.DragMode.NoDrag)
            return
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.flow_scene.delete_selection()
            return
        step = 1.0 if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else GRID
        moves = {
            Qt.Key.Key_Left: (-step, 0),
            Qt.Key.Key_Right: (step, 0),
            Qt.Key.Key_Up: (0, -step),
            Qt.Key.Key_Down: (0, step),
        }
        if key in moves and self.flow_scene.selected_node_ids():
            self.flow_scene.nudge_selection(*moves[key])
            return
        if key == Qt.Key.Key_Tab and not self.flow_scene.read_only:
            cursor = self.mapFromGlobal(self.cursor().pos())
            inside = self.viewport().rect().contains(cursor)
            point = cursor if inside else self.viewport().rect().center()
            self.addNodeRequested.emit(self.mapToScene(point))
            return
        super().keyPressEvent(event)

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802, A002 - Qt override; Tab adds a node
        return False

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_down = False
            self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
            return
        super().keyReleaseEvent(event)

    def dragEnterEvent(self, event: object) -> None:  # noqa: N802
        mime = event.mimeData()  # type: ignore[attr-defined]
        if mime.hasFormat(NODE_KIND_MIME) and not self.flow_scene.read_only:
            event.acceptProposedAction()  # type: ignore[attr-defined]
        else:
            event.ignore()  # type: ignore[attr-defined]

    def dragMoveEvent(self, event: object) -> None:  # noqa: N802
        self.dragEnterEvent(event)

    def dropEvent(self, event: object) -> None:  # noqa: N802
        mime = event.mimeData()  # type: ignore[attr-defined]
        if not mime.hasFormat(NODE_KIND_MIME) or self.flow_scene.read_only:
            event.ignore()  # type: ignore[attr-defined]
            return
        kind = bytes(mime.data(NODE_KIND_MIME).data()).decode()
        scene_pos = self.mapToScene(event.position().toPoint())  # type: ignore[attr-defined]
        self.nodeKindDropped.emit(kind, scene_pos)
        event.acceptProposedAction()  # type: ignore[attr-defined]
