"""The Insights panel: what the selected run, or its whole project, did and cost.

Summary numbers, three small charts, the slowest steps, the failures and the editable price
table. The numbers are computed on a worker (`insights_worker.py`) and only while the panel is
shown; a price edit recomputes the cost from the numbers already read, without the database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from burrdesk.model.run_insights import Insights
from burrdesk.model.run_records import RunRecord
from burrdesk.views import theme as themes
from burrdesk.views.insights.insight_charts import (
    LatencyChart,
    ModelChart,
    PercentileChart,
    format_cost,
    format_count,
    format_duration,
)
from burrdesk.views.insights.insights_worker import InsightsComputer, InsightsRequest
from burrdesk.views.insights.price_table_model import PriceTableModel

if TYPE_CHECKING:
    from pathlib import Path

CARDS = (
    ("steps", "Steps"),
    ("failures", "Failures"),
    ("latency", "Latency p50 · p90"),
    ("calls", "LLM calls"),
    ("tokens_in", "Tokens in"),
    ("tokens_out", "Tokens out"),
    ("cost", "Cost"),
)


class SummaryCard(QFrame):
    """A number with its caption; `value` is what it shows."""

    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("insightCard")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 5, 10, 6)
        layout.setSpacing(0)
        self.caption = QLabel(caption, self)
        self.caption.setObjectName("cardCaption")
        self.value = QLabel("—", self)
        self.value.setObjectName("cardValue")
        self.value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.caption)
        layout.addWidget(self.value)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def show_value(self, text: str, *, alarm: bool = False, tip: str = "") -> None:
        self.value.setText(text)
        self.value.setProperty("alarm", alarm)
        self.value.style().unpolish(self.value)
        self.value.style().polish(self.value)
        self.setToolTip(tip)


class InsightsPanel(QWidget):
    """Follows the timeline's selected run (see the module docstring)."""

    stepActivated = Signal(int, int)  # run id, sequence id: show it on the timeline
    computed = Signal()

    def __init__(self, parent: QWidget | None = None, prices_path: Path | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("insightsPanel")
        self.run: RunRecord | None = None
        self.db_path: Path | str | None = None
        self.scope = "run"
        self.insights: Insights | None = None
        self.shown = False
        self._dirty = True
        self.computer = InsightsComputer(self)
        self.computer.computed.connect(self._show_insights)
        self.computer.failed.connect(self._show_failure)
        self.prices = PriceTableModel(prices_path, self)
        self.prices.pricesChanged.connect(self._show_cost)
        self._build()
        self._restyle(themes.current_theme())
        themes.theme_signals.changed.connect(self._restyle)
        self._show_insights(None)

    # --- building ----------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(6)

        header = QHBoxLayout()
        header.setSpacing(6)
        self.scope_buttons = QButtonGroup(self)
        for scope, text, tip in (
            ("run", "This run", "The selected run's own steps"),
            ("project", "Whole project", "Every run of the selected run's project"),
        ):
            button = QToolButton(self)
            button.setText(text)
            button.setToolTip(tip)
            button.setCheckable(True)
            button.setChecked(scope == "run")
            button.setObjectName(f"scope_{scope}")
            button.setProperty("scope", scope)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            self.scope_buttons.addButton(button)
            header.addWidget(button)
        self.scope_buttons.setExclusive(True)
        self.scope_buttons.buttonClicked.connect(
            lambda button: self.set_scope(button.property("scope"))
        )
        self.title_label = QLabel(self)
        self.title_label.setObjectName("insightsTitle")
        header.addWidget(self.title_label)
        self.status_label = QLabel(self)
        self.status_label.setObjectName("insightsStatus")
        self.status_label.setWordWrap(False)
        header.addWidget(self.status_label, 1)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setToolTip("Read the run database again")
        self.refresh_button.clicked.connect(self.refresh)
        header.addWidget(self.refresh_button)
        layout.addLayout(header)

        cards = QHBoxLayout()
        cards.setSpacing(6)
        self.cards: dict[str, SummaryCard] = {}
        for key, caption in CARDS:
            card = SummaryCard(caption, self)
            self.cards[key] = card
            cards.addWidget(card)
        layout.addLayout(cards)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        charts = QWidget(self.splitter)
        charts_layout = QHBoxLayout(charts)
        charts_layout.setContentsMargins(0, 0, 0, 0)
        charts_layout.setSpacing(6)
        self.latency_chart = LatencyChart(charts)
        self.latency_chart.stepActivated.connect(self.stepActivated)
        self.percentile_chart = PercentileChart(charts)
        self.model_chart = ModelChart(charts)
        charts_layout.addWidget(self.latency_chart, 5)
        charts_layout.addWidget(self.percentile_chart, 4)
        charts_layout.addWidget(self.model_chart, 4)

        self.tabs = QTabWidget(self.splitter)
        self.tabs.setDocumentMode(True)
        self.slowest_table = self._table(("Run", "Step", "Action", "Duration", "Status"), 2)
        self.slowest_table.setToolTip("Double-click a step to show it on the timeline")
        self.tabs.addTab(self.slowest_table, "Slowest steps")
        self.failures_table = self._table(("Run", "Step", "Action", "Error"), 3)
        self.failures_table.setToolTip("Double-click a failure to show it on the timeline")
        self.tabs.addTab(self.failures_table, "Failures")
        self.tabs.addTab(self._prices_page(), "Prices")
        self.splitter.addWidget(charts)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([820, 480])
        layout.addWidget(self.splitter, 1)

    def _table(self, headers: tuple[str, ...], stretch: int) -> QTableWidget:
        table = QTableWidget(0, len(headers), self)
        table.setHorizontalHeaderLabels(list(headers))
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setAlternatingRowColors(True)
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(22)
        table.setShowGrid(False)
        header = table.horizontalHeader()
        for column in range(len(headers)):
            mode = QHeaderView.ResizeMode.ResizeToContents
            if column == stretch:
                mode = QHeaderView.ResizeMode.Stretch
            header.setSectionResizeMode(column, mode)
        table.cellDoubleClicked.connect(lambda row, _column: self._activate_row(table, row))
        return table

    def _prices_page(self) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(4)
        self.prices_note = QLabel(page)
        self.prices_note.setWordWrap(True)
        self.prices_note.setObjectName("pricesNote")
        layout.addWidget(self.prices_note)
        self.prices_view = QTableView(page)
        self.prices_view.setModel(self.prices)
        self.prices_view.verticalHeader().hide()
        self.prices_view.verticalHeader().setDefaultSectionSize(22)
        self.prices_view.setAlternatingRowColors(True)
        self.prices_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.prices_view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.prices_view, 1)
        buttons = QHBoxLayout()
        self.add_price_button = QPushButton("Add Model", page)
        self.add_price_button.setToolTip("Add a row, named after a model that has no price yet")
        self.add_price_button.clicked.connect(self._add_price)
        self.remove_price_button = QPushButton("Remove", page)
        self.remove_price_button.clicked.connect(self._remove_price)
        self.reset_prices_button = QPushButton("Reset to Defaults", page)
        self.reset_prices_button.clicked.connect(self.prices.reset_to_defaults)
        for button in (self.add_price_button, self.remove_price_button, self.reset_prices_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self._show_prices_note()
        return page

    def _restyle(self, theme: themes.Theme) -> None:
        self.setStyleSheet(
            f"QFrame#insightCard {{ background: {theme.base}; border: 1px solid {theme.border};"
            " border-radius: 6px; }"
            f"QLabel#cardCaption {{ color: {theme.muted_text}; }}"
            f"QLabel#cardValue {{ color: {theme.text}; font-size: 15px; font-weight: 600; }}"
            f'QLabel#cardValue[alarm="true"] {{ color: {theme.error}; }}'
            "QLabel#insightsTitle { font-weight: 600; }"
            f"QLabel#insightsStatus, QLabel#pricesNote {{ color: {theme.muted_text}; }}"
            f'QLabel#pricesNote[alarm="true"] {{ color: {theme.error}; }}'
        )

    # --- following the timeline ------------------------------------------------------------

    def follow_run(self, run: RunRecord | None, db_path: Path | str | None) -> None:
        """The timeline selected `run`: in run scope it is the new subject; in project scope
        only a different project (or database) is."""
        previous, previous_path = self.run, self.db_path
        self.run, self.db_path = run, db_path
        if run is None or db_path is None:
            self.computer.cancel()
            self._show_insights(None)
            return
        same_project = (
            previous is not None
            and previous_path == db_path
            and previous.project == run.project
            and self.insights is not None
        )
        if self.scope == "project" and same_project:
            self._show_title()
            return
        self.refresh()

    def set_scope(self, scope: str) -> None:
        for button in self.scope_buttons.buttons():
            button.setChecked(button.property("scope") == scope)
        if scope != self.scope:
            self.scope = scope
            self.insights = None
            self.refresh()

    def set_shown(self, shown: bool) -> None:
        """Computes only while the dock is visible; what changed meanwhile is read on show."""
        self.shown = shown
        if shown and self._dirty:
            self.refresh()

    def refresh(self) -> None:
        if self.run is None or self.db_path is None:
            self._show_insights(None)
            return
        self._show_title()
        if not self.shown:
            self._dirty = True
            return
        self._dirty = False
        self.status_label.setText("Reading the steps…")
        self.computer.compute(
            InsightsRequest(self.db_path, self.run.run_id, self.run.project, self.scope)
        )

    def stop(self) -> None:
        self.computer.shut_down()

    def _show_title(self) -> None:
        run = self.run
        if run is None:
            self.title_label.setText("")
        elif self.scope == "project":
            self.title_label.setText(f"Project {run.project}")
        else:
            self.title_label.setText(f"Run {run.run_id} · {run.app_id}")

    # --- showing -----------------------------------------------------------------------------

    def _show_failure(self, message: str) -> None:
        self.status_label.setText(message)

    def _show_insights(self, insights: object) -> None:
        self.insights = insights if isinstance(insights, Insights) else None
        found = self.insights
        if found is None:
            for card in self.cards.values():
                card.show_value("—")
            if self.run is None:
                self.title_label.setText("")
                self.status_label.setText("Select a run on the timeline to see its insights.")
            self.latency_chart.set_points([])
            self.percentile_chart.set_actions([])
            self.model_chart.set_models([], {})
            self.slowest_table.setRowCount(0)
            self.failures_table.setRowCount(0)
            self.tabs.setTabText(1, "Failures")
            return
        runs = f"{found.runs_total:,} run{'s' * (found.runs_total != 1)}"
        self.status_label.setText(found.note or (runs if found.scope == "project" else ""))
        self.status_label.setToolTip(found.note or "")
        self.cards["steps"].show_value(
            format_count(found.steps_read),
            tip=f"{found.steps_read:,} of {found.steps_total:,} steps read",
        )
        self.cards["failures"].show_value(
            format_count(found.failure_count),
            alarm=found.failure_count > 0,
            tip="\n".join(
                f"{action}: {count}" for action, count in found.failures_by_action.items()
            ),
        )
        latency = found.latency
        self.cards["latency"].show_value(
            f"{format_duration(latency.p50)} · {format_duration(latency.p90)}" if latency else "—",
            tip=_latency_tip(found),
        )
        self.cards["calls"].show_value(format_count(found.llm_calls))
        self.cards["tokens_in"].show_value(format_count(found.input_tokens))
        self.cards["tokens_out"].show_value(format_count(found.output_tokens))
        self.latency_chart.set_points(
            found.series, latency.p50 if latency else None, latency.p90 if latency else None
        )
        self.percentile_chart.set_actions(found.actions)
        self._fill_slowest(found)
        self._fill_failures(found)
        self._show_cost()
        self.computed.emit()

    def _show_cost(self) -> None:
        self._show_prices_note()
        found = self.insights
        if found is None:
            return
        cost = found.cost(self.prices.table)
        lines = [f"{model}: {format_cost(value)}" for model, value in cost.by_model.items()]
        if cost.unpriced:
            lines.append("No price for " + ", ".join(cost.unpriced) + " (add it under Prices)")
        unpriced = len(cost.unpriced)
        self.cards["cost"].caption.setText(
            f"Cost · {unpriced} model{'s' * (unpriced != 1)} without a price"
            if unpriced
            else "Cost"
        )
        self.cards["cost"].show_value(
            format_cost(cost.total) if found.models else "—", tip="\n".join(lines)
        )
        self.model_chart.set_models(found.models, cost.by_model)

    def _show_prices_note(self) -> None:
        problem = self.prices.save_error or self.prices.load_error
        self.prices_note.setText(
            problem
            or "USD per million tokens; the defaults are OpenAI list prices (August 2025). "
            "Edit them to match yours: they are saved at once."
        )
        self.prices_note.setProperty("alarm", problem is not None)
        self.prices_note.style().unpolish(self.prices_note)
        self.prices_note.style().polish(self.prices_note)

    def _fill_slowest(self, found: Insights) -> None:
        table = self.slowest_table
        table.setRowCount(len(found.slowest))
        for row, point in enumerate(found.slowest):
            cells = (
                str(point.run_id),
                str(point.sequence_id),
                point.action,
                format_duration(point.duration),
                "failed" if point.failed else "completed",
            )
            self._fill_row(table, row, cells, point.run_id, point.sequence_id)
            if point.failed:
                table.item(row, 4).setForeground(themes.current_theme().color("error"))

    def _fill_failures(self, found: Insights) -> None:
        table = self.failures_table
        table.setRowCount(len(found.failures))
        for row, failure in enumerate(found.failures):
            first_line = failure.error.strip().splitlines()[0] if failure.error.strip() else ""
            cells = (str(failure.run_id), str(failure.sequence_id), failure.action, first_line)
            self._fill_row(table, row, cells, failure.run_id, failure.sequence_id)
            table.item(row, 3).setToolTip(failure.error)
        count = found.failure_count
        self.tabs.setTabText(1, f"Failures ({count:,})" if count else "Failures")

    @staticmethod
    def _fill_row(
        table: QTableWidget, row: int, cells: tuple[str, ...], run_id: int, sequence_id: int
    ) -> None:
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, (run_id, sequence_id))
            if column in (0, 1) or (column == 3 and table.columnCount() == 5):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(row, column, item)

    def _activate_row(self, table: QTableWidget, row: int) -> None:
        item = table.item(row, 0)
        if item is not None:
            run_id, sequence_id = item.data(Qt.ItemDataRole.UserRole)
            self.stepActivated.emit(run_id, sequence_id)

    def _add_price(self) -> None:
        cost = self.insights.cost(self.prices.table) if self.insights is not None else None
        name = cost.unpriced[0] if cost is not None and cost.unpriced else "new-model"
        row = self.prices.add_model(name)
        index = self.prices.index(row, 1 if name != "new-model" else 0)
        self.prices_view.setCurrentIndex(index)
        self.prices_view.edit(index)

    def _remove_price(self) -> None:
        index = self.prices_view.currentIndex()
        if index.isValid():
            self.prices.remove_row(index.row())


def _latency_tip(found: Insights) -> str:
    latency, first = found.latency, found.time_to_first_item
    if latency is None:
        return ""
    lines = [
        f"p99 {format_duration(latency.p99)}, mean {format_duration(latency.mean)}, "
        f"slowest {format_duration(latency.maximum)} ({latency.count:,} timed steps)"
    ]
    if first is not None:
        lines.append(
            f"Time to first streamed item: p50 {format_duration(first.p50)}, "
            f"p90 {format_duration(first.p90)} ({first.count:,} streams)"
        )
    return "\n".join(lines)
