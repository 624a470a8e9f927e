"""Showing a state: an expandable JSON tree, and the diff between two states.

States can be large (a chat history of ten thousand messages), so the tree builds children only
when a node is expanded, and at most `CHUNK` of them at a time behind a "… N more" row; opening a
step therefore costs in proportion to the keys on screen, not to the size of the state.
"""

from __future__ import annotations

import difflib
import html
import json
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QColor, QGuiApplication, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QMenu,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from burrdesk.model.state_codec import OpaqueValue, to_jsonable
from burrdesk.model.state_delta import StateDiff
from burrdesk.views import theme as themes
from burrdesk.views.theme import Theme

CHUNK = 1000
MAX_INLINE = 300  # characters of a value shown on its row (the tooltip has more)
MAX_TOOLTIP = 4000
MAX_DIFF_VALUE = 600
MAX_DIFF_ITEMS = 50


def to_json_text(value: Any, indent: int | None = 2) -> str:
    """JSON text for any state value (values JSON cannot hold become their tagged records)."""
    return json.dumps(to_jsonable(value), indent=indent, ensure_ascii=False)


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def summary(value: Any) -> str:
    """One line for a value: JSON scalars as JSON, containers as their size."""
    if isinstance(value, Mapping):
        return "{" + _plural(len(value), "key") + "}"
    if isinstance(value, list | tuple):
        return "[" + _plural(len(value), "item") + "]"
    if isinstance(value, OpaqueValue):
        text = value.repr_text
    elif isinstance(value, str):
        text = json.dumps(value[: MAX_INLINE + 1], ensure_ascii=False)
        if len(value) > MAX_INLINE:
            text = text[:-1] + '…"'
        return text
    elif value is None or isinstance(value, bool):
        return json.dumps(value)
    else:
        text = json.dumps(value) if isinstance(value, int | float) else repr(value)
    first, *rest = text.splitlines() or [""]
    if rest or len(first) > MAX_INLINE:
        return first[:MAX_INLINE] + "…"
    return first


def _children_of(value: Any) -> Mapping[str, Any] | list[Any] | None:
    """What a value expands into (an opaque value expands into its JSON rendering, if any)."""
    if isinstance(value, OpaqueValue):
        value = value.value
    if isinstance(value, Mapping):
        return value
    if isinstance(value, list | tuple):
        return list(value)
    return None


class _ValueItem(QTreeWidgetItem):
    """One key (or list index) and its value; container children are built on first expand."""

    def __init__(self, key: str | int, value: Any, path: tuple[str | int, ...]) -> None:
        super().__init__()
        self.key = key
        self.value = value
        self.path = path
        self.populated = False
        self.shown = 0  # children built so far (lists and dicts grow by CHUNK)
        children = _children_of(value)
        if children:
            self.setChildIndicatorPolicy(QTreeWidgetItem.ChildIndicatorPolicy.ShowIndicator)
        else:
            self.setChildIndicatorPolicy(
                QTreeWidgetItem.ChildIndicatorPolicy.DontShowIndicatorWhenChildless
            )
        self.setText(0, str(key))
        self.setText(1, summary(value))
        if isinstance(value, str) and (len(value) > MAX_INLINE or "\n" in value):
            self.setToolTip(1, value[:MAX_TOOLTIP])
        elif isinstance(value, OpaqueValue):
            self.setToolTip(1, f"{value.type_name}: {value.repr_text[:MAX_TOOLTIP]}")

    def paint(self, theme: Theme) -> None:
        """Colours the row like JSON in the code editor: keys, strings, numbers, literals."""
        value = self.value
        key_color = theme.syntax_number if isinstance(self.key, int) else theme.syntax_function
        self.setForeground(0, QColor(key_color))
        italic = False
        if isinstance(value, OpaqueValue):
            color, italic = theme.syntax_builtin, True
        elif isinstance(value, Mapping | list | tuple):
            color = theme.syntax_comment
        elif isinstance(value, str):
            color = theme.syntax_string
        elif value is None or isinstance(value, bool):
            color = theme.syntax_keyword
        elif isinstance(value, int | float):
            color = theme.syntax_number
        else:
            color = theme.syntax_name
        self.setForeground(1, QColor(color))
        if italic:
            font = self.font(1)
            font.setItalic(True)
            self.setFont(1, font)


