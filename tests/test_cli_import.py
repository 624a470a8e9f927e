"""`burrdesk import`: Burr's recordings into a run database from the command line."""

import pytest

burr_core = pytest.importorskip("burr.core")

from burr.core import ApplicationBuilder, State, action, expr  # noqa: E402
from burr.core.persistence import SQLLitePersister  # noqa: E402

from burrdesk.cli import main  # noqa: E402
from burrdesk.model.run_database import RunDatabase  # noqa: E402


@action(reads=["count"], writes=["count"])
def count_up(state: State) -> State:
    return state.update(count=state["count"] + 1)


def burr_app(app_id, tracker_dir=None, persister=None):
    builder = (
        ApplicationBuilder()
        .with_actions(count_up)
        .with_transitions(("count_up", "count_up", expr("count < 3")))
        .with_state(count=0)
        .with_identifiers(app_id=app_id)
        .with_entrypoint("count_up")
    )
    if tracker_dir is not None:
        builder = builder.with_tracker(
            "local", project="cli-demo", params={"storage_dir": str(tracker_dir)}
        )
    if persister is not None:
        builder = builder.with_state_persister(persister)
    app = builder.build()
    app.run(halt_after=[])
    return app


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_import_a_burr_tracker_dir_then_inspect_it(tmp_path, capsys):
    burr_app("app-1", tracker_dir=tmp_path / "burr")
    db = tmp_path / "runs.db"
    code, out, _ = run_cli(capsys, "import", tmp_path / "burr", "--into", db)
    assert code == 0 and "Imported 1 run(s)" in out
    (run,) = RunDatabase(db, read_only=True).list_runs()
    assert (run.project, run.app_id, run.step_count, run.source) == (
        "cli-demo",
        "app-1",
        3,
        "burr-tracker",
    )
    code, out, _ = run_cli(capsys, "inspect", db, "--run", "app-1", "--step", "2", "--json")
    assert code == 0 and '"count": 3' in out
    code, out, _ = run_cli(capsys, "import", tmp_path / "burr", "--into", db)
    assert code == 0 and "Imported 0 run(s)" in out and "Skipped 1 already imported: app-1" in out


def test_import_a_burr_persister_database(tmp_path, capsys):
    persister = SQLLitePersister(db_path=str(tmp_path / "burr_state.db"), table_name="burr_state")
    persister.initialize()
    burr_app("persisted", persister=persister)
    db = tmp_path / "runs.db"
    code, out, _ = run_cli(
        capsys, "import", tmp_path / "burr_state.db", "--into", db, "--project", "p"
    )
    assert code == 0 and "Imported 1 run(s)" in out
    (run,) = RunDatabase(db, read_only=True).list_runs()
    assert (run.project, run.app_id, run.step_count) == ("p", "persisted", 3)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: None, "does not exist"),
        (lambda p: p.write_text("not sqlite" * 100), "neither a Burr tracker folder nor"),
        (lambda p: p.mkdir(), "no Burr"),
    ],
)
def test_bad_import_paths_are_one_sentence_and_exit_2(tmp_path, capsys, make, message):
    path = tmp_path / "thing"
    make(path)
    code, out, err = run_cli(capsys, "import", path, "--into", tmp_path / "runs.db")
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
