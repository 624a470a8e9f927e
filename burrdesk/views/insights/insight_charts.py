"""The Insights panel's small charts, painted with QPainter in the theme's colours.

Installed PySide6-Essentials has no QtCharts, and these charts need little: a latency series,
bullet bars for percentiles per action, and stacked token bars per model. Each chart repaints
when the theme changes and draws a one-line placeholder when it has nothing to show.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from burrdesk.model.run_insights import ActionLatency, ModelUsage, StepPoint
from burrdesk.views.theme import Theme, current_theme, theme_signals


def format_duration(seconds: float | None) -> str:
    """Durations as people read them: 12 µs, 850 ms, 1.24 s, 3 m 05 s."""
    if seconds is None:
        return "—"
    if seconds == 0:
        return "0"
    if seconds < 0.001:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1000:.3g} ms"
    if seconds < 60:
        return f"{seconds:.3g} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} m {rest:02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} m"


def format_count(value: int) -> str:
    """1,234 up to a hundred thousand, then 123k and 1.2M, so a card never overflows."""
    if value < 100_000:
        return f"{value:,}"
    if value < 1_000_000:
        return f"{value / 1000:.0f}k"
    return f"{value / 1e6:.3g}M"


def format_cost(value: float | None) -> str:
    if value is None:
        return "no price"
    if value == 0:
        return "$0.00"
    if value >= 1:
        return f"${value:,.2f}"
    if value >= 0.0001:
        return f"${value:.4f}"
    return "<$0.0001"


def _tint(color: QColor, alpha: float) -> QColor:
    tinted = QColor(color)
    tinted.setAlphaF(alpha)
    return tinted


class Chart(QWidget):
    """A framed chart with a title; subclasses paint inside `plot` (see `draw`)."""

    PAD = 10

    def __init__(self, title: str, empty_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.empty_text = empty_text
        self.setMinimumSize(200, 140)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        theme_signals.changed.connect(self._on_theme_changed)

    def _on_theme_changed(self, _theme: Theme) -> None:
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(320, 180)

    def has_data(self) -> bool:
        return False

    def legend_entries(self, theme: Theme) -> list[tuple[str, QColor]]:
        """The swatches shown beside the title (or under it, when the chart is narrow)."""
        return []

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        theme = current_theme()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        frame = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.setPen(QPen(theme.color("border"), 1))
        painter.setBrush(theme.color("base"))
        painter.drawRoundedRect(frame, 6, 6)
        title_font = QFont(self.font())
        title_font.setBold(True)
        title_metrics = QFontMetrics(title_font)
        line = title_metrics.height()
        painter.setFont(title_font)
        painter.setPen(theme.color("text"))
        painter.drawText(QPointF(self.PAD, 6 + title_metrics.ascent()), self.title)
        painter.setFont(self.font())
        top = 10 + line
        entries = self.legend_entries(theme) if self.has_data() else []
        if entries:
            metrics = QFontMetrics(self.font())
            width = sum(metrics.horizontalAdvance(name) + 22 for name, _ in entries)
            beside = title_metrics.horizontalAdvance(self.title) + 16 + width
            y = 6.0 if beside <= self.width() - 2 * self.PAD else top - 2.0
            if y > 6:
                top += metrics.height()
            self._legend(painter, self.width() - self.PAD, y, entries, theme)
        plot = QRectF(self.PAD, top, self.width() - 2 * self.PAD, self.height() - top - self.PAD)
        if not self.has_data():
            painter.setPen(theme.color("muted_text"))
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, self.empty_text)
        else:
            self.draw(painter, plot, theme)
        painter.end()

    def draw(self, painter: QPainter, plot: QRectF, theme: Theme) -> None:
        """Paints the data inside `plot` (the title and legend are drawn already)."""

    @staticmethod
    def _legend(
        painter: QPainter,
        right: float,
        y: float,
        entries: Sequence[tuple[str, QColor]],
        theme: Theme,
    ) -> None:
        metrics = QFontMetrics(painter.font())
        x = right
        for name, color in reversed(entries):
            x -= metrics.horizontalAdvance(name)
            painter.setPen(theme.color("muted_text"))
            painter.drawText(QPointF(x, y + metrics.ascent()), name)
            x -= 12
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            painter.drawRoundedRect(QRectF(x, y + (metrics.height() - 8) / 2, 8, 8), 2, 2)
            x -= 10


class LatencyChart(Chart):
    """Each step's duration in order (bars, failures in the error colour), with p50 and p90
    lines; hovering names the step and double-clicking selects it on the timeline."""

    stepActivated = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Latency per step", "No timed steps", parent)
        self.points: list[StepPoint] = []
        self.p50: float | None = None
        self.p90: float | None = None
        self._bars: list[QRectF] = []
        self.setMouseTracking(True)

    def set_points(
        self, points: list[StepPoint], p50: float | None = None, p90: float | None = None
    ) -> None:
        self.points, self.p50, self.p90 = points, p50, p90
        self._bars = []
        self.update()

    def has_data(self) -> bool:
        return bool(self.points)

    def legend_entries(self, theme: Theme) -> list[tuple[str, QColor]]:
        return [("step", theme.color("accent")), ("failed", theme.color("error"))]

    def draw(self, painter: QPainter, plot: QRectF, theme: Theme) -> None:
        metrics = QFontMetrics(painter.font())
        slowest = max(point.duration for point in self.points) or 1.0
        ticks = _ticks(slowest)
        top = slowest * 1.15  # headroom for the percentile labels
        label_width = max(metrics.horizontalAdvance(format_duration(t)) for t in ticks) + 6
        area = plot.adjusted(label_width, 4, 0, -metrics.height() - 2)
        for tick in ticks:
            y = area.bottom() - tick / top * area.height()
            painter.setPen(QPen(theme.color("canvas_grid"), 1))
            painter.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
            painter.setPen(theme.color("muted_text"))
            painter.drawText(
                QRectF(plot.left(), y - metrics.height() / 2, label_width - 6, metrics.height()),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                format_duration(tick),
            )
        count = len(self.points)
        width = min(area.width() / count, 28.0)
        gap = 1.0 if width > 4 else 0.0
        accent, error = theme.color("accent"), theme.color("error")
        self._bars = []
        previous_run = self.points[0].run_id
        for index, point in enumerate(self.points):
            left = area.left() + index * width
            if point.run_id != previous_run:
                painter.setPen(QPen(theme.color("border"), 1, Qt.PenStyle.DotLine))
                painter.drawLine(QPointF(left, area.top()), QPointF(left, area.bottom()))
                previous_run = point.run_id
            height = max(point.duration / top * area.height(), 1.0)
            bar = QRectF(left + gap / 2, area.bottom() - height, max(width - gap, 0.8), height)
            self._bars.append(bar)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(error if point.failed else _tint(accent, 0.85))
            painter.drawRect(bar)
        content = QRectF(area.left(), area.top(), width * count, area.height())
        lines = [
            (v, f"{name} {format_duration(v)}")
            for v, name in ((self.p50, "p50"), (self.p90, "p90"))
            if v is not None
        ]
        if len(lines) == 2 and (lines[1][0] - lines[0][0]) / top * area.height() < metrics.height():
            lines = [(lines[1][0], f"{lines[0][1]} · {lines[1][1]}")]
        for value, label in lines:
            y = area.bottom() - value / top * area.height()
            painter.setPen(QPen(theme.color("warning"), 1, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
            box = QRectF(
                area.right() - metrics.horizontalAdvance(label) - 6,
                y - metrics.height() - 1,
                metrics.horizontalAdvance(label) + 6,
                metrics.height(),
            )
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(_tint(theme.color("base"), 0.85))
            painter.drawRect(box)
            painter.setPen(theme.color("warning"))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, label)
        first, last = self.points[0], self.points[-1]
        several_runs = first.run_id != last.run_id
        start = f"run {first.run_id}" if several_runs else f"step {first.sequence_id}"
        end = f"run {last.run_id}" if several_runs else f"step {last.sequence_id}"
        painter.setPen(theme.color("muted_text"))
        axis = QRectF(area.left(), area.bottom() + 2, content.width(), metrics.height())
        painter.drawText(axis, Qt.AlignmentFlag.AlignLeft, start)
        if content.width() > metrics.horizontalAdvance(f"{start}  {end}") + 8:
            painter.drawText(axis, Qt.AlignmentFlag.AlignRight, end)

    def point_at(self, x: float) -> StepPoint | None:
        for bar, point in zip(self._bars, self.points, strict=False):
            if bar.left() - 1 <= x <= bar.right() + 1:
                return point
        return None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        point = self.point_at(event.position().x())
        if point is None:
            QToolTip.hideText()
            return
        status = " · failed" if point.failed else ""
        QToolTip.showText(
            event.globalPosition().toPoint(),
            f"Run {point.run_id} · step {point.sequence_id} · {point.action}\n"
            f"{format_duration(point.duration)}{status}\nDouble-click to show it on the timeline",
            self,
        )

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        point = self.point_at(event.position().x())
        if point is not None:
            self.stepActivated.emit(point.run_id, point.sequence_id)


class PercentileChart(Chart):
    """One bullet bar per action: p99 faint, p90 stronger, p50 solid, slowest action first;
    an action that failed is named in the error colour."""

    ROWS = 12

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Latency by action", "No timed steps", parent)
        self.actions: list[ActionLatency] = []

    def set_actions(self, actions: list[ActionLatency]) -> None:
        self.actions = actions
        self.update()

    def has_data(self) -> bool:
        return bool(self.actions)

    def legend_entries(self, theme: Theme) -> list[tuple[str, QColor]]:
        accent = theme.color("node_python")
        faint = 0.32 if theme.dark else 0.22
        return [("p50", accent), ("p90", _tint(accent, 0.55)), ("p99", _tint(accent, faint))]

    def draw(self, painter: QPainter, plot: QRectF, theme: Theme) -> None:
        accent = theme.color("node_python")
        shown = self.actions[: self.ROWS]
        values = [
            f"{format_duration(item.latency.p50)} · {format_duration(item.latency.p99)}"
            for item in shown
        ]
        rows = _rows(painter, plot, [item.action for item in shown], values, len(self.actions))
        top = max(item.latency.p99 for item in shown[: len(rows)]) or 1.0
        for (label_rect, bar_rect, value_rect), item, value in zip(
            rows, shown, values, strict=False
        ):
            latency = item.latency
            painter.setPen(Qt.PenStyle.NoPen)
            for seconds, alpha, shrink in (
                (latency.p99, 0.32 if theme.dark else 0.22, 0.0),
                (latency.p90, 0.55, 0.0),
                (latency.p50, 1.0, 0.22),
            ):
                inset = bar_rect.height() * shrink
                painter.setBrush(_tint(accent, alpha))
                painter.drawRoundedRect(
                    QRectF(
                        bar_rect.left(),
                        bar_rect.top() + inset,
                        max(seconds / top * bar_rect.width(), 1.0),
                        bar_rect.height() - 2 * inset,
                    ),
                    2,
                    2,
                )
            painter.setPen(theme.color("error") if item.failures else theme.color("text"))
            painter.drawText(label_rect, _LEFT, _elide(painter, item.action, label_rect.width()))
            painter.setPen(theme.color("muted_text"))
            painter.drawText(value_rect, _RIGHT, value)


class ModelChart(Chart):
    """Tokens per model, input and output stacked, with each model's cost at the right."""

    ROWS = 12

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Tokens and cost by model", "No LLM calls", parent)
        self.models: list[ModelUsage] = []
        self.costs: dict[str, float | None] = {}

    def set_models(self, models: list[ModelUsage], costs: dict[str, float | None]) -> None:
        self.models, self.costs = models, costs
        self.update()

    def has_data(self) -> bool:
        return bool(self.models)

    def legend_entries(self, theme: Theme) -> list[tuple[str, QColor]]:
        return [("in", theme.color("node_python")), ("out", theme.color("node_llm"))]

    def draw(self, painter: QPainter, plot: QRectF, theme: Theme) -> None:
        incoming, outgoing = theme.color("node_python"), theme.color("node_llm")
        shown = self.models[: self.ROWS]
        values = [
            f"{format_count(u.input_tokens + u.output_tokens)} tok · "
            f"{format_cost(self.costs.get(u.model))}"
            for u in shown
        ]
        rows = _rows(painter, plot, [usage.model for usage in shown], values, len(self.models))
        top = max(u.input_tokens + u.output_tokens for u in shown[: len(rows)]) or 1
        for (label_rect, bar_rect, value_rect), usage, value in zip(
            rows, shown, values, strict=False
        ):
            painter.setPen(Qt.PenStyle.NoPen)
            x = bar_rect.left()
            for tokens, color in ((usage.input_tokens, incoming), (usage.output_tokens, outgoing)):
                width = tokens / top * bar_rect.width()
                if width > 0:
                    painter.setBrush(color)
                    painter.drawRect(QRectF(x, bar_rect.top(), max(width, 1.0), bar_rect.height()))
                    x += width
            painter.setPen(theme.color("text"))
            painter.drawText(label_rect, _LEFT, _elide(painter, usage.model, label_rect.width()))
            priced = self.costs.get(usage.model) is not None
            painter.setPen(theme.color("text") if priced else theme.color("warning"))
            painter.drawText(value_rect, _RIGHT, value)


