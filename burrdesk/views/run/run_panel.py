"""The run panel: run, pause, step and stop the flow on the canvas, and answer its input nodes.

The conversation (what the person sends to input nodes and what LLM nodes answer) is a chat,
with the input at its bottom; the run log beside it (or above it, when the panel is narrow)
lists the run's steps, so the conversation reads on its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from burrdesk.model.flow_document import FlowDocument
from burrdesk.views import theme
from burrdesk.views.run.chat_view import ChatInput, ChatView, InputBar
from burrdesk.views.run.run_worker import RunController

LOG_KIND = Qt.ItemDataRole.UserRole + 1  # what a log line is: header, step, you, reply, end, failed
WIDE_ENOUGH = 720  # narrower than this, the log goes above the conversation instead of beside it


class RunPanel(QWidget):
    """Drives one run at a time through a `RunController`; non-modal input prompts."""

    runStarted = Signal(int, str)
    nodeActive = Signal(str)
    nodeFailed = Signal(str, str)
    runEnded = Signal(int, str)
    visitsChanged = Signal(object, object)
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
        self.log_button = QToolButton()
        self.log_button.setText("Run log")
        self.log_button.setCheckable(True)
        self.log_button.setChecked(True)
        self.log_button.setToolTip("Show the run's steps beside the conversation")
        self.log_button.toggled.connect(self._show_log)
        buttons.addWidget(self.log_button)
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
        # The conversation, the input at its bottom.
        self.conversation = QWidget()
        conversation = QVBoxLayout(self.conversation)
        conversation.setContentsMargins(0, 0, 0, 0)
        conversation.setSpacing(0)
        self.chat = ChatView()
        conversation.addWidget(self.chat, 1)
        self.input_box = InputBar()
        self.input_box.submitted.connect(self.send_inputs)
        conversation.addWidget(self.input_box)
        # The run log: the run's header, its steps, and one line per message.
        self.log_pane = QWidget()
        log_layout = QVBoxLayout(self.log_pane)
        log_layout.setContentsMargins(0, 0, 0, 0)
        log_layout.setSpacing(0)
        self.log = QListWidget()
        self.log.setObjectName("runLog")
        self.log.setWordWrap(False)
        self.log.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.log.setUniformItemSizes(True)
        self.log.setStyleSheet("QListWidget#runLog::item { padding: 1px 6px; }")
        font = self.log.font()
        if font.pointSizeF() > 0:
            font.setPointSizeF(font.pointSizeF() * 0.92)
        self.log.setFont(font)
        log_layout.addWidget(self.log, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.conversation)
        self.splitter.addWidget(self.log_pane)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.conversation.setMinimumWidth(260)
        self.log_pane.setMinimumWidth(180)
        self._split_set = False
        layout.addWidget(self.splitter, 1)
        theme.theme_signals.changed.connect(self._recolour_log)
        self.pause_button.clicked.connect(self.pause)
        self.stop_button.clicked.connect(self.stop)
        self._set_running(False)
        self.document_provider: Any = None
        self.llm_client_factory: Callable[[], Any] | None = None
        """Makes the client LLM nodes use, per run (the settings may change between runs)."""

    @property
    def input_fields(self) -> dict[str, QLineEdit | ChatInput]:
        """The fields the input at the bottom shows, by name ({} when nothing is asked)."""
        return self.input_box.fields

    @property
    def send_button(self) -> QPushButton:
        return self.input_box.send_button

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
        self.chat.clear()
        self._clear_inputs()  # another run's (or another flow's) form must not linger
        self._show_conversation(any(n.kind in ("input", "llm") for n in document.nodes))
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
        self._clear_inputs()
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
        """Sends what is typed at the bottom: it shows in the conversation at once, the input
        clears and waits, disabled, until the flow asks again."""
        if self.controller is None or not self.input_box.isEnabled() or not self.input_fields:
            return
        values = self.input_box.values()
        if values is None:
            return  # not what a field expects (the input says why), or an empty message
        message = self.input_box.describe(values)
        self.chat.add_message("user", "You", message)
        if self.input_box.chat_mode:
            self._add_log(f"You: {message}", "you")
        else:
            said = self.input_box.said(values)
            self._add_log("You: " + ", ".join(f"{k} = {v}" for k, v in said.items()), "you")
        if self.input_box.isAncestorOf(QApplication.focusWidget()):
            self.chat.setFocus(Qt.FocusReason.OtherFocusReason)  # not lost as the input waits
        self.input_box.sent()
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
        self._add_log(header, "header")
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
            self._add_log(f"step {sequence_id} · {prior}", "step")
        else:
            actions = sorted(ran.items(), key=lambda item: -item[1])
            shown = ", ".join(f"{node} ×{count}" if count > 1 else node for node, count in actions)
            self._add_log(f"steps {first}–{sequence_id} · {shown or prior}", "step")

    def _add_log(self, text: str, kind: str) -> QListWidgetItem:
        """One log line; messages are one line each (the conversation shows them whole)."""
        item = QListWidgetItem(" ".join(text.split()) if kind in ("you", "reply") else text)
        item.setData(LOG_KIND, kind)
        if kind in ("you", "reply"):
            item.setToolTip(text if len(text) <= 2000 else f"{text[:2000]}…")
        self._paint_log_item(item, theme.current_theme())
        self.log.addItem(item)
        self.log.scrollToBottom()
        return item

    @staticmethod
    def _paint_log_item(item: QListWidgetItem, current: theme.Theme) -> None:
        kind = item.data(LOG_KIND)
        font = item.font()
        font.setBold(kind == "header")
        font.setItalic(kind in ("you", "reply"))
        item.setFont(font)
        colour = {
            "you": "muted_text",
            "reply": "muted_text",
            "failed": "error",
            "end": "success" if item.text() == "run completed" else "muted_text",
        }.get(kind, "text")
        item.setForeground(current.color(colour))

    def _recolour_log(self, current: theme.Theme) -> None:
        for row in range(self.log.count()):
            self._paint_log_item(self.log.item(row), current)

    def _clear_inputs(self) -> None:
        self.input_box.clear()

    def _on_streamed(self, who: str, text: str) -> None:
        """A reply arriving token by token: one bubble that grows, with a cursor mark."""
        self.chat.stream(who, text)
        self.streaming.emit(who, text)

    def _on_said(self, who: str, text: str) -> None:
        self.chat.finish(who, text)
        self._add_log(f"{who}: {text}", "reply")
        self.streaming.emit(who, "")

    def _on_needs_input(self, node_id: str, fields: list) -> None:
        self._show_conversation(True)
        self.input_box.ask(node_id, fields, focus=self._may_take_focus())
        self.chat.scroll_to_newest()
        if self.input_box.chat_mode:
            self.status.setText(f"'{node_id}' is waiting for your message (Enter sends).")
        else:
            self.status.setText(f"'{node_id}' needs input: fill in the fields below.")
        self.nodeActive.emit(node_id)

    def _on_paused(self, node_id: str, reason: str) -> None:
        self.status.setText(f"Paused before '{node_id}' ({reason}). Run or Step to go on.")
        self.nodeActive.emit(node_id)

    def _on_finished(self, run_id: int, status: str) -> None:
        self._stop_timer.stop()
        self.abandon_button.hide()
        self.status.setText(f"Run {run_id} {status}.")
        self._add_log(f"run {status}", "end")
        self._clear_inputs()
        if self.chat.messages():
            self.chat.add_notice(f"Run {run_id} {status}. Run starts a new conversation.")
        self._set_running(False)
        self.nodeActive.emit("")
        self.runEnded.emit(run_id, status)

    def _on_failed(self, run_id: int, node_id: str, detail: str) -> None:
        where = f" in '{node_id}'" if node_id else ""
        self.status.setText(f"Failed{where}: {detail}")
        self._add_log(f"failed{where}: {detail}", "failed")
        self._clear_inputs()
        if self.chat.messages():
            self.chat.add_notice(f"The run failed{where}: {detail}", "error")
        self._set_running(False)
        self.nodeFailed.emit(node_id, detail)
        self.runEnded.emit(run_id, "failed")

    def _may_take_focus(self) -> bool:
        """The input takes the keyboard when it is asked for, unless the person is typing
        somewhere else (the code of a node, say) while the flow runs."""
        focused = QApplication.focusWidget()
        if focused is None or self.isAncestorOf(focused):
            return True
        typing = (QLineEdit, QPlainTextEdit, QTextEdit, QAbstractSpinBox)
        return not isinstance(focused, typing) or (
            isinstance(focused, QLineEdit | QPlainTextEdit | QTextEdit) and focused.isReadOnly()
        )

    # --- layout ------------------------------------------------------------------------------

    def _show_conversation(self, shown: bool) -> None:
        """A flow without input or LLM nodes has nothing to say: its log takes the panel."""
        self.conversation.setVisible(shown)
        self.log_button.setEnabled(shown)
        self.log_pane.setVisible(self.log_button.isChecked() or not shown)

    def _show_log(self, shown: bool) -> None:
        self.log_pane.setVisible(shown or not self.conversation.isVisibleTo(self))

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        wide = self.width() >= WIDE_ENOUGH
        orientation = Qt.Orientation.Horizontal if wide else Qt.Orientation.Vertical
        if orientation != self.splitter.orientation() or not self._split_set:
            self._split_set = True
            self.splitter.setOrientation(orientation)
            # Beside the conversation the log is on the right; above it, so that the input
            # stays at the bottom of the panel.
            self.splitter.insertWidget(1 if wide else 0, self.log_pane)
            self.log_pane.setMinimumWidth(180 if wide else 0)
            self.log_pane.setMinimumHeight(0 if wide else 60)
            self.conversation.setMinimumWidth(260 if wide else 0)
            if wide:
                log_width = min(360, max(200, self.width() // 4))
                self.splitter.setSizes([self.width() - log_width, log_width])
            else:
                log_height = max(60, self.height() // 4)
                self.splitter.setSizes([log_height, self.height() - log_height])

    def keyPressEvent(self, event: Any) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Escape and self.controller is not None:
            self.pause()
            return
        super().keyPressEvent(event)