class _MoreItem(QTreeWidgetItem):
    """The "… N more" row at the end of a long container; activating it shows the next chunk."""

    def __init__(self, remaining: int) -> None:
        super().__init__()
        self.setText(0, f"… {remaining:,} more")
        self.setText(1, "double-click to show more")
        self.setFirstColumnSpanned(False)


class StateTreeView(QTreeWidget):
    """A state dict as an expandable JSON tree (key and value columns)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(2)
        self.setHeaderLabels(["Key", "Value"])
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        header = self.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, 180)
        self._state: dict[str, Any] | None = None
        self._placeholder = "Select a step"
        self.itemExpanded.connect(self._populate)
        self.itemActivated.connect(self._activated)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._show_menu)
        self.copy_value_action = QAction("Copy value", self)
        self.copy_value_action.triggered.connect(self.copy_value)
        self.copy_state_action = QAction("Copy state as JSON", self)
        self.copy_state_action.triggered.connect(self.copy_state_json)
        self.collapse_action = QAction("Collapse all", self)
        self.collapse_action.triggered.connect(self.collapseAll)
        themes.theme_signals.changed.connect(self._on_theme_changed)

    # --- contents ---------------------------------------------------------------------------

    @property
    def state(self) -> dict[str, Any] | None:
        return self._state

    def set_state(self, state: Mapping[str, Any] | None, placeholder: str | None = None) -> None:
        """Shows `state` (or, for None, the placeholder); keeps open whatever was expanded."""
        expanded = self._expanded_paths()
        if placeholder is not None:
            self._placeholder = placeholder
        self._state = dict(state) if state is not None else None
        self.setUpdatesEnabled(False)
        try:
            self.clear()
            if self._state is not None:
                self._add_children(self.invisibleRootItem(), self._state, (), 0)
                self._restore_expanded(self.invisibleRootItem(), expanded)
        finally:
            self.setUpdatesEnabled(True)
        self.viewport().update()

    def set_placeholder(self, text: str) -> None:
        """The message shown while there is no state (e.g. "Select a step")."""
        self._placeholder = text
        self.viewport().update()

    def top_level(self) -> dict[str, str]:
        """The shown top-level keys and their value texts (what a reader sees first)."""
        root = self.invisibleRootItem()
        return {root.child(i).text(0): root.child(i).text(1) for i in range(root.childCount())}

    def item_for_path(self, *path: str | int) -> QTreeWidgetItem | None:
        """The item at a key path, expanding (and so building) the containers on the way."""
        item = self.invisibleRootItem()
        for key in path:
            if isinstance(item, _ValueItem):
                item.setExpanded(True)
            found = None
            for i in range(item.childCount()):
                child = item.child(i)
                if isinstance(child, _ValueItem) and child.key == key:
                    found = child
                    break
            if found is None:
                return None
            item = found
        return item

    def _add_children(
        self,
        parent: QTreeWidgetItem,
        container: Mapping[str, Any] | list[Any],
        path: tuple[str | int, ...],
        start: int,
    ) -> int:
        """Adds up to CHUNK children from `start` on, and a "more" row if some remain."""
        theme = themes.current_theme()
        if isinstance(container, Mapping):
            keys = list(container)[start : start + CHUNK]
            pairs: list[tuple[str | int, Any]] = [(k, container[k]) for k in keys]
        else:
            pairs = list(enumerate(container[start : start + CHUNK], start))
        items = []
        for key, value in pairs:
            item = _ValueItem(key, value, (*path, key))
            item.paint(theme)
            items.append(item)
        end = start + len(items)
        remaining = len(container) - end
        if remaining > 0:
            more = _MoreItem(remaining)
            more.setForeground(0, QColor(theme.muted_text))
            more.setForeground(1, QColor(theme.muted_text))
            items.append(more)
        parent.addChildren(items)
        return end

    def _populate(self, item: QTreeWidgetItem) -> None:
        if not isinstance(item, _ValueItem) or item.populated:
            return
        item.populated = True
        children = _children_of(item.value)
        if children:
            item.shown = self._add_children(item, children, item.path, 0)

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        if isinstance(item, _MoreItem):
            self.show_more(item)

    def show_more(self, more: QTreeWidgetItem) -> None:
        """Replaces a "… N more" row by the next CHUNK children."""
        parent = more.parent() or self.invisibleRootItem()
        parent.removeChild(more)
        if isinstance(parent, _ValueItem):
            container = _children_of(parent.value)
            path, start = parent.path, parent.shown
        else:
            container, path, start = self._state, (), self.invisibleRootItem().childCount()
        if container:
            shown = self._add_children(parent, container, path, start)
            if isinstance(parent, _ValueItem):
                parent.shown = shown

    def _expanded_paths(self) -> set[tuple[str | int, ...]]:
        paths: set[tuple[str | int, ...]] = set()
        stack = [self.invisibleRootItem()]
        while stack:
            item = stack.pop()
            for i in range(item.childCount()):
                child = item.child(i)
                if isinstance(child, _ValueItem) and child.isExpanded():
                    paths.add(child.path)
                    stack.append(child)
        return paths

    def _restore_expanded(
        self, item: QTreeWidgetItem, paths: set[tuple[str | int, ...]], depth: int = 0
    ) -> None:
        if not paths or depth > 8:
            return
        for i in range(item.childCount()):
            child = item.child(i)
            if isinstance(child, _ValueItem) and child.path in paths:
                child.setExpanded(True)
                self._restore_expanded(child, paths, depth + 1)

    # --- copying ----------------------------------------------------------------------------

    def copy_value(self) -> str | None:
        """Puts the selected value on the clipboard as JSON; returns the text (None: nothing)."""
        item = self.currentItem()
        if not isinstance(item, _ValueItem):
            return None
        text = to_json_text(item.value)
        QGuiApplication.clipboard().setText(text)
        return text

    def copy_state_json(self) -> str | None:
        """Puts the whole state on the clipboard as JSON; returns the text (None: no state)."""
        if self._state is None:
            return None
        text = to_json_text(self._state)
        QGuiApplication.clipboard().setText(text)
        return text

    def _show_menu(self, point: QPoint) -> None:
        self.copy_value_action.setEnabled(isinstance(self.currentItem(), _ValueItem))
        self.copy_state_action.setEnabled(self._state is not None)
        menu = QMenu(self)
        menu.addAction(self.copy_value_action)
        menu.addAction(self.copy_state_action)
        menu.addSeparator()
        menu.addAction(self.collapse_action)
        menu.exec(self.viewport().mapToGlobal(point))

    # --- painting ---------------------------------------------------------------------------

    def paintEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        if self.topLevelItemCount() == 0:
            text = self._placeholder if self._state is None else "The state is empty"
            _paint_placeholder(self.viewport(), text)

    def _on_theme_changed(self, _theme: object) -> None:
        self.set_state(self._state)


def _paint_placeholder(widget: QWidget, text: str) -> None:
    """A muted, centred message in an empty view ("Select a run")."""
    painter = QPainter(widget)
    painter.setPen(themes.current_theme().color("muted_text"))
    painter.drawText(widget.rect(), Qt.AlignmentFlag.AlignCenter, text)
    painter.end()


class DiffView(QWidget):
    """What a step changed: added keys in green, removed in red, changed as old → new.

    Multi-line strings get a line diff and grown lists show only the new items, so a step that
    appended one message to a long history shows that message, not the history twice.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.browser = QTextBrowser(self)
        self.browser.setOpenLinks(False)
        self.browser.document().setDefaultFont(themes.monospace_font())
        layout.addWidget(self.browser)
        self._diff: StateDiff | None = None
        self._message = "Select a step"
        themes.theme_signals.changed.connect(self._on_theme_changed)
        self._render()

    @property
    def diff(self) -> StateDiff | None:
        return self._diff

    def set_diff(self, diff: StateDiff | None, message: str = "Select a step") -> None:
        """Shows `diff`; for None, shows `message` instead."""
        self._diff = diff
        self._message = message
        self._render()

    def text(self) -> str:
        """The diff as plain text (what a reader sees, without colours)."""
        return self.browser.toPlainText()

    def _on_theme_changed(self, _theme: object) -> None:
        self._render()

    def _render(self) -> None:
        theme = themes.current_theme()
        diff = self._diff
        if diff is None or diff.is_empty:
            message = self._message if diff is None else "No changes"
            self.browser.setHtml(
                f'<p align="center" style="color:{theme.muted_text}">{html.escape(message)}</p>'
            )
            return
        parts: list[str] = []
        for key, value in diff.added.items():
            parts.append(_line("+", key, _compact(value), theme.success, theme))
        for key, value in diff.removed.items():
            parts.append(_line("−", key, _compact(value), theme.error, theme))
        for change in diff.changed:
            parts.append(_change(change.key, change.old, change.new, theme))
        self.browser.setHtml(
            f'<div style="color:{theme.text}; white-space:pre-wrap">{"".join(parts)}</div>'
        )


