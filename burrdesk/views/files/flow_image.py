"""The canvas as an image file: PNG (rendered at twice the scene's size) or SVG."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QGraphicsScene

from burrdesk.views.canvas.card_style import canvas_color

MARGIN = 40


def render_image(scene: QGraphicsScene, scale: float = 2.0) -> QImage:
    """The whole flow (not just what the view shows), without the selection outline."""
    rect = scene.itemsBoundingRect().adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)
    image = QImage(
        max(int(rect.width() * scale), 1),
        max(int(rect.height() * scale), 1),
        QImage.Format.Format_ARGB32,
    )
    image.fill(canvas_color("canvas_background", "#f8fafc"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    scene.clearSelection()
    scene.render(painter, QRectF(image.rect()), rect)
    painter.end()
    return image


def write_svg(scene: QGraphicsScene, path: Path, title: str) -> None:
    from PySide6.QtSvg import QSvgGenerator

    rect = scene.itemsBoundingRect().adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(rect.size().toSize())
    generator.setViewBox(QRectF(0, 0, rect.width(), rect.height()))
    generator.setTitle(title)
    painter = QPainter(generator)
    scene.clearSelection()
    scene.render(painter, QRectF(0, 0, rect.width(), rect.height()), rect)
    painter.end()
