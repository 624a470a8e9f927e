"""Load on one run database from several programs at once, as real OS processes: eight
trackers writing 10,000 steps each into one PostgreSQL database that has no tables yet (they
race to create them under the schema's advisory lock), two into one SQLite file that does not
exist yet, and one program killed with SIGKILL mid-run while three others keep writing. A team
shares one server database and a machine runs several tracked programs against one file, so
what matters is that every run ends complete and exact (no step lost or duplicated, its state
replayable at any step), that the losers of the creation race neither fail nor corrupt it, that
a killed writer leaves every step it committed readable and its run marked interrupted, and
that the SQLite file is sound with its WAL emptied afterwards. Every program waits at a gate
after its imports, so all of them open the database in the same instant."""

from __future__ import annotations

import contextlib
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from burrdesk.model.run_database_opener import open_run_database

STEPS = 10_000
TIMEOUT = 300  # seconds for all the programs of one test together, generously
# A WAL is cut back to 4 MB whenever it restarts (journal_size_limit), emptied only at a
# run's end: a bound below 4 MB tells the two apart.
WAL_LIMIT = 1024 * 1024

PROGRAM = textwrap.dedent(
    """
    import os, signal, sys, time
    from pathlib import Path

    from burrdesk.engine import ApplicationBuilder, State, action, expr

    target, steps, app_id = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    kill_at, gate = int(sys.argv[4]), Path(sys.argv[5])

    @action(reads=["count"], writes=["count"])
    def increment(state: State) -> State:
        if state["count"] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return state.update(count=state["count"] + 1)

    # Imported and ready: wait for the others, so that all open the database at once.
    (gate / f"{app_id}.ready").touch()
    deadline = time.monotonic() + 120
    while not (gate / "go").exists():
        if time.monotonic() > deadline:
            sys.exit("never told to go")
        time.sleep(0.002)

    server = target.startswith("postgresql://")
    app = (
        ApplicationBuilder()
        .with_actions(increment=increment)
        .with_transitions(("increment", "increment", expr(f"count < {steps}")))
        .with_state(count=0)
        .with_entrypoint("increment")
        .with_identifiers(app_id=app_id)
        .with_tracker(
            "postgresql" if server else "sqlite",
            project="load",
            params={"db_url": target} if server else {"db_path": target},
        )
        .build()
    )
    (gate / f"{app_id}.open").touch()  # past creating the database: now it writes
    app.run(halt_after=[])
    """
)


class Programs:
    """Tracked programs started together; each one's exit code and stderr once they end.
    Leaving the `with` block kills (SIGKILL) and reaps any still running, whatever happened."""

    def __init__(self, folder: Path, target: str, runs: dict[str, int]):
        """`runs`: app id -> the count at which that program kills itself (-1: never)."""
        self.folder, self.target, self.runs = folder, target, runs
        self.gate = folder / "gate"
        self.processes: dict[str, subprocess.Popen] = {}

    def __enter__(self) -> Programs:
        self.gate.mkdir()
        script = self.folder / "count.py"
        script.write_text(PROGRAM)
        for app_id, kill_at in self.runs.items():
            with open(self.folder / f"{app_id}.stderr", "wb") as stderr:
                self.processes[app_id] = subprocess.Popen(
                    [sys.executable, str(script), self.target, str(STEPS), app_id]
                    + [str(kill_at), str(self.gate)],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                )
        return self

    def __exit__(self, *exc_info: object) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
        for process in self.processes.values():
            process.wait(timeout=30)

    def start_together(self) -> None:
        """Opens the gate once every program has imported burrdesk and waits at it."""
        deadline = time.monotonic() + TIMEOUT
        while not all((self.gate / f"{a}.ready").exists() for a in self.runs):
            exited = {a: p.returncode for a, p in self.processes.items() if p.poll() is not None}
            assert not exited, f"exited before the gate opened: {exited}\n{self.stderr()}"
            assert time.monotonic() < deadline, "the programs never got ready"
            time.sleep(0.01)
        (self.gate / "go").touch()

    def wait(self) -> dict[str, int]:
        """Every program's exit code (a negative signal number when killed)."""
        deadline = time.monotonic() + TIMEOUT
        codes = {}
        for app_id, process in self.processes.items():
            try:
                codes[app_id] = process.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pytest.fail(f"{app_id} still running after {TIMEOUT} s\n{self.stderr()}")
        return codes

    def stderr(self) -> str:
        return "\n".join(
            f"--- {app_id}:\n{(self.folder / f'{app_id}.stderr').read_text(errors='replace')}"
            for app_id in self.runs
        )

    def wait_until_open(self) -> None:
        """Returns once every program has opened the database (and so is past creating it)."""
        deadline = time.monotonic() + TIMEOUT
        while not all((self.gate / f"{a}.open").exists() for a in self.runs):
            exited = {a: p.returncode for a, p in self.processes.items() if p.poll() is not None}
            assert not exited, f"exited before opening the database: {exited}\n{self.stderr()}"
            assert time.monotonic() < deadline, "the programs never opened the database"
            time.sleep(0.01)


def run_all(folder: Path, target: str, runs: dict[str, int], while_open=None) -> dict[str, int]:
    """Starts the programs together on `target`, waits for all, and checks no stderr holds a
    traceback; their exit codes. `while_open`, if given, is entered once all have opened the
    database and left after all have ended."""
    with Programs(folder, target, runs) as programs:
        programs.start_together()
        with contextlib.ExitStack() as stack:
            if while_open is not None:
                programs.wait_until_open()
                stack.enter_context(while_open())
            codes = programs.wait()
        assert "Traceback" not in programs.stderr(), programs.stderr()
    return codes