def _compact(value: Any) -> str:
    if isinstance(value, OpaqueValue):
        text = value.repr_text
    else:
        try:
            text = json.dumps(to_jsonable(value), ensure_ascii=False)
        except (TypeError, ValueError):
            text = repr(value)
    return text if len(text) <= MAX_DIFF_VALUE else text[:MAX_DIFF_VALUE] + "…"


def _span(text: str, color: str, *, strike: bool = False) -> str:
    style = f"color:{color}" + ("; text-decoration:line-through" if strike else "")
    return f'<span style="{style}">{html.escape(text)}</span>'


def _line(sign: str, key: str, text: str, color: str, theme: Theme) -> str:
    return (
        f"<p style='margin:2px 0'>{_span(sign, color)} {_span(key, theme.syntax_function)}: "
        f"{_span(text, color)}</p>"
    )


def _change(key: str, old: Any, new: Any, theme: Theme) -> str:
    head = f"<p style='margin:6px 0 2px 0'>{_span('~', theme.warning)} {_span(key, theme.syntax_function)}"
    if isinstance(old, str) and isinstance(new, str) and ("\n" in old or "\n" in new):
        lines = difflib.unified_diff(
            old.splitlines(), new.splitlines(), "before", "after", lineterm="", n=2
        )
        body = []
        for line in lines:
            if line.startswith(("---", "+++")):
                continue
            color = theme.text
            if line.startswith("@@"):
                color = theme.muted_text
            elif line.startswith("+"):
                color = theme.success
            elif line.startswith("-"):
                color = theme.error
            body.append(_span(line, color))
        return f"{head} (text)</p><pre style='margin:0 0 0 16px'>{'<br>'.join(body)}</pre>"
    if (
        isinstance(old, list)
        and isinstance(new, list)
        and len(new) > len(old)
        and new[: len(old)] == old
    ):
        added = new[len(old) :]
        rows = [
            f"<p style='margin:0 0 0 16px'>{_span('+ ' + _compact(item), theme.success)}</p>"
            for item in added[:MAX_DIFF_ITEMS]
        ]
        if len(added) > MAX_DIFF_ITEMS:
            rows.append(
                f"<p style='margin:0 0 0 16px'>"
                f"{_span(f'… {len(added) - MAX_DIFF_ITEMS:,} more', theme.muted_text)}</p>"
            )
        note = _span(f" {_plural(len(added), 'item')} appended", theme.muted_text)
        return f"{head}{note}</p>{''.join(rows)}"
    return (
        f"{head}: {_span(_compact(old), theme.error, strike=True)} "
        f"{_span('→', theme.muted_text)} {_span(_compact(new), theme.success)}</p>"
    )


__all__ = ["CHUNK", "DiffView", "StateTreeView", "summary", "to_json_text"]
