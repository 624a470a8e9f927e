"""The window keeps one's context (issue #17.9): a selected step outlines its node on the
editing canvas, opened run databases and Burr folders are in Open Recent, the app says so
when a run takes the timeline to another database, a relaunch reopens the last flow, and Help
lists every shortcut."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from burrdesk.engine.demo_research import record_research_run
from burrdesk.model.data_location import default_database_path
from burrdesk.model.run_database import RunDatabase
from burrdesk.views.main_window import MainWindow

EXAMPLES = Path(__file__).parents[2] / "resources" / "examples"


def test_a_selected_step_outlines_its_node_on_the_editing_canvas(qtbot, window):
    window.files.open_path(EXAMPLES / "counter.burrflow", ask=False)
    with qtbot.waitSignal(window.run.panel.runEnded, timeout=15_000):
        window.run.run_action.trigger()
    timeline = window.timeline.panel
    qtbot.waitUntil(lambda: timeline.current_run is not None, timeout=5000)
    assert not window.canvas.showing_recorded_flow  # the run ran the flow being edited
    assert timeline.select_step(10)  # step 10 is "report"
    assert window.scene.nodes["report"].highlight == "running"
    assert window.scene.nodes["increment"].highlight is None
    assert timeline.select_step(3)
    assert window.scene.nodes["increment"].highlight == "running"
    assert window.scene.nodes["report"].highlight is None


def test_run_databases_and_burr_folders_are_in_open_recent(qtbot, window, tmp_path):
    db = tmp_path / "team.db"
    record_research_run(db)
    burr = tmp_path / "dot-burr"
    demo = Path(__import__("burr").__file__).parent / "tracking" / "server" / "demo_data"
    shutil.copytree(demo / "demo_counter", burr / "demo_counter")
    assert window.files.open_path(db, ask=False)
    assert window.files.open_path(burr, ask=False)
    entries = [a.text() for a in window.files.recent_menu.actions()]
    assert entries[:2] == ["dot-burr  (Burr traces)", "team.db  (runs)"]
    window.files.recent_menu.actions()[1].trigger()
    assert window.timeline.panel.database.path == db.resolve()


def test_a_run_moving_the_timeline_to_the_default_database_says_so(qtbot, window, tmp_path):
    db = tmp_path / "team.db"
    record_research_run(db)
    window.files.open_path(db, ask=False)
    window.files.open_path(EXAMPLES / "counter.burrflow", ask=False)
    with qtbot.waitSignal(window.run.panel.runStarted, timeout=15_000):
        window.run.run_action.trigger()
    message = window.statusBar().currentMessage()
    assert "where the app records its runs" in message and str(db) in message
    combo = window.timeline.panel.source_combo
    assert "Run database · team.db" in [combo.itemText(i) for i in range(combo.count())]
    qtbot.waitUntil(lambda: not window.run.panel.stop_button.isEnabled(), timeout=15_000)


def test_a_relaunch_reopens_the_flow_worked_on_last(qtbot, window, tmp_path):
    flow = tmp_path / "mine.burrflow"
    shutil.copy(EXAMPLES / "counter.burrflow", flow)
    window.help.start_up()  # the first launch: demo runs and the chatbot
    if window.help.welcome is not None:
        window.help.welcome.close()
    window.files.open_path(flow, ask=False)
    window.close()
    again = MainWindow()
    qtbot.addWidget(again)
    again.help.start_up()
    if again.help.welcome is not None:
        again.help.welcome.close()
    assert again.files.path == flow
    assert again.statusBar().currentMessage().startswith("Reopened mine.burrflow")
    again.timeline.panel.close_database()
    again.undo_stack.setClean()


def test_help_lists_every_shortcut_and_finds_them(qtbot, window):
    QTest.keyClick(window, Qt.Key.Key_Slash, Qt.KeyboardModifier.ControlModifier)
    dialog = window.help.shortcuts
    assert dialog is not None and dialog.isVisible()
    rows = dialog.visible_rows()
    commands = {(menu, command) for menu, command, _keys in rows}
    assert {("File", "Save"), ("Run", "Run"), ("File", "Connect to Server…")} <= commands
    assert ("Help", "Keyboard Shortcuts", "Ctrl+/") in rows
    qtbot.keyClicks(dialog.search, "F5")
    assert [(r[1], r[2]) for r in dialog.visible_rows()] == [("Run", "F5"), ("Stop", "Shift+F5")]
    dialog.close()


def test_the_source_box_names_no_source_while_none_is_open(qtbot, data_dir):
    """The default run database is listed at start, but not open: the box said "burrdesk runs"
    over an empty runs list."""
    with RunDatabase(default_database_path()):
        pass
    window = MainWindow()
    qtbot.addWidget(window)
    combo = window.timeline.panel.source_combo
    assert combo.count() >= 1 and combo.currentIndex() == -1
    assert combo.placeholderText() == "No runs open"
    assert window.timeline.panel.database is None
    window.undo_stack.setClean()


def test_opening_a_flow_shows_the_runs_the_app_recorded(qtbot, window):
    """`burrdesk FLOW` or File → Open with nothing in the timeline: the app's own database,
    where this flow's runs are, is shown rather than an empty timeline."""
    window.files.open_path(EXAMPLES / "counter.burrflow", ask=False)
    assert window.timeline.panel.database is None  # no runs recorded yet: nothing to show
    with qtbot.waitSignal(window.run.panel.runStarted, timeout=15_000):
        window.run.run_action.trigger()
    qtbot.waitUntil(lambda: not window.run.panel.stop_button.isEnabled(), timeout=15_000)
    window.timeline.panel.close_database()
    window.timeline.window_assembled()  # as a new window lists its sources
    window.files.open_path(EXAMPLES / "chatbot.burrflow", ask=False)
    panel = window.timeline.panel
    assert panel.database is not None and panel.database.path == default_database_path().resolve()
    assert panel.source_combo.currentText() == "burrdesk runs"
    assert panel.runs_model.rowCount() == 1
    assert panel.runs_model.run_at(0).project == "counter"
