"""The Timeline dock: recorded runs and their steps, followed live, and Rewind to Here.

Selecting a run shows the flow it ran on the canvas (read-only) when that is not the flow being
edited; selecting a step outlines its node there. Rewinding forks the run after the selected
step with an edited state and runs the fork; the original run is untouched.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from PySide6.QtCore import QCoreApplication, QEventLoop, Qt
from PySide6.QtWidgets import QDialog

from burrdesk.model.burr_trace_mirror import BurrTraceMirror, SyncReport
from burrdesk.model.burr_tracker_format import BurrFormatError, default_storage_dir
from burrdesk.model.data_location import default_database_path
from burrdesk.model.flow_document import FlowDocument
from burrdesk.model.postgres_schema import shown_url
from burrdesk.model.recorded_flow import recorded_document
from burrdesk.model.run_database import RunDatabase, RunDatabaseError
from burrdesk.model.run_database_opener import is_server_url, open_run_database, shown_target
from burrdesk.model.run_records import RunRecord
from burrdesk.views import theme as themes
from burrdesk.views.app_settings import remember_server
from burrdesk.views.timeline.burr_folder_follower import BurrFolderFollower
from burrdesk.views.timeline.rewind_dialog import RewindDialog, rewind_unavailable_reason
from burrdesk.views.timeline.server_connector import ServerConnector
from burrdesk.views.timeline.server_dialog import ServerConnectDialog
from burrdesk.views.timeline.timeline_panel import TimelinePanel
from burrdesk.views.window_part import WindowPart

if TYPE_CHECKING:
    from burrdesk.views.main_window import MainWindow

VISITS_UP_TO = 50_000
"""Runs up to this many steps show visit counts on their recorded flow (one scan)."""


class TimelinePart(WindowPart):
    """Runs, steps and rewinding (see the module docstring)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.panel = TimelinePanel(window)
        self.dock = self.add_dock(
            "Timeline",
            "timelineDock",
            self.panel,
            Qt.DockWidgetArea.BottomDockWidgetArea,
            tabify_with=window.run.dock,
        )
        self.rewind_action = self.action(
            "Re&wind to Here…", self.rewind_to_selected_step, "Ctrl+Shift+R", "timeline"
        )
        self.rewind_action.setEnabled(False)
        window.outline.add_to_menu("&Run", "timeline", self.rewind_action)
        self.panel.steps_view.addAction(self.rewind_action)
        self.panel.steps_view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.panel.stepSelected.connect(self._step_selected)
        self.panel.runSelected.connect(self.show_run_flow)
        run_panel = window.run.panel
        run_panel.runStarted.connect(self._follow_run)
        run_panel.visitsChanged.connect(self._run_advanced)
        run_panel.runEnded.connect(self._run_advanced)
        run_panel.streaming.connect(self.panel.show_streaming)

        self.server_dialog: ServerConnectDialog | None = None
        self.connector = ServerConnector(window)
        self.connector.connected.connect(self.show_server)
        self.connector.failed.connect(self._server_failed)

        self.sources: list[tuple[str, Path | str]] = []
        """What the source list offers: ("database", file), ("burr", tracker folder) and
        ("server", postgresql:// URL, with a password typed this session if one was)."""
        self.follower: BurrFolderFollower | None = None
        self.burr_notes: list[str] = []
        self._awaiting_first_read = False
        self.panel.source_combo.activated.connect(self._source_chosen)
        self.panel.runSelected.connect(self._prefer_run)

    def window_assembled(self) -> None:
        """The source list starts with the default run database and, when Burr has written
        there, Burr's own trace folder."""
        default = self.window.run.database_path()
        if default.is_file():
            self.add_source("database", default)
        storage = default_storage_dir()
        if storage.is_dir():
            self.add_source("burr", storage)
        self._show_source_row(-1)  # listed, not open: the box must not name one as shown

    def open_default_database(self) -> bool:
        """Shows the app's own run database, where runs of the flows opened here are recorded;
        False when there is none yet."""
        default = self.window.run.database_path()
        return default.is_file() and self.open_run_database(default)

    def shows_runs(self) -> bool:
        return self._current_source() is not None

    def closing(self) -> None:
        self._stop_following()
        self.panel.close_database()

    # --- sources: run databases and Burr folders ---------------------------------------------

    def add_source(self, kind: str, path: Path | str) -> int:
        """Lists a run database ("database"), a Burr tracker folder ("burr") or a server
        ("server") in the source list without opening it; returns its row."""
        resolved = path if kind == "server" else Path(path).expanduser().resolve()
        for row, known in enumerate(self.sources):
            if known == (kind, resolved):
                return row
        self.sources.append((kind, resolved))
        combo = self.panel.source_combo
        combo.addItem(
            themes.icon("burr-folder" if kind == "burr" else "database"), _label(kind, resolved)
        )
        row = combo.count() - 1
        shown = shown_url(resolved) if kind == "server" else str(resolved)
        combo.setItemData(row, shown, Qt.ItemDataRole.ToolTipRole)
        return row

    def _show_source(self, kind: str, path: Path | str) -> None:
        self._show_source_row(self.add_source(kind, path))

    def _show_source_row(self, row: int) -> None:
        combo = self.panel.source_combo
        combo.blockSignals(True)
        combo.setCurrentIndex(row)
        combo.blockSignals(False)

    def _source_chosen(self, row: int) -> None:
        kind, path = self.sources[row]
        current = self._current_source()
        if (kind, path) == current:
            return
        if kind == "server":
            if current is not None:
                self._show_source(*current)  # until the server answers
            self.connect_server(str(path))
            return
        opened = self.open_burr_folder(path) if kind == "burr" else self.open_run_database(path)
        if not opened and current is not None:
            self._show_source(*current)

    def _current_source(self) -> tuple[str, Path | str] | None:
        if self.follower is not None:
            return ("burr", Path(self.follower.mirror.folder).resolve())
        database = self.panel.database
        if database is None:
            return None
        if database.path is None:
            return ("server", database.target)
        return ("database", database.path.resolve())

    # --- servers -----------------------------------------------------------------------------

    def connect_dialog(self) -> ServerConnectDialog:
        """File → Connect to Server…: asks where, connects in the background, shows the runs."""
        dialog = ServerConnectDialog(self.window)
        self.server_dialog = dialog
        dialog.accepted.connect(lambda: self._dialog_connected(dialog))
        dialog.open()
        return dialog

    def _dialog_connected(self, dialog: ServerConnectDialog) -> None:
        if dialog.database is not None and dialog.url is not None:
            self.show_server(dialog.url, dialog.database)

    def connect_server(self, url: str) -> None:
        """Connects to the server at `url` without the dialog (the source list, the command
        line); the runs appear when it answers, a failure is one message."""
        self.status_message(f"Connecting to {shown_url(url)}…", 10_000)
        self.connector.connect_to(url)

    def _server_failed(self, url: str, message: str, password_wanted: bool) -> None:
        if password_wanted and self.window.interactive:
            dialog = self.connect_dialog()
            dialog.fill(url)
            dialog.show_failure(url, message, True)
            return
        self.show_error("Cannot connect to the server", message)

    def show_server(self, url: str, database: RunDatabase) -> None:
        """Shows the runs of a connected server database and follows them as they grow
        (by polling, as for a file: see postgres_run_database.py)."""
        self._stop_following()
        self.panel.set_database(database, owned=True)
        self.panel.set_annotation_path(None)
        self._show_source("server", url)
        remember_server(url)
        self.panel.set_live(True)
        self.dock.show()
        self.dock.raise_()
        self._select_newest()
        count = database.count_runs()
        self.status_message(
            f"Connected to {database.location}: {count:,} run{'s' * (count != 1)}.", 8000
        )

    def wait_for_server(self, timeout_ms: int = 15_000) -> bool:
        """Lets the events run until a connection attempt ends (for `--screenshot` and
        tests; the window itself never waits)."""
        deadline = time.monotonic() + timeout_ms / 1000
        while self.connector.busy and time.monotonic() < deadline:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.01)
        QCoreApplication.processEvents()
        return not self.connector.busy

    def open_run_database(self, path: Path) -> bool:
        """Shows a run database file's runs and steps (a bad file is one message)."""
        self._stop_following()
        try:
            self.panel.open_database(path)
        except RunDatabaseError as error:
            self.show_error("Cannot open the run database", str(error))
            return False
        self._show_source("database", path)
        self.panel.set_annotation_path(None)
        self.panel.set_live(True)
        self.dock.show()
        self.dock.raise_()
        self._select_newest()
        self.status_message(f"Opened run database {path}")
        return True

    def _select_newest(self) -> None:
        runs = self.panel.runs_model
        newest = runs.run_at(0) if runs.rowCount() else None
        if newest is not None:
            self.panel.select_run(newest.run_id)

    def open_burr_folder(self, path: Path) -> bool:
        """Shows the runs Burr's tracker records in `path` (`~/.burr`, a project or an app
        folder) and follows them as they grow; nothing is written into the folder."""
        try:
            mirror = BurrTraceMirror(path)
        except (BurrFormatError, RunDatabaseError) as error:
            self.show_error("Cannot open the folder", str(error))
            return False
        self._stop_following()
        try:
            self.panel.open_database(mirror.cache_path)
        except RunDatabaseError as error:
            mirror.close()
            self.show_error("Cannot open the folder", str(error))
            return False
        self.panel.set_annotation_path(self.window.run.database_path())
        self.burr_notes = []
        self._awaiting_first_read = True
        self.follower = BurrFolderFollower(mirror, self)
        self.follower.synced.connect(self._burr_synced)
        self._show_source("burr", path)
        self.panel.runs_view.set_placeholder("Reading the Burr traces…")
        self.panel.set_live(True)
        self.dock.show()
        self.dock.raise_()
        self.status_message(f"Reading the Burr traces in {path}…")
        return True

    def wait_for_first_read(self, timeout_ms: int = 10_000) -> bool:
        """Lets the events run until a Burr folder's first piece is shown (for `--screenshot`
        and tests; the window itself never waits)."""
        deadline = time.monotonic() + timeout_ms / 1000
        while self._awaiting_first_read and time.monotonic() < deadline:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.01)
        return not self._awaiting_first_read

    def _burr_synced(self, report: SyncReport) -> None:
        if self.follower is None:
            return
        panel = self.panel
        for note in report.notes:
            self.burr_notes.append(note)
            self.status_message(note, 10_000)
        if self._awaiting_first_read:
            self._awaiting_first_read = False
            panel.runs_model.set_database(panel.database)  # sorted by time, not by read order
            panel.runs_view.set_placeholder("No Burr applications in this folder yet")
            panel.apply_filters()
            self._select_newest()
            count = panel.database.count_runs() if panel.database is not None else 0
            folder = self.follower.mirror.folder
            if count == 0 and report.notes:
                # Nothing could be read: the reason, not "0 apps", is what the person needs.
                self.show_error("Cannot read the Burr traces", report.notes[0])
                return
            unread = f" {report.notes[0]}" if report.notes else ""
            self.status_message(
                f"{count:,} Burr app{'s' * (count != 1)} in {folder}; their logs are "
                f"followed as they grow.{unread}",
                10_000,
            )
        elif report.new_runs or report.new_steps:
            panel.follow_live()

    def _prefer_run(self, run_id: int) -> None:
        if self.follower is not None:
            self.follower.prefer(run_id)

    def _stop_following(self) -> None:
        follower, self.follower = self.follower, None
        self._awaiting_first_read = False
        if follower is not None:
            follower.close()
            follower.deleteLater()

    def _follow_run(self, run_id: int, db_path: str) -> None:
        current = self.panel.database
        if self.follower is not None or current is None or not _same_target(current, db_path):
            if current is not None:
                shown = "the Burr traces" if self.follower is not None else current.location
                self.status_message(
                    f"Showing run {run_id} in {shown_target(db_path)}, where the app records its "
                    f"runs; {shown} is still in the source list above the runs.",
                    10_000,
                )
            self._stop_following()
            try:
                self.panel.open_database(db_path)
            except RunDatabaseError:
                return
            if is_server_url(db_path):
                self._show_source("server", db_path)
            else:
                self._show_source("database", Path(db_path))
        self.panel.follow_live()
        self.panel.select_run(run_id)

    def _run_advanced(self, *_args: object) -> None:
        run_id = self.window.run.panel.run_id
        if run_id is not None:
            self.panel.run_advanced(run_id)

    # --- the flow of a recorded run ----------------------------------------------------------

    def show_run_flow(self, run_id: int) -> None:
        """Shows the flow the selected run ran: the editor when it is the flow being edited,
        otherwise the recorded flow, read-only."""
        canvas = self.window.canvas
        run = self.panel.current_run
        database = self.panel.database
        if run is None or run.run_id != run_id or database is None:
            return
        document = recorded_document(run)
        if document is None:
            canvas.show_editor()
            self.status_message(
                f"Run {run.run_id} recorded no flow or graph to show on the canvas.", 6000
            )
            return
        if run.flow and document == self.window.model.document:
            canvas.show_editor()
            return
        visits: tuple[dict[str, int], dict[str, int]] = ({}, {})
        if run.step_count <= VISITS_UP_TO:
            with contextlib.suppress(RunDatabaseError):
                visits = database.visit_counts(run.run_id)
        canvas.show_recorded(run, document, drawn=not run.flow, visits=visits)

    def _step_selected(self, _run_id: int, _sequence_id: int) -> None:
        step = self.panel.current_step
        canvas = self.window.canvas
        if canvas.showing_recorded_flow and step is not None:
            canvas.recorded.show_step(step.action, failed=step.status == "failed")
        elif step is not None and self._run_is_of_the_edited_flow():
            # The run ran the flow being edited: outline the step's node right there.
            self.window.scene.set_highlight(
                step.action, "failed" if step.status == "failed" else "running"
            )
        reason = rewind_unavailable_reason(self.panel.current_run, step)
        self.rewind_action.setEnabled(reason is None)
        self.rewind_action.setToolTip(reason or "Continue this run from here as a fork")
        self.rewind_action.setStatusTip(reason or "Continue this run from here as a fork")

    def _run_is_of_the_edited_flow(self) -> bool:
        run = self.panel.current_run
        if run is None or not run.flow:
            return False
        return recorded_document(run) == self.window.model.document

    # --- rewinding ---------------------------------------------------------------------------

    def rewind_to_selected_step(self) -> None:
        """Forks the selected run after the selected step and runs the fork."""
        run, step = self.panel.current_run, self.panel.current_step
        reason = rewind_unavailable_reason(run, step)
        database = self.panel.database
        if reason is not None or run is None or step is None or database is None:
            self.status_message(reason or "", 6000)
            return
        if step.run_id != run.run_id:
            run = database.get_run(step.run_id)  # a fork's inherited step: fork its own run
        state = database.state_at(run.run_id, step.sequence_id)
        dialog = RewindDialog(run, step, state, self.window)
        self.rewind_dialog = dialog
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.state is None:
            return
        self.fork_and_run(run, step.sequence_id, dialog.state, dialog.chosen_next_action())

    def fork_and_run(
        self, run: RunRecord, sequence_id: int, state: dict[str, Any], next_action: str | None
    ) -> int:
        """Records a fork of `run` after `sequence_id` and runs it with the run's own flow."""
        db_path = self.panel.database.target
        with open_run_database(db_path) as database:
            fork = database.fork(run.run_id, sequence_id, state=state, next_action=next_action)
        document = FlowDocument.model_validate(run.flow)
        self.window.run.start(document, db_path, continue_app_id=fork.app_id)
        self.status_message(
            f"Forked run {run.run_id} at step {sequence_id} as run {fork.run_id}.", 6000
        )
        return fork.run_id


def _same_target(database: RunDatabase, target: str) -> bool:
    if database.path is None:
        return shown_url(str(database.target)) == shown_url(target)
    return not is_server_url(target) and database.path.resolve() == Path(target).resolve()


def _label(kind: str, path: Path | str) -> str:
    """How the source list names a source: short, with the home folder as ~."""
    if kind == "server":
        parts = urlsplit(str(path))
        return f"Server · {parts.path.lstrip('/') or 'postgres'} on {parts.hostname or 'localhost'}"
    if kind == "database" and path == default_database_path().expanduser().resolve():
        return "burrdesk runs"
    home = Path.home().resolve()
    inside_home = path.is_relative_to(home) and len(path.relative_to(home).parts) == 1
    shown = f"~/{path.name}" if inside_home else path.name
    if kind == "burr":
        return f"Burr traces · {shown}"
    return f"Run database · {path.name}"
