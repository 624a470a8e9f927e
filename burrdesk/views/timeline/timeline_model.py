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
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap

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


_italic: QFont | None = None


def _italic_font() -> QFont:
    global _italic
    if _italic is None:
        _italic = QFont()
        _italic.setItalic(True)
    return _italic


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


class _Branch:
    """The runs shown under one parent (key 0: the top level), read a page at a time."""

    __slots__ = ("runs", "rows", "more")

    def __init__(self) -> None:
        self.runs: list[RunRecord] = []
        self.rows: dict[int, int] = {}  # run id -> row
        self.more = True

    def insert(self, row: int, run: RunRecord) -> None:
        self.runs.insert(row, run)
        if row == len(self.runs) - 1:
            self.rows[run.run_id] = row
        else:
            self.rows = {r.run_id: i for i, r in enumerate(self.runs)}


def tree_parent(run: RunRecord) -> int | None:
    """The run a run is listed under: the run it was forked from or whose step started it."""
    return run.parent_run_id if run.parent_run_id is not None else run.spawning_parent_run_id


def _children(run: RunRecord) -> int:
    return run.fork_count + run.child_count


class RunsTreeModel(QAbstractItemModel):
    """The runs of a database as a tree: runs newest first, each run's forks and the
    sub-applications its steps started (oldest first) under it.

    Every level is read a page of 200 at a time, a run's forks only when it is expanded, so a
    database with thousands of runs opens at once. While a filter is set the matching runs are
    listed flat (a fork whose parent does not match would otherwise be hidden). An index's
    internal id is the run id of its parent (0 at the top level), which is all `parent()` needs.
    """

    COLUMNS = ("Run", "Project", "App id", "Partition", "Status", "Started", "Steps")
    STATUS_COLUMN = 4
    TOP = 0

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._db: RunDatabase | None = None
        self._branches: dict[int, _Branch] = {}
        self._shown_in: dict[int, int] = {}  # run id -> the branch key it is shown in
        self._last_run_id = 0
        self._filter: dict[str, str | None] = {"project": None, "status": None, "search": None}
        self._reload()
        themes.theme_signals.changed.connect(self._on_theme_changed)

    # --- configuring ------------------------------------------------------------------------

    @property
    def database(self) -> RunDatabase | None:
        return self._db

    @property
    def flat(self) -> bool:
        """Whether runs are listed flat (a filter is set) rather than as a tree of forks."""
        return any(value is not None for value in self._filter.values())

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
        self._branches, self._shown_in = {self.TOP: _Branch()}, {}
        self._last_run_id = 0
        if self._db is None:
            self._branches[self.TOP].more = False
            return
        try:
            self._last_run_id = self._db.last_run_id()
        except RunDatabaseError:
            self._branches[self.TOP].more = False
            return
        self._add(self.TOP, self._next_page(self.TOP))

    def _read_page(self, key: int, offset: int) -> list[RunRecord]:
        if self._db is None:
            return []
        try:
            if key != self.TOP:
                return self._db.list_runs(children_of=key, limit=RUN_PAGE + 1, offset=offset)
            return self._db.list_runs(
                **self._filter, roots_only=not self.flat, limit=RUN_PAGE + 1, offset=offset
            )
        except RunDatabaseError:
            return []

    def _next_page(self, key: int) -> list[RunRecord]:
        """The next page of a branch, less the runs it already shows (not added yet)."""
        branch = self._branches.setdefault(key, _Branch())
        page = self._read_page(key, len(branch.runs))
        branch.more = len(page) > RUN_PAGE
        # Runs created since the last refresh shift the offsets: skip the ones already shown.
        return [run for run in page[:RUN_PAGE] if run.run_id not in branch.rows]

    def _add(self, key: int, runs: list[RunRecord]) -> None:
        branch = self._branches[key]
        for run in runs:
            branch.insert(len(branch.runs), run)
            self._shown_in[run.run_id] = key

    # --- the tree ---------------------------------------------------------------------------

    def _key(self, parent: Index) -> int | None:
        """The branch key of `parent`'s children (None: a cell that has no children)."""
        if not parent.isValid():
            return self.TOP
        if parent.column() != 0 or self.flat:
            return None
        return self.run_for(parent).run_id

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        key = self._key(parent)
        branch = self._branches.get(key) if key is not None else None
        if branch is None or not 0 <= row < len(branch.runs) or not 0 <= column < len(self.COLUMNS):
            return QModelIndex()
        return self.createIndex(row, column, key)

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid():
            return QModelIndex()
        key = index.internalId()
        if key == self.TOP:
            return QModelIndex()
        holder = self._shown_in.get(key)
        if holder is None:
            return QModelIndex()
        return self.createIndex(self._branches[holder].rows[key], 0, holder)

    def hasChildren(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008, N802
        key = self._key(parent)
        if key is None:
            return False
        if key == self.TOP:
            return True
        branch = self._branches.get(key)
        return bool(branch.runs) if branch is not None else _children(self.run_for(parent)) > 0

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        key = self._key(parent)
        branch = self._branches.get(key) if key is not None else None
        return len(branch.runs) if branch is not None else 0

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return len(self.COLUMNS)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008, N802
        key = self._key(parent)
        if key is None:
            return False
        branch = self._branches.get(key)
        if branch is None:
            return key != self.TOP and _children(self.run_for(parent)) > 0
        return branch.more

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008, N802
        if not self.canFetchMore(parent):
            return
        key = self._key(parent)
        assert key is not None
        first = self.rowCount(parent)
        fresh = self._next_page(key)
        if fresh:
            self.beginInsertRows(parent, first, first + len(fresh) - 1)
            self._add(key, fresh)
            self.endInsertRows()

    # --- following --------------------------------------------------------------------------

    def refresh(self) -> None:
        """Brings statuses and counts up to date and adds new runs and forks, without a reset.

        Reads the runs created since the last refresh plus each shown run that may still change
        (not finished), so the cost is bounded by what is new or live, not by what is shown.
        """
        if self._db is None:
            return
        try:
            new_runs = self._db.runs_after(self._last_run_id, limit=RUN_PAGE)
        except RunDatabaseError:
            return
        matching: set[int] = set()
        if new_runs and self.flat:  # which new runs the filter lets through
            matching = {r.run_id for r in self._read_page(self.TOP, 0)[:RUN_PAGE]}
        for run in new_runs:
            self._last_run_id = max(self._last_run_id, run.run_id)
            if self.flat:
                if run.run_id in matching:
                    self._insert(self.TOP, 0, run)
            elif tree_parent(run) is None:
                self._insert(self.TOP, 0, run)
            else:
                self._add_child(run)
        for run_id, key in list(self._shown_in.items()):
            branch = self._branches[key]
            old = branch.runs[branch.rows[run_id]]
            if old.status in _FINAL_STATUSES:
                continue
            try:
                new = self._db.get_run(run_id)
            except RunDatabaseError:
                continue
            if new != old:
                self._replace(key, new)

    def _insert(self, key: int, row: int, run: RunRecord) -> None:
        branch = self._branches[key]
        if run.run_id in branch.rows:
            return
        self.beginInsertRows(self._index_of_key(key), row, row)
        branch.insert(row, run)
        self._shown_in[run.run_id] = key
        self.endInsertRows()

    def _add_child(self, child: RunRecord) -> None:
        """A new fork or sub-application: under its parent, when the parent is loaded."""
        parent_id = tree_parent(child)
        parent_key = self._shown_in.get(parent_id)  # type: ignore[arg-type]
        if parent_key is None:
            return  # its parent is not loaded: the child is read when the parent is expanded
        branch = self._branches[parent_key]
        parent = branch.runs[branch.rows[parent_id]]  # type: ignore[index]
        children = self._branches.get(parent.run_id)
        if children is None and _children(parent) == 0:
            children = self._branches[parent.run_id] = _Branch()
            children.more = False
        counted = "fork_count" if child.parent_run_id is not None else "child_count"
        self._replace(parent_key, parent.model_copy(update={counted: getattr(parent, counted) + 1}))
        if children is not None and not children.more:
            self._insert(parent.run_id, len(children.runs), child)

    def _replace(self, key: int, run: RunRecord) -> None:
        branch = self._branches[key]
        row = branch.rows[run.run_id]
        branch.runs[row] = run
        parent = self._index_of_key(key)
        self.dataChanged.emit(
            self.index(row, 0, parent), self.index(row, len(self.COLUMNS) - 1, parent)
        )

    def _index_of_key(self, key: int) -> QModelIndex:
        """The index whose children are branch `key` (the invisible root for the top level)."""
        return QModelIndex() if key == self.TOP else self.index_of_run(key)

    # --- reading ----------------------------------------------------------------------------

    def run_for(self, index: Index) -> RunRecord:
        return self._branches[index.internalId()].runs[index.row()]

    def run_at(self, row: int, parent: Index = QModelIndex()) -> RunRecord:  # noqa: B008
        return self.run_for(self.index(row, 0, parent))

    def index_of_run(self, run_id: int, column: int = 0) -> QModelIndex:
        """The index showing `run_id` among the runs loaded so far (invalid if not loaded)."""
        key = self._shown_in.get(run_id)
        if key is None:
            return QModelIndex()
        return self.createIndex(self._branches[key].rows[run_id], column, key)

    def reveal(self, run_id: int) -> QModelIndex:
        """The index of `run_id`, loading the pages and forks on the way to it (invalid if the
        filter hides it or the database has no such run)."""
        index = self.index_of_run(run_id)
        if index.isValid() or self._db is None:
            return index
        path = [run_id]
        if not self.flat:
            try:
                run = self._db.get_run(run_id)
                while (above := tree_parent(run)) is not None and above not in path:
                    path.append(above)
                    run = self._db.get_run(above)
            except RunDatabaseError:
                return QModelIndex()
        path.reverse()
        parent = QModelIndex()
        for step in path:
            index = self.index_of_run(step)
            while not index.isValid() and self.canFetchMore(parent):
                self.fetchMore(parent)
                index = self.index_of_run(step)
            if not index.isValid():
                return QModelIndex()
            parent = index
        return index

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        run = self.run_for(index)
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
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 6:
            return _RIGHT
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [run.app_id]
            if run.parent_run_id is not None:
                lines.append(
                    f"Forked from run {run.parent_run_id} after step {run.parent_sequence_id}"
                )
            if run.spawning_parent_run_id is not None:
                lines.append(
                    f"Started by step {run.spawning_parent_sequence_id} of run "
                    f"{run.spawning_parent_run_id}"
                )
            if run.fork_count:
                lines.append(f"{run.fork_count} fork{'s' if run.fork_count > 1 else ''}")
            if run.child_count:
                lines.append(
                    f"{run.child_count} sub-application{'s' if run.child_count > 1 else ''}"
                )
            return "\n".join(lines)
        return None

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == _DISPLAY:
            return self.COLUMNS[section]
        return None

    def _on_theme_changed(self, _theme: object) -> None:
        for key, branch in self._branches.items():
            if branch.runs:
                parent = self._index_of_key(key)
                self.dataChanged.emit(
                    self.index(0, 0, parent),
                    self.index(len(branch.runs) - 1, len(self.COLUMNS) - 1, parent),
                )


@dataclass
class _Part:
    """A range of one run's steps in the timeline: an ancestor's up to a fork point, or the
    run's own (`last` None: it may still grow)."""

    run_id: int
    first: int | None
    last: int | None
    start_row: int = 0
    count: int = 0


class StepsTableModel(QAbstractTableModel):
    """The steps of one run, in sequence order, read a page of 500 at a time.

    A fork's timeline starts with the steps it inherited: its parent's up to the fork point
    (and theirs, for a fork of a fork), shown dimmed, then its own. A run whose sequence ids are
    contiguous (every run burrdesk records) is *random access*: it has one row per step from
    the start, and a row's page is read (by sequence range, an indexed query) only when the view
    shows it, into a small cache. So End on a million-step run reads one page, and memory stays
    bounded however far one scrolls. Filtered views and runs with gaps in their sequence ids
    grow page by page with `fetchMore` instead. `follow()` appends what a live run wrote since,
    in either mode, without a reset.
    """

    CACHED_PAGES = 64

    COLUMNS = ("Seq", "Action", "Status", "Duration (ms)", "Changed keys")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._db: RunDatabase | None = None
        self._run_id: int | None = None
        self._parts: list[_Part] = []
        self._steps: list[StepRecord] = []
        self._sequences: list[int] = []
        self._more = False
        self._random = False
        self._total = 0
        self._pages: OrderedDict[int, list[StepRecord]] = OrderedDict()
        self._fork_point: int | None = None
        self._filter: dict[str, Any] = {
            "action": None,
            "status": None,
            "changed_key": None,
            "sequence_ids": None,
        }
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
        return any(value is not None for value in self._filter.values())

    def set_run(self, db: RunDatabase | None, run_id: int | None) -> None:
        """Shows the steps of `run_id` (none when None): only the first page is read."""
        self.beginResetModel()
        self._db, self._run_id = db, run_id
        self._reload()
        self.endResetModel()

    def set_filter(
        self,
        action: str | None = None,
        status: str | None = None,
        changed_key: str | None = None,
        sequence_ids: Collection[int] | None = None,
    ) -> None:
        """Shows only steps matching every filter (action is a substring; empty means unset;
        `sequence_ids`, when given, keeps only those steps, even when it is empty)."""
        wanted = {
            "action": action or None,
            "status": status or None,
            "changed_key": changed_key or None,
            "sequence_ids": None if sequence_ids is None else tuple(sorted(sequence_ids)),
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

    @property
    def inherited_steps(self) -> int:
        """How many of the rows (unfiltered) are steps a fork inherited from its ancestors."""
        return sum(part.count for part in self._parts[:-1])

    def _reload(self) -> None:
        self._steps, self._sequences, self._more = [], [], False
        self._random, self._total, self._pages, self._parts = False, 0, OrderedDict(), []
        self._fork_point = None
        if self._db is None or self._run_id is None:
            return
        try:
            run = self._db.get_run(self._run_id)
            lineage = self._db.lineage(self._run_id) if run.parent_run_id is not None else []
        except RunDatabaseError:
            return
        self._fork_point = run.parent_sequence_id
        row = 0
        inherited = [segment for segment in lineage if segment.inherited]
        for segment in inherited:
            part = _Part(segment.run_id, segment.first_sequence_id, segment.last_sequence_id)
            part.start_row, part.count, row = row, segment.step_count, row + segment.step_count
            self._parts.append(part)
        self._parts.append(_Part(run.run_id, run.first_sequence_id, None, row, run.step_count))
        contiguous = all(segment.contiguous for segment in inherited) and (
            run.first_sequence_id is None
            or run.last_sequence_id - run.first_sequence_id + 1 == run.step_count  # type: ignore[operator]
        )
        if contiguous and not self.filtered:
            self._random, self._total = True, row + run.step_count
            if self._total:
                self._page(0)
            return
        page = self._read_after(None)
        self._more = len(page) > STEP_PAGE
        self._append(page[:STEP_PAGE])

    def _read_after(self, sequence_id: int | None) -> list[StepRecord]:
        """Up to a page plus one (so the extra tells whether more exist) after `sequence_id`,
        across the inherited ranges and the run's own steps."""
        if self._db is None:
            return []
        found: list[StepRecord] = []
        for part in self._parts:
            if sequence_id is not None and part.last is not None and sequence_id >= part.last:
                continue
            after = sequence_id
            if part.first is not None and (after is None or after < part.first - 1):
                after = part.first - 1
            wanted = STEP_PAGE + 1 - len(found)
            try:
                if self.filtered:
                    steps = self._db.search_steps(
                        part.run_id, **self._filter, after_sequence_id=after, limit=wanted
                    )
                else:
                    steps = self._db.steps_after(part.run_id, after, limit=wanted)
            except RunDatabaseError:
                return found
            if part.last is not None:
                steps = [step for step in steps if step.sequence_id <= part.last]
            found += steps
            if len(found) > STEP_PAGE:
                break
        return found

    def _append(self, steps: list[StepRecord]) -> None:
        self._steps.extend(steps)
        self._sequences.extend(step.sequence_id for step in steps)

    def _last_sequence(self) -> int | None:
        return self._sequences[-1] if self._sequences else None

    # --- lazy loading and following ---------------------------------------------------------

    def _page(self, number: int) -> list[StepRecord]:
        """Page `number` of a random-access run, from the cache or one indexed query per range
        it spans."""
        page = self._pages.get(number)
        if page is not None:
            self._pages.move_to_end(number)
            return page
        page = []
        first_row, end_row = number * STEP_PAGE, min((number + 1) * STEP_PAGE, self._total)
        for part in self._parts:
            lo, hi = max(first_row, part.start_row), min(end_row, part.start_row + part.count)
            if lo >= hi or part.first is None or self._db is None:
                continue
            try:
                page += self._db.read_steps(part.run_id, part.first + lo - part.start_row, hi - lo)
            except RunDatabaseError:
                break
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
        own = self._parts[-1]
        try:
            run = self._db.get_run(own.run_id)  # type: ignore[union-attr]
        except RunDatabaseError:
            return 0
        if run.first_sequence_id is None or run.step_count <= own.count:
            return 0
        if own.first is None:
            own.first = run.first_sequence_id
        added = run.step_count - own.count
        self._pages.pop((self._total - 1) // STEP_PAGE if self._total else 0, None)
        self.beginInsertRows(QModelIndex(), self._total, self._total + added - 1)
        own.count = run.step_count
        self._total += added
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
            page = self._page(row // STEP_PAGE)
            if row % STEP_PAGE >= len(page):
                raise IndexError(f"row {row} could not be read")
            return page[row % STEP_PAGE]
        return self._steps[row]

    def is_inherited(self, step: StepRecord) -> bool:
        """Whether `step` belongs to an ancestor of the shown run (a fork's history)."""
        return step.run_id != self._run_id

    def row_of_sequence(self, sequence_id: int) -> int | None:
        """The row of step `sequence_id` among the loaded rows (None if not loaded or filtered)."""
        if self._random:
            for part in self._parts:
                if part.first is not None and 0 <= sequence_id - part.first < part.count:
                    return part.start_row + sequence_id - part.first
            return None
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
        inherited = step.run_id != self._run_id
        if role == Qt.ItemDataRole.DecorationRole and column == 2 and step.status == "failed":
            return status_icon("failed")  # still visible on a selected row (which is recoloured)
        if role == Qt.ItemDataRole.ForegroundRole:
            if inherited:
                return themes.current_theme().color("muted_text")
            if step.status == "failed":
                return themes.current_theme().color("error")
            if column == 4:
                return themes.current_theme().color("muted_text")
            return None
        if role == Qt.ItemDataRole.FontRole and inherited:
            return _italic_font()
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (0, 3):
            return _RIGHT
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [step.error] if step.error else []
            if inherited:
                lines.append(
                    f"Inherited from run {step.run_id}: this fork continues after step "
                    f"{self._fork_point}."
                )
            return "\n".join(lines) or None
        return None

    def _on_theme_changed(self, _theme: object) -> None:
        if self.rowCount():
            self.dataChanged.emit(
                self.index(0, 0), self.index(self.rowCount() - 1, len(self.COLUMNS) - 1)
            )
