"""The timeline shows what real Burr programs record: a step's spans as a waterfall with their
attributes, the sub-applications a step started (and a way to them), children nested under
their parent run, and a streamed step's statistics. Driven through clicks and keys."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from step_clicks import click_step

from burrdesk.engine.demo_research import PROJECT
from burrdesk.views.timeline.span_waterfall import EMPTY, SPAN_ROLE, TIMELINE
from burrdesk.views.timeline.timeline_panel import TimelinePanel


@pytest.fixture
def panel(research_panel):
    return research_panel


def top_texts(tree, column=0):
    return [tree.topLevelItem(i).text(column) for i in range(tree.topLevelItemCount())]


def test_the_runs_tree_lists_children_under_the_run_that_started_them(panel):
    model = panel.runs_model
    assert [model.run_at(r).project for r in range(model.rowCount())] == [PROJECT]
    parent = model.index(0, 0)
    assert model.hasChildren(parent)
    panel.runs_view.expand(parent)
    assert model.rowCount(parent) == 3
    child = model.run_for(model.index(0, 0, parent))
    assert child.spawning_parent_run_id == panel.research_run_id
    tooltip = model.data(model.index(0, 0, parent), Qt.ItemDataRole.ToolTipRole)
    assert f"Started by step 1 of run {panel.research_run_id}" in tooltip


def test_a_steps_spans_show_as_a_waterfall_with_their_attributes(qtbot, panel):
    assert panel.select_run(panel.research_run_id)
    click_step(panel, 0)
    spans = panel.spans_view
    assert panel.tabs.tabText(panel.tabs.indexOf(spans)) == "Spans (1)"
    outline = spans.topLevelItem(0)
    assert outline.text(0) == "outline" and outline.text(1).endswith("ms")
    start, end = outline.data(TIMELINE, SPAN_ROLE)
    assert 0 <= start <= end <= 1
    attributes = {outline.child(i).text(0): outline.child(i).text(2) for i in range(2)}
    assert attributes["subtopics"] == "[3 items]"
    assert attributes["question"].startswith('"How do state machines')


def test_step_level_attributes_and_a_stream_show_in_the_step_tabs(qtbot, panel):
    panel.select_run(panel.research_run_id)
    click_step(panel, 2)
    assert panel.tabs.tabText(panel.tabs.indexOf(panel.spans_view)) == "Spans · 2 attributes"
    assert top_texts(panel.spans_view) == ["model", "temperature"]
    text = panel.step_text.toPlainText()
    streamed = next(line for line in text.splitlines() if line.startswith("Streamed"))
    assert "items, the first after" in streamed and "items/s" in streamed


def test_the_sub_applications_tab_leads_to_the_child_run(qtbot, panel):
    panel.select_run(panel.research_run_id)
    click_step(panel, 1)
    assert "started 3 sub-applications" in panel.step_label.text()
    children = panel.children_list
    assert panel.tabs.tabText(panel.tabs.indexOf(children)) == "Sub-applications (3)"
    first = children.item(0)
    assert first.text().startswith("Run ") and "completed" in first.text()
    panel.tabs.setCurrentWidget(children)
    qtbot.waitUntil(children.isVisible)
    children.setCurrentItem(first)
    QTest.keyClick(children, Qt.Key.Key_Return)
    run = panel.current_run
    assert run.spawning_parent_run_id == panel.research_run_id
    assert "started by step 1" in panel.run_label.text()
    click_step(panel, 0)
    assert top_texts(panel.spans_view) == ["research"]
    research = panel.spans_view.topLevelItem(0)
    names = [research.child(i).text(0) for i in range(research.childCount())]
    assert "search" in names and "summarize" in names


def test_a_step_without_spans_says_how_to_get_them(qtbot, tmp_path):
    from burrdesk.engine import ApplicationBuilder, State, action

    @action(reads=[], writes=["x"])
    def plain(state: State) -> State:
        return state.update(x=1)

    db = tmp_path / "plain.db"
    app = (
        ApplicationBuilder()
        .with_actions(plain=plain)
        .with_transitions()
        .with_entrypoint("plain")
        .with_tracker("sqlite", project="plain", params={"db_path": str(db)})
        .build()
    )
    app.step()
    app.builder.tracker.close()
    panel = TimelinePanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.open_database(db)
    panel.select_run(panel.runs_model.run_at(0).run_id)
    click_step(panel, 0)
    assert panel.spans_view.topLevelItemCount() == 0 and panel.spans_view._placeholder == EMPTY
    assert panel.children_list.item(0).text() == "This step started no sub-applications."
    panel.close_database()


def test_the_code_tab_shows_the_selected_steps_action_as_recorded(qtbot, panel):
    panel.select_run(panel.research_run_id)
    click_step(panel, 2)
    code = panel.code_view
    panel.tabs.setCurrentWidget(code)
    qtbot.waitUntil(code.isVisible)
    assert code.caption.text().startswith("Action 'write_answer' as recorded with the run")
    source = code.source_text()
    assert source.startswith("@streaming_action(reads=") and "def write_answer(" in source
    assert code.editor.isReadOnly()
    assert code.editor.highlighter is not None
    click_step(panel, 0)
    assert "def plan(state: State" in code.source_text()


def test_the_code_tab_says_when_no_source_was_recorded(qtbot, tmp_path):
    from burrdesk.model.run_database import RunDatabase

    db = tmp_path / "runs.db"
    with RunDatabase(db) as database:
        run_id = database.create_run(
            project="p",
            app_id="a",
            initial_state={},
            graph={"actions": [{"name": "step"}], "transitions": []},
        )
        database.writer(run_id).record_step(sequence_id=0, action="step", before={}, after={"x": 1})
    widget = TimelinePanel()
    qtbot.addWidget(widget)
    widget.show()
    widget.open_database(db)
    widget.select_run(run_id)
    click_step(widget, 0)
    assert widget.code_view.caption.text() == (
        "No source code for action 'step' was recorded in the run's graph."
    )
    assert widget.code_view.source_text() == ""
    widget.close_database()
