"""A window part: one feature's docks, actions and menu entries, installed into the main window.

The main window creates its parts one after another (each adds itself to `window.parts`); a part builds its widgets and actions in
`__init__`, adds its menu entries to the window's outline, and may use the parts created before
it. `connect_parts` runs once every part exists, for signals of parts created later. Closing
the window asks each part `can_close` (a part with unsaved work may refuse) and then tells each
one `closing`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMessageBox, QWidget

from burrdesk.views import theme

if TYPE_CHECKING:
    from burrdesk.views.main_window import MainWindow


class WindowPart(QObject):
    """The base of every part (see the module docstring)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window.part_holder)
        self.window = window
        window.parts.append(self)

    def connect_parts(self) -> None:
        """Connects to parts created after this one (all parts exist now)."""

    def window_assembled(self) -> None:
        """The menus are built and the window has its size: restore what was remembered."""

    def can_close(self) -> bool:
        """False keeps the window open (the person cancelled, say)."""
        return True

    def closing(self) -> None:
        """The window is closing: stop work, close files, remember settings."""

    def action(
        self,
        text: str,
        slot: Callable[[], Any],
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
        icon: str | None = None,
        tip: str | None = None,
    ) -> QAction:
        """An action of the window; its icon follows the theme (its name is in `data()`)."""
        action = QAction(text, self.window)
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

    def add_dock(
        self,
        title: str,
        name: str,
        widget: QWidget,
        area: Qt.DockWidgetArea,
        *,
        tabify_with: QDockWidget | None = None,
    ) -> QDockWidget:
        """A dock of the window, listed in View → panels so it can be hidden and shown."""
        dock = QDockWidget(title, self.window)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.window.addDockWidget(area, dock)
        if tabify_with is not None:
            self.window.tabifyDockWidget(tabify_with, dock)
        self.window.outline.add_to_menu("&View", "panels", dock.toggleViewAction())
        self.window.docks.append(dock)
        return dock

    def status_message(self, text: str, timeout_ms: int = 4000) -> None:
        self.window.statusBar().showMessage(text, timeout_ms)

    def show_error(self, title: str, message: str) -> None:
        """A failure the person caused or must know of: in the status bar and a dialog.

        A window nobody can answer (the `--screenshot` mode) keeps the sentence in
        `window.last_error` instead of waiting for a dialog to be closed.
        """
        self.window.statusBar().showMessage(message, 8000)
        self.window.last_error = message
        if self.window.interactive:
            QMessageBox.warning(self.window, title, message)
