"""Annotations: stored per step in a run database, found again, filtered, exported as a dataset."""

from __future__ import annotations

import csv
import json
import sqlite3

import pytest

from burrdesk.model.run_database import RunDatabase, RunDatabaseError
from burrdesk.model.run_database_opener import open_run_database
from burrdesk.model.step_annotations import Annotation, AnnotationStore, export_dataset


@pytest.fixture
def database(db_target):
    """A run with three steps, in a file and again on a PostgreSQL server."""
    with open_run_database(db_target) as db:
        run_id = db.create_run(
            project="chat", app_id="a1", partition_key="alice", initial_state={"n": 0}
        )
        writer = db.writer(run_id)
        for seq in range(3):
            writer.record_step(
                sequence_id=seq,
                action="count",
                before={"n": seq},
                after={"n": seq + 1},
                inputs={"by": 1},
                result={"n": seq + 1},
            )
        db.run_id = run_id
        yield db


def test_an_annotation_is_saved_replaced_and_removed(database):
    store = AnnotationStore(database)
    run = database.get_run(database.run_id)
    first = store.save(
        Annotation.for_step(run, 1, "count", verdict="bad", tags="wrong, math ,wrong", note="off")
    )
    assert first.tags == ("wrong", "math") and first.created_at == first.updated_at
    again = store.save(Annotation.for_step(run, 1, "count", verdict="good", expected={"n": 2}))
    assert again.created_at == first.created_at and again.verdict == "good"
    assert store.get("chat", "alice", "a1", 1) == again
    assert list(store.for_run(run)) == [1]
    assert store.save(Annotation.for_step(run, 1, "count")) is None  # empty: removed
    assert store.for_run(run) == {}


def test_annotations_filter_by_project_verdict_and_tag(database):
    store = AnnotationStore(database)
    run = database.get_run(database.run_id)
    store.save(Annotation.for_step(run, 0, "count", verdict="good", tags=["golden"]))
    store.save(Annotation.for_step(run, 2, "count", verdict="bad", tags=["golden", "slow"]))
    assert [a.sequence_id for a in store.list(tag="golden")] == [0, 2]
    assert [a.sequence_id for a in store.list(verdict="bad")] == [2]
    assert store.list(project="other") == []
    assert store.tags() == ["golden", "slow"]
    annotated = database.search_steps(run.run_id, sequence_ids=store.for_run(run))
    assert [s.sequence_id for s in annotated] == [0, 2]


def test_the_dataset_export_carries_the_step_with_its_annotation(database, tmp_path):
    store = AnnotationStore(database)
    run = database.get_run(database.run_id)
    store.save(Annotation.for_step(run, 1, "count", verdict="bad", expected={"n": 5}, note="x"))
    lines = tmp_path / "evals.jsonl"
    assert export_dataset(store.list(), database, lines) == 1
    (row,) = [json.loads(line) for line in lines.read_text().splitlines()]
    assert row["state_before"] == {"n": 1} and row["state_after"] == {"n": 2}
    assert (row["inputs"], row["result"], row["expected"]) == ({"by": 1}, {"n": 2}, {"n": 5})
    assert (row["verdict"], row["note"], row["run_id"]) == ("bad", "x", run.run_id)
    table = tmp_path / "evals.csv"
    assert export_dataset(store.list(), database, table) == 1
    (cells,) = list(csv.DictReader(table.open(encoding="utf-8")))
    assert json.loads(cells["state_after"]) == {"n": 2} and cells["verdict"] == "bad"
    with pytest.raises(RunDatabaseError, match=r"evals.txt must end in .jsonl or .csv"):
        export_dataset(store.list(), database, tmp_path / "evals.txt")


def test_annotations_can_live_apart_from_the_steps_they_describe(database, tmp_path):
    """A Burr trace's cache holds the steps; the user's database holds what was said."""
    with RunDatabase(tmp_path / "mine.db") as mine:
        run = database.get_run(database.run_id)
        AnnotationStore(mine).save(Annotation.for_step(run, 2, "count", tags=["keep"]))
        out = tmp_path / "out.jsonl"
        export_dataset(AnnotationStore(mine).list(), database, out)
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert row["state_after"] == {"n": 3} and row["tags"] == ["keep"]


def _version_3_file(path):
    """A run database as burrdesk wrote it before annotations (schema version 3)."""
    RunDatabase(path).close()
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE annotations")
    conn.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    return path


def test_a_version_3_file_reads_no_annotations_and_gains_the_table_when_written(tmp_path):
    path = _version_3_file(tmp_path / "old.db")
    with RunDatabase(path, read_only=True) as old:
        assert AnnotationStore(old).list() == [] and old.schema_version == 3
        with pytest.raises(RunDatabaseError, match="open read-only"):
            AnnotationStore(old).save(Annotation(project="p", app_id="a", sequence_id=0, note="hi"))
    with RunDatabase(path) as upgraded:
        assert upgraded.schema_version == 4
        AnnotationStore(upgraded).save(
            Annotation(project="p", app_id="a", sequence_id=0, note="hi")
        )
        assert AnnotationStore(upgraded).list()[0].note == "hi"


def test_a_reader_opened_before_the_migration_sees_the_first_annotation(tmp_path):
    path = _version_3_file(tmp_path / "old.db")
    with RunDatabase(path, read_only=True) as reader:
        assert AnnotationStore(reader).list() == []
        with RunDatabase(path) as writer:
            AnnotationStore(writer).save(
                Annotation(project="p", app_id="a", sequence_id=0, note="x")
            )
        assert [a.note for a in AnnotationStore(reader).list()] == ["x"]
