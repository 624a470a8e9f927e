"""The Insights dock: it follows the timeline's run, adds up a run or its project on a worker,
recomputes the cost when a price is edited, and double-clicking a slow step shows it."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit

from burrdesk.model.price_table import prices_path
from burrdesk.model.run_database import RunDatabase

SLOW_RUN = [0.5, 1.0, 0.25, 4.0, 0.75, 2.0, 0.5, 8.0, 1.0, 3.0]
QUICK_RUN = [1.0, 1.0, 2.0, 1.0]


def write_run(database, app_id, durations, fail_at=()):
    """Steps of exactly these durations; each completed one is an LLM node's reply of
    100,000 tokens in and 10,000 out on gpt-4o-mini."""
    run_id = database.create_run(project="writer", app_id=app_id, initial_state={"n": 0})
    writer = database.writer(run_id)
    clock = 1_000.0
    for seq, seconds in enumerate(durations):
        failed = seq in fail_at
        usage = {"prompt_tokens": 100_000, "completion_tokens": 10_000}
        writer.record_step(
            sequence_id=seq,
            action="review" if seq % 2 else "draft",
            before={"n": seq},
            after={"n": seq + 1},
            writes=["n"],
            result=None if failed else {"model": "gpt-4o-mini", "usage": usage},
            error="RateLimitError: slow down" if failed else None,
            started_at=clock,
            ended_at=clock + seconds,
        )
        clock += seconds
    writer.finish("failed" if fail_at else "completed")
    return run_id


def card(window, key):
    return window.insights.panel.cards[key].value.text()


def wait_for_numbers(qtbot, panel, steps):
    qtbot.waitUntil(lambda: panel.insights is not None and not panel.computer.busy, timeout=5000)
    qtbot.waitUntil(lambda: panel.cards["steps"].value.text() == steps, timeout=5000)


def test_insights_of_a_run_and_its_project(qtbot, window, tmp_path):
    db_path = tmp_path / "runs.db"
    with RunDatabase(db_path) as database:
        slow = write_run(database, "slow", SLOW_RUN, fail_at=(7,))
        quick = write_run(database, "quick", QUICK_RUN)
    part, timeline = window.insights, window.timeline
    panel = part.panel
    assert window.timeline.open_run_database(db_path)
    assert timeline.panel.current_run.run_id == quick
    assert not part.dock.isVisible() or part.dock.visibleRegion().isEmpty()
    assert panel.insights is None and not panel.computer.busy  # hidden: nothing is read

    part.show_insights()
    qtbot.waitUntil(lambda: not part.dock.visibleRegion().isEmpty())
    wait_for_numbers(qtbot, panel, "4")
    assert panel.title_label.text() == "Run 2 · quick"
    assert [card(window, k) for k in ("failures", "calls", "tokens_in", "tokens_out")] == [
        "0",
        "4",
        "400k",
        "40,000",
    ]
    assert card(window, "cost") == "$0.0840"  # 0.4 × $0.15 + 0.04 × $0.60
    assert card(window, "latency") == "1 s · 1.7 s"

    timeline.panel.select_run(slow)
    wait_for_numbers(qtbot, panel, "10")
    assert panel.title_label.text() == "Run 1 · slow"
    assert [card(window, k) for k in ("failures", "calls", "tokens_in", "cost")] == [
        "1",
        "9",
        "900k",
        "$0.1890",
    ]
    assert panel.tabs.tabText(1) == "Failures (1)"
    assert panel.failures_table.item(0, 3).text() == "RateLimitError: slow down"
    assert [panel.slowest_table.item(0, c).text() for c in range(5)] == [
        "1",
        "7",
        "review",
        "8 s",
        "failed",
    ]

    # Edit gpt-4o-mini's input price: the cost follows and the table is saved.
    prices, view = panel.prices, panel.prices_view
    row = next(r for r in range(prices.rowCount()) if prices.index(r, 0).data() == "gpt-4o-mini")
    panel.tabs.setCurrentIndex(2)
    index = prices.index(row, 1)
    view.scrollTo(index)
    view.setCurrentIndex(index)
    view.edit(index)
    editor = view.viewport().findChild(QLineEdit)
    editor.selectAll()
    QTest.keyClicks(editor, "1.5")
    QTest.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: prices.index(row, 1).data() == "1.50")  # the delegate commits queued
    assert card(window, "cost") == "$1.40"  # 0.9 × $1.50 + 0.09 × $0.60
    stored = json.loads(prices_path().read_text())["prices"]
    assert {"model": "gpt-4o-mini", "input_per_million": 1.5, "output_per_million": 0.6} in stored

    # The whole project; selecting another of its runs keeps the project's numbers.
    panel.findChild(type(panel.scope_buttons.buttons()[1]), "scope_project").click()
    wait_for_numbers(qtbot, panel, "14")
    assert panel.title_label.text() == "Project writer"
    assert panel.status_label.text() == "2 runs"
    assert [card(window, k) for k in ("failures", "calls")] == ["1", "13"]
    project_numbers = panel.insights
    timeline.panel.select_run(quick)
    assert panel.insights is project_numbers and not panel.computer.busy

    # Double-clicking a bar of the latency chart shows that step, its run selected first.
    chart = panel.latency_chart
    chart.repaint()
    bar = next(
        chart._bars[i] for i, p in enumerate(chart.points) if (p.run_id, p.sequence_id) == (slow, 3)
    )
    QTest.mouseDClick(chart, Qt.MouseButton.LeftButton, pos=bar.center().toPoint())
    assert timeline.panel.current_run.run_id == slow
    assert timeline.panel.current_step.sequence_id == 3
    part.show_insights()
    timeline.panel.select_run(quick)

    # So does double-clicking the slowest step in its table.
    panel.tabs.setCurrentIndex(0)
    table = panel.slowest_table
    assert table.item(0, 0).text() == "1" and table.item(0, 1).text() == "7"
    rect = table.visualItemRect(table.item(0, 2))
    # A real double-click begins with a click; QTest's alone would not press the row first.
    QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    QTest.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert timeline.panel.current_run.run_id == slow
    assert timeline.panel.current_step.sequence_id == 7
    qtbot.waitUntil(lambda: not timeline.dock.visibleRegion().isEmpty())


def test_an_invalid_price_file_is_said_and_the_defaults_are_used(qtbot, data_dir):
    prices_path().parent.mkdir(parents=True, exist_ok=True)
    prices_path().write_text("[1, 2")
    from burrdesk.views.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    note = window.insights.panel.prices_note.text()
    assert note.endswith(
        "is not a valid price table (not JSON at line 1), so the default prices are used."
    )
    assert window.insights.panel.prices.rowCount() > 5
    assert prices_path().read_text() == "[1, 2"
    window.insights.panel.stop()


def test_the_price_table_refuses_invalid_edits_and_saves_the_rest(qtbot, data_dir):
    from burrdesk.views.insights.price_table_model import PriceTableModel

    prices = PriceTableModel()
    first = prices.index(0, 0).data()
    assert not prices.setData(prices.index(0, 1), "-1")
    assert not prices.setData(prices.index(0, 2), "cheap")
    assert not prices.setData(prices.index(1, 0), first.upper())  # names are unique
    assert not prices_path().exists()
    row = prices.add_model("llama3.1:8b")
    assert prices.setData(prices.index(row, 2), "$0.20")
    stored = json.loads(prices_path().read_text())["prices"][-1]
    assert stored == {"model": "llama3.1:8b", "input_per_million": 0.0, "output_per_million": 0.2}
    assert prices.add_model("llama3.1:8b") == row + 1
    assert prices.index(row + 1, 0).data() == "llama3.1:8b-2"
    prices.remove_row(row + 1)
    prices.reset_to_defaults()
    assert prices.rowCount() == len(json.loads(prices_path().read_text())["prices"]) > 5
