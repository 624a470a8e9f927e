"""The Problems dock and the validation behind it: run as the person edits, shown everywhere.

An edit schedules a validation a moment later (typing does not validate per keystroke); the
problems go to the list, the cards' badges, the inspector's fields and the status bar.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel

from burrdesk.model.flow_validation import Problem, errors, validate_flow
from burrdesk.views.problems.problems_panel import ProblemsPanel
from burrdesk.views.window_part import WindowPart

if TYPE_CHECKING:
    from burrdesk.views.main_window import MainWindow

VALIDATE_DELAY_MS = 120


class ProblemsPart(WindowPart):
    """Validation results as the flow is edited (see the module docstring)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.problems: list[Problem] = []
        self.panel = ProblemsPanel(window)
        self.dock = self.add_dock(
            "Problems", "problemsDock", self.panel, Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.panel.problemActivated.connect(self._select_problem)
        self.label = QLabel()
        window.outline.add_status_widget("problems", self.label)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(VALIDATE_DELAY_MS)
        self._timer.timeout.connect(self.validate)
        window.model.changed.connect(self._timer.start)

    def window_assembled(self) -> None:
        self.validate()

    def validate(self) -> list[Problem]:
        """Validates the flow now (an edit's scheduled validation included) and shows it."""
        self._timer.stop()
        window = self.window
        self.problems = validate_flow(window.model.document)
        self.panel.set_problems(self.problems)
        window.scene.set_problems(self.problems)
        window.inspector.panel.set_problems(self.problems)
        count_errors = len(errors(self.problems))
        count_warnings = len(self.problems) - count_errors
        if not self.problems:
            self.label.setText("No problems")
        else:
            self.label.setText(f"{count_errors} error(s), {count_warnings} warning(s)")
        self.dock.setWindowTitle(
            f"Problems ({len(self.problems)})" if self.problems else "Problems"
        )
        return self.problems

    def _select_problem(self, problem: object) -> None:
        if not isinstance(problem, Problem):
            return
        scene = self.window.scene
        if problem.node_id is not None:
            scene.select_only(node_id=problem.node_id)
            if problem.node_id in scene.nodes:
                self.window.view.centerOn(scene.nodes[problem.node_id])
        elif problem.edge_index is not None:
            scene.select_only(edge_index=problem.edge_index)
        else:
            scene.clearSelection()
        self.window.inspector.dock.raise_()
