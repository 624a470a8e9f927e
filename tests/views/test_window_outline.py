"""The menus, toolbar and status bar come out in the outline's order, whichever part adds what."""

import re

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu, QToolBar

from burrdesk.views.window_outline import WindowOutline


def _entries(menu):
    """What a menu lists, without accelerators or counts ("Problems (2)" reads "Problems")."""
    return [
        "—" if a.isSeparator() else re.sub(r" \(\d+\)$", "", a.text().replace("&", ""))
        for a in menu.actions()
    ]


def test_the_menus_read_as_a_person_expects(window):
    menus = {a.text().replace("&", ""): a.menu() for a in window.menuBar().actions()}
    assert list(menus) == ["File", "Edit", "View", "Run", "Help"]
    assert _entries(menus["File"]) == [
        "New", "Open…", "Open Folder…", "Connect to Server…", "Open Recent", "—", "Save", "Save As…", "Export", "—",
        "Quit",
    ]  # fmt: skip
    assert _entries(menus["Edit"]) == [
        "Undo", "Redo", "—", "Cut", "Copy", "Paste", "Duplicate", "Delete", "—", "Select All",
        "—", "Settings…",
    ]  # fmt: skip
    assert _entries(menus["View"]) == [
        "Zoom In", "Zoom Out", "Zoom to Fit", "Zoom to Selection", "—", "Auto-layout",
        "Dark Theme", "—", "Palette", "Inspector", "Problems", "Run", "Timeline", "Insights",
        "Reset Window Layout",
    ]  # fmt: skip
    assert _entries(menus["Run"]) == [
        "Run", "Step", "Pause", "Stop", "—", "Rewind to Here…", "Create Test Case…",
        "Create Fork Script…",
    ]  # fmt: skip
    assert _entries(menus["Help"]) == [
        "Welcome", "Documentation", "Keyboard Shortcuts", "—", "About burrdesk",
    ]  # fmt: skip
    toolbar = window.findChild(QToolBar, "mainToolbar")
    assert _entries(toolbar) == [
        "New", "Open…", "Save", "—", "Undo", "Redo", "—", "Zoom In", "Zoom Out", "Zoom to Fit",
        "Auto-layout", "—", "Run", "Step", "Pause", "Stop", "—", "Dark Theme",
    ]  # fmt: skip
    labels = [window.llm.llm_label, window.problems.label, window.canvas.zoom_label]
    lefts = [label.mapTo(window, label.rect().topLeft()).x() for label in labels]
    assert lefts == sorted(lefts), "status bar: LLM endpoint, problems, zoom, left to right"
    problems = window.problems.problems
    errors = sum(p.severity == "error" for p in problems)
    assert window.problems.label.text() == f"{errors} error(s), {len(problems) - errors} warning(s)"


def test_sections_fill_in_the_outline_order_and_empty_ones_leave_no_separator(qtbot):
    main = QMainWindow()
    qtbot.addWidget(main)
    outline = WindowOutline(main)
    first, second, third = (QAction(text, main) for text in ("First", "Second", "Third"))
    submenu = QMenu("More", main)
    outline.add_to_menu("&Edit", "preferences", third)
    outline.add_to_menu("&Edit", "history", first)
    outline.add_to_menu("&Edit", "history", submenu)
    outline.add_to_menu("&Help", "about", second)
    outline.add_to_toolbar("run", third)
    outline.add_to_toolbar("file", first, second)
    outline.build()
    assert _entries(outline.menus["&Edit"]) == ["First", "More", "—", "Third"]
    assert _entries(outline.menus["&File"]) == []
    assert _entries(outline.menus["&Help"]) == ["Second"]
    assert _entries(main.findChild(QToolBar, "mainToolbar")) == ["First", "Second", "—", "Third"]
