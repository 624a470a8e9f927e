"""Reading a run database of a million steps: every call the timeline makes must stay fast.

Generates a database of 1,000,000 steps (40 runs of 25,000 steps; half counters, half chats
whose history grows, so checkpoints and deltas both matter), then times, as the median of
repeated calls:
  - listing the newest page of runs,
  - counting the steps of a run,
  - reading the last page of steps of a run,
  - reading a page in the middle,
  - rebuilding the full state at a random step,
  - diffing two random adjacent steps,
  - following a live run (steps after N).
Target: each under 50 ms. (No Burr comparison here: Burr's tracker has no random access.)

    python benchmarks/run_database_scale.py [--steps N] [--keep PATH]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from burrdesk.model.run_database import RunDatabase

RUNS = 40
MESSAGE = "a chat message of about two hundred characters " * 4


def generate(path: Path, total_steps: int) -> None:
    per_run = total_steps // RUNS
    with RunDatabase(path) as db:
        db.conn.execute("PRAGMA synchronous = OFF")
        for index in range(RUNS):
            chat = index % 2 == 1
            state: dict = {"history": [], "turn": 0} if chat else {"count": 0}
            run_id = db.create_run(
                project="chat" if chat else "counter",
                app_id=f"app-{index}",
                initial_state=state,
                created_at=1_700_000_000 + index,
            )
            writer = db.writer(run_id)
            started = time.time()
            with writer.batched():
                for seq in range(per_run):
                    if chat:
                        # Keep the history bounded like a real chat window (last 200 messages).
                        history = [*state["history"][-199:], f"{seq}: {MESSAGE}"]
                        new = {"history": history, "turn": seq}
                    else:
                        new = {"count": state["count"] + 1}
                    writer.record_step(
                        sequence_id=seq,
                        action="talk" if chat else "increment",
                        before=state,
                        after=new,
                        started_at=started,
                        ended_at=started,
                    )
                    state = new
            writer.finish("completed")
        db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def timed(fn, repeats: int = 15) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="write the database here and keep it")
    args = parser.parse_args()
    path = args.keep or Path(tempfile.mkdtemp(prefix="scale-")) / "runs.db"
    if not path.exists():
        start = time.perf_counter()
        generate(path, args.steps)
        print(f"generated {args.steps:,} steps in {time.perf_counter() - start:.1f} s")
    size = path.stat().st_size
    print(f"database: {path} ({size / 1e6:.1f} MB, {size / args.steps:.0f} B/step)")

    rng = random.Random(7)
    start = time.perf_counter()
    db = RunDatabase(path, read_only=True)
    print(f"{'open':<38}{(time.perf_counter() - start) * 1000:>8.2f} ms")
    runs = db.list_runs(limit=RUNS)
    chat = next(r for r in runs if r.project == "chat")
    last = chat.last_sequence_id

    def diff_adjacent(sequence_id: int) -> object:
        return db.diff(chat.run_id, sequence_id, sequence_id + 1)

    results = {
        "list newest 100 runs": lambda: db.list_runs(limit=100),
        "count steps of a run": lambda: db.count_steps(chat.run_id),
        "last page of 100 steps": lambda: db.read_last_steps(chat.run_id, 100),
        "page of 100 steps in the middle": lambda: db.read_step_page(chat.run_id, last // 2, 100),
        "state at a random step": lambda: db.state_at(chat.run_id, rng.randrange(last)),
        "diff of two adjacent random steps": lambda: diff_adjacent(rng.randrange(last - 1)),
        "follow: steps after N": lambda: db.steps_after(chat.run_id, last - 50),
        "search steps by changed key": lambda: db.search_steps(chat.run_id, changed_key="turn"),
    }
    worst = 0.0
    for label, fn in results.items():
        ms = timed(fn)
        worst = max(worst, ms)
        print(f"{label:<38}{ms:>8.2f} ms")
    print(f"slowest call {worst:.2f} ms (target < 50 ms)")


if __name__ == "__main__":
    main()
