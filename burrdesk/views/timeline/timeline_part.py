"""The Timeline dock: recorded runs and their steps, followed live, and Rewind to Here.

Selecting a run shows the flow it ran on the canvas (read-only) when that is not the flow being
edited; selecting a step outlines its node there. Rewinding forks the run after the selected
step with an edited state and runs the fork; the original run is untouched.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from burrdesk.model.flow_document import FlowDocument
from burrdesk.model.recorded_flow import recorded_document
from burrdesk.model.run_database import RunDatabase, RunDatabaseError
from burrdesk.model.run_records import RunRecord
from burrdesk.views.timeline.rewind_dialog import RewindDialog, rewind_unavailable_reason
from burrdesk.views.timeline.timeline_panel import TimelinePanel
from burrdesk.views.window_part import WindowPart

if TYPE_CHECKING:
    from burrdesk.views.main_window import MainWindow

VISITS_UP_TO = 50_000
"""Runs up to this many steps show visit counts on their recorded flow (one scan)."""


class TimelinePart(WindowPart):
    """Runs, steps and rewinding (see the module docstring)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.panel = TimelinePanel(window)
        self.dock = self.add_dock(
            "Timeline",
            "timelineDock",
            self.panel,
            Qt.DockWidgetArea.BottomDockWidgetArea,
            tabify_with=window.run.dock,
        )
        self.rewind_action = self.action(
            "Re&wind to Here…", self.rewind_to_selected_step, "Ctrl+Shift+R", "timeline"
        )
        self.rewind_action.setEnabled(False)
        window.outline.add_to_menu("&Run", "timeline", self.rewind_action)
        self.panel.steps_view.addAction(self.rewind_action)
        self.panel.steps_view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.panel.stepSelected.connect(self._step_selected)
        self.panel.runSelected.connect(self.show_run_flow)
        run_panel = window.run.panel
        run_panel.runStarted.connect(self._follow_run)
        run_panel.visitsChanged.connect(self._run_advanced)
        run_panel.runEnded.connect(self._run_advanced)
        run_panel.streaming.connect(self.panel.show_streaming)

    def closing(self) -> None:
        self.panel.close_database()

    # --- databases ---------------------------------------------------------------------------

    def open_run_database(self, path: Path) -> bool:
        """Shows a run database's runs and steps (a bad file is one message)."""
        try:
            self.panel.open_database(path)
        except RunDatabaseError as error:
            self.show_error("Cannot open the run database", str(error))
            return False
        self.panel.set_live(True)
        self.dock.show()
        self.dock.raise_()
        runs = self.panel.runs_model
        newest = runs.run_at(0) if runs.rowCount() else None
        if newest is not None:
            self.panel.select_run(newest.run_id)
        self.status_message(f"Opened run database {path}")
        return True

    def _follow_run(self, run_id: int, db_path: str) -> None:
        current = self.panel.database
        if current is None or Path(current.path).resolve() != Path(db_path).resolve():
            try:
                self.panel.open_database(db_path)
            except RunDatabaseError:
                return
        self.panel.follow_live()
        self.panel.select_run(run_id)

    def _run_advanced(self, *_args: object) -> None:
        run_id = self.window.run.panel.run_id
        if run_id is not None:
            self.panel.run_advanced(run_id)

    # --- the flow of a recorded run ----------------------------------------------------------

    def show_run_flow(self, run_id: int) -> None:
        """Shows the flow the selected run ran: the editor when it is the flow being edited,
        otherwise the recorded flow, read-only."""
        canvas = self.window.canvas
        run = self.panel.current_run
        database = self.panel.database
        if run is None or run.run_id != run_id or database is None:
            return
        document = recorded_document(run)
        if document is None:
            canvas.show_editor()
            self.status_message(
                f"Run {run.run_id} recorded no flow or graph to show on the canvas.", 6000
            )
            return
        if run.flow and document == self.window.model.document:
            canvas.show_editor()
            return
        visits: tuple[dict[str, int], dict[str, int]] = ({}, {})
        if run.step_count <= VISITS_UP_TO:
            with contextlib.suppress(RunDatabaseError):
                visits = database.visit_counts(run.run_id)
        canvas.show_recorded(run, document, drawn=not run.flow, visits=visits)

    def _step_selected(self, _run_id: int, _sequence_id: int) -> None:
        step = self.panel.current_step
        canvas = self.window.canvas
        if canvas.showing_recorded_flow and step is not None:
            canvas.recorded.show_step(step.action, failed=step.status == "failed")
        reason = rewind_unavailable_reason(self.panel.current_run, step)
        self.rewind_action.setEnabled(reason is None)
        self.rewind_action.setToolTip(reason or "Continue this run from here as a fork")
        self.rewind_action.setStatusTip(reason or "Continue this run from here as a fork")

    # --- rewinding ---------------------------------------------------------------------------

    def rewind_to_selected_step(self) -> None:
        """Forks the selected run after the selected step and runs the fork."""
        run, step = self.panel.current_run, self.panel.current_step
        reason = rewind_unavailable_reason(run, step)
        database = self.panel.database
        if reason is not None or run is None or step is None or database is None:
            self.status_message(reason or "", 6000)
            return
        if step.run_id != run.run_id:
            run = database.get_run(step.run_id)  # a fork's inherited step: fork its own run
        state = database.state_at(run.run_id, step.sequence_id)
        dialog = RewindDialog(run, step, state, self.window)
        self.rewind_dialog = dialog
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.state is None:
            return
        self.fork_and_run(run, step.sequence_id, dialog.state, dialog.chosen_next_action())

    def fork_and_run(
        self, run: RunRecord, sequence_id: int, state: dict[str, Any], next_action: str | None
    ) -> int:
        """Records a fork of `run` after `sequence_id` and runs it with the run's own flow."""
        db_path = Path(self.panel.database.path)
        with RunDatabase(db_path) as database:
            fork = database.fork(run.run_id, sequence_id, state=state, next_action=next_action)
        document = FlowDocument.model_validate(run.flow)
        self.window.run.start(document, db_path, continue_app_id=fork.app_id)
        self.status_message(
            f"Forked run {run.run_id} at step {sequence_id} as run {fork.run_id}.", 6000
        )
        return fork.run_id