_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def _rows(
    painter: QPainter, plot: QRectF, labels: list[str], values: list[str], total: int
) -> list[tuple[QRectF, QRectF, QRectF]]:
    """(label, bar, value) rectangles of a bar list: each row is its name and value on one line
    and its bar under them, so long names and values fit a narrow chart; a last line says how
    many rows did not fit."""
    metrics = QFontMetrics(painter.font())
    line = metrics.height()
    smallest = line + 9.0
    if len(labels) * smallest > plot.height():
        labels = labels[: max(int((plot.height() - line) // smallest), 1)]
    more = total > len(labels)
    available = plot.height() - (line if more else 0)
    row_height = min(max(available / max(len(labels), 1), line + 6.0), line + 16.0)
    bar_height = min(max(row_height - line - 5, 4.0), 9.0)
    rows = []
    for index, value in enumerate(values[: len(labels)]):
        top = plot.top() + index * row_height
        value_width = min(metrics.horizontalAdvance(value) + 4, plot.width() * 0.6)
        rows.append(
            (
                QRectF(plot.left(), top, plot.width() - value_width - 8, line),
                QRectF(plot.left(), top + line + 1, plot.width(), bar_height),
                QRectF(plot.right() - value_width, top, value_width, line),
            )
        )
    if more:
        painter.setPen(current_theme().color("muted_text"))
        painter.drawText(
            QRectF(plot.left(), plot.top() + len(labels) * row_height, plot.width(), line),
            _LEFT,
            f"… and {total - len(labels)} more",
        )
    return rows


def _elide(painter: QPainter, text: str, width: float) -> str:
    return QFontMetrics(painter.font()).elidedText(text, Qt.TextElideMode.ElideMiddle, int(width))


def _ticks(top: float) -> list[float]:
    """Round gridline values from zero up to `top`, about four of them."""
    raw = top / 4
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [step * i for i in range(6) if step * i <= top * 1.0001]
