"""Annotating steps in the timeline: mark, tag, note, filter by them, export them as a dataset;
on a Burr trace folder they go into the user's own run database, not into Burr's folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog
from step_clicks import click_step

from burrdesk.model.run_database import RunDatabase
from burrdesk.model.step_annotations import AnnotationStore


@pytest.fixture
def panel(research_panel):
    research_panel.select_run(research_panel.research_run_id)
    return research_panel


def open_annotate(qtbot, panel):
    editor = panel.annotation_editor
    panel.tabs.setCurrentWidget(editor)
    qtbot.waitUntil(editor.isVisible)
    return editor


def visible_actions(panel):
    model = panel.steps_model
    return [model.step_at(row).action for row in range(model.rowCount())]


def test_a_step_is_marked_tagged_and_noted_and_keeps_it(qtbot, panel):
    click_step(panel, 2)
    editor = open_annotate(qtbot, panel)
    assert editor.status.text() == "Not annotated yet."
    QTest.mouseClick(editor.bad_button, Qt.MouseButton.LeftButton)
    QTest.keyClicks(editor.tags_edit, "too long, golden")
    QTest.keyClicks(editor.note_edit, "The answer rambles.")
    QTest.keyClicks(editor.expected_edit, '{"answer": "short"}')
    QTest.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert editor.status.text() == "Saved in runs.db."
    assert panel.tabs.tabText(panel.tabs.indexOf(editor)) == "Annotate · bad"
    click_step(panel, 0)
    assert not editor.bad_button.isChecked() and editor.tags_edit.text() == ""
    click_step(panel, 2)
    assert editor.bad_button.isChecked()
    assert editor.tags_edit.text() == "too long, golden"
    assert editor.note_edit.toPlainText() == "The answer rambles."
    assert json.loads(editor.expected_edit.toPlainText()) == {"answer": "short"}
    with RunDatabase(panel.database.path, read_only=True) as db:
        (stored,) = AnnotationStore(db).list()
    assert (stored.sequence_id, stored.verdict, stored.tags) == (2, "bad", ("too long", "golden"))


def test_good_and_bad_exclude_each_other_and_remove_clears(qtbot, panel):
    click_step(panel, 1)
    editor = open_annotate(qtbot, panel)
    QTest.mouseClick(editor.good_button, Qt.MouseButton.LeftButton)
    QTest.mouseClick(editor.bad_button, Qt.MouseButton.LeftButton)
    assert editor.verdict() == "bad"
    QTest.mouseClick(editor.bad_button, Qt.MouseButton.LeftButton)
    assert editor.verdict() is None
    QTest.mouseClick(editor.good_button, Qt.MouseButton.LeftButton)
    QTest.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert panel.tabs.tabText(panel.tabs.indexOf(editor)) == "Annotate · good"
    QTest.mouseClick(editor.clear_button, Qt.MouseButton.LeftButton)
    assert editor.status.text() == "Annotation removed."
    assert panel.tabs.tabText(panel.tabs.indexOf(editor)) == "Annotate"
    assert panel.run_annotations() == {}


def test_the_steps_filter_by_verdict_and_by_tag(qtbot, panel):
    panel.steps_view.setFocus()
    click_step(panel, 0)
    QTest.keyClick(panel.steps_view, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    click_step(panel, 2)
    QTest.keyClick(panel.steps_view, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    editor = open_annotate(qtbot, panel)
    QTest.keyClicks(editor.tags_edit, "verbose")
    QTest.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert visible_actions(panel) == ["plan", "research", "write_answer"]
    panel.step_status.setCurrentIndex(panel.step_status.findText("Marked bad"))
    assert visible_actions(panel) == ["write_answer"]
    panel.step_status.setCurrentIndex(panel.step_status.findText("Annotated"))
    assert visible_actions(panel) == ["plan", "write_answer"]
    panel.step_status.setCurrentIndex(0)
    panel.step_field.setCurrentIndex(panel.step_field.findText("by tag"))
    QTest.keyClicks(panel.step_search, "verb")
    panel.apply_filters()
    assert visible_actions(panel) == ["write_answer"]
    panel.step_search.clear()
    panel.apply_filters()
    assert len(visible_actions(panel)) == 3


def test_the_project_exports_as_jsonl_and_csv(qtbot, panel, tmp_path, monkeypatch):
    click_step(panel, 1)
    editor = open_annotate(qtbot, panel)
    QTest.mouseClick(editor.good_button, Qt.MouseButton.LeftButton)
    QTest.keyClicks(editor.expected_edit, "three notes")
    QTest.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    for name in ("set.jsonl", "set.csv"):
        target = tmp_path / name
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, t=target, **k: (str(t), ""))
        QTest.mouseClick(editor.export_button, Qt.MouseButton.LeftButton)
        assert editor.status.text() == f"Exported 1 annotated step to {name}."
    (row,) = [json.loads(line) for line in (tmp_path / "set.jsonl").read_text().splitlines()]
    assert (row["action"], row["verdict"], row["expected"]) == ("research", "good", "three notes")
    assert row["state_after"]["notes"] and "notes" not in (row["state_before"] or {})
    assert "state_after" in (tmp_path / "set.csv").read_text().splitlines()[0]


def test_annotations_on_a_burr_folder_go_into_the_users_database(window, qtbot, data_dir):
    burr = pytest.importorskip("burr")
    folder = Path(burr.__file__).parent / "tracking" / "server" / "demo_data" / "demo_counter"
    before = sorted(p.name for p in folder.rglob("*"))
    assert window.files.open_path(folder)
    qtbot.waitUntil(lambda: not window.timeline._awaiting_first_read, timeout=10_000)
    panel = window.timeline.panel
    assert panel.select_run(panel.database.find_run("count-to-42").run_id)
    qtbot.waitUntil(lambda: panel.steps_model.rowCount() == 43, timeout=10_000)
    click_step(panel, 5)
    editor = open_annotate(qtbot, panel)
    assert editor.caption.text() == "Step 5 · counter · kept in runs.db"
    QTest.mouseClick(editor.good_button, Qt.MouseButton.LeftButton)
    QTest.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert editor.status.text() == "Saved in runs.db."
    assert sorted(p.name for p in folder.rglob("*")) == before
    with RunDatabase(data_dir / "runs.db", read_only=True) as mine:
        (stored,) = AnnotationStore(mine).list()
    assert (stored.project, stored.app_id, stored.sequence_id) == ("demo_counter", "count-to-42", 5)
    click_step(panel, 6)
    click_step(panel, 5)
    assert editor.good_button.isChecked()
