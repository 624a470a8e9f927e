"""The run panel: run, pause, step and stop the flow on the canvas, and answer its input nodes."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from burrdesk.model.flow_document import FlowDocument
from burrdesk.views import theme
from burrdesk.views.run.run_worker import RunController


class RunPanel(QWidget):
    """Drives one run at a time through a `RunController`; non-modal input prompts."""

    runStarted = Signal(int, str)
    nodeActive = Signal(str)
    nodeFailed = Signal(str, str)
    runEnded = Signal(int, str)
    visitsChanged = Signal(dict, dict)
    streaming = Signal(str, str)  # speaker, the reply so far ("" when it is complete)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller: RunController | None = None
        self.run_id: int | None = None
        self.db_path: Path | None = None
        layout = QVBoxLayout(self)
        buttons = QHBoxLayout()
        self.run_button = QPushButton(theme.icon("run"), "Run")
        self.pause_button = QPushButton(theme.icon("pause"), "Pause")
        self.step_button = QPushButton(theme.icon("step"), "Step")
        self.stop_button = QPushButton(theme.icon("stop"), "Stop")
        for button in (self.run_button, self.pause_button, self.step_button, self.stop_button):
            buttons.addWidget(button)
        buttons.addStretch()
        layout.addLayout(buttons)
        status_row = QHBoxLayout()
        self.status = QLabel("Not running. Run executes the flow as it is on the canvas.")
        self.status.setObjectName("hint")
        self.status.setWordWrap(True)
        status_row.addWidget(self.status, 1)
        self.abandon_button = QPushButton("Abandon the run")
        self.abandon_button.setToolTip(
            "Leave the current step running in the background and free the window now"
        )
        self.abandon_button.clicked.connect(self.abandon)
        self.abandon_button.hide()
        status_row.addWidget(self.abandon_button)
        layout.addLayout(status_row)
        self.abandon_after_ms = 3000
        self._abandoned: list[RunController] = []
        self._stop_timer = QTimer(self)
        self._stop_timer.setSingleShot(True)
        self._stop_timer.timeout.connect(self._offer_abandon)
        self.input_box = QWidget()
        self.input_form = QFormLayout(self.input_box)
        self.input_fields: dict[str, QLineEdit] = {}
        self.send_button = QPushButton("Send")
        self.send_button.clicked.connect(self.send_inputs)
        self.input_box.hide()
        layout.addWidget(self.input_box)
        self.log = QListWidget()
        self.log.setObjectName("runLog")
        layout.addWidget(self.log, 1)
        self.pause_button.clicked.connect(self.pause)
        self.stop_button.clicked.connect(self.stop)
        self._set_running(False)
        self.document_provider: Any = None
        self.llm_client_factory: Callable[[], Any] | None = None
        """Makes the client LLM nodes use, per run (the settings may change between runs)."""
        self._live_item: Any = None

    def _set_running(self, running: bool) -> None:
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)

    def start(
        self,
        document: FlowDocument,
        db_path: Path,
        single_step: bool = False,
        run_to: str | None = None,
        continue_app_id: str | None = None,
    ) -> None:
        """Starts a new run of `document` (a copy: editing the canvas does not change it)."""
        self.close_run()
        self.db_path = db_path
        self.log.clear()
        self._clear_inputs()  # another run's (or another flow's) form must not linger
        self._flow_name = document.name
        self._logged_sequence: int | None = None
        self._logged_visits: dict[str, int] = {}
        self._advanced_to: tuple[int | None, str] = (None, "")
        controller = RunController(
            document.model_copy(deep=True),
            db_path,
            run_to,
            self,
            continue_app_id=continue_app_id,
            llm_client=self.llm_client_factory() if self.llm_client_factory else None,
        )
        self._live_item = None
        worker = controller.worker
        worker.started.connect(self._on_started)
        worker.advanced.connect(self._on_advanced)
        worker.needsInput.connect(self._on_needs_input)
        worker.paused.connect(self._on_paused)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        worker.said.connect(self._on_said)
        worker.streamed.connect(self._on_streamed)
        worker.visited.connect(self.visitsChanged)
        worker.visited.connect(self._log_steps)
        self.controller = controller
        self._set_running(True)
        self.status.setText("Starting…")
        if single_step:
            controller.step()
        else:
            controller.run()

    def resume(self) -> bool:
        if self.controller is None:
            return False
        self.status.setText("Running…")
        self.controller.run()
        return True

    def step(self) -> bool:
        if self.controller is None:
            return False
        self.controller.step()
        return True

    def pause(self) -> None:
        if self.controller is not None:
            self.controller.pause()
            self.status.setText("Pausing after the current step…")

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.status.setText("Stopping after the current step…")
            self.controller.run()
            self._stop_timer.start(self.abandon_after_ms)

    def _offer_abandon(self) -> None:
        if self.controller is not None and self.stop_button.isEnabled():
            self.status.setText("The current step is still running; it will stop when it returns.")
            self.abandon_button.show()

    def abandon(self) -> None:
        """Lets go of a worker whose step does not return, without blocking the window."""
        controller = self.controller
        if controller is None:
            return
        worker = controller.worker
        for signal in (
            worker.advanced,
            worker.needsInput,
            worker.paused,
            worker.finished,
            worker.failed,
        ):
            signal.disconnect()
        controller.stop()
        controller.thread.quit()
        self._abandoned.append(controller)
        self.controller = None
        self.abandon_button.hide()
        self._set_running(False)
        if self.run_id is not None and self.db_path is not None:
            from burrdesk.model.run_database_opener import open_run_database

            with open_run_database(self.db_path) as database:
                database.set_run_status(self.run_id, "stopped")
        self.status.setText(
            f"Abandoned run {self.run_id}: its last step may still finish in the background."
        )
        self.runEnded.emit(self.run_id if self.run_id is not None else -1, "abandoned")

    def wait_for_abandoned(self, timeout_ms: int = 10_000) -> None:
        for controller in self._abandoned:
            controller.thread.wait(timeout_ms)
        self._abandoned.clear()

    def send_inputs(self) -> None:
        if self.controller is None:
            return
        values = {name: edit.text() for name, edit in self.input_fields.items()}
        if len(values) == 1:
            self.log.addItem(f"You: {next(iter(values.values()))}")
        else:
            self.log.addItem("You: " + ", ".join(f"{k} = {v}" for k, v in values.items()))
        self.input_box.hide()
        self.status.setText("Running…")
        self.controller.provide_inputs(values)

    def close_run(self) -> None:
        if self.controller is not None:
            self.controller.close()
            self.controller.deleteLater()
            self.controller = None
        self._set_running(False)

    # --- worker signals ---------------------------------------------------------------------

    def _on_started(self, run_id: int, db_path: str) -> None:
        self.run_id = run_id
        self.status.setText(f"Running as run {run_id}…")
        header = f"Run {run_id} of {self._flow_name} · started {time.strftime('%H:%M:%S')}"
        self.log.addItem(header)
        item = self.log.item(self.log.count() - 1)
        font = item.font()
        font.setBold(True)
        item.setFont(font)
        self.runStarted.emit(run_id, db_path)

    def _on_advanced(self, run_id: int, sequence_id: int, prior: str, upcoming: str) -> None:
        self._advanced_to = (sequence_id, prior)
        self.nodeActive.emit(upcoming)

    def _log_steps(self, visits: dict[str, int], _edges: dict[str, int]) -> None:
        """One log line per progress signal. Progress is coalesced (a fast flow runs thousands
        of steps a second), so a line covers every step since the last: "steps 1–5 ·
        increment ×5", never a silent jump from step 0 to step 5."""
        sequence_id, prior = self._advanced_to
        if sequence_id is None or sequence_id == self._logged_sequence:
            return
        first = 0 if self._logged_sequence is None else self._logged_sequence + 1
        ran = {
            node: count - self._logged_visits.get(node, 0)
            for node, count in visits.items()
            if count > self._logged_visits.get(node, 0)
        }
        self._logged_sequence, self._logged_visits = sequence_id, dict(visits)
        if first >= sequence_id:
            self.log.addItem(f"step {sequence_id} · {prior}")
        else:
            actions = sorted(ran.items(), key=lambda item: -item[1])
            shown = ", ".join(f"{node} ×{count}" if count > 1 else node for node, count in actions)
            self.log.addItem(f"steps {first}–{sequence_id} · {shown or prior}")
        self.log.scrollToBottom()

    def _clear_inputs(self) -> None:
        while self.input_form.rowCount():
            self.input_form.removeRow(0)
        self.input_fields = {}
        self.input_box.hide()

    def _on_streamed(self, who: str, text: str) -> None:
        """A reply arriving token by token: one log line that grows, with a cursor mark."""
        if self._live_item is None:
            self.log.addItem("")
            self._live_item = self.log.item(self.log.count() - 1)
            self._live_item.setForeground(theme.current_theme().color("accent"))
        self._live_item.setText(f"{who}: {text}▍")
        self.log.scrollToBottom()
        self.streaming.emit(who, text)

    def _on_said(self, who: str, text: str) -> None:
        item, self._live_item = self._live_item, None
        if item is None:
            self.log.addItem("")
            item = self.log.item(self.log.count() - 1)
            item.setForeground(theme.current_theme().color("accent"))
        item.setText(f"{who}: {text}")
        self.log.scrollToBottom()
        self.streaming.emit(who, "")

    def _on_needs_input(self, node_id: str, fields: list) -> None:
        self._clear_inputs()
        for field in fields:
            edit = QLineEdit()
            edit.setObjectName(f"input_{field['name']}")
            edit.setPlaceholderText(str(field.get("type", "str")))
            if field.get("default") is not None:
                edit.setText(str(field["default"]))
            edit.returnPressed.connect(self.send_inputs)
            self.input_fields[field["name"]] = edit
            self.input_form.addRow(field.get("prompt") or field["name"], edit)
        self.send_button = QPushButton("Send")
        self.send_button.clicked.connect(self.send_inputs)
        self.input_form.addRow("", self.send_button)
        self.input_box.show()
        self.status.setText(f"'{node_id}' needs input.")
        self.nodeActive.emit(node_id)
        if self.input_fields:
            next(iter(self.input_fields.values())).setFocus()

    def _on_paused(self, node_id: str, reason: str) -> None:
        self.status.setText(f"Paused before '{node_id}' ({reason}). Run or Step to go on.")
        self.nodeActive.emit(node_id)

    def _on_finished(self, run_id: int, status: str) -> None:
        self._stop_timer.stop()
        self.abandon_button.hide()
        self.status.setText(f"Run {run_id} {status}.")
        self.log.addItem(f"run {status}")
        self._set_running(False)
        self.nodeActive.emit("")
        self.runEnded.emit(run_id, status)

    def _on_failed(self, run_id: int, node_id: str, detail: str) -> None:
        where = f" in '{node_id}'" if node_id else ""
        self.status.setText(f"Failed{where}: {detail}")
        item_text = f"failed{where}: {detail}"
        self.log.addItem(item_text)
        self.log.item(self.log.count() - 1).setForeground(theme.current_theme().color("error"))
        self._set_running(False)
        self.nodeFailed.emit(node_id, detail)
        self.runEnded.emit(run_id, "failed")

    def keyPressEvent(self, event: Any) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Escape and self.controller is not None:
            self.pause()
            return
        super().keyPressEvent(event)
