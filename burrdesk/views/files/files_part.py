"""The File menu: new, open (flows and run databases), recent files, save, export, drops, quit.

It owns the path of the flow being edited, the window title, and the question about unsaved
changes that every command replacing the flow asks first.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from burrdesk.engine.flow_export import export_mermaid, export_python
from burrdesk.model.flow_document import FILE_SUFFIX, FlowDocument, FlowFileError, load_flow
from burrdesk.model.flow_validation import errors, validate_flow
from burrdesk.model.run_database_opener import is_server_url
from burrdesk.views import app_settings
from burrdesk.views.canvas.palette import EXAMPLES_DIR
from burrdesk.views.files.flow_image import render_image, write_svg
from burrdesk.views.window_part import WindowPart

if TYPE_CHECKING:
    from burrdesk.views.main_window import MainWindow

RUN_DATABASE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
EXPORT_SUFFIXES = {"python": ".py", "mermaid": ".mmd", "png": ".png", "svg": ".svg"}


class FilesPart(WindowPart):
    """Flow files in and out of the window (see the module docstring)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.path: Path | None = None
        key = QKeySequence.StandardKey
        self.new_action = self.action("&New", self.new_flow, key.New, "new")
        self.open_action = self.action("&Open…", self.open_dialog, key.Open, "open")
        self.open_folder_action = self.action(
            "Open &Folder…",
            self.open_folder_dialog,
            "Ctrl+Shift+O",
            tip="Show the runs Burr's tracker recorded in a folder such as ~/.burr, as they grow",
        )
        self.connect_action = self.action(
            "Connect to &Server…",
            lambda: self.window.timeline.connect_dialog(),
            "Ctrl+Shift+K",
            tip="Show the runs a team records into a PostgreSQL run database",
        )
        self.save_action = self.action("&Save", self.save, key.Save, "save")
        self.save_as_action = self.action("Save &As…", self.save_as, key.SaveAs, "save-as")
        self.quit_action = self.action("&Quit", window.close, key.Quit)
        self.export_python_action = self.action(
            "Python…", lambda: self.export("python"), icon="export"
        )
        self.export_mermaid_action = self.action("Mermaid…", lambda: self.export("mermaid"))
        self.export_png_action = self.action("PNG image…", lambda: self.export("png"))
        self.export_svg_action = self.action("SVG image…", lambda: self.export("svg"))
        self.recent_menu = QMenu("Open &Recent", window)
        self.export_menu = QMenu("&Export", window)
        self.export_menu.addActions(self._export_actions())
        outline = window.outline
        outline.add_to_menu(
            "&File",
            "open",
            self.new_action,
            self.open_action,
            self.open_folder_action,
            self.connect_action,
            self.recent_menu,
        )
        outline.add_to_menu(
            "&File", "save", self.save_action, self.save_as_action, self.export_menu
        )
        outline.add_to_menu("&File", "quit", self.quit_action)
        outline.add_to_toolbar("file", self.new_action, self.open_action, self.save_action)
        window.undo_stack.cleanChanged.connect(self.update_title)
        window.setAcceptDrops(True)
        window.installEventFilter(self)

    def _export_actions(self) -> list:
        return [
            self.export_python_action,
            self.export_mermaid_action,
            self.export_png_action,
            self.export_svg_action,
        ]

    def connect_parts(self) -> None:
        self.window.canvas.editingEnabledChanged.connect(self._set_editing_enabled)

    def window_assembled(self) -> None:
        self._rebuild_recent()
        self.update_title()

    def can_close(self) -> bool:
        return self.maybe_save()

    def _set_editing_enabled(self, enabled: bool) -> None:
        for action in (self.save_action, self.save_as_action, *self._export_actions()):
            action.setEnabled(enabled)

    # --- the title and unsaved changes -------------------------------------------------------

    def update_title(self, *_clean: bool) -> None:
        window = self.window
        name = self.path.name if self.path else f"{window.model.document.name} (unsaved)"
        window.setWindowTitle(f"{name}[*] — burrdesk")
        window.setWindowModified(not window.undo_stack.isClean())

    def maybe_save(self) -> bool:
        """Asks what to do with unsaved changes; False means the person cancelled."""
        window = self.window
        window.inspector.panel.commit_pending_edits()
        if window.undo_stack.isClean():
            return True
        answer = QMessageBox.question(
            window,
            "Unsaved changes",
            f"Save the changes to {self.path.name if self.path else window.model.document.name}?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    # --- opening -----------------------------------------------------------------------------

    def set_document(self, document: FlowDocument, path: Path | None) -> None:
        """Replaces the flow being edited (no question asked: callers ask first)."""
        window = self.window
        window.canvas.show_editor()
        self.path = path
        window.undo_stack.clear()
        window.model.reset(document)
        window.scene.clearSelection()
        window.inspector.panel.show_selection([], [])
        self.update_title()
        window.problems.validate()
        QTimer.singleShot(0, window.view.zoom_to_fit)
        window.view.zoom_to_fit()

    def new_flow(self) -> None:
        if self.maybe_save():
            self.set_document(FlowDocument(name="untitled"), None)

    def open_dialog(self) -> None:
        if not self.maybe_save():
            return
        start = str(self.path.parent) if self.path else str(EXAMPLES_DIR)
        name, _ = QFileDialog.getOpenFileName(
            self.window,
            "Open",
            start,
            "Flows and run databases (*.burrflow *.db);;Flows (*.burrflow);;Run databases (*.db)",
        )
        if name:
            self.open_path(Path(name), ask=False)

    def open_path(self, path: Path | str, ask: bool = True) -> bool:
        """Opens a flow (replacing the current one), or shows the runs of a run database, of
        a folder Burr's tracker writes or of a server (a postgresql:// URL, connected to in
        the background)."""
        if is_server_url(path):
            self.window.timeline.connect_server(str(path))
            return True
        path = Path(path)
        if path.is_dir() or path.suffix.lower() in RUN_DATABASE_SUFFIXES:
            timeline = self.window.timeline
            opened = (
                timeline.open_burr_folder(path)
                if path.is_dir()
                else timeline.open_run_database(path)
            )
            if opened:
                self._remember(path)
            return opened
        if ask and not self.maybe_save():
            return False
        try:
            document = load_flow(path)
        except FlowFileError as error:
            self.show_error("Cannot open the flow", str(error))
            return False
        self.set_document(document, path)
        self._remember(path)
        if not self.window.timeline.shows_runs():
            self.window.timeline.open_default_database()  # where this flow's runs are recorded
        self.status_message(f"Opened {path}")
        return True

    def open_folder_dialog(self) -> None:
        """Chooses a Burr tracker folder (its storage folder, a project or an app) to follow."""
        from burrdesk.model.burr_tracker_format import default_storage_dir

        storage = default_storage_dir()
        start = str(storage if storage.is_dir() else Path.home())
        name = QFileDialog.getExistingDirectory(self.window, "Open a Burr tracker folder", start)
        if name:
            self.open_path(Path(name))

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

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """Files dropped onto the window open as if chosen in File → Open."""
        if watched is self.window and isinstance(event, QDragEnterEvent):
            if event.mimeData().hasUrls():
                event.acceptProposedAction()
                return True
        elif watched is self.window and isinstance(event, QDropEvent):
            for url in event.mimeData().urls():
                if url.isLocalFile():
                    self.open_path(Path(url.toLocalFile()))
                    event.acceptProposedAction()
                    return True
        return super().eventFilter(watched, event)

    # --- recent files ------------------------------------------------------------------------

    def recent_files(self) -> list[str]:
        return app_settings.recent_files()

    def reopen_last_flow(self) -> bool:
        """Opens the flow worked on last (a relaunch goes on where one left off)."""
        for recent in app_settings.recent_files():
            path = Path(recent)
            if path.suffix == FILE_SUFFIX and path.is_file() and self.open_path(path, ask=False):
                self.status_message(f"Reopened {path.name}, the flow you worked on last.")
                return True
        return False

    def _remember(self, path: Path) -> None:
        app_settings.remember_recent(path)
        self._rebuild_recent()

    def _rebuild_recent(self) -> None:
        self.recent_menu.clear()
        recent = app_settings.recent_files()
        if not recent:
            placeholder = self.recent_menu.addAction("No recent files")
            placeholder.setEnabled(False)
            return
        for path in recent:
            name = Path(path).name
            if Path(path).is_dir():
                name += "  (Burr traces)"
            elif Path(path).suffix.lower() in RUN_DATABASE_SUFFIXES:
                name += "  (runs)"
            action = self.recent_menu.addAction(name)
            action.setToolTip(path)
            action.triggered.connect(lambda _c=False, p=path: self.open_path(Path(p)))

    # --- saving and exporting ----------------------------------------------------------------

    def save(self) -> bool:
        self.window.inspector.panel.commit_pending_edits()
        if self.path is None:
            return self.save_as()
        return self.write_to(self.path)

    def save_as(self) -> bool:
        self.window.inspector.panel.commit_pending_edits()
        start = (
            str(self.path)
            if self.path
            else str(Path.home() / f"{self.window.model.document.name}{FILE_SUFFIX}")
        )
        name, _ = QFileDialog.getSaveFileName(
            self.window, "Save flow", start, f"Flows (*{FILE_SUFFIX})"
        )
        if not name:
            return False
        path = Path(name)
        if path.suffix != FILE_SUFFIX:
            path = path.with_suffix(FILE_SUFFIX)
        return self.write_to(path)

    def write_to(self, path: Path) -> bool:
        """Saves the flow to `path`, which becomes the flow's file."""
        try:
            self.window.model.document.save(path)
        except OSError as error:
            self.show_error("Cannot save", f"{path} could not be written: {error.strerror}.")
            return False
        self.path = path
        self.window.undo_stack.setClean()
        self._remember(path)
        self.update_title()
        self.status_message(f"Saved {path}")
        return True

    def export(self, kind: str) -> None:
        self.window.inspector.panel.commit_pending_edits()
        suffix = EXPORT_SUFFIXES[kind]
        base = (
            self.path.with_suffix(suffix)
            if self.path
            else Path.home() / f"{self.window.model.document.name}{suffix}"
        )
        name, _ = QFileDialog.getSaveFileName(
            self.window, f"Export as {kind}", str(base), f"*{suffix}"
        )
        if name:
            self.export_to(kind, Path(name))

    def export_to(self, kind: str, path: Path) -> bool:
        """Writes the flow as Python, Mermaid, PNG or SVG (Python only without errors)."""
        document = self.window.model.document
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
            render_image(self.window.scene).save(str(path))
        else:
            write_svg(self.window.scene, path, document.name)
        self.status_message(f"Exported {path}")
        return True
