"""The Insights dock: latency, failures, LLM calls, tokens and cost of a run or its project.

It sits behind the Timeline and follows the run selected there; double-clicking a step in
its lists or charts selects that step on the timeline. It reads only while it is shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

from burrdesk.views.insights.insights_panel import InsightsPanel
from burrdesk.views.window_part import WindowPart

if TYPE_CHECKING:
    from burrdesk.views.main_window import MainWindow


class InsightsPart(WindowPart):
    """See the module docstring; needs the Timeline part."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.panel = InsightsPanel(window)
        self.dock = self.add_dock(
            "Insights",
            "insightsDock",
            self.panel,
            Qt.DockWidgetArea.BottomDockWidgetArea,
            tabify_with=window.timeline.dock,
        )
        self.dock.toggleViewAction().setStatusTip(
            "Latency, failures, LLM calls, tokens and cost of the selected run or its project"
        )
        self.dock.visibilityChanged.connect(self.panel.set_shown)
        self.panel.stepActivated.connect(self.show_step)
        timeline = window.timeline.panel
        timeline.runSelected.connect(self._run_selected)
        window.run.panel.runEnded.connect(self._run_ended)

    def show_insights(self) -> None:
        """Opens the dock and brings it in front of the Timeline (View → Insights toggles it)."""
        self.dock.show()
        self.dock.raise_()

    def closing(self) -> None:
        self.panel.stop()

    def _run_selected(self, run_id: int) -> None:
        timeline = self.window.timeline.panel
        run, database = timeline.current_run, timeline.database
        if run is None or run.run_id != run_id or database is None:
            return
        self.panel.follow_run(run, database.target)

    def _run_ended(self, run_id: int, _status: str) -> None:
        if self.panel.run is not None and (
            self.panel.scope == "project" or self.panel.run.run_id == run_id
        ):
            self.panel.refresh()

    def show_step(self, run_id: int, sequence_id: int) -> None:
        """Selects a step on the timeline (its run first) and brings the timeline forward."""
        timeline = self.window.timeline
        panel = timeline.panel
        current = panel.current_run
        if (current is None or current.run_id != run_id) and not panel.select_run(run_id):
            self.status_message(f"Run {run_id} is hidden by the timeline's filters.", 6000)
            return
        if not panel.select_step(sequence_id):
            self.status_message(f"Step {sequence_id} of run {run_id} is not on the timeline.", 6000)
            return
        timeline.dock.show()
        timeline.dock.raise_()
