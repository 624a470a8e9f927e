"""`burrdesk inspect`: runs, steps and states from the command line; bad files say one sentence."""

import json
import sqlite3
import subprocess
import sys

import pytest

from burrdesk.cli import main
from burrdesk.engine import ApplicationBuilder, State, action, expr


@action(reads=["count"], writes=["count"])
def increment(state: State) -> State:
    return state.update(count=state["count"] + 1)


@pytest.fixture
def runs_db(tmp_path):
    path = tmp_path / "runs.db"
    app = (
        ApplicationBuilder()
        .with_actions(increment=increment)
        .with_transitions(("increment", "increment", expr("count < 3")))
        .with_state(count=0)
        .with_identifiers(app_id="counter-app")
        .with_entrypoint("increment")
        .with_tracker("sqlite", project="demo", params={"db_path": str(path)})
        .build()
    )
    app.run(halt_after=[])
    app.builder.tracker.close()
    return path


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_lists_runs_as_a_table_and_as_json(runs_db, capsys):
    code, out, _ = run_cli(capsys, "inspect", runs_db)
    assert code == 0
    header, row = out.splitlines()
    assert header.split()[:6] == ["run", "project", "app_id", "partition", "status", "steps"]
    assert row.split()[:5] == ["1", "demo", "counter-app", "completed", "3"]
    code, out, _ = run_cli(capsys, "inspect", runs_db, "--json")
    (run,) = json.loads(out)
    assert (run["app_id"], run["status"], run["step_count"]) == ("counter-app", "completed", 3)


def test_lists_steps_of_a_run_by_id_or_app_id(runs_db, capsys):
    for ref in ("1", "counter-app"):
        code, out, _ = run_cli(capsys, "inspect", runs_db, "--run", ref)
        lines = out.splitlines()
        assert code == 0 and lines[0].split()[:3] == ["seq", "action", "status"]
        assert [line.split()[0] for line in lines[1:]] == ["0", "1", "2"]
        assert all("count" in line for line in lines[1:])
    code, out, _ = run_cli(capsys, "inspect", runs_db, "--run", "1", "--json", "--from", "1")
    assert [s["sequence_id"] for s in json.loads(out)] == [1, 2]


def test_prints_the_state_at_a_step(runs_db, capsys):
    code, out, _ = run_cli(capsys, "inspect", runs_db, "--run", "1", "--step", "1")
    assert code == 0 and "count = 2" in out
    code, out, _ = run_cli(capsys, "inspect", runs_db, "--run", "1", "--step", "2", "--json")
    assert json.loads(out) == {"count": 3}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--run", "7"], "has no run 7"),
        (["--run", "nope"], "has no run with id or app id 'nope'"),
        (["--run", "1", "--step", "99"], "Run 1 has no step 99"),
        (["--step", "1"], "--step needs --run"),
    ],
)
def test_bad_references_are_one_sentence_and_exit_2(runs_db, capsys, argv, message):
    code, out, err = run_cli(capsys, "inspect", runs_db, *argv)
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def _not_sqlite(path):
    path.write_bytes(b"PK\x03\x04 this is a zip file, not a database" * 50)


def _truncated(path, source):
    data = source.read_bytes()
    path.write_bytes(data[:1500])


def _foreign(path):
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, title TEXT)")
    conn.commit()
    conn.close()


def _newer(path, source):
    path.write_bytes(source.read_bytes())
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = '42' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("missing", "There is no run database at"),
        ("not_sqlite", "is not a SQLite database"),
        ("truncated", "damaged"),
        ("foreign", "SQLite database of another program"),
        ("newer", "newer burrdesk (schema version 42)"),
    ],
)
def test_bad_files_exit_2_with_one_sentence_and_stay_untouched(tmp_path, runs_db, kind, message):
    path = tmp_path / f"{kind}.db"
    if kind == "not_sqlite":
        _not_sqlite(path)
    elif kind == "truncated":
        _truncated(path, runs_db)
    elif kind == "foreign":
        _foreign(path)
    elif kind == "newer":
        _newer(path, runs_db)
    before = path.read_bytes() if path.exists() else None
    result = subprocess.run(
        [sys.executable, "-m", "burrdesk", "inspect", str(path)], capture_output=True, text=True
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert (path.read_bytes() if path.exists() else None) == before


def test_default_database_is_created_on_first_use(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BURRDESK_DATA_DIR", str(tmp_path / "data"))
    code, out, _ = run_cli(capsys, "inspect")
    assert code == 0 and "has no runs yet" in out
    assert (tmp_path / "data" / "runs.db").exists()
