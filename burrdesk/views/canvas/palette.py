"""The palette: node kinds to drag onto the canvas (or double-click), and the example flows."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QDrag, QResizeEvent
from PySide6.QtWidgets import (
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from burrdesk.model import resource_location
from burrdesk.model.flow_document import NODE_KINDS
from burrdesk.model.node_templates import KIND_DESCRIPTIONS
from burrdesk.views import theme
from burrdesk.views.canvas.flow_view import NODE_KIND_MIME

EXAMPLES_DIR = resource_location.examples_dir()
SHORT_COLUMNS = 2
"""The columns the node kinds take when the palette is too short for one column of them."""


class KindList(QListWidget):
    """Node kinds that drag onto the canvas with the node-kind MIME type.

    The list is always tall enough for every kind: one scrolled out of sight (End, the last)
    is one a new user never finds. When the palette is short (a laptop's screen, under a
    timeline showing its rows) the kinds go `SHORT_COLUMNS` to a row (see `set_columns`)
    rather than taking height from the canvas."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setDragEnabled(True)
        self.setDragDropMode(QListWidget.DragDropMode.DragOnly)
        self.setObjectName("kindList")
        self.setIconSize(QSize(18, 18))
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.columns = 1
        for kind in NODE_KINDS:
            item = QListWidgetItem(
                theme.icon(f"node-{kind}"), kind.capitalize() if kind != "llm" else "LLM"
            )
            item.setData(Qt.ItemDataRole.UserRole, kind)
            item.setToolTip(KIND_DESCRIPTIONS[kind] + "\nDrag onto the canvas, or double-click.")
            self.addItem(item)

    def set_columns(self, columns: int) -> None:
        """One column is a plain list; more is a grid whose cells share the width."""
        if columns == self.columns:
            return
        self.columns = columns
        self.setFlow(QListView.Flow.LeftToRight if columns > 1 else QListView.Flow.TopToBottom)
        self.setWrapping(columns > 1)
        self._fit_grid()
        self.updateGeometry()

    def _fit_grid(self) -> None:
        if self.columns == 1:
            self.setGridSize(QSize())
            return
        # A pixel short of an even share: a cell exactly as wide as the rest wraps.
        width = (self.viewport().width() - 1) // self.columns
        self.setGridSize(QSize(max(width, 1), self._row_height()))

    def _row_height(self) -> int:
        """A kind's row, with the stylesheet's padding once polished."""
        return max((self.sizeHintForRow(row) for row in range(self.count())), default=0)

    def height_for(self, columns: int) -> int:
        """How tall the list is with every kind in sight, `columns` to a row."""
        rows = -(-self.count() // columns)
        return rows * self._row_height() + 2 * self.frameWidth()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(super().sizeHint().width(), self.height_for(self.columns))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """The short palette's grid: the window's layout never depends on which is shown."""
        return QSize(super().minimumSizeHint().width(), self.height_for(SHORT_COLUMNS))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit_grid()

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
        # Tight: on a laptop's screen the palette shares a short row with the canvas. The
        # headings' stylesheet padding spaces the sections.
        layout.setContentsMargins(8, 0, 8, 6)
        layout.setSpacing(4)
        heading = QLabel("Nodes")
        heading.setObjectName("sectionHeading")
        layout.addWidget(heading)
        # Set lines rather than word wrap: a wrapped label's height depends on a width the
        # palette only has once shown, and the window's first layout is worked out before.
        hint = QLabel("Drag onto the canvas,\nor double-click to add.")
        hint.setObjectName("hint")
        layout.addWidget(hint)
        self.kinds = KindList(self)
        self.kinds.itemDoubleClicked.connect(
            lambda item: self.addKindRequested.emit(item.data(Qt.ItemDataRole.UserRole))
        )
        layout.addWidget(self.kinds)
        examples_heading = QLabel("Examples")
        examples_heading.setObjectName("sectionHeading")
        layout.addWidget(examples_heading)
        self.examples = QListWidget(self)
        self.examples.setObjectName("exampleList")
        self.examples.setIconSize(QSize(18, 18))
        # A long name is cut short ("inventory simul…", full in the tip), never scrolled to.
        self.examples.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.examples.setTextElideMode(Qt.TextElideMode.ElideRight)
        for path in resource_location.example_flows():
            item = QListWidgetItem(theme.icon("open"), path.stem.replace("_", " "))
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setToolTip(f"Open {path.stem.replace('_', ' ')} ({path.name})")
            self.examples.addItem(item)
        self.examples.itemActivated.connect(
            lambda item: self.exampleRequested.emit(Path(item.data(Qt.ItemDataRole.UserRole)))
        )
        # The examples take what the kinds leave, down to one row; they scroll, the kinds never.
        self.examples.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        self.examples.setMinimumHeight(self.examples.fontMetrics().height() + 14)
        layout.addWidget(self.examples, 1)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        """The kinds in one column when there is the height for it, else two to a row."""
        super().resizeEvent(event)
        kinds = self.kinds
        spare = self.height() - self.layout().minimumSize().height()
        one_column = kinds.height_for(1) - kinds.height_for(SHORT_COLUMNS)
        kinds.set_columns(1 if spare >= one_column else SHORT_COLUMNS)
