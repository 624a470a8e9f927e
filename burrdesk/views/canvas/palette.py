"""The palette: node kinds to drag onto the canvas (or double-click), and the example flows."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QDrag
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from burrdesk.model import resource_location
from burrdesk.model.flow_document import NODE_KINDS
from burrdesk.model.node_templates import KIND_DESCRIPTIONS
from burrdesk.views import theme
from burrdesk.views.canvas.flow_view import NODE_KIND_MIME

EXAMPLES_DIR = resource_location.examples_dir()


class KindList(QListWidget):
    """Node kinds that drag onto the canvas with the node-kind MIME type."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setDragEnabled(True)
        self.setDragDropMode(QListWidget.DragDropMode.DragOnly)
        self.setObjectName("kindList")
        for kind in NODE_KINDS:
            item = QListWidgetItem(
                theme.icon(f"node-{kind}"), kind.capitalize() if kind != "llm" else "LLM"
            )
            item.setData(Qt.ItemDataRole.UserRole, kind)
            item.setToolTip(KIND_DESCRIPTIONS[kind] + "\nDrag onto the canvas, or double-click.")
            self.addItem(item)

    def mimeData(self, items: list[QListWidgetItem]) -> QMimeData:  # noqa: N802 - Qt override
        mime = QMimeData()
        if items:
            mime.setData(NODE_KIND_MIME, str(items[0].data(Qt.ItemDataRole.UserRole)).encode())
        return mime

    def startDrag(self, actions: Qt.DropAction) -> None:  # noqa: N802
        item = self.currentItem()
        if item is None:
            return
        drag = QDrag(self)
        drag.setMimeData(self.mimeData([item]))
        drag.setPixmap(item.icon().pixmap(32, 32))
        drag.exec(Qt.DropAction.CopyAction)


class Palette(QWidget):
    """Left panel: what can be added, and the example flows."""

    addKindRequested = Signal(str)
    exampleRequested = Signal(Path)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        heading = QLabel("Nodes")
        heading.setObjectName("sectionHeading")
        layout.addWidget(heading)
        hint = QLabel("Drag onto the canvas, or double-click to add at the centre.")
        hint.setWordWrap(True)
        hint.setObjectName("hint")
        layout.addWidget(hint)
        self.kinds = KindList(self)
        self.kinds.itemDoubleClicked.connect(
            lambda item: self.addKindRequested.emit(item.data(Qt.ItemDataRole.UserRole))
        )
        layout.addWidget(self.kinds, 2)
        examples_heading = QLabel("Examples")
        examples_heading.setObjectName("sectionHeading")
        layout.addWidget(examples_heading)
        self.examples = QListWidget(self)
        self.examples.setObjectName("exampleList")
        for path in resource_location.example_flows():
            item = QListWidgetItem(theme.icon("open"), path.stem.replace("_", " "))
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setToolTip(f"Open {path.name}")
            self.examples.addItem(item)
        self.examples.itemActivated.connect(
            lambda item: self.exampleRequested.emit(Path(item.data(Qt.ItemDataRole.UserRole)))
        )
        layout.addWidget(self.examples, 3)
