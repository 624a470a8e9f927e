"""A node's card on the canvas, and the handle on its right edge that starts a connection."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsSceneHoverEvent,
    QGraphicsSceneMouseEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from burrdesk.model.flow_document import FlowNode
from burrdesk.model.flow_layout import NODE_WIDTH
from burrdesk.model.flow_validation import Problem, node_reads, node_writes
from burrdesk.model.rect_index import Rect
from burrdesk.views import theme
from burrdesk.views.canvas.canvas_scene import CanvasScene
from burrdesk.views.canvas.card_style import (
    GRID,
    HEADER_HEIGHT,
    KIND_COLORS,
    OUTLINE_DETAIL,
    PORT_RADIUS,
    ROW_HEIGHT,
    canvas_color,
    node_height,
)

if TYPE_CHECKING:
    from burrdesk.views.canvas.edge_item import EdgeItem


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
        accent = canvas_color("accent", "#2563eb")
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(accent, 2))
        painter.setBrush(accent if self._hover else canvas_color("canvas_background", "#ffffff"))
        painter.drawEllipse(QPointF(0, 0), PORT_RADIUS, PORT_RADIUS)

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        self._hover = True
        self.update()

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        self._hover = False
        self.update()

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        scene = self.scene()
        if isinstance(scene, CanvasScene) and event.button() == Qt.MouseButton.LeftButton:
            scene.begin_connection(self.node_item, event.scenePos())
            event.accept()
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        scene = self.scene()
        if isinstance(scene, CanvasScene):
            scene.drag_connection(event.scenePos())

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        scene = self.scene()
        if isinstance(scene, CanvasScene):
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
        scene = self.scene()
        if isinstance(scene, CanvasScene):
            scene.card_moved(self)
        for edge in self.edges:
            edge.update_path()

    def scene_rect(self) -> Rect:
        """The card's body in scene coordinates (left, top, right, bottom)."""
        at = self.scenePos()
        return at.x(), at.y(), at.x() + NODE_WIDTH, at.y() + self._height

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
        kind_color = canvas_color(kind_name, kind_fallback)
        if option.levelOfDetailFromTransform(painter.worldTransform()) < OUTLINE_DETAIL:
            self._paint_outline(painter, rect, kind_color)
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        text = canvas_color("text", "#1e293b")
        muted = canvas_color("muted_text", "#64748b")
        border = canvas_color("node_border", "#cbd5e1")
        fill = canvas_color("node_fill", "#ffffff")

        shadow = QColor(0, 0, 0, 38)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(shadow)
        painter.drawRoundedRect(rect.translated(0, 3), 10, 10)

        if self.isSelected():
            pen = QPen(canvas_color("accent", "#2563eb"), 2.5)
        elif self.highlight == "running":
            pen = QPen(canvas_color("accent", "#2563eb"), 3, Qt.PenStyle.DashLine)
        elif self.highlight == "failed" or any(p.severity == "error" for p in self.problems):
            pen = QPen(canvas_color("error", "#dc2626"), 2)
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
        echo = node.kind == "llm" and isinstance(scene, CanvasScene) and scene.llm_echo
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
            painter.setPen(canvas_color("warning", "#b8720a"))
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
            border = QPen(canvas_color("accent", "#2563eb"), 3)
        elif self.highlight == "failed" or any(p.severity == "error" for p in self.problems):
            border = QPen(canvas_color("error", "#dc2626"), 3)
        else:
            border = QPen(canvas_color("node_border", "#cbd5e1"), 1)
        painter.setPen(border)
        painter.setBrush(canvas_color("node_fill", "#ffffff"))
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
            accent = canvas_color("accent", "#2563eb")
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
            painter.setBrush(canvas_color("error", "#dc2626"))
            painter.drawEllipse(QPointF(-6, 6), 5, 5)
        if self.visits:
            label = f"×{self.visits}"
            metrics = QFontMetricsF(font)
            width = metrics.horizontalAdvance(label) + 12
            pill = QRectF(NODE_WIDTH - width - 14, self._height - 9, width, 18)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(canvas_color("accent", "#2563eb"))
            painter.drawRoundedRect(pill, 9, 9)
            painter.setPen(canvas_color("accent_text", "#ffffff"))
            painter.setFont(font)
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, label)
        if self.problems:
            severe = any(p.severity == "error" for p in self.problems)
            color = (
                canvas_color("error", "#dc2626") if severe else canvas_color("warning", "#d97706")
            )
            center = QPointF(NODE_WIDTH - 2, 0)
            painter.setPen(QPen(canvas_color("node_fill", "#ffffff"), 2))
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
        if isinstance(scene, CanvasScene):
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
            if isinstance(scene, CanvasScene) and scene.snap_to_grid and scene.is_dragging:
                return QPointF(round(value.x() / GRID) * GRID, round(value.y() / GRID) * GRID)
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            scene = self.scene()
            if isinstance(scene, CanvasScene):
                scene.card_moved(self)
            for edge in self.edges:
                edge.update_path()
        return super().itemChange(change, value)
