"""The timeline: a run database's runs, the steps of the selected run, and the selected step.

Everything is read lazily through `RunsTreeModel` and `StepsTableModel`, so a database with
thousands of runs or a run with a million steps opens at once; the selected step's state is
rebuilt from one checkpoint plus a bounded number of deltas. Moving through the steps with the
keyboard updates the state, diff and step tabs immediately, which is how a run is read.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtCore import QModelIndex, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QTabWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from burrdesk.model.run_database import RunDatabase, RunDatabaseError
from burrdesk.model.run_database_opener import is_server_url, open_run_database
from burrdesk.model.run_records import RunRecord, StepRecord
from burrdesk.model.state_delta import diff_states
from burrdesk.model.step_annotations import Annotation, AnnotationStore, export_dataset
from burrdesk.views import theme as themes
from burrdesk.views.timeline.action_source_view import ActionSourceView
from burrdesk.views.timeline.annotation_editor import AnnotationEditor
from burrdesk.views.timeline.span_waterfall import SpanWaterfall
from burrdesk.views.timeline.state_view import (
    DiffView,
    StateTreeView,
    _paint_placeholder,
    to_json_text,
)
from burrdesk.views.timeline.timeline_model import (
    RunsTreeModel,
    StepsTableModel,
    format_ms,
    format_time,
)

RUN_STATUSES = ("running", "completed", "failed", "stopped", "interrupted", "created")
STEP_STATUSES = ("completed", "failed")
ANNOTATION_FILTERS = (("Annotated", "@annotated"), ("Marked good", "@good"), ("Marked bad", "@bad"))
FILTER_DELAY_MS = 250
PREVIOUS_STEP = -2  # the compare spin box's "the previous step" (-1 is the starting state)
END_PAGES = 20  # pages End loads at most per press, so a million-step run never stalls
ROWS_SHOWN = 5
"""The rows the runs list and the steps list each ask room for, so the window's first layout
sizes the timeline by what a person reads in it (see `_room_for_rows`)."""
NAME_CHARS = 28  # a project or partition column grows to fit names up to about this long


def _select_rows(view: QAbstractItemView, placeholder: str) -> None:
    """What both timeline lists share: whole rows, one at a time, read-only, striped."""
    view.placeholder = placeholder  # type: ignore[attr-defined]
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)


def _row_height(view: QAbstractItemView) -> int:
    """A steps row: a line of text and room around it (the runs tree's padded rows are no
    taller, so room for this many of these holds as many runs)."""
    return view.fontMetrics().height() + 10


def _room_for_rows(view: QAbstractItemView, header: QHeaderView, hint: QSize) -> QSize:
    """`hint` made as tall as `ROWS_SHOWN` rows under the header and a third of a row more, so
    a longer list shows that it goes on; the dock's first height follows from this."""
    rows = _row_height(view) * (3 * ROWS_SHOWN + 1) // 3
    return QSize(hint.width(), header.sizeHint().height() + rows + 2 * view.frameWidth())


