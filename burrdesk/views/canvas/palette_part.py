"""The Palette dock: node kinds to add to the canvas and the example flows to open."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

from burrdesk.views.canvas.palette import Palette
from burrdesk.views.window_part import WindowPart

if TYPE_CHECKING:
    from burrdesk.views.main_window import MainWindow


class PalettePart(WindowPart):
    """A double-clicked kind lands in the middle of the view; an example opens as a copy."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.panel = Palette(window)
        self.dock = self.add_dock(
            "Palette", "paletteDock", self.panel, Qt.DockWidgetArea.LeftDockWidgetArea
        )
        self.panel.addKindRequested.connect(self._add_in_the_middle)
        self.panel.exampleRequested.connect(self._open_example)

    def connect_parts(self) -> None:
        self.window.canvas.editingEnabledChanged.connect(self.panel.setEnabled)

    def _open_example(self, path: Path) -> None:
        self.window.files.open_example(path)

    def _add_in_the_middle(self, kind: str) -> None:
        view = self.window.view
        self.window.editing.add_node(kind, view.mapToScene(view.viewport().rect().center()))
