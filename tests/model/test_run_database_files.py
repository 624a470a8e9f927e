"""A run database never bloats: the WAL stays bounded while a run writes, is emptied when it
ends, and readers and trackers leave no `-wal`/`-shm` files behind once they are closed."""

from __future__ import annotations

import gc
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from burrdesk.engine import ApplicationBuilder, State, action, expr
from burrdesk.engine.lifecycle import PostRunStepHook
from burrdesk.engine.tracking import RunDatabaseTracker
from burrdesk.model.run_database import WAL_SIZE_LIMIT, RunDatabase


@action(reads=["count"], writes=["count"])
def increment(state: State) -> State:
    return state.update(count=state["count"] + 1)


class WalWatcher(PostRunStepHook):
    """Notes the WAL's size after every step, as another process looking at the disk would."""

    def __init__(self, db_path: Path):
        self.wal = Path(f"{db_path}-wal")
        self.largest = 0

    def post_run_step(self, **kwargs) -> None:
        if self.wal.exists():
            self.largest = max(self.largest, self.wal.stat().st_size)


def counter(db_path: Path, steps: int, tracker=None, watcher=None):
    builder = (
        ApplicationBuilder()
        .with_actions(increment=increment)
        .with_transitions(("increment", "increment", expr(f"count < {steps}")))
        .with_state(count=0)
        .with_entrypoint("increment")
        .with_identifiers(app_id="counter")
    )
    if tracker is not None:
        builder = builder.with_hooks(tracker)
    else:
        builder = builder.with_tracker("sqlite", project="files", params={"db_path": str(db_path)})
    if watcher is not None:
        builder = builder.with_hooks(watcher)
    return builder.build()


def side_files(db_path: Path) -> list[str]:
    return sorted(p.name for p in db_path.parent.iterdir() if p.name != db_path.name)


def test_the_wal_stays_bounded_while_a_long_run_writes_and_is_emptied_at_its_end(tmp_path):
    db_path = tmp_path / "runs.db"
    watcher = WalWatcher(db_path)
    app = counter(db_path, 5_000, watcher=watcher)
    app.run(halt_after=[])
    # 64 steps between checkpoints on the writing connection: a few MB at most, where the
    # WAL used to grow with the run (58 MB for 10,000 steps).
    assert 0 < watcher.largest <= WAL_SIZE_LIMIT
    with RunDatabase(db_path, read_only=True) as db:
        (run,) = db.list_runs()
        assert (run.status, run.step_count) == ("completed", 5_000)
    assert Path(f"{db_path}-wal").stat().st_size == 0  # the end emptied it into the file
    app.builder.tracker.close()
    assert side_files(db_path) == []


def test_a_tracker_used_as_a_context_manager_closes_and_leaves_no_side_files(tmp_path):
    db_path = tmp_path / "runs.db"
    with RunDatabaseTracker(db_path, project="files") as tracker:
        app = counter(db_path, 1_000, tracker=tracker)
        app.run(halt_after=[])
        assert tracker.database.get_run(tracker.run_id_for("counter")).status == "completed"
    assert side_files(db_path) == []


def test_a_garbage_collected_application_leaves_no_side_files(tmp_path):
    db_path = tmp_path / "runs.db"
    app = counter(db_path, 10_000)
    for _ in range(300):  # halted mid-run: the tracker still has it open
        app.step()
    assert Path(f"{db_path}-wal").exists()
    del app
    gc.collect()
    assert side_files(db_path) == []
    with RunDatabase(db_path, read_only=True) as db:
        assert db.list_runs()[0].step_count == 300


def test_reading_a_closed_database_leaves_no_side_files_and_writes_nothing(tmp_path):
    db_path = tmp_path / "runs.db"
    app = counter(db_path, 50)
    app.run(halt_after=[])
    app.builder.tracker.close()
    assert side_files(db_path) == []
    before = db_path.read_bytes()
    with RunDatabase(db_path, read_only=True) as db:
        assert db.list_runs()[0].step_count == 50
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            db.conn.execute("DELETE FROM steps")
    assert side_files(db_path) == []
    assert db_path.read_bytes() == before
    inspect = subprocess.run(
        [sys.executable, "-m", "burrdesk", "inspect", str(db_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert inspect.returncode == 0 and "counter" in inspect.stdout
    assert side_files(db_path) == []


def test_a_reader_closing_while_a_run_writes_leaves_the_writers_files_alone(tmp_path):
    db_path = tmp_path / "runs.db"
    app = counter(db_path, 10_000)
    for _ in range(10):
        app.step()
    with RunDatabase(db_path, read_only=True) as reader:
        assert reader.list_runs()[0].step_count == 10
    app.step()  # the writer's WAL and shared memory are still there and still work
    with RunDatabase(db_path, read_only=True) as reader:
        assert reader.read_steps(reader.list_runs()[0].run_id, limit=100)[-1].sequence_id == 10
    app.builder.tracker.close()
    assert side_files(db_path) == []
