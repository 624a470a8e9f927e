"""How the window looks: the light or dark theme, the dock layout, and remembering both.

The window's geometry, its docks and the theme are saved when it closes and restored when it
opens; View → Reset Window Layout goes back to the layout the window was built with.

Lists and trees are laid out again once the window is assembled: a view put into a dock before
it is polished lays its rows out without the stylesheet's item padding (Qt re-lays them out on
a style change but not on polish), and would only get the padded rows at the first theme switch,
so the palette's rows would move the first time the theme changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractItemView, QApplication

from burrdesk.views import theme
from burrdesk.views.app_settings import settings
from burrdesk.views.window_part import WindowPart

if TYPE_CHECKING:
    from burrdesk.views.main_window import MainWindow


class AppearancePart(WindowPart):
    """The theme, the window layout, and the icons that follow the theme."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.theme_action = self.action("&Dark Theme", self.toggle_theme, "Ctrl+Shift+T", "theme")
        self.theme_action.setCheckable(True)
        # In the menu a check mark says whether it is on (a checked icon there showed nothing);
        # the toolbar keeps the icon.
        self.theme_action.setIconVisibleInMenu(False)
        self.reset_layout_action = self.action("&Reset Window Layout", self.reset_layout)
        window.outline.add_to_menu("&View", "arrange", self.theme_action)
        window.outline.add_to_menu("&View", "panels", self.reset_layout_action)
        window.outline.add_to_toolbar("theme", self.theme_action)
        theme.theme_signals.changed.connect(self._refresh_icons)
        self._default_state = QByteArray()

    def window_assembled(self) -> None:
        window = self.window
        self.relayout_item_views()
        self._default_state = window.saveState()
        store = settings()
        geometry = store.value("window/geometry")
        if isinstance(geometry, QByteArray):
            window.restoreGeometry(geometry)
        state = store.value("window/state")
        if isinstance(state, QByteArray):
            window.restoreState(state)
        self.theme_action.setChecked(store.value("theme", "light") == "dark")

    def closing(self) -> None:
        self.save_settings()

    def save_settings(self) -> None:
        store = settings()
        store.setValue("window/geometry", self.window.saveGeometry())
        store.setValue("window/state", self.window.saveState())
        store.setValue("theme", "dark" if self.theme_action.isChecked() else "light")
        store.sync()

    def toggle_theme(self) -> None:
        name = "dark" if self.theme_action.isChecked() else "light"
        theme.apply_theme(QApplication.instance(), name)  # type: ignore[arg-type]
        self.save_settings()

    def reset_layout(self) -> None:
        self.window.restoreState(self._default_state)
        for dock in self.window.docks:
            dock.show()

    def relayout_item_views(self) -> None:
        """Lays the window's lists and trees out with the stylesheet's row sizes."""
        for view in self.window.findChildren(QAbstractItemView):
            view.ensurePolished()
            view.doItemsLayout()

    def _refresh_icons(self, *_args: object) -> None:
        for action in self.window.findChildren(QAction):
            name = action.data()
            if isinstance(name, str) and name:
                action.setIcon(theme.icon(name))
