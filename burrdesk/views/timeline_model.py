"""Lazy table models over a run database: the runs, and the steps of one run.

A run can have a million steps and a database thousands of runs, so neither model ever reads a
whole table: each holds the pages it has been asked for (`canFetchMore`/`fetchMore`, which Qt's
views call as the user scrolls) and grows them in place. Following a live run appends rows with
`beginInsertRows` rather than resetting, so the user's selection and scroll position survive.
"""

from __future__ import annotations

import bisect
import time
from collections import OrderedDict
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

from burrdesk.model.run_database import RunDatabase, RunDatabaseError
from burrdesk.model.run_records import RunRecord, StepRecord
from burrdesk.views import theme as themes

Index = QModelIndex | QPersistentModelIndex

RUN_PAGE = 200
STEP_PAGE = 500
_FINAL_STATUSES = ("completed", "failed", "stopped")
_DISPLAY = Qt.ItemDataRole.DisplayRole
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


def status_color(status: str) -> QColor | None:
    """The theme colour a run or step status is shown in (None: the ordinary text colour)."""
    theme = themes.current_theme()
    name = {
        "failed": "error",
        "running": "accent",
        "created": "muted_text",
        "stopped": "muted_text",
        "interrupted": "muted_text",
        "completed": "success",
    }.get(status)
    return theme.color(name) if name else None


_dot_cache: dict[str, QIcon] = {}


def status_icon(status: str) -> QIcon:
    """A small dot in the status colour, so a run's state reads at a glance."""
    color = status_color(status) or themes.current_theme().color("muted_text")
    key = color.name()
    cached = _dot_cache.get(key)
    if cached is None:
        pixmap = QPixmap(10, 10)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawEllipse(1, 1, 8, 8)
        painter.end()
        cached = _dot_cache[key] = QIcon(pixmap)
    return QIcon(cached)


def format_time(timestamp: float | None) -> str:
    """Local wall-clock time, to the second (runs are told apart by when they started)."""
    if timestamp is None:
        return ""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))


def format_ms(seconds: float | None) -> str:
    """A duration in milliseconds, with two decimals when short (so fast steps are not 0.0)."""
    if seconds is None:
        return ""
    ms = seconds * 1000
    return f"{ms:,.2f}" if ms < 10 else f"{ms:,.1f}"


