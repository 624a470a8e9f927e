"""`burrdesk annotations`: annotated steps listed, or exported as a dataset, or one sentence."""

import json

import pytest

from burrdesk.cli import main as burrdesk_main
from burrdesk.model.run_database import RunDatabase
from burrdesk.model.step_annotations import Annotation, AnnotationStore


def main(argv):
    """`burrdesk` with its arguments as the shell passes them (paths as text)."""
    return burrdesk_main([str(a) for a in argv])


@pytest.fixture
def runs_db(tmp_path):
    path = tmp_path / "runs.db"
    with RunDatabase(path) as db:
        run_id = db.create_run(project="chat", app_id="a1", initial_state={"n": 0})
        writer = db.writer(run_id)
        for seq in range(2):
            writer.record_step(
                sequence_id=seq,
                action="count",
                before={"n": seq},
                after={"n": seq + 1},
                result={"n": seq + 1},
            )
        run = db.get_run(run_id)
        store = AnnotationStore(db)
        store.save(Annotation.for_step(run, 0, "count", verdict="good", tags=["golden"]))
        store.save(Annotation.for_step(run, 1, "count", verdict="bad", note="off by one"))
    return path


def test_annotations_are_listed_and_filtered(capsys, runs_db):
    assert main(["annotations", runs_db]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "chat/a1 step 0 count: good [golden]",
        "chat/a1 step 1 count: bad off by one",
        "2 annotated steps.",
    ]
    assert main(["annotations", runs_db, "--verdict", "bad"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "1 annotated step."


def test_a_dataset_is_exported_with_each_steps_states(capsys, runs_db, tmp_path):
    target = tmp_path / "evals.jsonl"
    assert main(["annotations", runs_db, "--tag", "golden", "-o", target]) == 0
    assert capsys.readouterr().out == f"Exported 1 annotated step to {target}.\n"
    (row,) = [json.loads(line) for line in target.read_text().splitlines()]
    assert (row["state_before"], row["state_after"], row["verdict"]) == ({"n": 0}, {"n": 1}, "good")


def test_bad_targets_are_one_sentence(capsys, runs_db, tmp_path):
    assert main(["annotations", runs_db, "-o", tmp_path / "evals.txt"]) == 2
    err = capsys.readouterr().err
    assert err == "burrdesk: evals.txt must end in .jsonl or .csv to say which format to export.\n"
    assert main(["annotations", tmp_path / "none.db"]) == 2
    assert capsys.readouterr().err == (
        f"burrdesk: There is no run database at {tmp_path / 'none.db'}.\n"
    )
