"""A transition's curved arrow, labelled with its condition (dashed when conditional)."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QStyleOptionGraphicsItem,
    QWidget,
)

from burrdesk.model.edge_route import route_runs
from burrdesk.model.flow_document import FlowEdge
from burrdesk.model.flow_validation import Problem
from burrdesk.model.rect_index import Rect
from burrdesk.views.canvas.canvas_scene import CanvasScene
from burrdesk.views.canvas.card_style import OUTLINE_DETAIL, canvas_color
from burrdesk.views.canvas.node_item import NodeItem

ROUTE_REACH = 1500.0
"""How far above and below its ends an arrow looks for cards in its way (and so how far it
may detour around them)."""
ROUTED_WHILE_MOVING = 2
"""Moved cards up to which arrows route at once (a drag); more wait for the batch to end."""
LABEL_SPOTS = (0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74, 0.18, 0.82)
"""Where along its arrow a label may sit, by preference."""


class EdgeItem(QGraphicsPathItem):
    """A transition: a curved arrow with its condition as a label."""

    def __init__(
        self,
        index: int,
        edge: FlowEdge,
        source: NodeItem,
        target: NodeItem,
        lane: int,
        *,
        otherwise: bool = False,
    ):
        super().__init__()
        self.index = index
        self.edge = edge
        self.otherwise = otherwise
        """A default transition beside conditional ones: labelled "otherwise", so one sees
        which arrow is taken when no condition holds."""
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
        self.shaped_by = QRectF()
        """Where cards moving in or out may change this arrow's way."""

    def detach(self) -> None:
        for node in (self.source, self.target):
            if self in node.edges:
                node.edges.remove(self)

    def update_path(self) -> None:
        """Draws the arrow between its ends' ports (call it once the item is in its scene:
        the way it takes depends on the cards around it)."""
        self.prepareGeometryChange()
        start, end = self.source.output_point(), self.target.input_point()
        offset = self.lane * 26.0
        route = self._routing()
        avoided = QRectF()
        if self.source is self.target:
            path = QPainterPath(start)
            rect = self.source.sceneBoundingRect()
            level = rect.top() - 46 - offset
            above = QRectF(rect.left(), level - 12, rect.width(), rect.top() - level + 12)
            if route and self._cards(above):  # a card close above: loop below if free
                under = rect.bottom() + 46 + offset
                below = QRectF(rect.left(), rect.bottom(), rect.width(), under + 12 - rect.bottom())
                if not self._cards(below):
                    level = under
                    avoided = above
            path.cubicTo(
                start + QPointF(80, 0),
                QPointF(start.x() + 60, level),
                QPointF(rect.center().x(), level),
            )
            path.cubicTo(QPointF(end.x() - 60, level), end - QPointF(80, 0), end)
        elif end.x() > start.x() + 20:
            path = QPainterPath(start)
            dx = max((end.x() - start.x()) / 2, 40)
            path.cubicTo(start + QPointF(dx, offset), end - QPointF(dx, -offset), end)
            if route and self._cards_behind(path):
                path = self._routed_forward(start, end, offset) or path
        else:
            path = self._routed_back(start, end, offset, route=route)
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
            self._label_rect = self._label_place(path, width, route=route)
        else:
            self._label_rect = QRectF()
        self._bounds = (
            super()
            .boundingRect()
            .united(self._label_rect)
            .united(self._arrow.boundingRect())
            .adjusted(-4, -4, 4, 4)
        )
        scene = self.scene()
        if isinstance(scene, CanvasScene):
            scene.label_placed(self, self._label_rect)
        # Its own extent, and the room above a self-loop that had to go below.
        self.shaped_by = self._bounds.united(avoided) if avoided.isValid() else self._bounds

    def _routing(self) -> bool:
        """Whether to look for cards in the way now, rather than when a batch of moves ends."""
        scene = self.scene()
        return isinstance(scene, CanvasScene) and scene.moves_pending <= ROUTED_WHILE_MOVING

    def _cards(self, area: QRectF, *, ends: bool = False) -> list[NodeItem]:
        """The cards touching `area`, this arrow's own ends only if asked for."""
        scene = self.scene()
        if not isinstance(scene, CanvasScene):
            return []
        return [
            card
            for card in scene.cards_touching(area)
            if ends or (card is not self.source and card is not self.target)
        ]

    def _cards_behind(self, path: QPainterPath) -> bool:
        """Whether the arrow passes behind, or grazes, a card other than its ends."""
        stroker = QPainterPathStroker()
        stroker.setWidth(8)
        stroke = stroker.createStroke(path)
        return any(
            stroke.intersects(card.mapRectToScene(card.rect()))
            for card in self._cards(stroke.boundingRect())
        )

    def _obstacles(self, low: float, high: float, y: float, *, ends: bool) -> list[Rect]:
        """Every card standing between x `low` and `high` near height `y` (the ends too when
        the arrow loops back past them), as rectangles for the router."""
        band = QRectF(low, y - ROUTE_REACH, high - low, 2 * ROUTE_REACH)
        return [card.scene_rect() for card in self._cards(band, ends=ends)]

    def _routed_forward(self, start: QPointF, end: QPointF, offset: float) -> QPainterPath | None:
        """A path through the gaps between the cards that stand between the two ends."""
        obstacles = self._obstacles(start.x(), end.x(), start.y(), ends=False)
        obstacles = [r for r in obstacles if r[2] > start.x() and r[0] < end.x()]
        runs = route_runs(start.x(), end.x(), start.y() + offset, end.y() + offset, obstacles)
        if not runs:
            return None
        path = QPainterPath(start)
        for enter, leave, y in runs:
            _level_bend(path, QPointF(enter, y))
            path.lineTo(leave, y)
        _level_bend(path, end)
        return path

    def _routed_back(
        self, start: QPointF, end: QPointF, offset: float, *, route: bool = True
    ) -> QPainterPath:
        """An arrow back to an earlier card: out to the right, level below the cards it passes
        (or through a gap between them), and in from the left."""
        below = (
            max(self.source.sceneBoundingRect().bottom(), self.target.sceneBoundingRect().bottom())
            + 40
            + offset
        )
        low, high = min(start.x(), end.x()), max(start.x(), end.x())
        obstacles = self._obstacles(low, high, below, ends=True) if route else []
        runs = route_runs(high, low, below, below, obstacles) or [(high, low, below)]
        path = QPainterPath(start)
        first_y, last_y = runs[0][2], runs[-1][2]
        path.cubicTo(
            start + QPointF(90, 0), QPointF(start.x() + 90, first_y), QPointF(start.x(), first_y)
        )
        for i, (enter, leave, y) in enumerate(runs):
            if i:
                _level_bend(path, QPointF(enter, y))
            else:
                path.lineTo(enter, y)
            path.lineTo(leave, y)
        path.lineTo(end.x(), last_y)
        path.cubicTo(QPointF(end.x() - 90, last_y), end - QPointF(90, 0), end)
        return path

    def _label_place(self, path: QPainterPath, width: float, *, route: bool) -> QRectF:
        """The label's box: at the arrow's middle, or the nearest point along it where the
        label covers no card (a label under a card cannot be read or clicked) and, if it can,
        no other arrow's label."""
        scene = self.scene()
        middle = clear = None
        for share in LABEL_SPOTS if route else LABEL_SPOTS[:1]:
            at = path.pointAtPercent(share)
            rect = QRectF(at.x() - width / 2, at.y() - 10, width, 20)
            if middle is None:
                middle = rect
            if self._cards(rect) or self._covers_own_end(rect):
                continue
            if not isinstance(scene, CanvasScene) or all(
                e is self for e in scene.labels_touching(rect)
            ):
                return rect
            if clear is None:
                clear = rect
        return clear if clear is not None else middle if middle is not None else QRectF()

    def _covers_own_end(self, rect: QRectF) -> bool:
        return any(end.sceneBoundingRect().intersects(rect) for end in (self.source, self.target))

    @property
    def label_rect(self) -> QRectF:
        """Where the label is drawn, in scene coordinates (null: the arrow has none)."""
        return QRectF(self._label_rect)

    def label_text(self) -> str:
        text = self.edge.condition_label or ("otherwise" if self.otherwise else "")
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
            color = canvas_color("accent", "#2563eb")
        elif any(p.severity == "error" for p in self.problems):
            color = canvas_color("error", "#dc2626")
        else:
            color = canvas_color("edge", "#94a3b8")
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
            painter.setBrush(canvas_color("edge_label_background", "#f8fafc"))
            painter.drawRoundedRect(self._label_rect, 9, 9)
            font = QFont(painter.font())
            font.setPointSizeF(8.5)
            painter.setFont(font)
            painter.setPen(canvas_color("text", "#1e293b"))
            elided = QFontMetricsF(font).elidedText(
                label, Qt.TextElideMode.ElideRight, self._label_rect.width() - 10
            )
            painter.drawText(self._label_rect, Qt.AlignmentFlag.AlignCenter, elided)


def _level_bend(path: QPainterPath, to: QPointF) -> None:
    """Continues `path` to `to` with a curve that leaves and arrives level."""
    here = path.currentPosition()
    half = (to.x() - here.x()) / 2
    path.cubicTo(here + QPointF(half, 0), to - QPointF(half, 0), to)
