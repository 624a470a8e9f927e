"""The view around the scene: zoom, pan, rubber-band selection, drops from the palette."""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QGraphicsView,
    QWidget,
)

from burrdesk.views.canvas.card_style import GRID, canvas_color
from burrdesk.views.canvas.flow_scene import FlowScene
from burrdesk.views.canvas.minimap import MiniMap

NODE_KIND_MIME = "application/x-burrdesk-node-kind"


MINIMAP_MARGIN = 12


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
        self._fitted: QRectF | None = None
        """What the last zoom-to-fit fitted, until the person zooms: fitted again when the
        view gets its real size (a view fitted while hidden, before its first layout, showed
        a blank canvas) or is resized."""
        self.minimap = MiniMap(self)
        self.horizontalScrollBar().valueChanged.connect(self.minimap.update)
        self.verticalScrollBar().valueChanged.connect(self.minimap.update)
        self.on_paste: Callable[[], None] | None = None

    def resizeEvent(self, event: object) -> None:  # noqa: N802
        super().resizeEvent(event)  # type: ignore[arg-type]
        self.minimap.move(
            self.viewport().width() - self.minimap.width() - MINIMAP_MARGIN,
            self.viewport().height() - self.minimap.height() - MINIMAP_MARGIN,
        )
        if self._fitted is not None:
            self._fit(self._fitted)

    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
        self._fitted = None
        current = self.zoom()
        factor = max(0.1 / current, min(factor, 3.0 / current))
        self.scale(factor, factor)
        self.zoomChanged.emit(self.zoom())
        self.minimap.update()

    def zoom_to_fit(self, rect: QRectF | None = None) -> None:
        target = rect if rect is not None else self.scene().itemsBoundingRect()
        if not target.isValid() or target.isEmpty():
            return
        self._fitted = QRectF(target)
        self._fit(target)

    def _fit(self, target: QRectF) -> None:
        """Fits `target` into the part of the viewport the overview leaves free: beside it or
        above it, whichever shows the flow larger (fitting the whole viewport put end cards
        under the overview)."""
        padded = target.adjusted(-40, -40, 40, 40)
        width, height = self.viewport().width(), self.viewport().height()
        reserve_w = reserve_h = 0
        if self.minimap.isVisible():
            reserve_w = self.minimap.width() + MINIMAP_MARGIN
            reserve_h = self.minimap.height() + MINIMAP_MARGIN
        areas = [(width - reserve_w, height), (width, height - reserve_h)]
        free_w, free_h = max(
            areas, key=lambda a: min(a[0] / padded.width(), a[1] / padded.height())
        )
        if free_w <= 0 or free_h <= 0:
            return
        scale = min(free_w / padded.width(), free_h / padded.height(), 1.25)
        self.setTransform(QTransform.fromScale(scale, scale))
        offset = QPointF((width - free_w) / 2 / scale, (height - free_h) / 2 / scale)
        center = padded.center() + offset
        shown = QRectF(0, 0, width / scale, height / scale)
        shown.moveCenter(center)
        scene = self.scene()
        if not scene.sceneRect().contains(shown):  # room to scroll the flow clear of it
            scene.setSceneRect(scene.sceneRect().united(shown))
        self.centerOn(center)
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
        painter.fillRect(rect, canvas_color("canvas_background", "#f8fafc"))
        if self.zoom() < 0.35:
            return
        grid = canvas_color("canvas_grid", "#e2e8f0")
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
            self._fitted = None  # the person moves the view: keep it where they put it
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
