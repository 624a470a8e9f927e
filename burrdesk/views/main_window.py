"""The main window: canvas in the middle, palette, inspector and problems around it, menus on top."""

from __future__ import annotations

import contextlib
import functools
import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from PySide6.QtCore import QByteArray, QPoint, QPointF, QRectF, QSettings, QSize, Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QImage,
    QKeySequence,
    QPainter,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from burrdesk.engine.llm_clients import chat_client_for
from burrdesk.model.data_location import user_data_dir
from burrdesk.model.flow_document import (
    FILE_SUFFIX,
    FlowDocument,
    FlowEdge,
    FlowFileError,
    FlowNode,
    load_flow,
)
from burrdesk.model.flow_validation import Problem, errors, validate_flow
from burrdesk.model.llm_settings import LlmSettings, load_llm_settings, save_llm_settings
from burrdesk.model.node_templates import new_node
from burrdesk.views import theme
from burrdesk.views.flow_canvas import FlowScene, FlowView
from burrdesk.views.flow_canvas import _color as canvas_color
from burrdesk.views.flow_editor_model import FlowEditorModel
from burrdesk.views.inspector import Inspector
from burrdesk.views.recorded_flow_view import RecordedFlowView
from burrdesk.views.rewind_dialog import RewindDialog, rewind_unavailable_reason
from burrdesk.views.run_panel import RunPanel
from burrdesk.views.side_panels import EXAMPLES_DIR, AddNodePopup, Palette, ProblemsPanel
from burrdesk.views.timeline_panel import TimelinePanel
from burrdesk.views.undo_commands import (
    AddNodesCommand,
    EditFlowCommand,
    EditNodeCommand,
    MoveNodesCommand,
    RemoveItemsCommand,
)

FRAGMENT_KEY = "burrdesk.flow-fragment"
MAX_RECENT = 10


def settings() -> QSettings:
    """User settings in the burrdesk data directory (so tests and portable installs isolate it)."""
    return QSettings(str(user_data_dir() / "settings.ini"), QSettings.Format.IniFormat)


