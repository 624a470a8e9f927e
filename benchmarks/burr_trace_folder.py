"""Opening a large Burr tracker log in place: Burr's own UI server and burrdesk, in one process.

A Burr program (a chat-like app: a counter and a 1 kB message in its state) runs with Burr's
`LocalTrackingClient` for 500 steps; its log is then continued in the same format to 100,000
steps (the real lines as templates, sequence ids and values renumbered), because running Burr
itself for 100k tracked steps would take minutes. Then:

  (a) first page: Burr's UI server reads the whole log (`Step.from_logs`, what its
      `LocalBackend.get_application_logs` does for every view of an app) before it shows a
      step; burrdesk reads the folder into its cache a piece at a time and shows the first
      page of 100 steps after the first piece;
  (b) whole log: Burr as in (a); burrdesk reads every step into its cache;
  (c) 100 more steps appended while it is open: Burr reads the whole log again (its UI polls
      the same endpoint); burrdesk reads the new bytes only;
  (d) reopening the folder later: Burr as in (a); burrdesk checks its cache and reads nothing.

Prints seconds for each and the ratio burrdesk / Burr; the goal for (a) is under 1 s.

    python benchmarks/burr_trace_folder.py [--steps N]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REAL_STEPS = 500
MESSAGE = "lorem ipsum dolor sit amet " * 40


def record_real_program(storage: Path) -> Path:
    """Runs a Burr program with Burr's tracker; returns its app folder."""
    from burr.core import ApplicationBuilder, State, action, default
    from burr.tracking import LocalTrackingClient

    @action(reads=["count"], writes=["count", "message"])
    def reply(state: State, user_text: str = "hi") -> State:
        return state.update(count=state["count"] + 1, message=f"{user_text} {MESSAGE}")

    app = (
        ApplicationBuilder()
        .with_actions(reply=reply)
        .with_transitions(("reply", "reply", default))
        .with_state(count=0, message="")
        .with_entrypoint("reply")
        .with_tracker(LocalTrackingClient(project="bench", storage_dir=str(storage)))
        .with_identifiers(app_id="big-app")
        .build()
    )
    for _ in range(REAL_STEPS):
        app.step(inputs={"user_text": "hi"})
    return storage / "bench" / "big-app"


def continue_log(log: Path, first: int, count: int) -> None:
    """Appends `count` steps after step `first - 1`, copied from the log's own first step."""
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    begin = next(line for line in lines if line["type"] == "begin_entry")
    end = next(line for line in lines if line["type"] == "end_entry")
    with log.open("a") as handle:
        for sequence_id in range(first, first + count):
            begin["sequence_id"] = sequence_id
            end["sequence_id"] = sequence_id
            end["state"] = {
                **end["state"],
                "__SEQUENCE_ID": sequence_id,
                "count": sequence_id + 1,
                "message": f"hi {MESSAGE}",
            }
            handle.write(json.dumps(begin) + "\n")
            handle.write(json.dumps(end) + "\n")


def burr_reads(log: Path) -> tuple[float, int]:
    """Seconds for Burr's UI server to turn the log into steps, and how many."""
    from burr.tracking.server.schema import Step

    started = time.perf_counter()
    with log.open("rb") as handle:
        steps = Step.from_logs(handle.readlines())
    return time.perf_counter() - started, len(steps)


def burrdesk_first_page(storage: Path, cache: Path) -> tuple[float, int]:
    """Seconds from opening the folder to the first 100 steps read back, and how many."""
    from burrdesk.model.burr_trace_mirror import BurrTraceMirror
    from burrdesk.model.run_database import RunDatabase

    started = time.perf_counter()
    mirror = BurrTraceMirror(storage, cache, quiet_seconds=0, active_seconds=0)
    mirror.sync()
    with RunDatabase(cache, read_only=True) as reader:
        (run,) = reader.list_runs()
        page = reader.read_steps(run.run_id, 0, 100)
    elapsed = time.perf_counter() - started
    mirror.close()
    return elapsed, len(page)


def burrdesk_sync_all(storage: Path, cache: Path) -> tuple[float, int]:
    """Seconds to read every new step into the cache, and the run's step count after."""
    from burrdesk.model.burr_trace_mirror import BurrTraceMirror

    started = time.perf_counter()
    with BurrTraceMirror(storage, cache, quiet_seconds=0, active_seconds=0) as mirror:
        while mirror.sync(step_budget=10_000).more:
            pass
        elapsed = time.perf_counter() - started
        (run,) = mirror.database.list_runs()
    return elapsed, run.step_count


def burrdesk_follow(storage: Path, cache: Path, log: Path, total: int) -> tuple[float, int]:
    """Seconds for an open folder to pick up 100 appended steps."""
    from burrdesk.model.burr_trace_mirror import BurrTraceMirror

    with BurrTraceMirror(storage, cache, quiet_seconds=0, active_seconds=0) as mirror:
        mirror.sync()
        continue_log(log, total, 100)
        started = time.perf_counter()
        report = mirror.sync()
        return time.perf_counter() - started, report.new_steps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100_000, help="steps in the log")
    options = parser.parse_args()
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as scratch:
        storage = Path(scratch) / "dot-burr"
        app = record_real_program(storage)
        log = app / "log.jsonl"
        continue_log(log, REAL_STEPS, max(0, options.steps - REAL_STEPS))
        size_mb = log.stat().st_size / 1e6
        cache = Path(scratch) / "cache.db"
        rows = []
        burr_time, burr_steps = burr_reads(log)
        first_time, first_steps = burrdesk_first_page(storage, cache)
        rows.append(("(a) first page shown", burr_time, first_time, f"{first_steps} steps"))
        all_time, all_steps = burrdesk_sync_all(storage, cache)
        assert all_steps == burr_steps == options.steps, (all_steps, burr_steps)
        rows.append(("(b) whole log read", burr_time, all_time, f"{all_steps:,} steps"))
        follow_time, followed = burrdesk_follow(storage, cache, log, options.steps)
        burr_again, _ = burr_reads(log)
        rows.append(("(c) 100 appended steps", burr_again, follow_time, f"{followed} new"))
        reopen_time, _ = burrdesk_sync_all(storage, cache)
        rows.append(("(d) reopen, nothing new", burr_again, reopen_time, ""))
        print(f"log: {options.steps:,} steps, {size_mb:,.1f} MB (first {REAL_STEPS} by Burr)")
        print(f"{'workload':26} {'Burr s':>9} {'burrdesk s':>11} {'ratio':>8}  note")
        for name, burr, desk, note in rows:
            print(f"{name:26} {burr:>9.3f} {desk:>11.3f} {desk / burr:>8.3f}  {note}")
        print("ratio = burrdesk / Burr; goal: (a) under 1 s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
