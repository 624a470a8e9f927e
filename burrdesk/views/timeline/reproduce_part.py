"""Create Test Case… and Create Fork Script…: the selected step of the timeline, as code.

A test case replays the step with pytest from its recorded state and inputs; a fork script
continues the run from the step with the program's own actions. Both are written where the
person chooses (see `model/step_reproduction.py` for what goes into them).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog

from burrdesk.model.run_database import RunDatabase, RunDatabaseError
from burrdesk.model.step_reproduction import render_fork_script, render_test_case
from burrdesk.views.window_part import WindowPart

if TYPE_CHECKING:
    from burrdesk.views.main_window import MainWindow


class ReproducePart(WindowPart):
    """The two actions, on the steps table's context menu and in the Run menu."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.panel = window.timeline.panel
        self.test_case_action = self.action(
            "Create &Test Case…",
            self.create_test_case,
            tip="Write a pytest file that replays the selected step",
        )
        self.fork_script_action = self.action(
            "Create &Fork Script…",
            self.create_fork_script,
            tip="Write a script that forks the run after the selected step",
        )
        for entry in (self.test_case_action, self.fork_script_action):
            entry.setEnabled(False)
            self.panel.steps_view.addAction(entry)
        window.outline.add_to_menu(
            "&Run", "timeline", self.test_case_action, self.fork_script_action
        )
        self.panel.stepSelected.connect(self._step_selected)
        self.last_written: Path | None = None

    def _step_selected(self, _run_id: int, _sequence_id: int) -> None:
        selected = self.panel.current_step is not None and self.panel.database is not None
        self.test_case_action.setEnabled(selected)
        self.fork_script_action.setEnabled(selected)

    def create_test_case(self) -> Path | None:
        """Asks where to write a pytest file replaying the selected step, and writes it."""
        return self._write(
            "Create Test Case",
            "test_{project}_run{run}_step{seq}.py",
            "test case",
            render_test_case,
        )

    def create_fork_script(self) -> Path | None:
        """Asks where to write a script forking the run after the selected step, and writes it."""
        return self._write(
            "Create Fork Script",
            "fork_{project}_run{run}_step{seq}.py",
            "fork script",
            lambda database, run_id, seq: render_fork_script(
                database,
                run_id,
                seq,
                db_path=str(database.path.resolve()) if database.path else database.location,
            ),
        )

    def _write(
        self,
        title: str,
        name_pattern: str,
        what: str,
        render: Callable[[RunDatabase, int, int], str],
    ) -> Path | None:
        step, database = self.panel.current_step, self.panel.database
        if step is None or database is None:
            self.status_message("Select a step of a run first.", 6000)
            return None
        try:
            source = render(database, step.run_id, step.sequence_id)
        except RunDatabaseError as error:
            self.status_message(str(error), 10_000)
            return None
        run = database.get_run(step.run_id)
        suggested = name_pattern.format(
            project=re.sub(r"\W+", "_", run.project).strip("_").lower() or "run",
            run=run.run_id,
            seq=step.sequence_id,
        )
        start = (self.last_written.parent if self.last_written else Path.home()) / suggested
        name, _ = QFileDialog.getSaveFileName(
            self.window,
            title,
            str(start),
            "Python files (*.py)",
            options=QFileDialog.Option.DontUseNativeDialog,
        )
        if not name:
            return None
        path = Path(name)
        try:
            path.write_text(source, encoding="utf-8")
        except OSError as error:
            self.status_message(f"{path} could not be written: {error.strerror or error}.", 10_000)
            return None
        self.last_written = path
        self.status_message(
            f"Wrote a {what} for step {step.sequence_id} of run {run.run_id} to {path}.", 8000
        )
        return path
