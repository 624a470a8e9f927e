"""The canvas shows the flow a selected run ran: read-only, with "Edit as new flow"."""

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from burrdesk.engine import ApplicationBuilder, State, action
from burrdesk.engine.flow_compiler import compile_flow
from burrdesk.model.flow_document import load_flow

EXAMPLES = Path(__file__).parents[3] / "resources" / "examples"


@pytest.fixture
def inventory_db(tmp_path):
    db_path = tmp_path / "inventory.db"
    compile_flow(load_flow(EXAMPLES / "inventory_simulation.burrflow"), db_path=db_path).run(
        halt_after=["done"]
    )
    return db_path


def node_center(view, item) -> QPoint:
    return view.mapFromScene(item.sceneBoundingRect().center())


def test_opening_a_run_database_shows_the_flow_the_run_ran_read_only(qtbot, window, inventory_db):
    window.files.open_path(EXAMPLES / "counter.burrflow", ask=False)
    assert window.files.open_path(inventory_db)
    assert window.canvas.showing_recorded_flow
    recorded = window.canvas.recorded
    assert recorded.isVisible() and not window.view.isVisible()
    assert "the flow it ran (read-only)" in recorded.title.text()
    assert set(recorded.scene.nodes) == {"simulate_day", "restock", "report", "done"}
    assert recorded.scene.nodes["simulate_day"].visits == 100
    # The flow being edited is untouched, and editing commands are off while it is hidden.
    assert window.model.document.name == "counter"
    assert (
        not window.editing.delete_action.isEnabled() and not window.node_palette.panel.isEnabled()
    )

    # Dragging a node or pressing Delete changes nothing.
    view = recorded.view
    item = recorded.scene.nodes["report"]
    before = item.pos()
    start = node_center(view, item)
    QTest.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=start)
    QTest.mouseMove(view.viewport(), start + QPoint(80, 60))
    QTest.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=start + QPoint(80, 60))
    assert item.pos() == before and item.isSelected()
    view.setFocus()
    QTest.keyClick(view, Qt.Key.Key_Delete)
    assert "report" in recorded.scene.nodes and recorded.model.document.node("report")
    assert not recorded.scene.nodes["report"].port.isVisible()

    # Selecting a step outlines the node that ran it.
    assert window.timeline.panel.select_step(0)
    assert recorded.scene.nodes["simulate_day"].highlight == "running"
    assert recorded.scene.nodes["report"].highlight is None

    # Back to Editor shows the counter again, editable.
    QTest.mouseClick(recorded.back_button, Qt.MouseButton.LeftButton)
    assert not window.canvas.showing_recorded_flow and window.view.isVisible()
    assert window.editing.delete_action.isEnabled() and window.node_palette.panel.isEnabled()
    assert set(window.scene.nodes) == {"increment", "report", "done"}


def test_edit_as_new_flow_opens_an_untitled_editable_copy(qtbot, window, inventory_db):
    window.files.open_path(inventory_db)
    QTest.mouseClick(window.canvas.recorded.edit_button, Qt.MouseButton.LeftButton)
    assert not window.canvas.showing_recorded_flow
    assert window.files.path is None
    assert window.model.document == window.canvas.recorded.document
    assert window.model.document is not window.canvas.recorded.document
    # It is a normal flow now: nodes move, with undo.
    item = window.scene.nodes["report"]
    before = item.pos()
    start = node_center(window.view, item)
    QTest.mousePress(window.view.viewport(), Qt.MouseButton.LeftButton, pos=start)
    QTest.mouseMove(window.view.viewport(), start + QPoint(80, 60))
    QTest.mouseRelease(
        window.view.viewport(), Qt.MouseButton.LeftButton, pos=start + QPoint(80, 60)
    )
    assert item.pos() != before
    assert window.undo_stack.count() == 1
    assert window.canvas.recorded.document.node("report").position == (before.x(), before.y())


