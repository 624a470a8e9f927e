"""The outline of the window's menus, toolbar and status bar, which the window parts fill.

A menu is a list of sections separated by lines; a part adds its entries to a section by name,
and the outline builds the menu bar, toolbar and status bar once every part has added its own.
So the order a person sees is written here once, and a new part adds entries without editing
any other part.
"""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu, QWidget

MENUS: dict[str, tuple[str, ...]] = {
    "&File": ("open", "save", "quit"),
    "&Edit": ("history", "clipboard", "select", "preferences"),
    "&View": ("zoom", "arrange", "panels"),
    "&Run": ("control", "timeline"),
    "&Help": ("guide", "about"),
}
TOOLBAR: tuple[str, ...] = ("file", "history", "zoom", "run", "theme")
STATUS: tuple[str, ...] = ("llm", "problems", "zoom")


class WindowOutline:
    """Collects the parts' menu entries, toolbar buttons and status widgets, then builds them."""

    def __init__(self, window: QMainWindow) -> None:
        self.window = window
        self._menus: dict[str, dict[str, list[QAction | QMenu]]] = {
            title: {section: [] for section in sections} for title, sections in MENUS.items()
        }
        self._toolbar: dict[str, list[QAction]] = {section: [] for section in TOOLBAR}
        self._status: dict[str, list[QWidget]] = {section: [] for section in STATUS}
        self.menus: dict[str, QMenu] = {}

    def add_to_menu(self, menu: str, section: str, *entries: QAction | QMenu) -> None:
        self._menus[menu][section].extend(entries)

    def add_to_toolbar(self, section: str, *actions: QAction) -> None:
        self._toolbar[section].extend(actions)

    def add_status_widget(self, section: str, widget: QWidget) -> None:
        self._status[section].append(widget)

    def build(self) -> None:
        bar = self.window.menuBar()
        for title, sections in self._menus.items():
            menu = bar.addMenu(title)
            self.menus[title] = menu
            filled = [entries for entries in sections.values() if entries]
            for number, entries in enumerate(filled):
                if number:
                    menu.addSeparator()
                for entry in entries:
                    if isinstance(entry, QMenu):
                        menu.addMenu(entry)
                    else:
                        menu.addAction(entry)
        toolbar = self.window.addToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setIconSize(QSize(20, 20))
        filled_bar = [actions for actions in self._toolbar.values() if actions]
        for number, actions in enumerate(filled_bar):
            if number:
                toolbar.addSeparator()
            toolbar.addActions(actions)
        for widgets in self._status.values():
            for widget in widgets:
                self.window.statusBar().addPermanentWidget(widget)