class RunsTableModel(QAbstractTableModel):
    """The runs of a database, newest first, 200 at a time, optionally filtered."""

    COLUMNS = ("Run", "Project", "App id", "Partition", "Status", "Started", "Steps")
    STATUS_COLUMN = 4

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._db: RunDatabase | None = None
        self._runs: list[RunRecord] = []
        self._rows: dict[int, int] = {}  # run id -> row
        self._more = False
        self._filter: dict[str, str | None] = {"project": None, "status": None, "search": None}
        themes.theme_signals.changed.connect(self._on_theme_changed)

    # --- configuring ------------------------------------------------------------------------

    @property
    def database(self) -> RunDatabase | None:
        return self._db

    def set_database(self, db: RunDatabase | None) -> None:
        """Shows the runs of `db` (none when None), loading the newest page."""
        self.beginResetModel()
        self._db = db
        self._reload()
        self.endResetModel()

    def set_filter(
        self, project: str | None = None, status: str | None = None, search: str | None = None
    ) -> None:
        """Shows only the runs matching every given filter (empty strings count as unset)."""
        wanted = {"project": project or None, "status": status or None, "search": search or None}
        if wanted == self._filter:
            return
        self.beginResetModel()
        self._filter = wanted
        self._reload()
        self.endResetModel()

    def _reload(self) -> None:
        self._runs, self._rows, self._more = [], {}, False
        if self._db is not None:
            page = self._read_page(0)
            self._more = len(page) > RUN_PAGE
            self._append(page[:RUN_PAGE])

    def _read_page(self, offset: int) -> list[RunRecord]:
        if self._db is None:
            return []
        try:
            return self._db.list_runs(**self._filter, limit=RUN_PAGE + 1, offset=offset)
        except RunDatabaseError:
            return []

    def _append(self, runs: list[RunRecord]) -> None:
        for run in runs:
            self._rows[run.run_id] = len(self._runs)
            self._runs.append(run)

    # --- lazy loading -----------------------------------------------------------------------

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008, N802
        return not parent.isValid() and self._more

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008, N802
        if parent.isValid() or not self._more:
            return
        page = self._read_page(len(self._runs))
        self._more = len(page) > RUN_PAGE
        # Runs created since the last refresh shift the offsets: skip the ones already shown.
        fresh = [run for run in page[:RUN_PAGE] if run.run_id not in self._rows]
        if not fresh:
            return
        first = len(self._runs)
        self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
        self._append(fresh)
        self.endInsertRows()

    def refresh(self) -> None:
        """Brings counts and statuses up to date and adds new runs at the top, without a reset.

        Reads the newest page plus each loaded run that may still change (not finished), so the
        cost is bounded by what is live, not by how many rows have been loaded.
        """
        if self._db is None:
            return
        top = self._read_page(0)[:RUN_PAGE]
        for position, run in enumerate(top):
            if run.run_id in self._rows:
                continue
            row = min(position, len(self._runs))
            self.beginInsertRows(QModelIndex(), row, row)
            self._runs.insert(row, run)
            self._rows = {r.run_id: i for i, r in enumerate(self._runs)}
            self.endInsertRows()
        fresh = {run.run_id: run for run in top}
        for row, old in enumerate(self._runs):
            new = fresh.get(old.run_id)
            if new is None and old.status not in _FINAL_STATUSES:
                try:
                    new = self._db.get_run(old.run_id)
                except RunDatabaseError:
                    continue
            if new is not None and new != old:
                self._runs[row] = new
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.COLUMNS) - 1))

    # --- reading ----------------------------------------------------------------------------

    def run_at(self, row: int) -> RunRecord:
        return self._runs[row]

    def row_of_run(self, run_id: int) -> int | None:
        """The row showing `run_id`, among the rows loaded so far."""
        return self._rows.get(run_id)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._runs)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == _DISPLAY:
            return self.COLUMNS[section]
        return None

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if not index.isValid() or index.row() >= len(self._runs):
            return None
        run = self._runs[index.row()]
        column = index.column()
        if role == _DISPLAY:
            return (
                str(run.run_id),
                run.project,
                run.app_id,
                run.partition_key or "",
                run.status,
                format_time(run.created_at),
                f"{run.step_count:,}",
            )[column]
        if column == self.STATUS_COLUMN:
            if role == Qt.ItemDataRole.ForegroundRole:
                return status_color(run.status)
            if role == Qt.ItemDataRole.DecorationRole:
                return status_icon(run.status)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (0, 6):
            return _RIGHT
        if role == Qt.ItemDataRole.ToolTipRole:
            if run.parent_run_id is not None:
                return f"Forked from run {run.parent_run_id} at step {run.parent_sequence_id}"
            return run.app_id
        return None

    def _on_theme_changed(self, _theme: object) -> None:
        if self._runs:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._runs) - 1, len(self.COLUMNS) - 1)
            )