def click_run(qtbot, window, run_id):
    window.timeline.dock.raise_()  # the Timeline tab, as a person would pick it
    window.resizeDocks([window.timeline.dock], [450], Qt.Orientation.Vertical)
    view = window.timeline.panel.runs_view
    qtbot.waitUntil(lambda: view.isVisible() and view.viewport().height() > 40, timeout=5000)
    index = window.timeline.panel.runs_model.index_of_run(run_id)
    QTest.mouseClick(
        view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(index).center()
    )
    assert window.timeline.panel.current_run.run_id == run_id


def test_a_run_of_the_flow_being_edited_keeps_the_editor(qtbot, window):
    window.files.open_path(EXAMPLES / "counter.burrflow", ask=False)
    for _ in range(2):
        with qtbot.waitSignal(window.run.panel.runEnded, timeout=15000):
            window.run.run_action.trigger()
    qtbot.waitUntil(lambda: window.timeline.panel.runs_model.rowCount() == 2, timeout=5000)
    first, second = (window.timeline.panel.runs_model.run_at(r).run_id for r in (1, 0))
    click_run(qtbot, window, first)
    assert not window.canvas.showing_recorded_flow

    # After an edit the runs no longer match the canvas: selecting one shows what it ran.
    window.scene.select_only("report")
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_Right)
    moved = window.model.document.node("report").position
    click_run(qtbot, window, second)
    assert window.canvas.showing_recorded_flow
    assert window.canvas.recorded.document.node("report").position != moved
    assert window.model.document.node("report").position == moved


@action(reads=[], writes=["x"])
def only(state: State) -> State:
    return state.update(x=1)


def test_a_run_from_code_shows_its_graph_drawn(qtbot, window, tmp_path):
    db_path = tmp_path / "code.db"
    app = (
        ApplicationBuilder()
        .with_actions(only)
        .with_entrypoint("only")
        .with_tracker("sqlite", project="code", params={"db_path": str(db_path)})
        .build()
    )
    app.step()
    window.files.open_path(db_path)
    assert window.canvas.showing_recorded_flow
    assert "its graph, drawn from code" in window.canvas.recorded.title.text()
    assert list(window.canvas.recorded.scene.nodes) == ["only"]


def test_the_status_bar_zoom_is_the_zoom_of_the_canvas_in_sight(qtbot, window, inventory_db):
    """It showed the edited flow's zoom over a recorded flow drawn at another."""
    window.files.open_path(EXAMPLES / "counter.burrflow", ask=False)
    window.view.zoom_to_fit()
    edited = window.canvas.zoom_label.text()
    assert edited == f"{window.view.zoom() * 100:.0f}%"
    assert window.files.open_path(inventory_db)
    recorded = window.canvas.recorded.view
    qtbot.waitUntil(lambda: recorded.viewport().width() > 200, timeout=3000)
    recorded.zoom_by(1 / 1.2)
    shown = f"{recorded.zoom() * 100:.0f}%"
    assert shown != edited and window.canvas.zoom_label.text() == shown
    window.canvas.recorded.back_button.click()
    assert window.canvas.zoom_label.text() == edited


def darkest_text(widget) -> int:
    """The lowest grey level drawn in the widget (its text, on a light background)."""
    image = widget.grab().toImage()
    return min(
        image.pixelColor(x, y).lightness()
        for x in range(0, image.width(), 2)
        for y in range(0, image.height(), 2)
    )


def test_the_palette_looks_disabled_while_a_recorded_flow_shows(light, qtbot, window, inventory_db):
    """Its icons greyed out but its names stayed black, as if one could still drag them."""
    window.files.open_path(EXAMPLES / "counter.burrflow", ask=False)
    kinds = window.node_palette.panel.kinds
    enabled = darkest_text(kinds.viewport())
    assert window.files.open_path(inventory_db)
    assert not window.node_palette.panel.isEnabled()
    disabled = darkest_text(kinds.viewport())
    assert disabled > enabled + 60, (enabled, disabled)
