"""Rewind: pick up a recorded run after any step, with an edited state and a chosen next action.

The result is a fork, a new run that records its parent run and step; the original run is never
modified. Only runs that recorded the flow they ran can continue (the flow is what runs next).
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from burrdesk.model.json_text import JsonTextError, parse_json_text
from burrdesk.model.run_records import RunRecord, StepRecord
from burrdesk.model.state_codec import to_jsonable
from burrdesk.views.inspector.code_editor import CodeEditor

TRANSITIONS_CHOOSE = "(what the transitions choose)"


def rewind_unavailable_reason(run: RunRecord | None, step: StepRecord | None) -> str | None:
    """Why a step cannot be rewound to, or None when it can."""
    if run is None or step is None:
        return "Select a step of a run to rewind to it."
    if not run.flow:
        return (
            "This run did not record a flow (it came from code or from Burr), so burrdesk has "
            "nothing to continue it with."
        )
    if step.status == "failed":
        return "A failed step changed nothing; rewind to the step before it."
    return None


class RewindDialog(QDialog):
    """Shows the state after a step for editing, and the action to continue with."""

    def __init__(
        self, run: RunRecord, step: StepRecord, state: dict[str, Any], parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.setWindowTitle(f"Rewind run {run.run_id} to step {step.sequence_id}")
        self.resize(560, 520)
        layout = QVBoxLayout(self)
        intro = QLabel(
            f"Continue run {run.run_id} as a new run (a fork) from the state after step "
            f"{step.sequence_id} ({step.action}). Edit the state if you like; the original run "
            "stays as it is."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.editor = CodeEditor(language="json")
        self.editor.setObjectName("rewindStateEditor")
        self.editor.set_text(json.dumps(to_jsonable(state), indent=2, ensure_ascii=False))
        layout.addWidget(self.editor, 1)
        self.error = QLabel()
        self.error.setObjectName("errorText")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        form = QFormLayout()
        self.next_action = QComboBox()
        self.next_action.addItem(TRANSITIONS_CHOOSE)
        names = [n.get("id") for n in (run.flow or {}).get("nodes", []) if isinstance(n, dict)]
        self.next_action.addItems([str(n) for n in names if n])
        form.addRow("Continue with", self.next_action)
        layout.addLayout(form)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Fork and run")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.editor.problemChanged.connect(self._problem)
        self.state: dict[str, Any] | None = None

    def _problem(self, message: str) -> None:
        self.error.setText(message)
        self.ok_button.setEnabled(not message)

    def chosen_next_action(self) -> str | None:
        text = self.next_action.currentText()
        return None if text == TRANSITIONS_CHOOSE else text

    def accept(self) -> None:
        try:
            value = parse_json_text(self.editor.text())
        except JsonTextError as exc:
            self.error.setText(f"The state cannot be used: {exc}.")
            return
        if not isinstance(value, dict):
            self.error.setText("The state must be a JSON object {...}.")
            return
        self.state = value
        super().accept()