def sequence_ids(db, run_id: int) -> list[int]:
    """Every step's sequence id, read through the public API page by page."""
    found: list[int] = []
    start = None
    while page := db.read_steps(run_id, start, 1000):
        assert {(s.action, s.status) for s in page} == {("increment", "completed")}
        found += [s.sequence_id for s in page]
        start = page[-1].sequence_id + 1
    return found


def assert_complete_runs(db, app_ids: list[str]) -> None:
    """Each of `app_ids` is one completed run of exactly STEPS steps, 0 to STEPS - 1, whose
    state replays to the count at its last step and at random ones."""
    runs = {run.app_id: run for run in db.list_runs(limit=100) if run.app_id in app_ids}
    assert sorted(runs) == sorted(app_ids)
    for run in runs.values():
        assert (run.status, run.step_count) == ("completed", STEPS), run
        assert (run.first_sequence_id, run.last_sequence_id) == (0, STEPS - 1), run
        assert sequence_ids(db, run.run_id) == list(range(STEPS)), run.app_id
        assert db.state_at(run.run_id, STEPS - 1) == {"count": STEPS}
        for sequence_id in random.Random(run.app_id).sample(range(STEPS), 5):
            assert db.state_at(run.run_id, sequence_id) == {"count": sequence_id + 1}
    counts = db._query(
        "SELECT run_id, COUNT(*), COUNT(DISTINCT sequence_id), MIN(sequence_id), "
        "MAX(sequence_id) FROM steps GROUP BY run_id"
    )
    wanted = {run.run_id for run in runs.values()}
    assert {tuple(row[1:]) for row in counts if row[0] in wanted} == {(STEPS, STEPS, 0, STEPS - 1)}
    assert {row[0] for row in counts} >= wanted


def assert_empty_server_database(url: str) -> None:
    import psycopg

    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
    assert tables == []


def test_eight_programs_create_and_fill_one_empty_postgresql_database_together(
    tmp_path, postgres_url
):
    assert_empty_server_database(postgres_url)
    app_ids = [f"load-{n}" for n in range(8)]
    codes = run_all(tmp_path, postgres_url, {app_id: -1 for app_id in app_ids})
    assert codes == {app_id: 0 for app_id in app_ids}
    db = open_run_database(postgres_url, read_only=True)
    try:
        assert len(db.list_runs(limit=100)) == 8
        assert_complete_runs(db, app_ids)
    finally:
        db.close()


def test_two_programs_create_and_fill_one_new_sqlite_file_together(tmp_path):
    target = tmp_path / "runs.db"
    assert not target.exists()
    app_ids = ["file-0", "file-1"]
    # A reader stays open from when both have opened the file until after both end (as the
    # timeline would): the writers' exits then cannot delete the WAL, so its size after them
    # shows what the runs' ends left in it.
    wal_sizes = []

    @contextlib.contextmanager
    def reader():
        with open_run_database(target, read_only=True):
            yield
            wal = Path(f"{target}-wal")
            wal_sizes.append(wal.stat().st_size if wal.exists() else None)

    codes = run_all(tmp_path, str(target), {app_id: -1 for app_id in app_ids}, reader)
    assert codes == {app_id: 0 for app_id in app_ids}
    assert wal_sizes[0] is None or wal_sizes[0] < WAL_LIMIT, wal_sizes
    db = open_run_database(target, read_only=True)
    try:
        assert db.integrity_check() == "ok"
        assert len(db.list_runs(limit=100)) == 2
        assert_complete_runs(db, app_ids)
    finally:
        db.close()


def test_a_program_killed_mid_run_leaves_its_steps_while_three_others_complete(
    tmp_path, postgres_url
):
    kill_at = 3_000
    survivors = ["steady-0", "steady-1", "steady-2"]
    runs = {app_id: -1 for app_id in survivors} | {"doomed": kill_at}
    codes = run_all(tmp_path, postgres_url, runs)
    assert codes == {app_id: 0 for app_id in survivors} | {"doomed": -signal.SIGKILL}
    db = open_run_database(postgres_url, read_only=True)
    try:
        assert_complete_runs(db, survivors)
        (doomed,) = [run for run in db.list_runs(limit=100) if run.app_id == "doomed"]
        assert doomed.status == "interrupted"
        assert doomed.step_count == kill_at
        assert (doomed.first_sequence_id, doomed.last_sequence_id) == (0, kill_at - 1)
        assert sequence_ids(db, doomed.run_id) == list(range(kill_at))
        assert db.state_at(doomed.run_id, kill_at - 1) == {"count": kill_at}
        for sequence_id in random.Random(0).sample(range(kill_at), 5):
            assert db.state_at(doomed.run_id, sequence_id) == {"count": sequence_id + 1}
        # The others were writing when it died, and went on writing after it.
        killed_at = db.read_last_steps(doomed.run_id, 1)[0].ended_at
        for run in db.list_runs(limit=100):
            if run.app_id in survivors:
                assert db.read_steps(run.run_id, 0, 1)[0].ended_at < killed_at
                assert db.read_last_steps(run.run_id, 1)[0].ended_at > killed_at
    finally:
        db.close()
