"""The runs tree's columns: a fork's run number whole at any depth, the project readable, and
the app id the one column that gives way (elided in the middle, as suits a uuid)."""

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QApplication, QHeaderView, QStyleOptionViewItem

from burrdesk.engine.demo_runs import seed_demo_runs
from burrdesk.model import resource_location
from burrdesk.model.run_database import RunDatabase
from burrdesk.views.timeline.timeline_panel import TimelinePanel

FORK_DEPTH = 5  # the demo's fixed order is a fork already: four forks more nest five deep


@pytest.fixture
def forks(tmp_path):
    """The demo runs, with the order pipeline's fork forked again and again (runs 9 to 12)."""
    db_path = tmp_path / "runs.db"
    demo = seed_demo_runs(db_path, resource_location.examples_dir())
    chain = [demo.failed_order, demo.fixed_order]
    with RunDatabase(db_path) as db:
        for _ in range(FORK_DEPTH - 1):
            chain.append(db.fork(chain[-1], 0).run_id)
    return db_path, chain


@pytest.fixture
def panel(light, qtbot, forks):
    widget = TimelinePanel()
    qtbot.addWidget(widget)
    widget.resize(1240, 420)
    widget.show()
    qtbot.waitExposed(widget)
    widget.open_database(forks[0])
    yield widget
    widget.close_database()


def depth_of(index):
    depth = 0
    while index.parent().isValid():
        index, depth = index.parent(), depth + 1
    return depth


def cell_width(view, index):
    """What the cell's text needs, with the delegate's margins and the stylesheet's padding."""
    option = QStyleOptionViewItem()
    option.initFrom(view)
    return view.itemDelegateForIndex(index).sizeHint(option, index).width()


def run_number_needs(view, index):
    """Indentation × depth (plus the root's, for the expand arrows), then the number."""
    text = index.data()
    margins = cell_width(view, index) - view.fontMetrics().horizontalAdvance(text)
    return (
        view.indentation() * (depth_of(index) + 1)
        + view.fontMetrics().horizontalAdvance(text)
        + margins
    )


def visible_rows(view):
    model, rows = view.model(), []

    def walk(parent):
        for row in range(model.rowCount(parent)):
            index = model.index(row, 0, parent)
            rows.append(index)
            if view.isExpanded(index):
                walk(index)

    walk(QModelIndex())
    return rows


def settle():
    for _ in range(3):
        QApplication.processEvents()


def test_a_nested_fork_shows_its_whole_run_number(panel, forks):
    _, chain = forks
    view = panel.runs_view
    assert panel.select_run(chain[-1])
    settle()
    deepest = panel.runs_model.index_of_run(chain[-1])
    assert depth_of(deepest) == FORK_DEPTH
    for index in visible_rows(view):
        assert view.columnWidth(0) >= run_number_needs(view, index), index.data()
    # Collapsed again, the run column gives its room back to the app id.
    wide = view.columnWidth(0)
    view.collapseAll()
    settle()
    assert view.columnWidth(0) < wide
    top = panel.runs_model.index(0, 0)
    assert view.columnWidth(0) >= run_number_needs(view, top)


def test_a_fork_that_appears_under_an_open_run_is_not_clipped(panel, forks):
    db_path, chain = forks
    view = panel.runs_view
    assert panel.select_run(chain[-1])
    view.expand(panel.runs_model.index_of_run(chain[-1]))  # open, with nothing under it yet
    settle()
    wide = view.columnWidth(0)
    with RunDatabase(db_path) as db:
        newest = db.fork(chain[-1], 0).run_id  # one level deeper than any so far
    panel.runs_model.refresh()  # what following the database live does each second
    settle()
    index = panel.runs_model.index_of_run(newest)
    assert index.isValid() and depth_of(index) == FORK_DEPTH + 1 and view.isExpanded(index.parent())
    assert view.columnWidth(0) > wide
    assert view.columnWidth(0) >= run_number_needs(view, index)


def test_the_project_is_readable_and_the_app_id_gives_way(panel):
    view, model = panel.runs_view, panel.runs_model
    header = view.header()
    projects = [model.index(row, 1) for row in range(model.rowCount())]
    assert {index.data() for index in projects} >= {"order_pipeline", "research_assistant"}
    for index in projects:
        assert view.columnWidth(1) >= cell_width(view, index), index.data()
    # Only the app id stretches (it takes what is left, and gives it up first) ...
    modes = [header.sectionResizeMode(column) for column in range(header.count())]
    assert [c for c, mode in enumerate(modes) if mode == QHeaderView.ResizeMode.Stretch] == [2]
    # ... and it is elided in the middle, so a uuid keeps its start and its end.
    app_id = model.index(0, 2)
    option = QStyleOptionViewItem()
    view.itemDelegateForIndex(app_id).initStyleOption(option, app_id)
    assert option.textElideMode == Qt.TextElideMode.ElideMiddle
    # Narrowed, the view keeps the project and the run number whole and clips the app id.
    panel.splitter.setSizes([560, 680])
    settle()
    assert view.columnWidth(2) < cell_width(view, app_id)
    for index in projects:
        assert view.columnWidth(1) >= cell_width(view, index)
    assert view.columnWidth(0) >= run_number_needs(view, model.index(0, 0))
