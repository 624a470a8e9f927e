"""Push and pull against a real PostgreSQL server: runs, forks, children and annotations make
the round trip as the same bytes, and copying twice adds nothing."""

from __future__ import annotations

import pytest

from burrdesk.engine.demo_research import record_research_run
from burrdesk.model.run_database import RunDatabase, RunDatabaseError
from burrdesk.model.run_transfer import pull, push
from burrdesk.model.step_annotations import Annotation, AnnotationStore


def _snapshot(path) -> dict:
    """Every run by identity, with its steps' stored text and its states."""
    with RunDatabase(path, read_only=True) as db:
        runs = {}
        for run in db.list_runs(limit=1000):
            steps = db.read_steps(run.run_id, limit=10_000)
            parent = db.get_run(run.parent_run_id).app_id if run.parent_run_id else None
            spawner = (
                db.get_run(run.spawning_parent_run_id).app_id
                if run.spawning_parent_run_id
                else None
            )
            runs[(run.project, run.partition_key or "", run.app_id)] = (
                run.status,
                run.step_count,
                parent,
                run.parent_sequence_id,
                spawner,
                [(s.sequence_id, s.action, s.inputs, s.result, s.delta) for s in steps],
                [db.state_at(run.run_id, s.sequence_id) for s in steps],
                [sp.name for s in steps for sp in db.spans(run.run_id, s.sequence_id)],
            )
        annotations = [
            a.model_dump(exclude={"updated_at", "created_at"}) for a in AnnotationStore(db).list()
        ]
    return {"runs": runs, "annotations": annotations}


@pytest.fixture
def local_db(tmp_path):
    path = tmp_path / "runs.db"
    research = record_research_run(path)
    with RunDatabase(path) as db:
        fork = db.fork(research, 1)
        run = db.get_run(research)
        AnnotationStore(db).save(Annotation.for_step(run, 2, "write_answer", verdict="good"))
        assert db.get_run(fork.run_id).parent_run_id == research
    return path


def test_a_push_and_a_pull_bring_back_the_same_runs(local_db, tmp_path, postgres_url):
    first = push(local_db, postgres_url)
    assert first.runs_added == 5 and first.steps_added > 0  # research, 3 children, a fork
    pulled = tmp_path / "pulled.db"
    back = pull(postgres_url, pulled)
    assert back.runs_added == 5 and back.steps_added == first.steps_added
    assert _snapshot(pulled) == _snapshot(local_db)


def test_pushing_twice_adds_nothing_and_a_longer_run_adds_only_its_new_steps(
    local_db, postgres_url
):
    push(local_db, postgres_url)
    again = push(local_db, postgres_url)
    assert (again.runs_added, again.steps_added, again.runs_updated) == (0, 0, 0)
    assert again.runs_unchanged == 5
    with RunDatabase(local_db) as db:
        (run,) = [r for r in db.list_runs(limit=100) if r.parent_run_id is None and r.child_count]
        db.writer(run.run_id).record_step(
            sequence_id=run.last_sequence_id + 1,
            action="write_answer",
            before=db.state_at(run.run_id, run.last_sequence_id),
            after={"answer": "again"},
        )
    grown = push(local_db, postgres_url)
    assert (grown.runs_added, grown.runs_updated, grown.steps_added) == (0, 1, 1)


def test_a_server_that_is_not_there_or_not_ours_is_one_sentence(local_db, postgres_url):
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE invoices (id int)")
    with pytest.raises(
        RunDatabaseError, match=r"holds other tables \(invoices…\) and no burrdesk runs"
    ):
        push(local_db, postgres_url)
    with pytest.raises(
        RunDatabaseError, match=r"^Cannot connect to postgresql://nobody@127.0.0.1:1/x: "
    ):
        push(local_db, "postgresql://nobody:secret@127.0.0.1:1/x")
