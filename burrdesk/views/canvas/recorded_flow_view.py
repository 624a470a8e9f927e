"""The canvas showing the flow a recorded run ran, read-only, above a bar that says so.

It has its own scene and model, so looking at an old run never touches the flow being edited or
its undo history; "Edit as new flow" hands a copy to the editor.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from burrdesk.model.flow_document import FlowDocument
from burrdesk.model.run_records import RunRecord
from burrdesk.views import theme
from burrdesk.views.canvas.flow_editor_model import FlowEditorModel
from burrdesk.views.canvas.flow_scene import FlowScene
from burrdesk.views.canvas.flow_view import FlowView


class RecordedFlowView(QWidget):
    """A read-only canvas of one run's flow, with "Edit as new flow" and "Back to editor"."""

    editAsNewFlowRequested = Signal()
    backRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run: RunRecord | None = None
        self.model = FlowEditorModel(FlowDocument(name="recorded"), self)
        self.scene = FlowScene(self.model, QUndoStack(self), self, read_only=True)
        self.view = FlowView(self.scene, self)
        self.banner = QFrame(self)
        self.banner.setObjectName("recordedBanner")
        self.title = QLabel(self.banner)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.edit_button = QPushButton("Edit as New Flow", self.banner)
        self.edit_button.setIcon(theme.icon("new"))
        self.edit_button.setToolTip("Open a copy of this flow in the editor, to change and run it")
        self.back_button = QPushButton("Back to Editor", self.banner)
        self.back_button.setToolTip("Show the flow you are editing")
        bar = QHBoxLayout(self.banner)
        bar.setContentsMargins(10, 6, 10, 6)
        bar.addWidget(theme.IconLabel("timeline", 16, self.banner))
        bar.addWidget(self.title, 1)
        bar.addWidget(self.edit_button)
        bar.addWidget(self.back_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(self.view, 1)
        self.edit_button.clicked.connect(self.editAsNewFlowRequested)
        self.back_button.clicked.connect(self.backRequested)

    @property
    def document(self) -> FlowDocument:
        return self.model.document

    def show_run(self, run: RunRecord, document: FlowDocument, *, drawn: bool = False) -> None:
        """Draws `document` as the flow of `run`; `drawn` says it was rebuilt from the run's
        graph (a run from code or Burr) rather than recorded as a flow."""
        same = self.run is not None and self.run.run_id == run.run_id
        self.run = run
        what = "its graph, drawn from code" if drawn else "the flow it ran"
        self.title.setText(f"Run {run.run_id} of {run.project} — {what} (read-only)")
        if same and document == self.model.document:
            return
        self.model.reset(document)
        QTimer.singleShot(0, self.view.zoom_to_fit)
        self.view.zoom_to_fit()

    def show_step(self, action: str | None, failed: bool = False) -> None:
        """Outlines the node of the selected step (red when the step failed)."""
        self.scene.set_highlight(action, "failed" if failed else "running")

    def set_visits(self, nodes: dict[str, int], edges: dict[str, int]) -> None:
        self.scene.set_visits(nodes, edges)
