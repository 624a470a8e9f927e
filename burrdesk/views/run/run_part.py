"""The Run dock and menu: run, step, pause and stop the flow on the canvas, saved or not.

What runs is the flow being edited, recorded into the default run database. While it runs the
running node is outlined, a failing node turns red and nodes count their visits; "Run to here"
and breakpoints are on a node's context menu.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from burrdesk.model.data_location import default_database_path
from burrdesk.model.flow_document import FlowDocument
from burrdesk.model.flow_validation import errors
from burrdesk.views import theme
from burrdesk.views.canvas.undo_commands import EditNodeCommand
from burrdesk.views.run.run_panel import RunPanel
from burrdesk.views.window_part import WindowPart

if TYPE_CHECKING:
    from burrdesk.views.main_window import MainWindow


class RunPart(WindowPart):
    """Runs of the edited flow in a worker thread (see the module docstring)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.panel = RunPanel(window)
        self._started_from: tuple[object, str] | None = None
        self.dock = self.add_dock(
            "Run",
            "runDock",
            self.panel,
            Qt.DockWidgetArea.BottomDockWidgetArea,
            tabify_with=window.problems.dock,
        )
        self.run_action = self.action(
            "&Run", self.run_flow, "F5", "run", "Run the flow on the canvas"
        )
        self.step_action = self.action("&Step", self.step_flow, "F10", "step", "Run one action")
        self.pause_action = self.action("&Pause", self.panel.pause, "F6", "pause")
        self.stop_action = self.action("S&top", self.panel.stop, "Shift+F5", "stop")
        controls = (self.run_action, self.step_action, self.pause_action, self.stop_action)
        window.outline.add_to_menu("&Run", "control", *controls)
        window.outline.add_to_toolbar("run", *controls)
        self.panel.run_button.clicked.connect(self.run_flow)
        self.panel.step_button.clicked.connect(self.step_flow)
        self.panel.nodeActive.connect(self._highlight_active)
        self.panel.nodeFailed.connect(self._highlight_failed)
        self.panel.runStarted.connect(self._forget_last_run)
        self.panel.visitsChanged.connect(window.scene.set_visits)
        window.editing.add_node_menu_entries(self._node_menu_entries)

    def closing(self) -> None:
        self.panel.close_run()

    def database_path(self) -> Path:
        """The run database runs from the app record into."""
        return default_database_path()

    def start(
        self,
        document: FlowDocument,
        db_path: Path,
        *,
        single_step: bool = False,
        run_to: str | None = None,
        continue_app_id: str | None = None,
    ) -> None:
        """Starts a run of `document` into `db_path` and shows the Run panel."""
        self._started_from = self._flow_identity()
        self.dock.raise_()
        self.panel.start(
            document,
            db_path,
            single_step=single_step,
            run_to=run_to,
            continue_app_id=continue_app_id,
        )

    def _can_run(self) -> bool:
        window = self.window
        window.inspector.panel.commit_pending_edits()  # run what was just typed
        window.canvas.show_editor()  # what runs is the flow being edited: show it
        problems = window.problems.validate()
        if errors(problems):
            window.problems.dock.raise_()
            self.status_message(
                f"The flow has {len(errors(problems))} error(s); see Problems.", 6000
            )
            return False
        return True

    def _running(self) -> bool:
        return self.panel.controller is not None and self.panel.stop_button.isEnabled()

    def _running_this_flow(self) -> bool:
        """Whether Run/Step should go on with the current run: only when it is a run of the
        flow on the canvas. A run of a flow opened before (waiting for input, paused) is not
        resumed under another flow; starting this one ends it."""
        return self._running() and self._started_from == self._flow_identity()

    def _flow_identity(self) -> tuple[object, str]:
        return (self.window.files.path, self.window.model.document.name)

    def run_flow(self) -> None:
        """Runs (or resumes) the flow as it is on the canvas, saved or not."""
        if self._running_this_flow():
            self.panel.resume()
            return
        if self._can_run():
            self.start(self.window.model.document, self.database_path())

    def step_flow(self) -> None:
        if self._running_this_flow():
            self.panel.step()
            return
        if self._can_run():
            self.start(self.window.model.document, self.database_path(), single_step=True)

    def run_to(self, node_id: str) -> None:
        """Runs from the start and pauses right after `node_id` has run."""
        if self._can_run():
            self.start(self.window.model.document, self.database_path(), run_to=node_id)

    def toggle_breakpoint(self, node_id: str) -> None:
        on = not self.window.model.node(node_id).breakpoint
        command = EditNodeCommand(self.window.model, node_id, {"breakpoint": on})
        command.setText(f"{'Set' if on else 'Clear'} breakpoint on '{node_id}'")
        self.window.undo_stack.push(command)

    def _node_menu_entries(self, menu: QMenu, node_id: str) -> None:
        node = self.window.model.node(node_id)
        menu.addAction(theme.icon("run"), "Run to here", lambda: self.run_to(node_id))
        menu.addAction(
            theme.icon("breakpoint"),
            "Clear breakpoint" if node.breakpoint else "Set breakpoint",
            lambda: self.toggle_breakpoint(node_id),
        )

    def _highlight_active(self, node_id: str) -> None:
        self.window.scene.set_highlight(node_id, keep="failed")

    def _forget_last_run(self, *_started: object) -> None:
        """A new run starts clean: the node an earlier run failed in is no longer red."""
        scene = self.window.scene
        scene.set_highlight(None)
        for item in scene.nodes.values():
            item.setToolTip(item.toolTip().split(_FAILED_NOTE, 1)[0])

    def _highlight_failed(self, node_id: str, detail: str) -> None:
        item = self.window.scene.nodes.get(node_id)
        if item is not None:
            item.highlight = "failed"
            item.setToolTip(f"{item.toolTip().split(_FAILED_NOTE, 1)[0]}{_FAILED_NOTE}{detail}")
            item.update()


_FAILED_NOTE = "\nFailed: "