class StepsTableModel(QAbstractTableModel):
    """The steps of one run, in sequence order, read a page of 500 at a time.

    A run whose sequence ids are contiguous (every run burrdesk records) is *random access*:
    it has one row per step from the start, and a row's page is read (by sequence range, an
    indexed query) only when the view shows it, into a small cache. So End on a million-step
    run reads one page, and memory stays bounded however far one scrolls. Filtered views and
    runs with gaps in their sequence ids grow page by page with `fetchMore` instead.
    `follow()` appends what a live run wrote since, in either mode, without a reset.
    """

    CACHED_PAGES = 64

    COLUMNS = ("Seq", "Action", "Status", "Duration (ms)", "Changed keys")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._db: RunDatabase | None = None
        self._run_id: int | None = None
        self._steps: list[StepRecord] = []
        self._sequences: list[int] = []
        self._more = False
        self._random = False
        self._total = 0
        self._first_sequence = 0
        self._pages: OrderedDict[int, list[StepRecord]] = OrderedDict()
        self._filter: dict[str, str | None] = {"action": None, "status": None, "changed_key": None}
        themes.theme_signals.changed.connect(self._on_theme_changed)

    # --- configuring ------------------------------------------------------------------------

    @property
    def run_id(self) -> int | None:
        return self._run_id

    @property
    def database(self) -> RunDatabase | None:
        return self._db

    @property
    def filtered(self) -> bool:
        return any(self._filter.values())

    def set_run(self, db: RunDatabase | None, run_id: int | None) -> None:
        """Shows the steps of `run_id` (none when None): only the first page is read."""
        self.beginResetModel()
        self._db, self._run_id = db, run_id
        self._reload()
        self.endResetModel()

    def set_filter(
        self, action: str | None = None, status: str | None = None, changed_key: str | None = None
    ) -> None:
        """Shows only steps matching every filter (action is a substring; empty means unset)."""
        wanted = {
            "action": action or None,
            "status": status or None,
            "changed_key": changed_key or None,
        }
        if wanted == self._filter:
            return
        self.beginResetModel()
        self._filter = wanted
        self._reload()
        self.endResetModel()

    @property
    def random_access(self) -> bool:
        return self._random

    @property
    def cached_pages(self) -> int:
        """How many pages are held in memory (random-access mode)."""
        return len(self._pages)

    def _reload(self) -> None:
        self._steps, self._sequences, self._more = [], [], False
        self._random, self._total, self._pages = False, 0, OrderedDict()
        if self._db is not None and self._run_id is not None and not self.filtered:
            try:
                run = self._db.get_run(self._run_id)
            except RunDatabaseError:
                return
            first, last = run.first_sequence_id, run.last_sequence_id
            if first is None or last is None:
                self._random = True
                return
            if last - first + 1 == run.step_count:
                self._random, self._total, self._first_sequence = True, run.step_count, first
                self._page(0)
                return
        if self._db is not None and self._run_id is not None:
            page = self._read_after(None)
            self._more = len(page) > STEP_PAGE
            self._append(page[:STEP_PAGE])

    def _read_after(self, sequence_id: int | None) -> list[StepRecord]:
        """Up to a page plus one (so the extra tells whether more exist) after `sequence_id`."""
        if self._db is None or self._run_id is None:
            return []
        try:
            if self.filtered:
                return self._db.search_steps(
                    self._run_id,
                    **self._filter,
                    after_sequence_id=sequence_id,
                    limit=STEP_PAGE + 1,
                )
            return self._db.steps_after(self._run_id, sequence_id, limit=STEP_PAGE + 1)
        except RunDatabaseError:
            return []

    def _append(self, steps: list[StepRecord]) -> None:
        self._steps.extend(steps)
        self._sequences.extend(step.sequence_id for step in steps)

    def _last_sequence(self) -> int | None:
        return self._sequences[-1] if self._sequences else None

    # --- lazy loading and following ---------------------------------------------------------

    def _page(self, number: int) -> list[StepRecord]:
        """Page `number` of a random-access run, from the cache or one indexed query."""
        page = self._pages.get(number)
        if page is not None:
            self._pages.move_to_end(number)
            return page
        page = []
        if self._db is not None and self._run_id is not None:
            start = self._first_sequence + number * STEP_PAGE
            try:
                page = self._db.read_steps(self._run_id, start, STEP_PAGE)
            except RunDatabaseError:
                page = []
        self._pages[number] = page
        if len(self._pages) > self.CACHED_PAGES:
            self._pages.popitem(last=False)
        return page

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008, N802
        return not parent.isValid() and self._more

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008, N802
        if parent.isValid() or not self._more:
            return
        self._insert(self._read_after(self._last_sequence()))

    def _insert(self, page: list[StepRecord]) -> int:
        self._more = len(page) > STEP_PAGE
        page = page[:STEP_PAGE]
        if page:
            first = len(self._steps)
            self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
            self._append(page)
            self.endInsertRows()
        return len(page)

    def follow(self) -> int:
        """Appends steps written since the last one shown (a live run); returns how many.

        While earlier pages are still unloaded there is nothing to append: new steps arrive
        through `fetchMore` after them.
        """
        if self._db is None or self._run_id is None:
            return 0
        if self._random:
            return self._follow_random()
        if self._more:
            return 0
        return self._insert(self._read_after(self._last_sequence()))

    def _follow_random(self) -> int:
        try:
            run = self._db.get_run(self._run_id)  # type: ignore[union-attr]
        except RunDatabaseError:
            return 0
        if run.first_sequence_id is None or run.step_count <= self._total:
            return 0
        if self._total == 0:
            self._first_sequence = run.first_sequence_id
        added = run.step_count - self._total
        self._pages.pop((self._total - 1) // STEP_PAGE if self._total else 0, None)
        self.beginInsertRows(QModelIndex(), self._total, run.step_count - 1)
        self._total = run.step_count
        self.endInsertRows()
        return added

    def load_through(self, sequence_id: int, max_pages: int = 200) -> int | None:
        """Fetches pages until `sequence_id` is loaded (at most `max_pages`); returns its row."""
        if self._random:
            return self.row_of_sequence(sequence_id)
        for _ in range(max_pages):
            last = self._last_sequence()
            if not self._more or (last is not None and last >= sequence_id):
                break
            self.fetchMore()
        return self.row_of_sequence(sequence_id)

    # --- reading ----------------------------------------------------------------------------

    def step_at(self, row: int) -> StepRecord:
        if self._random:
            if not 0 <= row < self._total:
                raise IndexError(f"row {row} is outside the {self._total} steps of the run")
            return self._page(row // STEP_PAGE)[row % STEP_PAGE]
        return self._steps[row]

    def row_of_sequence(self, sequence_id: int) -> int | None:
        """The row of step `sequence_id` among the loaded rows (None if not loaded or filtered)."""
        if self._random:
            row = sequence_id - self._first_sequence
            return row if 0 <= row < self._total else None
        row = bisect.bisect_left(self._sequences, sequence_id)
        if row < len(self._sequences) and self._sequences[row] == sequence_id:
            return row
        return None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        if parent.isValid():
            return 0
        return self._total if self._random else len(self._steps)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == _DISPLAY:
            return self.COLUMNS[section]
        return None

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if not index.isValid() or index.row() >= self.rowCount():
            return None
        try:
            step = self.step_at(index.row())
        except IndexError:
            return None
        column = index.column()
        if role == _DISPLAY:
            if column == 0:
                return str(step.sequence_id)
            if column == 1:
                return step.action
            if column == 2:
                return step.status
            if column == 3:
                duration = step.duration
                return format_ms(duration)
            return ", ".join(step.changed_keys)
        if role == Qt.ItemDataRole.DecorationRole and column == 2 and step.status == "failed":
            return status_icon("failed")  # still visible on a selected row (which is recoloured)
        if role == Qt.ItemDataRole.ForegroundRole:
            if step.status == "failed":
                return themes.current_theme().color("error")
            if column == 4:
                return themes.current_theme().color("muted_text")
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (0, 3):
            return _RIGHT
        if role == Qt.ItemDataRole.ToolTipRole and step.error:
            return step.error
        return None

    def _on_theme_changed(self, _theme: object) -> None:
        if self.rowCount():
            self.dataChanged.emit(
                self.index(0, 0), self.index(self.rowCount() - 1, len(self.COLUMNS) - 1)
            )
