"""The overview in the canvas corner: the whole flow, with the visible part outlined."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import (
    QColor,
    QMouseEvent,
    QPainter,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import (
    QFrame,
)

from burrdesk.views.canvas.card_style import canvas_color

if TYPE_CHECKING:
    from burrdesk.views.canvas.flow_view import FlowView

LARGE_FLOW = 150
"""Nodes above which the overview waits for changes to settle before redrawing itself."""


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
        painter.fillRect(self.contentsRect(), canvas_color("canvas_background", "#f8fafc"))
        if self._picture.isNull() or self._source.isEmpty():
            return
        painter.drawPixmap(self._target.topLeft(), self._picture)
        view = self.main_view
        visible = view.mapToScene(view.viewport().rect()).boundingRect()
        content = self._source.adjusted(60, 60, -60, -60)
        if visible.contains(content):
            return  # everything is on screen: no frame to show
        frame = QRectF(self._to_widget(visible.topLeft()), self._to_widget(visible.bottomRight()))
        painter.setPen(QPen(canvas_color("accent", "#2563eb"), 1))
        fill = QColor(canvas_color("accent", "#2563eb"))
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
