"""The one place the engine meets Qt: a flow running in a worker thread.

The worker owns the compiled application and its tracker; the GUI never touches them. Commands
go in through queued signals (run, step, pause, stop, provide inputs) and small facts come out
("run 3 advanced to step 120 at `classify`", "needs input", "finished", "failed"). Progress is
coalesced to one signal per `PROGRESS_INTERVAL`, so a flow doing thousands of steps a second
never floods the event loop; views read everything else from the run database.
"""

from __future__ import annotations

import threading
import time
import traceback
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from burrdesk.engine.llm_action import streaming_tokens_to
from burrdesk.model.flow_document import FlowDocument

PROGRESS_INTERVAL = 0.05


class RunWorker(QObject):
    """Steps a compiled flow; lives in its own QThread."""

    started = Signal(int, str)  # run id, database path
    advanced = Signal(int, int, str, str)  # run id, sequence id, action just run, next action
    needsInput = Signal(str, list)  # node id, [{"name", "type", "prompt", "default"}]
    paused = Signal(str, str)  # next node id, reason ("breakpoint", "step", "pause")
    finished = Signal(int, str)  # run id, status: completed / stopped
    failed = Signal(int, str, str)  # run id, node id, "Type: message"
    # Runs per node id, traversals per "source->target", in the order first seen (`object`:
    # a dict would cross threads as a QVariantMap, which sorts its keys).
    visited = Signal(object, object)
    said = Signal(str, str)  # node label, text: what an LLM node answered (LLM steps are slow)
    streamed = Signal(str, str)  # node label, the reply so far, while an LLM node streams it

    def __init__(
        self,
        document: FlowDocument,
        db_path: Path,
        run_to: str | None = None,
        continue_app_id: str | None = None,
        llm_client: Any = None,
    ):
        super().__init__()
        self.continue_app_id = continue_app_id
        self.llm_client = llm_client
        self._streaming: dict[str, str] = {}
        self._last_stream = 0.0
        self.document = document
        self.db_path = db_path
        self.run_to = run_to
        self.app: Any = None
        self.run_id = -1
        self._stop = threading.Event()
        self._pause = threading.Event()
        self._pending_inputs: dict[str, Any] = {}
        self._breakpoints = {n.id for n in document.nodes if n.breakpoint}
        self._input_nodes = {n.id: n for n in document.nodes if n.kind == "input"}
        self._llm_nodes = {n.id: n for n in document.nodes if n.kind == "llm"}
        self._last_progress = 0.0
        self._node_visits: dict[str, int] = {}
        self._edge_visits: dict[str, int] = {}
        self._previous: str | None = None

    # Thread-safe requests (plain flags; the loop checks them between steps).
    def request_stop(self) -> None:
        self._stop.set()

    def request_pause(self) -> None:
        self._pause.set()

    @Slot()
    def prepare(self) -> None:
        """Compiles the flow and creates its run (in the worker thread)."""
        from burrdesk.engine.flow_compiler import compile_flow

        try:
            self.app = compile_flow(
                self.document,
                db_path=self.db_path,
                continue_app_id=self.continue_app_id,
                llm_client=self.llm_client,
            )
        except Exception as error:  # noqa: BLE001 - reported to the window as one sentence
            self.failed.emit(-1, "", f"{type(error).__name__}: {error}")
            return
        tracker = self.app.builder.tracker
        self.run_id = tracker.run_id_for(self.app.app_id, self.app.partition_key)
        self.started.emit(self.run_id, str(self.db_path))

    @Slot(dict)
    def provide_inputs(self, values: dict) -> None:
        self._pending_inputs = dict(values)

    @Slot()
    def run(self) -> None:
        self._loop(single=False)

    @Slot()
    def step_once(self) -> None:
        self._loop(single=True)

    def _loop(self, single: bool) -> None:
        if self.app is None:
            return
        self._pause.clear()
        first = True
        while True:
            upcoming = self.app.get_next_action()
            if upcoming is None:
                self._finish("completed")
                return
            name = upcoming.name
            if self._stop.is_set():
                self._finish("stopped")
                return
            if not first and (single or self._pause.is_set()):
                self._emit_progress(force=True)
                self.paused.emit(name, "step" if single else "pause")
                return
            if not first and name in self._breakpoints:
                self._emit_progress(force=True)
                self.paused.emit(name, "breakpoint")
                return
            inputs: dict[str, Any] = {}
            if name in self._input_nodes:
                fields = self._input_nodes[name].params.get("inputs", [])
                missing = [
                    f
                    for f in fields
                    if f.get("name") not in self._pending_inputs and f.get("default") is None
                ]
                if missing:
                    self._emit_progress(force=True)
                    self.needsInput.emit(name, list(fields))
                    return
                inputs, self._pending_inputs = self._pending_inputs, {}
            try:
                with streaming_tokens_to(self._on_token):
                    _action, result, _state = self.app.step(inputs=inputs)
            except Exception as error:  # noqa: BLE001 - the user's node failed; it is recorded
                self._emit_progress(force=True)
                detail = traceback.format_exception_only(error)[-1].strip()
                self.failed.emit(self.run_id, name, detail)
                return
            first = False
            self._node_visits[name] = self._node_visits.get(name, 0) + 1
            if self._previous is not None:
                key = f"{self._previous}->{name}"
                self._edge_visits[key] = self._edge_visits.get(key, 0) + 1
            self._previous = name
            self._streaming.pop(name, None)
            if name in self._llm_nodes and isinstance(result, dict):
                self.said.emit(self._speaker(name), str(result.get("output", "")))
            self._emit_progress(force=False)
            if self.run_to is not None and name == self.run_to:
                self._emit_progress(force=True)
                upcoming = self.app.get_next_action()
                self.paused.emit(upcoming.name if upcoming else "", "run to here")
                self.run_to = None
                return

    def _speaker(self, node_id: str) -> str:
        node = self._llm_nodes.get(node_id)
        label = node.title if node is not None else node_id
        return f"{label} (echo)" if getattr(self.llm_client, "mode", "echo") == "echo" else label

    def _on_token(self, node_id: str, text: str) -> None:
        """Called in this thread for each streamed piece; the GUI hears at most ~20 times a
        second, with the whole reply so far (so a dropped update loses nothing)."""
        so_far = self._streaming.get(node_id, "") + text
        self._streaming[node_id] = so_far
        now = time.monotonic()
        if now - self._last_stream >= PROGRESS_INTERVAL:
            self._last_stream = now
            self.streamed.emit(self._speaker(node_id), so_far)

    def _emit_progress(self, force: bool) -> None:
        now = time.monotonic()
        if not force and now - self._last_progress < PROGRESS_INTERVAL:
            return
        self._last_progress = now
        prior = self.app.state.get("__PRIOR_STEP") or ""
        upcoming = self.app.get_next_action()
        if self.app.sequence_id is None:
            return
        sequence = self.app.sequence_id
        self.advanced.emit(self.run_id, sequence, prior, upcoming.name if upcoming else "")
        self.visited.emit(dict(self._node_visits), dict(self._edge_visits))

    def _finish(self, status: str) -> None:
        self._emit_progress(force=True)
        self.app.builder.tracker.close(status)
        self.finished.emit(self.run_id, status)

    @Slot()
    def shutdown(self) -> None:
        """Closes the tracker (marks a paused run stopped) before the thread ends."""
        if self.app is not None:
            self.app.builder.tracker.close("stopped")


