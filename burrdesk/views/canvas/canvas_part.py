"""The canvas in the middle of the window: the flow being edited, or the flow a recorded run ran.

It owns the zoom and auto-layout actions (they act on whichever canvas shows) and switches
between the editor and the read-only recorded flow. While a recorded flow shows, editing
commands would act on a flow the person cannot see, so it tells the other parts to disable
theirs (`editingEnabledChanged`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QLabel, QStackedWidget

from burrdesk.model.flow_document import FlowDocument
from burrdesk.model.flow_layout import layout_positions
from burrdesk.model.run_records import RunRecord
from burrdesk.views.canvas.flow_view import FlowView
from burrdesk.views.canvas.recorded_flow_view import RecordedFlowView
from burrdesk.views.canvas.undo_commands import MoveNodesCommand
from burrdesk.views.window_part import WindowPart

if TYPE_CHECKING:
    from burrdesk.views.main_window import MainWindow


class CanvasPart(WindowPart):
    """The central canvas, its zoom and layout actions, and the recorded-flow view."""

    editingEnabledChanged = Signal(bool)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.recorded = RecordedFlowView(window)
        self.stack = QStackedWidget(window)
        self.stack.addWidget(window.view)
        self.stack.addWidget(self.recorded)
        window.setCentralWidget(self.stack)
        self.recorded.backRequested.connect(self.show_editor)
        self.recorded.editAsNewFlowRequested.connect(self.edit_recorded_flow)

        key = QKeySequence.StandardKey
        self.zoom_in_action = self.action(
            "Zoom &In", lambda: self.active_view().zoom_by(1.2), key.ZoomIn, "zoom-in"
        )
        self.zoom_out_action = self.action(
            "Zoom &Out", lambda: self.active_view().zoom_by(1 / 1.2), key.ZoomOut, "zoom-out"
        )
        self.zoom_fit_action = self.action(
            "Zoom to &Fit", lambda: self.active_view().zoom_to_fit(), "Ctrl+0", "zoom-fit"
        )
        self.zoom_selection_action = self.action(
            "Zoom to &Selection",
            lambda: self.active_view().zoom_to_selection(),
            "Ctrl+Shift+0",
            "zoom-selection",
        )
        self.layout_action = self.action("Auto-&layout", self.auto_layout, "Ctrl+L", "layout")
        zooms = (
            self.zoom_in_action,
            self.zoom_out_action,
            self.zoom_fit_action,
            self.zoom_selection_action,
        )
        window.outline.add_to_menu("&View", "zoom", *zooms)
        window.outline.add_to_menu("&View", "arrange", self.layout_action)
        window.outline.add_to_toolbar("zoom", *zooms[:3], self.layout_action)

        self.zoom_label = QLabel("100%")
        window.outline.add_status_widget("zoom", self.zoom_label)
        window.view.zoomChanged.connect(self._show_zoom)
        self.recorded.view.zoomChanged.connect(self._show_zoom)
        self.stack.currentChanged.connect(lambda _index: self._show_zoom())

    def _show_zoom(self, *_zoom: float) -> None:
        """The zoom of the canvas in sight (the edited flow's or a recorded run's)."""
        self.zoom_label.setText(f"{self.active_view().zoom() * 100:.0f}%")

    # --- which canvas shows ------------------------------------------------------------------

    @property
    def showing_recorded_flow(self) -> bool:
        return self.stack.currentWidget() is self.recorded

    def active_view(self) -> FlowView:
        return self.recorded.view if self.showing_recorded_flow else self.window.view

    def show_recorded(
        self,
        run: RunRecord,
        document: FlowDocument,
        *,
        drawn: bool,
        visits: tuple[dict[str, int], dict[str, int]],
    ) -> None:
        """Shows the flow `run` ran, read-only (`drawn`: laid out from its recorded graph)."""
        self.recorded.show_run(run, document, drawn=drawn)
        self.recorded.set_visits(*visits)
        self.recorded.show_step(None)
        self._set_editing_enabled(False)
        self.stack.setCurrentWidget(self.recorded)

    def show_editor(self) -> None:
        """Back to the flow being edited (from a recorded run's flow)."""
        if self.showing_recorded_flow:
            self.stack.setCurrentWidget(self.window.view)
            self._set_editing_enabled(True)

    def edit_recorded_flow(self) -> None:
        """Replaces the edited flow with an untitled copy of the recorded one."""
        document = self.recorded.document.model_copy(deep=True)
        files = self.window.files
        if not files.maybe_save():
            return
        self.show_editor()
        files.set_document(document, None)
        self.status_message(
            f"Editing a copy of the flow of run {self.recorded.run.run_id}; save it to keep it."
            if self.recorded.run is not None
            else "Editing a copy of the recorded flow.",
            6000,
        )

    def _set_editing_enabled(self, enabled: bool) -> None:
        self.layout_action.setEnabled(enabled)
        self.editingEnabledChanged.emit(enabled)

    # --- arranging ---------------------------------------------------------------------------

    def auto_layout(self) -> None:
        """Lays the flow out left to right (one undo step), then fits it in the view."""
        model = self.window.model
        document = model.document
        if not document.nodes:
            return
        after = layout_positions(document)
        before = {n.id: tuple(n.position) for n in document.nodes}
        changed = {k: v for k, v in after.items() if tuple(v) != before.get(k)}
        if changed:
            self.window.undo_stack.push(
                MoveNodesCommand(
                    model, {k: before[k] for k in changed}, changed, text="Auto-layout"
                )
            )
        self.window.view.zoom_to_fit()
