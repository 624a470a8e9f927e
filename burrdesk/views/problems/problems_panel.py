"""The Problems list: what validation found in the flow, errors first; double-click one to go
to its node or edge.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from burrdesk.model.flow_validation import Problem
from burrdesk.views import theme


class ProblemsPanel(QTreeWidget):
    """Validation results, live; double-click selects the node or edge at fault."""

    problemActivated = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setHeaderLabels(["", "Where", "Problem"])
        self.setRootIsDecorated(False)
        self.setAlternatingRowColors(True)
        self.setColumnWidth(0, 28)
        self.setColumnWidth(1, 180)
        self.itemActivated.connect(
            lambda item, _col: self.problemActivated.emit(item.data(0, Qt.ItemDataRole.UserRole))
        )
        self.set_problems([])

    def set_problems(self, problems: list[Problem]) -> None:
        self.clear()
        if not problems:
            item = QTreeWidgetItem(["", "", "No problems: the flow can run."])
            item.setFlags(Qt.ItemFlag.NoItemFlags | Qt.ItemFlag.ItemIsEnabled)
            self.addTopLevelItem(item)
            return
        for problem in problems:
            where = []
            if problem.node_id is not None:
                where.append(f"node {problem.node_id}")
            if problem.edge_index is not None:
                where.append(f"edge #{problem.edge_index + 1}")
            if problem.field:
                where.append(problem.field)
            if problem.line is not None:
                where.append(f"line {problem.line}")
            item = QTreeWidgetItem(["", " · ".join(where) or "flow", problem.message])
            item.setIcon(0, theme.icon("error" if problem.severity == "error" else "warning"))
            item.setToolTip(2, str(problem))
            item.setData(0, Qt.ItemDataRole.UserRole, problem)
            self.addTopLevelItem(item)

    def problem_count(self) -> tuple[int, int]:
        errors = warnings = 0
        for i in range(self.topLevelItemCount()):
            problem = self.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole)
            if isinstance(problem, Problem):
                errors += problem.severity == "error"
                warnings += problem.severity == "warning"
        return errors, warnings
