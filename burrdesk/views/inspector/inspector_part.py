"""The Inspector dock: the selected node or edge, or the flow itself when nothing is selected."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

from burrdesk.views.inspector.inspector import Inspector
from burrdesk.views.window_part import WindowPart

if TYPE_CHECKING:
    from burrdesk.views.main_window import MainWindow

READ_ONLY_MESSAGE = (
    "The canvas shows the flow a recorded run ran, read-only. Choose Edit as New "
    "Flow above it to change and run a copy, or Back to Editor for your flow."
)


class InspectorPart(WindowPart):
    """Follows the canvas selection; says why it is empty while a recorded flow shows."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.panel = Inspector(window.model, window.undo_stack, window)
        self.dock = self.add_dock(
            "Inspector", "inspectorDock", self.panel, Qt.DockWidgetArea.RightDockWidgetArea
        )
        window.scene.selectionChanged.connect(self._show_selection)
        self.panel.edgeSelectionRequested.connect(self._select_edge)

    def connect_parts(self) -> None:
        self.window.canvas.editingEnabledChanged.connect(self._set_editing_enabled)

    def _show_selection(self) -> None:
        scene = self.window.scene
        self.panel.show_selection(scene.selected_node_ids(), scene.selected_edge_indexes())

    def _select_edge(self, index: int) -> None:
        self.window.scene.select_only(edge_index=index)

    def _set_editing_enabled(self, enabled: bool) -> None:
        self.panel.show_message(None if enabled else READ_ONLY_MESSAGE)
