"""`burrdesk test-case` and `burrdesk fork-script`: a recorded step as code, or one sentence."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from burrdesk.cli import main
from burrdesk.engine import ApplicationBuilder, State, action, default, expr
from burrdesk.model.run_database import RunDatabase

HERE = Path(__file__).parent


@action(reads=["count"], writes=["count"])
def increment(state: State) -> State:
    return state.update(count=state["count"] + 1)


@action(reads=["count"], writes=["count"])
def crash(state: State) -> State:
    raise ValueError("count is too high")


@pytest.fixture
def runs_db(tmp_path):
    """Steps 0-2 count to 3; step 3 fails."""
    path = tmp_path / "runs.db"
    app = (
        ApplicationBuilder()
        .with_actions(increment=increment, crash=crash)
        .with_transitions(
            ("increment", "increment", expr("count < 3")), ("increment", "crash", default)
        )
        .with_state(count=0)
        .with_identifiers(app_id="counter-app")
        .with_entrypoint("increment")
        .with_tracker("sqlite", project="demo", params={"db_path": str(path)})
        .build()
    )
    with pytest.raises(ValueError):
        app.run(halt_after=["crash"])
    app.builder.tracker.close()
    return path


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_test_case_is_written_and_passes(capsys, runs_db, tmp_path):
    target = tmp_path / "test_step_1.py"
    code, out, err = run_cli(
        capsys, "test-case", runs_db, "--run", "counter-app", "--step", 1, "-o", target
    )
    assert (code, err) == (0, "")
    assert out == f"Wrote a test case for step 1 of run 1 to {target}.\n"
    source = target.read_text()
    assert "from test_cli_test_case import increment" in source
    env = {**os.environ, "PYTHONPATH": str(HERE)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(target)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_without_a_file_the_code_goes_to_standard_output(capsys, runs_db):
    code, out, _err = run_cli(capsys, "test-case", runs_db, "--run", 1, "--step", 0)
    assert code == 0 and out.startswith('"""Step 0 of run 1 (demo, app id counter-app)')
    code, out, _err = run_cli(capsys, "fork-script", runs_db, "--run", 1, "--step", 2)
    assert code == 0
    assert f"DB_PATH = {json.dumps(str(runs_db.resolve()))}" in out
    assert "fork_from_sequence_id=SEQUENCE_ID" in out and "SEQUENCE_ID = 2" in out


def test_the_fork_script_forks_the_run(capsys, runs_db, tmp_path):
    target = tmp_path / "fork.py"
    code, out, _err = run_cli(capsys, "fork-script", runs_db, "--run", 1, "--step", 3, "-o", target)
    assert code == 0 and out == f"Wrote a fork script for step 3 of run 1 to {target}.\n"
    env = {**os.environ, "PYTHONPATH": str(HERE)}
    done = subprocess.run(
        [sys.executable, str(target)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Forked app counter-app after step 3 as run 2")
    with RunDatabase(runs_db, read_only=True) as database:
        fork = database.get_run(2)
    assert (fork.parent_run_id, fork.parent_sequence_id) == (1, 3)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--run", "7", "--step", "0"], "has no run 7."),
        (["--run", "nobody", "--step", "0"], "has no run with id or app id 'nobody'."),
        (["--run", "1", "--step", "9"], "Run 1 has no step 9."),
        (
            ["--run", "1", "--step", "3"],
            "Step 3 of run 1 failed (ValueError: count is too high), so it has no result to "
            "expect; fork from it instead to run it again.",
        ),
    ],
)
def test_user_errors_are_one_sentence(capsys, runs_db, argv, message):
    code, out, err = run_cli(capsys, "test-case", runs_db, *argv)
    assert code == 2 and out == ""
    assert err.startswith("burrdesk: ") and err.endswith(message + "\n")
    assert err.count("\n") == 1


def test_a_missing_database_or_folder_is_one_sentence(capsys, runs_db, tmp_path):
    code, _out, err = run_cli(capsys, "test-case", tmp_path / "none.db", "--run", 1, "--step", 0)
    assert code == 2 and err == f"burrdesk: There is no run database at {tmp_path / 'none.db'}.\n"
    target = tmp_path / "missing" / "test_x.py"
    code, _out, err = run_cli(capsys, "test-case", runs_db, "--run", 1, "--step", 0, "-o", target)
    assert code == 2 and err == f"burrdesk: Cannot write {target}: No such file or directory.\n"


def test_the_capabilities_name_both_subcommands(capsys):
    assert main(["--about"]) == 0
    out = capsys.readouterr().out
    assert "burrdesk test-case RUNS.db --run ID --step N" in out
    assert "burrdesk fork-script RUNS.db --run ID --step N" in out