class _ElideMiddle(QStyledItemDelegate):
    """Elides in the middle, so a clipped uuid keeps its start and its end apart."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex) -> None:  # noqa: N802
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideMiddle


class _Placeholder:
    """Says what is missing (no database, no runs, no steps) on an empty list."""

    placeholder: str

    def set_placeholder(self, text: str) -> None:
        self.placeholder = text
        self.viewport().update()  # type: ignore[attr-defined]

    def paintEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)  # type: ignore[misc]
        model = self.model()  # type: ignore[attr-defined]
        if model is None or model.rowCount() == 0:
            _paint_placeholder(self.viewport(), self.placeholder)  # type: ignore[attr-defined]


class _Table(_Placeholder, QTableView):
    """A row-selecting table whose Home/End go to the first/last row (QTableView's own go to
    the first/last column)."""

    def __init__(self, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        _select_rows(self, placeholder)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(_row_height(self))
        self.horizontalHeader().setHighlightSections(False)
        self.horizontalHeader().setDefaultAlignment(
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        )

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return _room_for_rows(self, self.horizontalHeader(), super().sizeHint())

    def moveCursor(  # noqa: N802 - Qt override
        self, action: QAbstractItemView.CursorAction, modifiers: Qt.KeyboardModifier
    ) -> QModelIndex:
        model = self.model()
        if (
            model is not None
            and model.rowCount()
            and action
            in (
                QAbstractItemView.CursorAction.MoveHome,
                QAbstractItemView.CursorAction.MoveEnd,
            )
        ):
            if action == QAbstractItemView.CursorAction.MoveHome:
                return model.index(0, max(self.currentIndex().column(), 0))
            for _ in range(END_PAGES):
                if not model.canFetchMore(QModelIndex()):
                    break
                model.fetchMore(QModelIndex())
            return model.index(model.rowCount() - 1, max(self.currentIndex().column(), 0))
        return super().moveCursor(action, modifiers)


class _RunsTree(_Placeholder, QTreeView):
    """The runs, with forks nested under the run they were forked from."""

    def __init__(self, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        _select_rows(self, placeholder)
        self.setUniformRowHeights(True)
        self.setAllColumnsShowFocus(True)
        self.setIndentation(14)
        self.header().setHighlightSections(False)
        self.header().setDefaultAlignment(
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        )

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return _room_for_rows(self, self.header(), super().sizeHint())


class TimelinePanel(QWidget):
    """Runs, steps and the selected step of one run database (opened read-only)."""

    stepSelected = Signal(int, int)  # run id, sequence id
    runSelected = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db: RunDatabase | None = None
        self._owns_db = False
        self._run: RunRecord | None = None
        self._step: StepRecord | None = None
        self.annotation_path: Path | None = None
        """Where annotations are kept when not in the database shown (a Burr trace's cache)."""
        self._annotation_reader: RunDatabase | None = None
        self.runs_model = RunsTreeModel(self)
        self.steps_model = StepsTableModel(self)
        self._build()
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DELAY_MS)
        self._filter_timer.timeout.connect(self.apply_filters)
        self._live_timer = QTimer(self)
        self._live_timer.timeout.connect(self.follow_live)
        self.run_filter.textChanged.connect(self._filter_timer.start)
        self.step_search.textChanged.connect(self._filter_timer.start)
        self.run_status.currentIndexChanged.connect(self.apply_filters)
        self.project_combo.currentIndexChanged.connect(self.apply_filters)
        self.step_status.currentIndexChanged.connect(self.apply_filters)
        self.step_field.currentIndexChanged.connect(self.apply_filters)
        self.runs_view.selectionModel().currentRowChanged.connect(self._run_row_changed)
        self.steps_view.selectionModel().currentRowChanged.connect(self._step_row_changed)
        self.runs_model.modelReset.connect(self._runs_reset)
        self.steps_model.modelReset.connect(self._steps_reset)
        self._show_run(None)

    # --- building ---------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        layout.addWidget(self.splitter)

        left = QSplitter(Qt.Orientation.Vertical, self.splitter)
        left.setChildrenCollapsible(False)
        self.left_splitter = left

        runs_box = QWidget(left)
        runs_layout = QVBoxLayout(runs_box)
        runs_layout.setContentsMargins(0, 0, 0, 4)
        runs_row = QHBoxLayout()
        self.source_combo = QComboBox(runs_box)
        self.source_combo.setObjectName("timelineSource")
        self.source_combo.setToolTip(
            "Where the runs come from: a run database, or a folder Burr's tracker writes"
        )
        self.source_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.source_combo.setMinimumContentsLength(18)
        self.source_combo.setPlaceholderText("No runs open")
        self.run_filter = QLineEdit(runs_box)
        self.run_filter.setPlaceholderText("Filter runs by project, app id or partition")
        self.run_filter.setClearButtonEnabled(True)
        self.run_filter.addAction(themes.icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.project_combo = QComboBox(runs_box)
        self.project_combo.addItem("All projects", None)
        self.run_status = QComboBox(runs_box)
        self.run_status.addItem("All statuses", None)
        for status in RUN_STATUSES:
            self.run_status.addItem(status.capitalize(), status)
        runs_row.addWidget(self.source_combo)
        runs_row.addWidget(self.run_filter, 1)
        runs_row.addWidget(self.project_combo)
        runs_row.addWidget(self.run_status)
        runs_layout.addLayout(runs_row)
        self.runs_view = _RunsTree("Open a run database", runs_box)
        self.runs_view.setModel(self.runs_model)
        header = self.runs_view.header()
        header.setMinimumSectionSize(36)
        for column, width in enumerate((70, 90, 120, 80, 100, 140, 60)):
            header.resizeSection(column, width)
        header.setStretchLastSection(False)
        # The run column follows the rows shown: a fork's id sits an indentation deeper per
        # level. The app id takes what is left and is the one elided (in the middle: a uuid).
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.runs_view.setItemDelegateForColumn(2, _ElideMiddle(self.runs_view))
        runs_layout.addWidget(self.runs_view)

        steps_box = QWidget(left)
        steps_layout = QVBoxLayout(steps_box)
        steps_layout.setContentsMargins(0, 4, 0, 0)
        self.run_label = QLabel(steps_box)
        self.run_label.setObjectName("timelineRunLabel")
        steps_layout.addWidget(self.run_label)
        steps_row = QHBoxLayout()
        self.step_search = QLineEdit(steps_box)
        self.step_search.setPlaceholderText("Search steps")
        self.step_search.setClearButtonEnabled(True)
        self.step_search.addAction(themes.icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.step_field = QComboBox(steps_box)
        self.step_field.addItem("by action", "action")
        self.step_field.addItem("by changed key", "changed_key")
        self.step_field.addItem("by tag", "tag")
        self.step_status = QComboBox(steps_box)
        self.step_status.addItem("All steps", None)
        for status in STEP_STATUSES:
            self.step_status.addItem(status.capitalize(), status)
        for label, key in ANNOTATION_FILTERS:
            self.step_status.addItem(label, key)
        steps_row.addWidget(self.step_search, 1)
        steps_row.addWidget(self.step_field)
        steps_row.addWidget(self.step_status)
        steps_layout.addLayout(steps_row)
        self.steps_view = _Table("Select a run", steps_box)
        self.steps_view.setModel(self.steps_model)
        header = self.steps_view.horizontalHeader()
        for column, width in enumerate((64, 150, 90, 100, 120)):
            header.resizeSection(column, width)
        header.setStretchLastSection(True)
        steps_layout.addWidget(self.steps_view)
        left.addWidget(runs_box)
        left.addWidget(steps_box)
        # Both lists ask room for the same rows (`_room_for_rows`) and share any space beyond.
        left.setStretchFactor(0, 1)
        left.setStretchFactor(1, 1)

        right = QWidget(self.splitter)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(4, 0, 0, 0)
        self.step_label = QLabel(right)
        self.step_label.setObjectName("timelineStepLabel")
        self.step_label.setTextFormat(Qt.TextFormat.PlainText)
        right_layout.addWidget(self.step_label)
        self.live_text = QLabel(right)
        self.live_text.setObjectName("liveText")
        self.live_text.setWordWrap(True)
        self.live_text.setTextFormat(Qt.TextFormat.PlainText)
        self.live_text.setMaximumHeight(120)
        self.live_text.hide()
        right_layout.addWidget(self.live_text)
        self.tabs = QTabWidget(right)
        self.tabs.setDocumentMode(True)
        self.state_view = StateTreeView(self.tabs)
        diff_page = QWidget(self.tabs)
        diff_layout = QVBoxLayout(diff_page)
        diff_layout.setContentsMargins(0, 4, 0, 0)
        compare_row = QHBoxLayout()
        compare_row.addWidget(QLabel("Compare with", diff_page))
        self.compare_step = QSpinBox(diff_page)
        self.compare_step.setRange(PREVIOUS_STEP, 2**31 - 1)
        self.compare_step.setValue(PREVIOUS_STEP)
        self.compare_step.setSpecialValueText("the previous step")
        self.compare_step.setPrefix("step ")
        self.compare_step.setMinimumWidth(150)
        self.compare_step.setToolTip(
            "The step whose state the selected step is compared with "
            "(-1: the state before the first step)"
        )
        self.compare_previous = QPushButton("Previous Step", diff_page)
        self.compare_previous.setToolTip("Compare each step with the one before it")
        compare_row.addWidget(self.compare_step)
        compare_row.addWidget(self.compare_previous)
        compare_row.addStretch(1)
        diff_layout.addLayout(compare_row)
        self.diff_view = DiffView(diff_page)
        diff_layout.addWidget(self.diff_view)
        self.step_text = QPlainTextEdit(self.tabs)
        self.step_text.setReadOnly(True)
        self.step_text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.step_text.setFont(themes.monospace_font())
        self.tabs.addTab(self.state_view, "State")
        self.tabs.addTab(diff_page, "Diff")
        self.compare_step.valueChanged.connect(self._compare_changed)
        self.compare_previous.clicked.connect(lambda: self.compare_step.setValue(PREVIOUS_STEP))
        self.compare_action = QAction("Compare Other Steps with This One", self)
        self.compare_action.setToolTip("Diff every step you select against this step's state")
        self.compare_action.triggered.connect(self.compare_with_selected)
        self.compare_previous.setEnabled(False)
        self.steps_view.addAction(self.compare_action)
        self.steps_view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.tabs.addTab(self.step_text, "Step")
        self.spans_view = SpanWaterfall(self.tabs)
        self.tabs.addTab(self.spans_view, "Spans")
        self.children_list = QListWidget(self.tabs)
        self.children_list.setObjectName("childRuns")
        self.children_list.itemActivated.connect(self._child_activated)
        self.tabs.addTab(self.children_list, "Sub-applications")
        self.code_view = ActionSourceView(self.tabs)
        self.tabs.addTab(self.code_view, "Code")
        self.annotation_editor = AnnotationEditor(self.tabs)
        self.tabs.addTab(self.annotation_editor, "Annotate")
        self.annotation_editor.saveRequested.connect(self.save_annotation)
        self.annotation_editor.exportRequested.connect(self.export_annotations)
        self.mark_good_action = QAction("Mark Step Good", self)
        self.mark_good_action.setShortcut("Ctrl+G")
        self.mark_good_action.triggered.connect(lambda: self.mark_step("good"))
        self.mark_bad_action = QAction("Mark Step Bad", self)
        self.mark_bad_action.setShortcut("Ctrl+B")
        self.mark_bad_action.triggered.connect(lambda: self.mark_step("bad"))
        for mark in (self.mark_good_action, self.mark_bad_action):
            mark.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.steps_view.addAction(mark)
        right_layout.addWidget(self.tabs)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([660, 540])

    # --- the database -----------------------------------------------------------------------

    @property
    def database(self) -> RunDatabase | None:
        return self._db

    @property
    def current_run(self) -> RunRecord | None:
        return self._run

    @property
    def current_step(self) -> StepRecord | None:
        return self._step

    def open_database(self, path: str | os.PathLike[str]) -> RunDatabase:
        """Opens a run database (a file or a server URL) read-only and shows its runs (raises
        RunDatabaseError)."""
        database = open_run_database(path, read_only=True)
        self.set_database(database, owned=True)
        return database

    def set_database(self, database: RunDatabase | None, *, owned: bool = False) -> None:
        """Shows `database` (closed with the panel when `owned`); None shows nothing."""
        previous, previous_owned = self._db, self._owns_db
        self._db, self._owns_db = database, owned
        self.steps_model.set_run(None, None)
        self._fill_projects()
        self.runs_model.set_database(database)
        self.runs_view.set_placeholder("No runs" if database else "Open a run database")
        if previous is not None and previous_owned and previous is not database:
            previous.close()

    def close_database(self) -> None:
        """Stops following and closes the database if the panel opened it."""
        self._live_timer.stop()
        self.set_database(None)
        self.set_annotation_path(None)

    # --- annotations ------------------------------------------------------------------------

    def set_annotation_path(self, path: Path | None) -> None:
        """Keeps annotations in the run database at `path` (None: in the database shown)."""
        if self._annotation_reader is not None:
            self._annotation_reader.close()
            self._annotation_reader = None
        self.annotation_path = path

    def _annotation_store(self) -> AnnotationStore | None:
        """Annotations, read where they are kept (through a read-only connection)."""
        if self.annotation_path is None:
            return AnnotationStore(self._db) if self._db is not None else None
        if self._annotation_reader is None:
            if not self.annotation_path.is_file():
                return None
            try:
                self._annotation_reader = open_run_database(self.annotation_path, read_only=True)
            except RunDatabaseError:
                return None
        return AnnotationStore(self._annotation_reader)

    def run_annotations(self, run: RunRecord | None = None) -> dict[int, Annotation]:
        run = run or self._run
        store = self._annotation_store()
        if run is None or store is None:
            return {}
        try:
            return store.for_run(run)
        except RunDatabaseError:
            return {}

    def _annotation_target(self) -> Path | str | None:
        if self.annotation_path is not None:
            return self.annotation_path
        return self._db.target if self._db is not None else None

    def _run_of(self, step: StepRecord) -> RunRecord | None:
        """The run a shown step belongs to (a fork's inherited steps belong to its parent)."""
        if self._run is not None and self._run.run_id == step.run_id:
            return self._run
        try:
            return self._db.get_run(step.run_id) if self._db is not None else None
        except RunDatabaseError:
            return None

    def save_annotation(self, fields: dict[str, Any]) -> Annotation | None:
        """Stores the shown step's annotation (empty fields remove it); says how it went."""
        step, target = self._step, self._annotation_target()
        run = self._run_of(step) if step is not None else None
        if step is None or run is None or target is None:
            return None
        annotation = Annotation.for_step(run, step.sequence_id, step.action, **fields)
        try:
            with open_run_database(target) as writable:
                saved = AnnotationStore(writable).save(annotation)

        except RunDatabaseError as exc:
            self.annotation_editor.show_status(str(exc))
            return None
        if self._annotation_reader is not None:
            self._annotation_reader.close()  # reopened at the new schema version, if migrated
            self._annotation_reader = None
        self._show_annotation(step)
        self.annotation_editor.show_status(
            f"Saved in {_short_name(target)}." if saved is not None else "Annotation removed."
        )
        if (self.step_status.currentData() or "").startswith("@"):
            self.apply_filters()
        return saved

    def mark_step(self, verdict: str) -> None:
        """Marks the selected step good or bad, keeping its tags and note."""
        if self._step is None:
            return
        self.annotation_editor.set_verdict(verdict)
        self.save_annotation(self.annotation_editor.fields())

    def export_annotations(self) -> None:
        """Exports the current project's annotations with their steps (JSONL or CSV)."""
        store, run = self._annotation_store(), self._run
        if store is None or run is None or self._db is None:
            self.annotation_editor.show_status("Select a run whose annotations to export.")
            return
        annotations = store.list(project=run.project)
        if not annotations:
            self.annotation_editor.show_status(f"Project {run.project} has no annotations yet.")
            return
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Export Annotated Steps",
            f"{run.project}-annotations.jsonl",
            "JSON Lines (*.jsonl);;CSV (*.csv)",
        )
        if not path:
            return
        try:
            count = export_dataset(annotations, self._db, path)
        except RunDatabaseError as exc:
            self.annotation_editor.show_status(str(exc))
            return
        self.annotation_editor.show_status(
            f"Exported {count} annotated step{'s' * (count != 1)} to {Path(path).name}."
        )

    def _show_annotation(self, step: StepRecord) -> None:
        run = self._run_of(step)
        store = self._annotation_store()
        annotation = None
        if run is not None and store is not None:
            try:
                annotation = store.get(run.project, run.partition_key, run.app_id, step.sequence_id)
                self.annotation_editor.set_known_tags(store.tags())
            except RunDatabaseError:
                annotation = None
        where = self._annotation_target()
        caption = f"Step {step.sequence_id} · {step.action}"
        if where is not None:
            caption += f" · kept in {_short_name(where)}"
        self.annotation_editor.show_annotation(caption, annotation)
        self._refresh_annotation_tab(annotation)

    def _refresh_annotation_tab(self, annotation: Annotation | None) -> None:
        title = "Annotate"
        if annotation is not None:
            title += {"good": " · good", "bad": " · bad"}.get(annotation.verdict or "", " · noted")
        self.tabs.setTabText(self.tabs.indexOf(self.annotation_editor), title)

    def _fill_projects(self) -> None:
        combo = self.project_combo
        current = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        combo.addItem("All projects", None)
        if self._db is not None:
            try:
                projects = self._db.projects()
            except RunDatabaseError:
                projects = []
            for project in projects:
                combo.addItem(project, project)
        index = combo.findData(current) if current is not None else 0
        combo.setCurrentIndex(max(index, 0))
        combo.blockSignals(False)

    # --- filters ----------------------------------------------------------------------------

    def apply_filters(self) -> None:
        """Applies the runs and steps filters now (typing applies them after a short pause)."""
        self._filter_timer.stop()
        self.runs_model.set_filter(
            project=self.project_combo.currentData(),
            status=self.run_status.currentData(),
            search=self.run_filter.text().strip() or None,
        )
        text = self.step_search.text().strip() or None
        field = self.step_field.currentData()
        status = self.step_status.currentData()
        wanted = None
        if (status and status.startswith("@")) or (field == "tag" and text):
            annotations = self.run_annotations().values()
            if status == "@good" or status == "@bad":
                annotations = [a for a in annotations if a.verdict == status[1:]]
            if field == "tag" and text:
                needle = text.casefold()
                annotations = [
                    a for a in annotations if any(needle in t.casefold() for t in a.tags)
                ]
            wanted = {a.sequence_id for a in annotations}
        self.steps_model.set_filter(
            action=text if field == "action" else None,
            status=None if status and status.startswith("@") else status,
            changed_key=text if field == "changed_key" else None,
            sequence_ids=wanted,
        )

    def _fit_run_columns(self) -> None:
        """Sizes the short columns (status, time, steps) to what is shown and the project and
        partition to their names (up to `NAME_CHARS`); the app id takes the rest. Done once per
        reset, not per row, so paging stays cheap."""
        if self.runs_model.rowCount():
            view, metrics = self.runs_view, self.runs_view.header().fontMetrics()
            # Any status may arrive later (a live run finishes): room for the longest, and dot.
            longest = max(metrics.horizontalAdvance(s) for s in RUN_STATUSES) + 40
            widest_name = view.fontMetrics().horizontalAdvance("x" * NAME_CHARS)
            for column in (1, 3, 4, 5, 6):
                view.resizeColumnToContents(column)
                # The header's stylesheet padding is not in its size hint: keep titles whole.
                title = RunsTreeModel.COLUMNS[column]
                width = max(view.columnWidth(column), metrics.horizontalAdvance(title) + 24)
                if column in (1, 3):
                    width = min(width, widest_name)
                view.setColumnWidth(column, max(width, longest) if column == 4 else width)

    def _runs_reset(self) -> None:
        """A filter or database change rebuilt the runs: keep the run selected if still shown."""
        self._fit_run_columns()
        run = self._run
        index = self.runs_model.reveal(run.run_id) if run is not None else QModelIndex()
        if not index.isValid():
            if run is not None:
                self.steps_model.set_run(None, None)
                self._show_run(None)
            return
        self._expand_to(index)
        self.runs_view.selectionModel().blockSignals(True)
        self.runs_view.setCurrentIndex(index)
        self.runs_view.selectionModel().blockSignals(False)
        self.runs_view.viewport().update()

    def _steps_reset(self) -> None:
        """A new run or step filter: keep the step selected if it is still among the rows."""
        step = self._step
        if self.steps_model.run_id is None:
            self.steps_view.set_placeholder("Select a run")
        else:
            self.steps_view.set_placeholder(
                "No matching steps" if self.steps_model.filtered else "No steps yet"
            )
        if step is not None and step.run_id == self.steps_model.run_id:
            row = self.steps_model.row_of_sequence(step.sequence_id)
            if row is not None:
                QTimer.singleShot(0, self, lambda: self._reselect_step(step.sequence_id))
                return
        self._show_step(None)

    def _reselect_step(self, sequence_id: int) -> None:
        row = self.steps_model.row_of_sequence(sequence_id)
        if row is not None:
            self.steps_view.setCurrentIndex(self.steps_model.index(row, 0))
            self.steps_view.scrollTo(self.steps_model.index(row, 0))

    # --- selecting --------------------------------------------------------------------------

    def select_run(self, run_id: int) -> bool:
        """Selects a run, loading pages and expanding its ancestors (a fork is shown under its
        parent); False if the filter hides it."""
        index = self.runs_model.reveal(run_id)
        if not index.isValid():
            return False
        self._expand_to(index)
        self.runs_view.setCurrentIndex(index)
        self.runs_view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        return True

    def _expand_to(self, index: QModelIndex) -> None:
        parent = index.parent()
        while parent.isValid():
            self.runs_view.expand(parent)
            parent = parent.parent()

    def select_step(self, sequence_id: int) -> bool:
        """Selects a step of the current run (loading pages up to it); False if not shown."""
        row = self.steps_model.load_through(sequence_id)
        if row is None:
            return False
        index = self.steps_model.index(row, 0)
        self.steps_view.setCurrentIndex(index)
        self.steps_view.scrollTo(index)
        return True

    def _run_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            self.steps_model.set_run(None, None)
            self._show_run(None)
            return
        run = self.runs_model.run_for(current)
        if self._run is not None and self._run.run_id == run.run_id:
            return
        self._step = None
        self._show_run(run)
        self.steps_model.set_run(self._db, run.run_id)
        self.runSelected.emit(run.run_id)

    def _step_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            self._show_step(None)
            return
        self._show_step(self.steps_model.step_at(current.row()))

    # --- showing ----------------------------------------------------------------------------

    def _show_run(self, run: RunRecord | None) -> None:
        self._run = run
        if run is None:
            self.run_label.setText("Select a run")
            self._show_step(None)
            return
        self.run_label.setText(_run_summary(run))
        self._show_step(None)

    def _show_step(self, step: StepRecord | None, message: str | None = None) -> None:
        """Fills the State, Diff and Step tabs for `step` (or says what to select)."""
        self._step = step
        if message is None:
            message = "Select a step" if self._run is not None else "Select a run"
        if step is None or self._db is None:
            self.step_label.setText(message)
            self.state_view.set_state(None, placeholder=message)
            self.diff_view.set_diff(None, message)
            self.step_text.setPlainText("")
            self.step_text.setPlaceholderText(message)
            self.spans_view.set_placeholder(message)
            self.code_view.show_message(message)
            self.annotation_editor.show_message(message)
            self._refresh_annotation_tab(None)
            self._show_children([])
            return
        db, run_id, seq = self._db, step.run_id, step.sequence_id
        summary = _step_summary(step)
        if self._run is not None and step.run_id != self._run.run_id:
            summary += f"  ·  inherited from run {step.run_id}"
        self.step_label.setText(summary)
        try:
            self.state_view.set_state(db.state_at(run_id, seq))
        except RunDatabaseError as exc:
            self.state_view.set_state(None, placeholder=str(exc))
        self._show_diff(step)
        self.step_text.setPlainText(step_details(step))
        self._show_code(step)
        self._show_annotation(step)
        try:
            spans, attributes = db.spans(run_id, seq), db.attributes(run_id, seq)
            children = db.child_runs(run_id, seq)
        except RunDatabaseError as exc:
            self.spans_view.set_placeholder(str(exc))
            spans, attributes, children = [], [], []
        else:
            self.spans_view.set_step(step, spans, attributes)
        spans_title = _counted("Spans", len(spans))
        if attributes and not spans:
            spans_title += f" · {len(attributes)} attribute{'s' * (len(attributes) > 1)}"
        self.tabs.setTabText(self.tabs.indexOf(self.spans_view), spans_title)
        self._show_children(children)
        if children:
            summary += f"  ·  started {len(children)} sub-application{'s' * (len(children) > 1)}"
            self.step_label.setText(summary)
        self.stepSelected.emit(run_id, seq)

    def _show_code(self, step: StepRecord) -> None:
        run = self._run_of(step)
        self.code_view.show_action(step.action, run.graph if run is not None else None)

    def _show_children(self, children: list[RunRecord]) -> None:
        self.children_list.clear()
        for child in children:
            item = QListWidgetItem(
                themes.icon("timeline"),
                f"Run {child.run_id}  ·  {child.app_id[:24]}  ·  {child.status}  ·  "
                f"{child.step_count:,} step{'s' * (child.step_count != 1)}",
            )
            item.setData(Qt.ItemDataRole.UserRole, child.run_id)
            item.setToolTip("Double-click to show this run")
            self.children_list.addItem(item)
        index = self.tabs.indexOf(self.children_list)
        self.tabs.setTabText(index, _counted("Sub-applications", len(children)))
        if not children:
            placeholder = QListWidgetItem("This step started no sub-applications.")
            placeholder.setFlags(Qt.ItemFlag.NoItemFlags)
            self.children_list.addItem(placeholder)

    def _child_activated(self, item: QListWidgetItem) -> None:
        run_id = item.data(Qt.ItemDataRole.UserRole)
        if run_id is not None:
            self.select_run(int(run_id))

    # --- comparing ----------------------------------------------------------------------------

    @property
    def compare_base(self) -> int | None:
        """The step every selected step is compared with (None: each step's previous one)."""
        value = self.compare_step.value()
        return None if value == PREVIOUS_STEP else value

    def compare_with_selected(self) -> None:
        """Pins the selected step as what the Diff tab compares other steps with."""
        if self._step is not None:
            self.compare_step.setValue(self._step.sequence_id)
            self.tabs.setCurrentIndex(1)

    def _compare_changed(self, _value: int) -> None:
        self.compare_previous.setEnabled(self.compare_base is not None)
        if self._step is not None:
            self._show_diff(self._step)

    def _show_diff(self, step: StepRecord) -> None:
        db, seq = self._db, step.sequence_id
        if db is None:
            return
        base = self.compare_base
        try:
            if base is None:
                self.diff_view.set_diff(db.diff(step.run_id, seq - 1, seq))
                return
            # A fork reads steps before its fork point from its ancestors: ask through the run.
            run_id = self._run.run_id if self._run is not None else step.run_id
            self.diff_view.set_diff(
                diff_states(db.state_at(run_id, base), db.state_at(step.run_id, seq))
            )
        except RunDatabaseError as exc:
            self.diff_view.set_diff(None, str(exc))

    # --- following a live run ---------------------------------------------------------------

    def follow_live(self) -> None:
        """Picks up new runs, new steps of the selected run, and changed statuses."""
        if self._db is None:
            return
        self.runs_model.refresh()
        if self._run is not None:
            index = self.runs_model.index_of_run(self._run.run_id)
            if index.isValid():
                run = self.runs_model.run_for(index)
                if run != self._run:
                    self._run = run
                    self.run_label.setText(_run_summary(run))
        bar = self.steps_view.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum()
        if self.steps_model.follow() and at_bottom and self._step is None:
            self.steps_view.scrollToBottom()

    def set_live(self, enabled: bool, interval_ms: int = 1000) -> None:
        """Follows the database on a timer (for runs written by another process)."""
        if enabled:
            self._live_timer.start(interval_ms)
        else:
            self._live_timer.stop()

    def show_streaming(self, speaker: str, text: str) -> None:
        """The reply an LLM step is writing right now (empty: it finished and is recorded)."""
        self.live_text.setVisible(bool(text))
        if text:
            self.live_text.setText(f"{speaker} is writing: {text}▍")

    def run_advanced(self, run_id: int) -> None:
        """Slot for a "run advanced" signal: follows at once when it is a shown run."""
        if self._db is not None:
            self.follow_live()


def _counted(title: str, count: int) -> str:
    return f"{title} ({count})" if count else title


def _run_summary(run: RunRecord) -> str:
    steps = f"{run.step_count:,} step{'s' * (run.step_count != 1)}"
    parts = [f"Run {run.run_id}", run.app_id, run.status, steps]
    if run.parent_run_id is not None:
        parts.append(f"forked from run {run.parent_run_id} @ {run.parent_sequence_id}")
    if run.spawning_parent_run_id is not None:
        parts.append(
            f"started by step {run.spawning_parent_sequence_id} of run {run.spawning_parent_run_id}"
        )
    return "  ·  ".join(parts)


def _step_summary(step: StepRecord) -> str:
    return f"Step {step.sequence_id}  ·  {step.action}  ·  {step.status}"


def step_details(step: StepRecord) -> str:
    """The Step tab's text: what went in, what came out, and what went wrong."""
    lines = [
        f"Step      {step.sequence_id}",
        f"Action    {step.action}",
        f"Status    {step.status}",
    ]
    if step.started_at is not None:
        lines.append(f"Started   {format_time(step.started_at)}")
    if step.duration is not None:
        lines.append(f"Duration  {format_ms(step.duration)} ms")
    if step.changed_keys:
        lines.append(f"Changed   {', '.join(step.changed_keys)}")
    if step.streamed:
        stream = f"Streamed  {step.item_count:,} item{'s' * (step.item_count != 1)}"
        if step.time_to_first_item is not None:
            stream += f", the first after {format_ms(step.time_to_first_item)} ms"
        if step.items_per_second is not None:
            stream += f", {step.items_per_second:,.1f} items/s"
        lines.append(stream)
    lines += ["", "Inputs", _json_block(step.inputs) if step.inputs else "  (none)"]
    if step.status != "failed" or step.result is not None:
        lines += ["", "Result", _json_block(step.result) if step.result else "  (none)"]
    if step.error:
        lines += ["", "Error", f"  {step.error}"]
    if step.traceback:
        traceback = step.traceback.rstrip()
        heading = [] if traceback.startswith("Traceback") else ["Traceback"]
        lines += ["", *heading, traceback]
    return "\n".join(lines)


def _json_block(value: Any) -> str:
    try:
        text = to_json_text(value)
    except (TypeError, ValueError):
        text = json.dumps(repr(value))
    return "\n".join("  " + line for line in text.splitlines())


def _short_name(target: Path | str) -> str:
    """A database as a caption names it: a file's name, a server database's name and host."""
    if is_server_url(target):
        parts = urlsplit(str(target))
        return f"{parts.path.lstrip('/')} on {parts.hostname}"
    return Path(target).name