class RunController(QObject):
    """Owns the worker thread and forwards GUI commands to it as queued signals."""

    runRequested = Signal()
    stepRequested = Signal()
    inputsProvided = Signal(dict)
    prepareRequested = Signal()
    shutdownRequested = Signal()

    def __init__(
        self,
        document: FlowDocument,
        db_path: Path,
        run_to: str | None = None,
        parent: QObject | None = None,
        continue_app_id: str | None = None,
        llm_client: Any = None,
    ):
        super().__init__(parent)
        self.thread = QThread()
        self.thread.setObjectName("burrdesk-run")
        self.worker = RunWorker(document, db_path, run_to, continue_app_id, llm_client)
        self.worker.moveToThread(self.thread)
        self.prepareRequested.connect(self.worker.prepare)
        self.runRequested.connect(self.worker.run)
        self.stepRequested.connect(self.worker.step_once)
        self.inputsProvided.connect(self.worker.provide_inputs)
        self.shutdownRequested.connect(self.worker.shutdown)
        self.thread.start()
        self.prepareRequested.emit()

    def run(self) -> None:
        self.runRequested.emit()

    def step(self) -> None:
        self.stepRequested.emit()

    def pause(self) -> None:
        self.worker.request_pause()

    def stop(self) -> None:
        self.worker.request_stop()

    def provide_inputs(self, values: dict, then_run: bool = True) -> None:
        self.inputsProvided.emit(values)
        if then_run:
            self.runRequested.emit()

    def close(self, timeout_ms: int = 5000) -> bool:
        """Stops the worker between steps and ends its thread; False if it did not return."""
        self.worker.request_stop()
        self.shutdownRequested.emit()
        self.thread.quit()
        return self.thread.wait(timeout_ms)
