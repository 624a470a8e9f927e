"""The window a new user first sees, at a laptop's 1280×800 and a desktop's 1920×1080: the
canvas the largest part, the timeline with rows to read, Problems out of the way, every node
kind in the palette; and View → Reset Window Layout gives that same layout back."""

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QApplication

SIZES = [(1280, 800), (1920, 1080)]
ROWS = 4


def first_launch(qtbot, window, size):
    """The first launch (demo runs recorded, the chatbot open) in a window of `size`."""
    window.help.start_up()
    window.help.welcome.close()
    settle(qtbot, window, size)


def settle(qtbot, window, size):
    window.resize(*size)
    qtbot.waitUntil(lambda: window.size() == QSize(*size))
    for _ in range(3):
        QApplication.processEvents()


def rows_shown(view, row_height):
    return view.viewport().height() // row_height


def dock_geometry(window):
    """Where each dock is and how large, for the docks in sight (a tab behind another keeps a
    stale geometry), and whether it floats or is in sight at all."""
    shown = {}
    for dock in window.docks:
        in_sight = dock.isVisible() and not dock.visibleRegion().isEmpty()
        shown[dock.objectName()] = (dock.isFloating(), in_sight, in_sight and dock.geometry())
    return shown


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_first_launch_gives_the_canvas_and_the_timeline_room(light, qtbot, window, size):
    first_launch(qtbot, window, size)
    width, height = size
    timeline = window.timeline.panel
    assert not window.timeline.dock.visibleRegion().isEmpty()  # in front of its tabs
    runs, steps = timeline.runs_view, timeline.steps_view
    assert timeline.runs_model.rowCount() >= 4 and timeline.steps_model.rowCount() >= 4
    run_row = runs.visualRect(timeline.runs_model.index(0, 0)).height()
    assert rows_shown(runs, run_row) >= ROWS
    assert rows_shown(steps, steps.rowHeight(0)) >= ROWS
    # The canvas: the widest part of the window, and not a strip.
    canvas = window.centralWidget()
    assert canvas.width() > width / 2 and canvas.height() >= height * 0.3
    # Problems is a tab behind the timeline: one line of "no problems" takes no room.
    problems = window.problems.dock
    assert problems in window.tabifiedDockWidgets(window.timeline.dock)
    assert problems.visibleRegion().isEmpty()
    # Every node kind is in sight, End (the last) included, and nothing had to scroll.
    kinds = window.node_palette.panel.kinds
    for row in range(kinds.count()):
        assert kinds.viewport().rect().contains(kinds.visualItemRect(kinds.item(row)))
    assert kinds.verticalScrollBar().maximum() == 0
    # The inspector beside the canvas keeps a usable width.
    assert window.inspector.dock.width() >= 300


def test_problems_comes_to_the_front_in_the_timelines_place(light, qtbot, window):
    """A refused run raises Problems: it takes the timeline's tab, not more of the window."""
    first_launch(qtbot, window, SIZES[0])
    window.problems.dock.raise_()
    QApplication.processEvents()
    assert not window.problems.dock.visibleRegion().isEmpty()
    assert window.timeline.dock.visibleRegion().isEmpty()
    assert window.centralWidget().height() >= window.height() / 4


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_reset_window_layout_gives_back_the_first_launch_layout(light, qtbot, window, size):
    first_launch(qtbot, window, size)
    first = dock_geometry(window)
    # A person moves things about: floats the palette, closes the inspector, squeezes the
    # timeline and brings Problems to the front.
    window.node_palette.dock.setFloating(True)
    window.inspector.dock.close()
    window.resizeDocks([window.timeline.dock], [150], Qt.Orientation.Vertical)
    window.problems.dock.raise_()
    settle(qtbot, window, size)
    assert dock_geometry(window) != first
    window.appearance.reset_layout_action.trigger()
    settle(qtbot, window, size)
    assert dock_geometry(window) == first
    assert not window.timeline.dock.visibleRegion().isEmpty()
    assert window.problems.dock.visibleRegion().isEmpty()


def test_the_examples_list_never_scrolls_sideways(light, qtbot, window):
    """A long example name is cut short with its full name in the tip, at the narrowest size."""
    first_launch(qtbot, window, (1280, 800))
    examples = window.node_palette.panel.examples
    examples.horizontalScrollBar().setValue(examples.horizontalScrollBar().maximum())
    width = examples.viewport().width()
    for row in range(examples.count()):
        rect = examples.visualItemRect(examples.item(row))
        assert rect.left() >= 0 and rect.right() <= width, (examples.item(row).text(), rect)
    names = [examples.item(row).text() for row in range(examples.count())]
    assert "inventory simulation" in examples.item(names.index("inventory simulation")).toolTip()
