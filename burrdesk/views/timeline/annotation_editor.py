"""The Annotate tab: mark the selected step good or bad, tag it, note what was expected.

The editor only edits an `Annotation` (burrdesk/model/step_annotations.py); the timeline panel
decides where it is stored and saves it when the editor asks.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCompleter,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from burrdesk.model.json_text import JsonTextError, parse_json_text
from burrdesk.model.step_annotations import Annotation
from burrdesk.views import theme as themes


class AnnotationEditor(QWidget):
    """Verdict, tags, note and expected value of one step.

    Signals:
        saveRequested(dict): the fields to store for the shown step (verdict, tags, note,
            expected); all empty means remove its annotation.
        exportRequested(): the user asked to export the project's annotations.
    """

    saveRequested = Signal(dict)
    exportRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        self.caption = QLabel(self)
        self.caption.setObjectName("annotationCaption")
        self.caption.setWordWrap(True)
        layout.addWidget(self.caption)

        form = QFormLayout()
        verdict_row = QHBoxLayout()
        self.good_button = QToolButton(self)
        self.good_button.setText("✓  Good")
        self.good_button.setToolTip("This step did what it should (click again to clear)")
        self.bad_button = QToolButton(self)
        self.bad_button.setText("✗  Bad")
        self.bad_button.setToolTip("This step went wrong (click again to clear)")
        self._verdicts = QButtonGroup(self)
        for button in (self.good_button, self.bad_button):
            button.setCheckable(True)
            button.setObjectName("verdictButton")
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setMinimumWidth(90)
            self._verdicts.addButton(button)
            verdict_row.addWidget(button)
            button.clicked.connect(self._verdict_clicked)
        self._verdicts.setExclusive(False)
        verdict_row.addStretch(1)
        form.addRow("Verdict", verdict_row)
        self.tags_edit = QLineEdit(self)
        self.tags_edit.setPlaceholderText("comma-separated, e.g. hallucination, golden")
        self._completer = QCompleter([], self)
        self._completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.tags_edit.setCompleter(self._completer)
        form.addRow("Tags", self.tags_edit)
        self.note_edit = QPlainTextEdit(self)
        self.note_edit.setPlaceholderText("What happened, what should have happened")
        self.note_edit.setMaximumHeight(90)
        form.addRow("Note", self.note_edit)
        self.expected_edit = QPlainTextEdit(self)
        self.expected_edit.setPlaceholderText(
            'The result it should have produced: JSON ({"answer": "Paris"}) or plain text'
        )
        self.expected_edit.setFont(themes.monospace_font())
        self.expected_edit.setMaximumHeight(110)
        form.addRow("Expected", self.expected_edit)
        layout.addLayout(form)

        buttons = QHBoxLayout()
        self.save_button = QPushButton("Save Annotation", self)
        self.save_button.setDefault(True)
        self.save_button.setShortcut("Ctrl+Return")
        self.save_button.setToolTip("Store it with the step (Ctrl+Return)")
        self.clear_button = QPushButton("Remove", self)
        self.export_button = QPushButton("Export Dataset…", self)
        self.export_button.setToolTip(
            "Write this project's annotated steps (state, inputs, result, verdict, expected) "
            "as JSON Lines or CSV, for evaluations"
        )
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        layout.addLayout(buttons)
        self.status = QLabel(self)
        self.status.setObjectName("annotationStatus")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        layout.addStretch(1)

        self.save_button.clicked.connect(self.save)
        self.clear_button.clicked.connect(self.clear_and_save)
        self.export_button.clicked.connect(self.exportRequested)
        self.show_message("Select a step")

    # --- showing ----------------------------------------------------------------------------

    def show_message(self, text: str) -> None:
        self.caption.setText(text)
        self._fill(None)
        self._set_enabled(False)
        self.status.setText("")

    def show_annotation(self, caption: str, annotation: Annotation | None) -> None:
        self.caption.setText(caption)
        self._fill(annotation)
        self._set_enabled(True)
        self.status.setText(_stamp(annotation))

    def set_known_tags(self, tags: list[str]) -> None:
        self._completer.model().setStringList(tags)  # type: ignore[attr-defined]

    def show_status(self, text: str) -> None:
        self.status.setText(text)

    def _fill(self, annotation: Annotation | None) -> None:
        self.good_button.setChecked(bool(annotation and annotation.verdict == "good"))
        self.bad_button.setChecked(bool(annotation and annotation.verdict == "bad"))
        self.tags_edit.setText(", ".join(annotation.tags) if annotation else "")
        self.note_edit.setPlainText(annotation.note if annotation else "")
        expected = annotation.expected if annotation else None
        if expected is None:
            text = ""
        elif isinstance(expected, str):
            text = expected
        else:
            text = json.dumps(expected, ensure_ascii=False, indent=2)
        self.expected_edit.setPlainText(text)

    def _set_enabled(self, enabled: bool) -> None:
        for widget in (
            self.good_button,
            self.bad_button,
            self.tags_edit,
            self.note_edit,
            self.expected_edit,
            self.save_button,
            self.clear_button,
        ):
            widget.setEnabled(enabled)

    # --- editing ----------------------------------------------------------------------------

    def _verdict_clicked(self) -> None:
        """Good and bad exclude each other, and clicking the checked one clears it."""
        sender = self.sender()
        other = self.bad_button if sender is self.good_button else self.good_button
        if sender.isChecked():  # type: ignore[union-attr]
            other.setChecked(False)

    def verdict(self) -> str | None:
        if self.good_button.isChecked():
            return "good"
        if self.bad_button.isChecked():
            return "bad"
        return None

    def set_verdict(self, verdict: str | None) -> None:
        self.good_button.setChecked(verdict == "good")
        self.bad_button.setChecked(verdict == "bad")

    def fields(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict(),
            "tags": self.tags_edit.text(),
            "note": self.note_edit.toPlainText().strip(),
            "expected": _expected_value(self.expected_edit.toPlainText()),
        }

    def save(self) -> None:
        self.saveRequested.emit(self.fields())

    def clear_and_save(self) -> None:
        self._fill(None)
        self.save()


def _expected_value(text: str) -> Any:
    """JSON when the text is JSON; otherwise the text itself (an expected answer in words)."""
    text = text.strip()
    if not text:
        return None
    try:
        return parse_json_text(text)
    except JsonTextError:
        return text


def _stamp(annotation: Annotation | None) -> str:
    if annotation is None or annotation.updated_at is None:
        return "Not annotated yet."
    when = datetime.datetime.fromtimestamp(annotation.updated_at).strftime("%Y-%m-%d %H:%M")
    return f"Saved {when}."