class MainWindow(QMainWindow):
    """One flow document at a time, edited through one undo stack."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.path: Path | None = None
        self.undo_stack = QUndoStack(self)
        self.model = FlowEditorModel(FlowDocument(name="untitled"), self)
        self.scene = FlowScene(self.model, self.undo_stack, self)
        self.view = FlowView(self.scene, self)
        self.recorded = RecordedFlowView(self)
        self.canvas_stack = QStackedWidget(self)
        self.canvas_stack.addWidget(self.view)
        self.canvas_stack.addWidget(self.recorded)
        self.setCentralWidget(self.canvas_stack)
        self.problems: list[Problem] = []
        self._build_docks()
        self._build_actions()
        self._build_menus()
        self.timeline.stepSelected.connect(self._step_selected)
        self.timeline.runSelected.connect(self.show_run_flow)
        self.recorded.backRequested.connect(self.show_editor)
        self.recorded.editAsNewFlowRequested.connect(self.edit_recorded_flow)
        self.timeline.steps_view.addAction(self.rewind_action)
        self.timeline.steps_view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self._build_status()
        self.add_node_popup = AddNodePopup(self)
        self.add_node_popup.kindChosen.connect(self.add_node)
        self._connect_from: str | None = None

        self._validate_timer = QTimer(self)
        self._validate_timer.setSingleShot(True)
        self._validate_timer.setInterval(120)
        self._validate_timer.timeout.connect(self.validate)
        self.model.changed.connect(self._validate_timer.start)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self.scene.selectionChanged.connect(self._selection_changed)
        self.inspector.edgeSelectionRequested.connect(
            lambda index: self.scene.select_only(edge_index=index)
        )
        self.scene.connectionDroppedOnCanvas.connect(self._connection_dropped)
        self.view.nodeKindDropped.connect(self.add_node)
        self.view.addNodeRequested.connect(self._popup_add_node)
        self.view.zoomChanged.connect(self._on_zoom_changed)
        self.setAcceptDrops(True)
        self.resize(1400, 900)
        self._default_state = self.saveState()
        self._restore_settings()
        self._update_title()
        self.validate()

    # --- building ---------------------------------------------------------------------------

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        self.palette = Palette(self)
        self.palette.addKindRequested.connect(
            lambda kind: self.add_node(
                kind, self.view.mapToScene(self.view.viewport().rect().center())
            )
        )
        self.palette.exampleRequested.connect(self.open_example)
        self.palette_dock = self._dock(
            "Palette", "paletteDock", self.palette, Qt.DockWidgetArea.LeftDockWidgetArea
        )
        self.inspector = Inspector(self.model, self.undo_stack, self)
        self.inspector_dock = self._dock(
            "Inspector", "inspectorDock", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.problems_panel = ProblemsPanel(self)
        self.problems_panel.problemActivated.connect(self._select_problem)
        self.problems_dock = self._dock(
            "Problems", "problemsDock", self.problems_panel, Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.run_panel = RunPanel(self)
        self.run_dock = self._dock(
            "Run", "runDock", self.run_panel, Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.tabifyDockWidget(self.problems_dock, self.run_dock)
        self.timeline = TimelinePanel(self)
        self.timeline_dock = self._dock(
            "Timeline", "timelineDock", self.timeline, Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.tabifyDockWidget(self.run_dock, self.timeline_dock)
        self.problems_dock.raise_()
        self.run_panel.runStarted.connect(self._follow_run_in_timeline)
        self.run_panel.visitsChanged.connect(self._timeline_advanced)
        self.run_panel.runEnded.connect(self._timeline_advanced)
        self.run_panel.run_button.clicked.connect(self.run_flow)
        self.run_panel.step_button.clicked.connect(self.step_flow)
        self.run_panel.nodeActive.connect(self._highlight_active)
        self.run_panel.nodeFailed.connect(self._highlight_failed)
        self.run_panel.visitsChanged.connect(self.scene.set_visits)
        self.run_panel.streaming.connect(self.timeline.show_streaming)
        self.scene.nodeContextMenuRequested.connect(self._node_context_menu)
        self.resizeDocks(
            [self.palette_dock, self.inspector_dock], [190, 340], Qt.Orientation.Horizontal
        )
        self.resizeDocks([self.problems_dock], [110], Qt.Orientation.Vertical)

    def _action(
        self,
        text: str,
        slot: Any,
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
        icon: str | None = None,
        tip: str | None = None,
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(
                shortcut if isinstance(shortcut, QKeySequence) else QKeySequence(shortcut)
            )
        if icon:
            action.setIcon(theme.icon(icon))
            action.setData(icon)
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _build_actions(self) -> None:
        key = QKeySequence.StandardKey
        self.new_action = self._action("&New", self.new_flow, key.New, "new")
        self.open_action = self._action("&Open…", self.open_dialog, key.Open, "open")
        self.save_action = self._action("&Save", self.save, key.Save, "save")
        self.save_as_action = self._action("Save &As…", self.save_as, key.SaveAs, "save-as")
        self.quit_action = self._action("&Quit", self.close, key.Quit)
        self.export_python_action = self._action(
            "Python…", lambda: self.export("python"), icon="export"
        )
        self.export_mermaid_action = self._action("Mermaid…", lambda: self.export("mermaid"))
        self.export_png_action = self._action("PNG image…", lambda: self.export("png"))
        self.export_svg_action = self._action("SVG image…", lambda: self.export("svg"))
        self.undo_action = self.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(key.Undo)
        self.undo_action.setIcon(theme.icon("undo"))
        self.redo_action = self.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcut(key.Redo)
        self.redo_action.setIcon(theme.icon("redo"))
        self.cut_action = self._action("Cu&t", self.cut, key.Cut, "cut")
        self.copy_action = self._action("&Copy", self.copy, key.Copy, "copy")
        self.paste_action = self._action("&Paste", self.paste, key.Paste, "paste")
        self.duplicate_action = self._action("&Duplicate", self.duplicate, "Ctrl+D", "duplicate")
        self.delete_action = self._action(
            "De&lete", self.scene.delete_selection, key.Delete, "delete"
        )
        self.select_all_action = self._action("Select &All", self.select_all, key.SelectAll)
        self.zoom_in_action = self._action(
            "Zoom &In", lambda: self._active_view().zoom_by(1.2), key.ZoomIn, "zoom-in"
        )
        self.zoom_out_action = self._action(
            "Zoom &Out", lambda: self._active_view().zoom_by(1 / 1.2), key.ZoomOut, "zoom-out"
        )
        self.zoom_fit_action = self._action(
            "Zoom to &Fit", lambda: self._active_view().zoom_to_fit(), "Ctrl+0", "zoom-fit"
        )
        self.zoom_selection_action = self._action(
            "Zoom to &Selection",
            lambda: self._active_view().zoom_to_selection(),
            "Ctrl+Shift+0",
            "zoom-selection",
        )
        self.layout_action = self._action("Auto-&layout", self.auto_layout, "Ctrl+L", "layout")
        self.theme_action = self._action("&Dark Theme", self.toggle_theme, "Ctrl+Shift+T", "theme")
        self.theme_action.setCheckable(True)
        self.reset_layout_action = self._action("&Reset Window Layout", self.reset_layout)
        self.run_action = self._action(
            "&Run", self.run_flow, "F5", "run", "Run the flow on the canvas"
        )
        self.step_action = self._action("&Step", self.step_flow, "F10", "step", "Run one action")
        self.pause_action = self._action("&Pause", lambda: self.run_panel.pause(), "F6", "pause")
        self.stop_action = self._action("S&top", lambda: self.run_panel.stop(), "Shift+F5", "stop")
        self.rewind_action = self._action(
            "Re&wind to Here…", self.rewind_to_selected_step, "Ctrl+Shift+R", "timeline"
        )
        self.rewind_action.setEnabled(False)
        self.settings_action = self._action(
            "Se&ttings…", self.open_settings, key.Preferences, "settings"
        )
        if not self.settings_action.shortcut().toString():
            self.settings_action.setShortcut("Ctrl+,")
        self.welcome_action = self._action("&Welcome", self.show_welcome, icon="welcome")
        self.documentation_action = self._action(
            "&Documentation", self.show_documentation, key.HelpContents
        )
        self.about_action = self._action("&About burrdesk", self.show_about)
        for action in (self.delete_action, self.duplicate_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.view.addAction(action)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.new_action, self.open_action])
        self.recent_menu = file_menu.addMenu("Open &Recent")
        file_menu.addSeparator()
        file_menu.addActions([self.save_action, self.save_as_action])
        export_menu = file_menu.addMenu("&Export")
        export_menu.addActions(
            [
                self.export_python_action,
                self.export_mermaid_action,
                self.export_png_action,
                self.export_svg_action,
            ]
        )
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = bar.addMenu("&Edit")
        edit_menu.addActions([self.undo_action, self.redo_action])
        edit_menu.addSeparator()
        edit_menu.addActions(
            [
                self.cut_action,
                self.copy_action,
                self.paste_action,
                self.duplicate_action,
                self.delete_action,
            ]
        )
        edit_menu.addSeparator()
        edit_menu.addAction(self.select_all_action)
        edit_menu.addSeparator()
        edit_menu.addAction(self.settings_action)
        view_menu = bar.addMenu("&View")
        view_menu.addActions(
            [
                self.zoom_in_action,
                self.zoom_out_action,
                self.zoom_fit_action,
                self.zoom_selection_action,
            ]
        )
        view_menu.addSeparator()
        view_menu.addActions([self.layout_action, self.theme_action])
        view_menu.addSeparator()
        for dock in (self.palette_dock, self.inspector_dock, self.problems_dock):
            view_menu.addAction(dock.toggleViewAction())
        view_menu.addAction(self.reset_layout_action)
        run_menu = bar.addMenu("&Run")
        run_menu.addActions(
            [self.run_action, self.step_action, self.pause_action, self.stop_action]
        )
        run_menu.addSeparator()
        run_menu.addAction(self.rewind_action)
        help_menu = bar.addMenu("&Help")
        help_menu.addActions([self.welcome_action, self.documentation_action])
        help_menu.addSeparator()
        help_menu.addAction(self.about_action)
        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setIconSize(QSize(20, 20))
        toolbar.addActions([self.new_action, self.open_action, self.save_action])
        toolbar.addSeparator()
        toolbar.addActions([self.undo_action, self.redo_action])
        toolbar.addSeparator()
        toolbar.addActions(
            [self.zoom_in_action, self.zoom_out_action, self.zoom_fit_action, self.layout_action]
        )
        toolbar.addSeparator()
        toolbar.addActions([self.run_action, self.step_action, self.pause_action, self.stop_action])
        toolbar.addSeparator()
        toolbar.addAction(self.theme_action)
        theme.theme_signals.changed.connect(self._refresh_icons)

    def _refresh_icons(self, *args: object) -> None:
        for action in self.findChildren(QAction):
            name = action.data()
            if isinstance(name, str) and name:
                action.setIcon(theme.icon(name))
        self.undo_action.setIcon(theme.icon("undo"))
        self.redo_action.setIcon(theme.icon("redo"))

    def _build_status(self) -> None:
        self.problem_label = QLabel()
        self.zoom_label = QLabel("100%")
        self.llm_label = QLabel()
        self.llm_label.setToolTip("Where LLM nodes send their prompts (Edit → Settings…)")
        self.statusBar().addPermanentWidget(self.llm_label)
        self.statusBar().addPermanentWidget(self.problem_label)
        self.statusBar().addPermanentWidget(self.zoom_label)
        self.apply_llm_settings(load_llm_settings())

    # --- starting, welcome and help ---------------------------------------------------------

    def start_up(self) -> None:
        """What an app started without a file shows: on a first launch (an empty default run
        database) demo runs are recorded and the chatbot example opens; the default database
        is shown in the timeline; the welcome page opens unless turned off."""
        from burrdesk.engine.demo_runs import needs_demo_runs, seed_demo_runs
        from burrdesk.model import resource_location

        db_path = self.run_database_path()
        examples = resource_location.examples_dir()
        first = needs_demo_runs(db_path)
        demo = None
        if first:
            try:
                demo = seed_demo_runs(db_path, examples)
            except Exception as error:  # noqa: BLE001 - the app must start even if seeding fails
                self.statusBar().showMessage(f"Could not record the demo runs: {error}", 8000)
            self.open_example(examples / "chatbot.burrflow")
        if db_path.exists():
            self.open_run_database(db_path)
            if demo is not None:
                self.timeline.select_run(demo.chat)
                self.show_editor()
        if settings().value("welcome/show", True, bool):
            self.show_welcome()

    def show_welcome(self) -> None:
        from burrdesk.model import resource_location
        from burrdesk.views.welcome_dialog import WelcomeDialog

        dialog = WelcomeDialog(
            resource_location.example_flows(),
            self.recent_files(),
            show_at_startup=settings().value("welcome/show", True, bool),
            parent=self,
        )
        dialog.exampleChosen.connect(self.open_example)
        dialog.recentChosen.connect(lambda path: self.open_path(path))
        dialog.settingsRequested.connect(self.open_settings)
        dialog.documentationRequested.connect(self.show_documentation)
        dialog.show_at_startup.toggled.connect(lambda on: settings().setValue("welcome/show", on))
        self.welcome = dialog
        dialog.show()

    def show_documentation(self) -> None:
        from burrdesk.views.documentation_dialog import DocumentationDialog

        self.documentation = DocumentationDialog(self)
        self.documentation.show()

    def show_about(self) -> None:
        from burrdesk import __version__

        QMessageBox.about(
            self,
            "About burrdesk",
            f"burrdesk {__version__}\n\nA workbench for Burr-style state-machine "
            "applications: design the flow, run it, and walk back through every step.",
        )

    # --- LLM endpoint -----------------------------------------------------------------------

    def apply_llm_settings(self, llm_settings: LlmSettings) -> None:
        """Uses these settings for the next run and shows what LLM nodes will call."""
        self.llm_settings = llm_settings
        description = llm_settings.describe()
        self.llm_label.setText(description)
        self.inspector.set_llm_endpoint(description, llm_settings.models)
        echo = llm_settings.mode() == "echo"
        self.scene.set_llm_echo(echo)
        self.recorded.scene.set_llm_echo(echo)
        self.run_panel.llm_client_factory = functools.partial(chat_client_for, llm_settings)

    def open_settings(self) -> bool:
        """The Settings dialog; saving applies and stores the settings (False when cancelled)."""
        from burrdesk.views.settings_dialog import SettingsDialog

        store = settings()
        dialog = SettingsDialog(
            self.llm_settings,
            models=self.llm_settings.models,
            show_welcome=store.value("welcome/show", True, bool),
            parent=self,
        )
        self._settings_dialog = dialog
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        save_llm_settings(dialog.settings)
        store.setValue("welcome/show", dialog.show_welcome.isChecked())
        self.apply_llm_settings(dialog.settings)
        self.statusBar().showMessage(f"Settings saved. {dialog.settings.describe()}", 6000)
        return True

    # --- settings ---------------------------------------------------------------------------

    def _restore_settings(self) -> None:
        store = settings()
        geometry = store.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = store.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        dark = store.value("theme", "light") == "dark"
        self.theme_action.setChecked(dark)
        self._rebuild_recent()

    def save_settings(self) -> None:
        store = settings()
        store.setValue("window/geometry", self.saveGeometry())
        store.setValue("window/state", self.saveState())
        store.setValue("theme", "dark" if self.theme_action.isChecked() else "light")
        store.sync()

    def recent_files(self) -> list[str]:
        value = settings().value("recent", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _remember(self, path: Path) -> None:
        recent = [str(path.resolve())] + [
            p for p in self.recent_files() if p != str(path.resolve())
        ]
        store = settings()
        store.setValue("recent", recent[:MAX_RECENT])
        store.sync()
        self._rebuild_recent()

    def _rebuild_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.recent_files()
        if not recent:
            placeholder = self.recent_menu.addAction("No recent files")
            placeholder.setEnabled(False)
            return
        for path in recent:
            action = self.recent_menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.triggered.connect(lambda _c=False, p=path: self.open_path(Path(p)))

    def toggle_theme(self) -> None:
        name = "dark" if self.theme_action.isChecked() else "light"
        theme.apply_theme(QApplication.instance(), name)  # type: ignore[arg-type]
        self.save_settings()

    def reset_layout(self) -> None:
        self.restoreState(self._default_state)
        for dock in (self.palette_dock, self.inspector_dock, self.problems_dock):
            dock.show()

    # --- files ------------------------------------------------------------------------------

    def _on_clean_changed(self, _clean: bool) -> None:
        self._update_title()

    def _on_zoom_changed(self, zoom: float) -> None:
        self.zoom_label.setText(f"{zoom * 100:.0f}%")

    def _update_title(self) -> None:
        name = self.path.name if self.path else f"{self.model.document.name} (unsaved)"
        self.setWindowTitle(f"{name}[*] — burrdesk")
        self.setWindowModified(not self.undo_stack.isClean())

    def maybe_save(self) -> bool:
        """Asks what to do with unsaved changes; False means the person cancelled."""
        if self.undo_stack.isClean():
            return True
        answer = QMessageBox.question(
            self,
            "Unsaved changes",
            f"Save the changes to {self.path.name if self.path else self.model.document.name}?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def set_document(self, document: FlowDocument, path: Path | None) -> None:
        self.show_editor()
        self.path = path
        self.undo_stack.clear()
        self.model.reset(document)
        self.scene.clearSelection()
        self.inspector.show_selection([], [])
        self._update_title()
        self.validate()
        QTimer.singleShot(0, self.view.zoom_to_fit)
        self.view.zoom_to_fit()

    def new_flow(self) -> None:
        if self.maybe_save():
            self.set_document(FlowDocument(name="untitled"), None)

    def open_dialog(self) -> None:
        if not self.maybe_save():
            return
        start = str(self.path.parent) if self.path else str(EXAMPLES_DIR)
        name, _ = QFileDialog.getOpenFileName(
            self,
            "Open",
            start,
            "Flows and run databases (*.burrflow *.db);;Flows (*.burrflow);;Run databases (*.db)",
        )
        if name:
            self.open_path(Path(name), ask=False)

    def open_path(self, path: Path, ask: bool = True) -> bool:
        """Opens a flow (replacing the current one) or shows a run database's runs."""
        if path.suffix.lower() in (".db", ".sqlite", ".sqlite3"):
            return self.open_run_database(path)
        if ask and not self.maybe_save():
            return False
        try:
            document = load_flow(path)
        except FlowFileError as error:
            self.show_error("Cannot open the flow", str(error))
            return False
        self.set_document(document, path)
        self._remember(path)
        self.statusBar().showMessage(f"Opened {path}", 4000)
        return True

    def open_example(self, path: Path) -> None:
        """Examples open as untitled copies so saving never overwrites the shipped file."""
        if not self.maybe_save():
            return
        try:
            document = load_flow(path)
        except FlowFileError as error:
            self.show_error("Cannot open the example", str(error))
            return
        self.set_document(document, None)

    def open_run_database(self, path: Path) -> bool:
        """Shows a run database's runs and steps in the timeline (a bad file is one message)."""
        from burrdesk.model.run_database import RunDatabaseError

        try:
            self.timeline.open_database(path)
        except RunDatabaseError as error:
            self.show_error("Cannot open the run database", str(error))
            return False
        self.timeline.set_live(True)
        self.timeline_dock.show()
        self.timeline_dock.raise_()
        newest = self.timeline.runs_model.run_at(0) if self.timeline.runs_model.rowCount() else None
        if newest is not None:
            self.timeline.select_run(newest.run_id)
        self.statusBar().showMessage(f"Opened run database {path}", 4000)
        return True

    def _follow_run_in_timeline(self, run_id: int, db_path: str) -> None:
        from burrdesk.model.run_database import RunDatabaseError

        current = self.timeline.database
        if current is None or Path(current.path).resolve() != Path(db_path).resolve():
            try:
                self.timeline.open_database(db_path)
            except RunDatabaseError:
                return
        self.timeline.follow_live()
        self.timeline.select_run(run_id)

    # --- the flow of a recorded run ---------------------------------------------------------

    VISITS_UP_TO = 50_000
    """Runs up to this many steps show visit counts on their recorded flow (one scan)."""

    @property
    def showing_recorded_flow(self) -> bool:
        return self.canvas_stack.currentWidget() is self.recorded

    def show_run_flow(self, run_id: int) -> None:
        """Shows the flow the selected run ran: the editor when it is the flow being edited,
        otherwise the recorded flow, read-only."""
        from burrdesk.model.recorded_flow import recorded_document
        from burrdesk.model.run_database import RunDatabaseError

        run = self.timeline.current_run
        database = self.timeline.database
        if run is None or run.run_id != run_id or database is None:
            return
        document = recorded_document(run)
        if document is None:
            self.show_editor()
            self.statusBar().showMessage(
                f"Run {run.run_id} recorded no flow or graph to show on the canvas.", 6000
            )
            return
        if run.flow and document == self.model.document:
            self.show_editor()
            return
        self.recorded.show_run(run, document, drawn=not run.flow)
        visits: tuple[dict[str, int], dict[str, int]] = ({}, {})
        if run.step_count <= self.VISITS_UP_TO:
            with contextlib.suppress(RunDatabaseError):
                visits = database.visit_counts(run.run_id)
        self.recorded.set_visits(*visits)
        self.recorded.show_step(None)
        self._set_editing_enabled(False)
        self.canvas_stack.setCurrentWidget(self.recorded)

    def show_editor(self) -> None:
        """Back to the flow being edited (from a recorded run's flow)."""
        if self.showing_recorded_flow:
            self.canvas_stack.setCurrentWidget(self.view)
            self._set_editing_enabled(True)

    def edit_recorded_flow(self) -> None:
        """Replaces the edited flow with an untitled copy of the recorded one."""
        document = self.recorded.document.model_copy(deep=True)
        if not self.maybe_save():
            return
        self.show_editor()
        self.set_document(document, None)
        self.statusBar().showMessage(
            f"Editing a copy of the flow of run {self.recorded.run.run_id}; save it to keep it."
            if self.recorded.run is not None
            else "Editing a copy of the recorded flow.",
            6000,
        )

    def _set_editing_enabled(self, enabled: bool) -> None:
        """Editing commands act on the flow being edited, which is hidden behind a recorded one."""
        for action in (
            self.cut_action,
            self.paste_action,
            self.delete_action,
            self.duplicate_action,
            self.select_all_action,
            self.layout_action,
            self.save_action,
            self.save_as_action,
            self.export_python_action,
            self.export_mermaid_action,
            self.export_png_action,
            self.export_svg_action,
        ):
            action.setEnabled(enabled)
        self.undo_action.setEnabled(enabled and self.undo_stack.canUndo())
        self.redo_action.setEnabled(enabled and self.undo_stack.canRedo())
        self.palette.setEnabled(enabled)
        self.inspector.show_message(
            None
            if enabled
            else "The canvas shows the flow a recorded run ran, read-only. Choose Edit as New "
            "Flow above it to change and run a copy, or Back to Editor for your flow."
        )

    def _active_view(self) -> FlowView:
        return self.recorded.view if self.showing_recorded_flow else self.view

    def _step_selected(self, _run_id: int, _sequence_id: int) -> None:
        step = self.timeline.current_step
        if self.showing_recorded_flow and step is not None:
            self.recorded.show_step(step.action, failed=step.status == "failed")
        reason = rewind_unavailable_reason(self.timeline.current_run, self.timeline.current_step)
        self.rewind_action.setEnabled(reason is None)
        self.rewind_action.setToolTip(reason or "Continue this run from here as a fork")
        self.rewind_action.setStatusTip(reason or "Continue this run from here as a fork")

    def rewind_to_selected_step(self) -> None:
        """Forks the selected run after the selected step and runs the fork."""
        run, step = self.timeline.current_run, self.timeline.current_step
        reason = rewind_unavailable_reason(run, step)
        if reason is not None or run is None or step is None:
            self.statusBar().showMessage(reason or "", 6000)
            return
        database = self.timeline.database
        if step.run_id != run.run_id:
            run = database.get_run(step.run_id)  # a fork's inherited step: fork its own run
        state = database.state_at(run.run_id, step.sequence_id)
        dialog = RewindDialog(run, step, state, self)
        self._rewind_dialog = dialog
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.state is None:
            return
        self.fork_and_run(run, step.sequence_id, dialog.state, dialog.chosen_next_action())

    def fork_and_run(
        self, run: Any, sequence_id: int, state: dict[str, Any], next_action: str | None
    ) -> int:
        """Records a fork of `run` after `sequence_id` and runs it with the run's own flow."""
        from burrdesk.model.run_database import RunDatabase

        db_path = Path(self.timeline.database.path)
        with RunDatabase(db_path) as database:
            fork = database.fork(run.run_id, sequence_id, state=state, next_action=next_action)
        document = FlowDocument.model_validate(run.flow)
        self.run_dock.raise_()
        self.run_panel.start(document, db_path, continue_app_id=fork.app_id)
        self.statusBar().showMessage(
            f"Forked run {run.run_id} at step {sequence_id} as run {fork.run_id}.", 6000
        )
        return fork.run_id

    def _timeline_advanced(self, *_args: object) -> None:
        run_id = self.run_panel.run_id
        if run_id is not None:
            self.timeline.run_advanced(run_id)

    def save(self) -> bool:
        if self.path is None:
            return self.save_as()
        return self._write(self.path)

    def save_as(self) -> bool:
        start = (
            str(self.path)
            if self.path
            else str(Path.home() / f"{self.model.document.name}{FILE_SUFFIX}")
        )
        name, _ = QFileDialog.getSaveFileName(self, "Save flow", start, f"Flows (*{FILE_SUFFIX})")
        if not name:
            return False
        path = Path(name)
        if path.suffix != FILE_SUFFIX:
            path = path.with_suffix(FILE_SUFFIX)
        return self._write(path)

    def _write(self, path: Path) -> bool:
        try:
            self.model.document.save(path)
        except OSError as error:
            self.show_error("Cannot save", f"{path} could not be written: {error.strerror}.")
            return False
        self.path = path
        self.undo_stack.setClean()
        self._remember(path)
        self._update_title()
        self.statusBar().showMessage(f"Saved {path}", 4000)
        return True

    def export(self, kind: str) -> None:
        suffix = {"python": ".py", "mermaid": ".mmd", "png": ".png", "svg": ".svg"}[kind]
        base = (
            self.path.with_suffix(suffix)
            if self.path
            else Path.home() / f"{self.model.document.name}{suffix}"
        )
        name, _ = QFileDialog.getSaveFileName(self, f"Export as {kind}", str(base), f"*{suffix}")
        if name:
            self.export_to(kind, Path(name))

    def export_to(self, kind: str, path: Path) -> bool:
        from burrdesk.engine.flow_export import export_mermaid, export_python

        document = self.model.document
        if kind == "python":
            if errors(validate_flow(document)):
                self.show_error(
                    "Cannot export",
                    "The flow has errors; fix them (see Problems) before exporting Python.",
                )
                return False
            path.write_text(export_python(document), encoding="utf-8")
        elif kind == "mermaid":
            path.write_text(export_mermaid(document), encoding="utf-8")
        elif kind == "png":
            self.render_image().save(str(path))
        else:
            self._render_svg(path)
        self.statusBar().showMessage(f"Exported {path}", 4000)
        return True

    def render_image(self, scale: float = 2.0) -> QImage:
        rect = self.scene.itemsBoundingRect().adjusted(-40, -40, 40, 40)
        image = QImage(
            max(int(rect.width() * scale), 1),
            max(int(rect.height() * scale), 1),
            QImage.Format.Format_ARGB32,
        )
        image.fill(canvas_color("canvas_background", "#f8fafc"))
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.scene.clearSelection()
        self.scene.render(painter, QRectF(image.rect()), rect)
        painter.end()
        return image

    def _render_svg(self, path: Path) -> None:
        from PySide6.QtSvg import QSvgGenerator

        rect = self.scene.itemsBoundingRect().adjusted(-40, -40, 40, 40)
        generator = QSvgGenerator()
        generator.setFileName(str(path))
        generator.setSize(rect.size().toSize())
        generator.setViewBox(QRectF(0, 0, rect.width(), rect.height()))
        generator.setTitle(self.model.document.name)
        painter = QPainter(generator)
        self.scene.clearSelection()
        self.scene.render(painter, QRectF(0, 0, rect.width(), rect.height()), rect)
        painter.end()

    def show_error(self, title: str, message: str) -> None:
        self.statusBar().showMessage(message, 8000)
        QMessageBox.warning(self, title, message)

    # --- editing ----------------------------------------------------------------------------

    def add_node(self, kind: str, scene_pos: QPointF) -> None:
        self.show_editor()
        node_id = self.model.unique_id(kind if kind != "input" else "ask")
        position = (round((scene_pos.x() - 110) / 20) * 20, round((scene_pos.y() - 40) / 20) * 20)
        node = new_node(kind, node_id, position)
        edges = []
        if self._connect_from is not None:
            source = self._connect_from
            has_default = any(
                e.condition_kind == "default" for e in self.model.document.outgoing(source)
            )
            edges.append(
                FlowEdge(
                    source=source,
                    target=node_id,
                    condition="expr: True" if has_default else "default",
                )
            )
            self._connect_from = None
        text = f"Add {kind} node '{node_id}'" + (f" after '{edges[0].source}'" if edges else "")
        self.undo_stack.push(AddNodesCommand(self.model, [node], edges, text=text))
        self.scene.select_only(node_id)

    def _popup_add_node(self, scene_pos: QPointF) -> None:
        global_pos = self.view.mapToGlobal(self.view.mapFromScene(scene_pos))
        self.add_node_popup.open_at(global_pos, scene_pos)

    def _connection_dropped(self, source: str, scene_pos: QPointF) -> None:
        self._connect_from = source
        self._popup_add_node(scene_pos)

    def select_all(self) -> None:
        for item in self.scene.items():
            if item.flags() & item.GraphicsItemFlag.ItemIsSelectable:
                item.setSelected(True)

    def _fragment(self) -> dict[str, Any] | None:
        ids = set(self.scene.selected_node_ids())
        if not ids:
            return None
        document = self.model.document
        nodes = [n.model_dump(mode="json") for n in document.nodes if n.id in ids]
        edges = [
            e.model_dump(mode="json") for e in document.edges if e.source in ids and e.target in ids
        ]
        return {"nodes": nodes, "edges": edges}

    def copy(self) -> None:
        """Copies the selected nodes (and the edges between them) as JSON text.

        Plain text rather than a custom QMimeData: the clipboard would own a Python-created
        QMimeData and both would free it at exit. Text also pastes between windows.
        """
        fragment = self._fragment()
        if fragment is None:
            return
        QGuiApplication.clipboard().setText(json.dumps({FRAGMENT_KEY: fragment}))

    def cut(self) -> None:
        ids = self.scene.selected_node_ids()
        if not ids:
            return
        self.copy()
        command = RemoveItemsCommand(self.model, ids, [])
        command.setText(f"Cut {len(ids)} node{'s' if len(ids) > 1 else ''}")
        self.undo_stack.push(command)

    def paste(self, fragment: dict[str, Any] | None = None, offset: float = 40.0) -> None:
        if fragment is None:
            try:
                data = json.loads(QGuiApplication.clipboard().text() or "null")
            except json.JSONDecodeError:
                return
            if not isinstance(data, dict) or not isinstance(data.get(FRAGMENT_KEY), dict):
                return
            fragment = data[FRAGMENT_KEY]
        renames: dict[str, str] = {}
        nodes = []
        taken = set(self.model.node_ids())
        try:
            raw_nodes = [FlowNode.model_validate(raw) for raw in fragment.get("nodes", [])]
            raw_edges = [FlowEdge.model_validate(raw) for raw in fragment.get("edges", [])]
        except (ValidationError, TypeError, AttributeError):
            self.statusBar().showMessage("The clipboard holds no burrdesk nodes to paste.", 4000)
            return
        for node in raw_nodes:
            new_id = node.id
            if new_id in taken:
                stem = new_id.rstrip("0123456789_") or "node"
                number = 2
                while f"{stem}_{number}" in taken:
                    number += 1
                new_id = f"{stem}_{number}"
            taken.add(new_id)
            renames[node.id] = new_id
            code = (
                node.code.replace(f"def {node.id}(", f"def {new_id}(", 1)
                if new_id != node.id
                else node.code
            )
            nodes.append(
                node.model_copy(
                    update={
                        "id": new_id,
                        "code": code,
                        "position": (node.position[0] + offset, node.position[1] + offset),
                    }
                )
            )
        edges = [
            edge.model_copy(update={"source": renames[edge.source], "target": renames[edge.target]})
            for edge in raw_edges
            if edge.source in renames and edge.target in renames
        ]
        if not nodes:
            return
        verb = "Paste" if offset == 40.0 else "Duplicate"
        self.undo_stack.push(
            AddNodesCommand(
                self.model,
                nodes,
                edges,
                text=f"{verb} {len(nodes)} node{'s' if len(nodes) > 1 else ''}",
            )
        )
        self.scene.clearSelection()
        for node in nodes:
            self.scene.nodes[node.id].setSelected(True)

    def duplicate(self) -> None:
        fragment = self._fragment()
        if fragment is not None:
            self.paste(fragment, offset=41.0)

    def auto_layout(self) -> None:
        from burrdesk.model.flow_layout import layout_positions

        document = self.model.document
        if not document.nodes:
            return
        after = layout_positions(document)
        before = {n.id: tuple(n.position) for n in document.nodes}
        changed = {k: v for k, v in after.items() if tuple(v) != before.get(k)}
        if changed:
            self.undo_stack.push(
                MoveNodesCommand(
                    self.model, {k: before[k] for k in changed}, changed, text="Auto-layout"
                )
            )
        self.view.zoom_to_fit()

    # --- running ----------------------------------------------------------------------------

    def run_database_path(self) -> Path:
        from burrdesk.model.data_location import default_database_path

        return default_database_path()

    def _can_run(self) -> bool:
        self.show_editor()  # what runs is the flow being edited: show it
        self.validate()
        if errors(self.problems):
            self.problems_dock.raise_()
            self.statusBar().showMessage(
                f"The flow has {len(errors(self.problems))} error(s); see Problems.", 6000
            )
            return False
        return True

    def run_flow(self) -> None:
        """Runs (or resumes) the flow as it is on the canvas, saved or not."""
        if self.run_panel.controller is not None and self.run_panel.stop_button.isEnabled():
            self.run_panel.resume()
            return
        if self._can_run():
            self.run_dock.raise_()
            self.run_panel.start(self.model.document, self.run_database_path())

    def step_flow(self) -> None:
        if self.run_panel.controller is not None and self.run_panel.stop_button.isEnabled():
            self.run_panel.step()
            return
        if self._can_run():
            self.run_dock.raise_()
            self.run_panel.start(self.model.document, self.run_database_path(), single_step=True)

    def run_to(self, node_id: str) -> None:
        """Runs from the start and pauses right after `node_id` has run."""
        if self._can_run():
            self.run_dock.raise_()
            self.run_panel.start(self.model.document, self.run_database_path(), run_to=node_id)

    def toggle_breakpoint(self, node_id: str) -> None:
        on = not self.model.node(node_id).breakpoint
        command = EditNodeCommand(self.model, node_id, {"breakpoint": on})
        command.setText(f"{'Set' if on else 'Clear'} breakpoint on '{node_id}'")
        self.undo_stack.push(command)

    def set_entrypoint(self, node_id: str) -> None:
        if self.model.document.entrypoint != node_id:
            self.undo_stack.push(EditFlowCommand(self.model, {"entrypoint": node_id}))

    def _node_context_menu(self, node_id: str, screen_pos: QPoint) -> None:
        menu = QMenu(self)
        node = self.model.node(node_id)
        menu.addAction(theme.icon("run"), "Run to here", lambda: self.run_to(node_id))
        menu.addAction(
            theme.icon("breakpoint"),
            "Clear breakpoint" if node.breakpoint else "Set breakpoint",
            lambda: self.toggle_breakpoint(node_id),
        )
        entry = menu.addAction(
            theme.icon("entrypoint"), "Set as entrypoint", lambda: self.set_entrypoint(node_id)
        )
        entry.setEnabled(self.model.document.entrypoint != node_id)
        menu.addSeparator()
        menu.addAction(theme.icon("duplicate"), "Duplicate", self.duplicate)
        menu.addAction(theme.icon("delete"), "Delete", self.scene.delete_selection)
        self._context_menu = menu
        menu.popup(screen_pos)

    def _highlight_active(self, node_id: str) -> None:
        self.scene.set_highlight(node_id, keep="failed")

    def _highlight_failed(self, node_id: str, detail: str) -> None:
        item = self.scene.nodes.get(node_id)
        if item is not None:
            item.highlight = "failed"
            item.setToolTip(f"{item.toolTip()}\nFailed: {detail}")
            item.update()

    # --- validation and selection -----------------------------------------------------------

    def validate(self) -> None:
        self._validate_timer.stop()  # this is the validation an edit had scheduled
        self.problems = validate_flow(self.model.document)
        self.problems_panel.set_problems(self.problems)
        self.scene.set_problems(self.problems)
        self.inspector.set_problems(self.problems)
        count_errors = len(errors(self.problems))
        count_warnings = len(self.problems) - count_errors
        if not self.problems:
            self.problem_label.setText("No problems")
        else:
            self.problem_label.setText(f"{count_errors} error(s), {count_warnings} warning(s)")
        self.problems_dock.setWindowTitle(
            f"Problems ({len(self.problems)})" if self.problems else "Problems"
        )

    def _selection_changed(self) -> None:
        self.inspector.show_selection(
            self.scene.selected_node_ids(), self.scene.selected_edge_indexes()
        )

    def _select_problem(self, problem: object) -> None:
        if not isinstance(problem, Problem):
            return
        if problem.node_id is not None:
            self.scene.select_only(node_id=problem.node_id)
            self.view.centerOn(
                self.scene.nodes[problem.node_id]
            ) if problem.node_id in self.scene.nodes else None
        elif problem.edge_index is not None:
            self.scene.select_only(edge_index=problem.edge_index)
        else:
            self.scene.clearSelection()
        self.inspector_dock.raise_()

    # --- window events ----------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self.maybe_save():
            self.save_settings()
            self.run_panel.close_run()
            self.timeline.close_database()
            event.accept()
        else:
            event.ignore()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.open_path(Path(url.toLocalFile()))
                event.acceptProposedAction()
                return
