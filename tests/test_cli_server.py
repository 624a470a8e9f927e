"""The CLI with a PostgreSQL URL wherever it takes a run database: `run --db`, `inspect`,
`import --into`, `fork-script`, and the app itself (`burrdesk URL`), against a real server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from burrdesk.cli import main as burrdesk_main
from burrdesk.engine import ApplicationBuilder, State, action
from burrdesk.model.run_database_opener import open_run_database

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"
BURR_DEMO = Path(__import__("burr").__file__).parent / "tracking" / "server" / "demo_data"


def main(argv):
    return burrdesk_main([str(a) for a in argv])


def test_run_inspect_and_import_take_a_server_url(capsys, postgres_url):
    assert main(["run", EXAMPLES / "counter.burrflow", "--db", postgres_url]) == 0
    out = capsys.readouterr().out
    assert f"as run 1 in {postgres_url}" in out and "Run 1: completed, 12 steps." in out
    assert main(["import", BURR_DEMO / "demo_counter", "--into", postgres_url]) == 0
    assert capsys.readouterr().out == f"Imported 5 run(s) into {postgres_url}.\n"
    assert main(["inspect", postgres_url, "--json"]) == 0
    runs = __import__("json").loads(capsys.readouterr().out)
    assert sorted(r["project"] for r in runs) == ["counter"] + ["demo_counter"] * 5
    assert main(["inspect", postgres_url, "--run", "1", "--step", "9"]) == 0
    assert "count = 10" in capsys.readouterr().out


def test_a_password_in_the_url_is_never_printed(capsys, postgres_url):
    with_password = postgres_url.replace("burrdesk@", "burrdesk:hunter2@")
    assert main(["run", EXAMPLES / "counter.burrflow", "--db", with_password]) == 0
    out = capsys.readouterr().out
    assert "hunter2" not in out and f"in {postgres_url}" in out
    assert main(["inspect", "postgresql://ann:hunter2@127.0.0.1:1/x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("burrdesk: Cannot connect to postgresql://ann@127.0.0.1:1/x")
    assert "hunter2" not in err and err.count("\n") == 1


@action(reads=["count"], writes=["count"])
def increment(state: State) -> State:
    return state.update(count=state["count"] + 1)


def test_a_fork_script_of_a_server_run_forks_on_the_server(capsys, postgres_url, tmp_path):
    app = (
        ApplicationBuilder()
        .with_actions(increment=increment)
        .with_transitions(("increment", "increment"))
        .with_state(count=0)
        .with_entrypoint("increment")
        .with_identifiers(app_id="source-run")
        .with_tracker("postgresql", project="forks", params={"db_url": postgres_url})
        .build()
    )
    for _ in range(4):
        app.step()
    app.builder.tracker.close()
    script = tmp_path / "fork.py"
    assert (
        main(["fork-script", postgres_url, "--run", "source-run", "--step", "1", "-o", script]) == 0
    )
    assert postgres_url in script.read_text()
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with open_run_database(postgres_url, read_only=True) as db:
        fork = next(r for r in db.list_runs() if r.parent_run_id is not None)
        assert fork.parent_sequence_id == 1
        assert db.state_at(fork.run_id, 1) == {"count": 2}


def test_with_tracker_postgresql_needs_a_url():
    builder = ApplicationBuilder()
    with pytest.raises(ValueError, match=r'needs params=\{"db_url": "postgresql://'):
        builder.with_tracker("postgresql", params={"db_path": "runs.db"})
    with pytest.raises(ValueError, match="Unknown tracker 'mysql'"):
        builder.with_tracker("mysql")


def _app(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "burrdesk", *argv], capture_output=True, text=True, timeout=120
    )


def test_the_app_opens_a_server_url_and_a_dead_one_is_one_sentence(postgres_url, tmp_path):
    assert main(["run", EXAMPLES / "counter.burrflow", "--db", postgres_url]) == 0
    shot = tmp_path / "server.png"
    done = _app("--screenshot", str(shot), postgres_url)
    assert done.returncode == 0, done.stderr
    assert shot.stat().st_size > 10_000
    dead = _app("--screenshot", str(tmp_path / "dead.png"), "postgresql://x@127.0.0.1:1/none")
    assert dead.returncode == 2
    assert dead.stderr.startswith("burrdesk: Cannot connect to postgresql://x@127.0.0.1:1/none")
    assert "Traceback" not in dead.stderr and not (tmp_path / "dead.png").exists()
