"""A step's spans as a waterfall: the span tree, each span's duration, and a bar showing when
it ran within the step; the attributes an action logged sit under the span that logged them
(the step's own attributes first). It is the view of `__tracer(...)` and `@trace()`."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from burrdesk.model.run_records import AttributeRecord, SpanRecord, StepRecord
from burrdesk.views import theme as themes
from burrdesk.views.timeline.state_view import summary, to_json_text

SPAN_ROLE = Qt.ItemDataRole.UserRole + 1
"""(start fraction, end fraction) of a span's bar on the step's time axis."""
NAME, DURATION, TIMELINE = range(3)
EMPTY = (
    "This step opened no spans. An action records spans when it takes a __tracer parameter "
    '(with __tracer("name"): ...) or calls functions decorated with @trace().'
)


def _milliseconds(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    ms = seconds * 1000
    return f"{ms:,.2f} ms" if ms < 10 else f"{ms:,.1f} ms"


class _BarDelegate(QStyledItemDelegate):
    """Draws a span's bar in the Timeline column (attribute rows show their value there)."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        bar = index.data(SPAN_ROLE)
        if index.column() != TIMELINE or bar is None:
            super().paint(painter, option, index)
            return
        theme = themes.current_theme()
        rect = QRectF(option.rect).adjusted(4, 5, -4, -5)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        track = theme.color("border")
        track.setAlpha(90)
        painter.setBrush(track)
        painter.drawRoundedRect(rect, 3, 3)
        start, end = bar
        width = max((end - start) * rect.width(), 3.0)
        span = QRectF(rect.left() + start * rect.width(), rect.top(), width, rect.height())
        painter.setBrush(theme.color("accent"))
        painter.drawRoundedRect(span, 3, 3)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802
        hint = super().sizeHint(option, index)
        return QSize(hint.width(), max(hint.height(), 22))


class SpanWaterfall(QTreeWidget):
    """The spans and attributes of the selected step (see the module docstring)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("spanWaterfall")
        self.setColumnCount(3)
        self.setHeaderLabels(["Span", "Duration", "Timeline"])
        self.setItemDelegate(_BarDelegate(self))
        self.setUniformRowHeights(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.header()
        header.setStretchLastSection(True)
        header.resizeSection(NAME, 220)
        header.resizeSection(DURATION, 90)
        header.setSectionResizeMode(DURATION, QHeaderView.ResizeMode.Interactive)
        self._placeholder = "Select a step"
        self.spans: list[SpanRecord] = []
        self.attributes: list[AttributeRecord] = []

    def set_placeholder(self, text: str) -> None:
        self.clear()
        self.spans, self.attributes = [], []
        self._placeholder = text
        self.viewport().update()

    def set_step(
        self, step: StepRecord, spans: list[SpanRecord], attributes: list[AttributeRecord]
    ) -> None:
        """Shows a step's spans on its time axis and its attributes under their spans."""
        self.clear()
        self.spans, self.attributes = spans, attributes
        if not spans and not attributes:
            self._placeholder = EMPTY
            self.viewport().update()
            return
        start, end = self._axis(step, spans)
        by_span: dict[str | None, list[AttributeRecord]] = {}
        for attribute in attributes:
            by_span.setdefault(attribute.span_id, []).append(attribute)
        for attribute in by_span.pop(None, []):
            self.addTopLevelItem(self._attribute_item(attribute))
        items: dict[str, QTreeWidgetItem] = {}
        for span in spans:
            item = QTreeWidgetItem([span.name, _milliseconds(span.duration), ""])
            item.setData(TIMELINE, SPAN_ROLE, self._bar(span, start, end))
            item.setToolTip(NAME, self._span_tooltip(span))
            item.setToolTip(TIMELINE, self._span_tooltip(span))
            holder = items.get(span.parent_span_id or "")
            if holder is not None:
                holder.addChild(item)
            else:
                self.addTopLevelItem(item)
            items[span.span_id] = item
            for attribute in by_span.pop(span.span_id, []):
                item.addChild(self._attribute_item(attribute))
        for leftovers in by_span.values():  # attributes of spans the log does not have
            for attribute in leftovers:
                self.addTopLevelItem(self._attribute_item(attribute))
        self.expandAll()

    @staticmethod
    def _axis(step: StepRecord, spans: list[SpanRecord]) -> tuple[float, float]:
        starts = [s.started_at for s in spans if s.started_at is not None]
        ends = [s.ended_at for s in spans if s.ended_at is not None]
        start = min([t for t in (step.started_at, *starts) if t is not None], default=0.0)
        end = max([t for t in (step.ended_at, *ends) if t is not None], default=start)
        return start, max(end, start)

    @staticmethod
    def _bar(span: SpanRecord, start: float, end: float) -> tuple[float, float] | None:
        if span.started_at is None or end <= start:
            return None
        length = end - start
        first = (span.started_at - start) / length
        last = ((span.ended_at if span.ended_at is not None else end) - start) / length
        return max(0.0, min(first, 1.0)), max(0.0, min(last, 1.0))

    @staticmethod
    def _span_tooltip(span: SpanRecord) -> str:
        lines = [f"{span.name} ({span.span_id})", f"Duration: {_milliseconds(span.duration)}"]
        if span.dependencies:
            lines.append("After: " + ", ".join(span.dependencies))
        return "\n".join(lines)

    @staticmethod
    def _attribute_item(attribute: AttributeRecord) -> QTreeWidgetItem:
        item = QTreeWidgetItem([attribute.key, "", summary(attribute.value)])
        font = item.font(NAME)
        font.setItalic(True)
        item.setFont(NAME, font)
        muted = QColor(themes.current_theme().muted_text)
        item.setForeground(NAME, muted)
        text = to_json_text(attribute.value)
        item.setToolTip(TIMELINE, text[:4000])
        item.setToolTip(NAME, f"attribute {attribute.key}")
        return item

    def paintEvent(self, event: Any) -> None:  # noqa: N802
        super().paintEvent(event)
        if self.topLevelItemCount():
            return
        painter = QPainter(self.viewport())
        painter.setPen(QPen(QColor(themes.current_theme().muted_text)))
        painter.drawText(
            self.viewport().rect().adjusted(24, 24, -24, -24),
            Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
            self._placeholder,
        )
        painter.end()
