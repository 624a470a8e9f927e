"""A transition's curved arrow, labelled with its condition (dashed when conditional)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

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

from burrdesk.model.flow_document import FlowEdge
from burrdesk.model.flow_validation import Problem
from burrdesk.views.canvas.card_style import OUTLINE_DETAIL, canvas_color

if TYPE_CHECKING:
    from burrdesk.views.canvas.node_item import NodeItem


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
