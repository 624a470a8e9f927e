"""Tracking overhead: Apache Burr's local tracker and burrdesk's run database, side by side.

Both engines run the same workloads with tracking on, in one process:
  counter: one small key changes per step (10,000 and 100,000 steps);
  growing: a chat history gaining a 200-character message per step (2,000 steps for both
  engines; 10,000 and 100,000 for burrdesk alone, since Burr's log stores the whole state at
  every step: about 10 GB at 10,000 steps and 1 TB at 100,000).
For each: µs/step; bytes on disk per step (every file, burrdesk's `-wal` and `-shm`
included) at the largest seen *during* the run (sampled every 100 steps) and *after* it (the
tracker closed); and burrdesk's largest WAL file. Ratios are burrdesk / Burr.

    python benchmarks/tracking_overhead.py [--quick]
"""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine_overhead import _engine  # noqa: E402

MESSAGE = "m" * 200
SAMPLE_EVERY = 100


def _size_on_disk(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _watcher(engine: str, workdir: Path):
    """A post-step hook that samples the files on disk while the run writes."""
    lifecycle = importlib.import_module(
        "burr.lifecycle" if engine == "burr" else "burrdesk.engine.lifecycle"
    )

    class DiskWatcher(lifecycle.PostRunStepHook):
        def __init__(self) -> None:
            self.steps = 0
            self.largest = 0
            self.largest_wal = 0

        def post_run_step(self, **kwargs) -> None:
            self.steps += 1
            if self.steps % SAMPLE_EVERY:
                return
            self.largest = max(self.largest, _size_on_disk(workdir))
            for wal in workdir.rglob("*-wal"):
                self.largest_wal = max(self.largest_wal, wal.stat().st_size)

    return DiskWatcher()


def build(engine: str, workload: str, steps: int, target: Path, hooks=()):
    core = _engine(engine)
    if workload == "counter":

        @core.action(reads=["count"], writes=["count"])
        def work(state):
            return state.update(count=state["count"] + 1)

        condition, initial = core.expr(f"count < {steps}"), {"count": 0}
    else:

        @core.action(reads=["history", "turns"], writes=["history", "turns"])
        def work(state):
            return state.append(history=MESSAGE).update(turns=state["turns"] + 1)

        condition, initial = core.expr(f"turns < {steps}"), {"history": [], "turns": 0}

    builder = (
        core.ApplicationBuilder()
        .with_actions(work=work)
        .with_transitions(("work", "work", condition))
        .with_state(**initial)
        .with_entrypoint("work")
    )
    if engine == "burr":
        builder = builder.with_tracker(
            "local", project="bench", params={"storage_dir": str(target)}
        )
    else:
        builder = builder.with_tracker("sqlite", project="bench", params={"db_path": str(target)})
    if hooks:
        builder = builder.with_hooks(*hooks)
    return builder.build()


def measure(engine: str, workload: str, steps: int) -> dict[str, float]:
    """µs per step, bytes per step during and after the run, the largest WAL (bytes)."""
    workdir = Path(tempfile.mkdtemp(prefix=f"track-{engine}-"))
    target = workdir / ("burr" if engine == "burr" else "runs.db")
    try:
        watcher = _watcher(engine, workdir)
        app = build(engine, workload, steps, target, hooks=[watcher])
        gc.collect()
        start = time.perf_counter()
        app.run(halt_after=[])
        elapsed = time.perf_counter() - start
        if engine == "burrdesk":
            app.builder.tracker.close()
        del app
        gc.collect()
        after = _size_on_disk(workdir)
        return {
            "us": elapsed / steps * 1e6,
            "during": max(watcher.largest, after) / steps,
            "after": after / steps,
            "wal": watcher.largest_wal,
        }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    os.environ.setdefault("BURR_TELEMETRY_ENABLED", "false")
    if args.quick:
        cases = [("counter", 1_000, True), ("growing", 300, True), ("growing", 1_000, False)]
    else:
        cases = [
            ("counter", 10_000, True),
            ("counter", 100_000, True),
            ("growing", 2_000, True),
            ("growing", 10_000, False),
            ("growing", 100_000, False),
        ]
    print(
        f"{'workload':<9}{'steps':>8}{'Burr µs':>9}{'desk µs':>9}{'ratio':>7}"
        f"{'Burr B/step':>13}{'desk during':>13}{'desk after':>12}{'ratio':>7}{'desk WAL max':>14}"
    )
    for workload, steps, with_burr in cases:
        desk = measure("burrdesk", workload, steps)
        burr = measure("burr", workload, steps) if with_burr else None
        row = f"{workload:<9}{steps:>8,}"
        if burr is None:
            row += f"{'-':>9}{desk['us']:>9.1f}{'-':>7}{'-':>13}"
        else:
            row += f"{burr['us']:>9.1f}{desk['us']:>9.1f}{desk['us'] / burr['us']:>7.3f}"
            row += f"{burr['after']:>13.0f}"
        row += f"{desk['during']:>13.0f}{desk['after']:>12.0f}"
        row += f"{desk['during'] / burr['after']:>7.3f}" if burr else f"{'-':>7}"
        row += f"{desk['wal'] / 1e6:>11.1f} MB"
        print(row)
    print("ratio = burrdesk / Burr (bytes: burrdesk's largest during the run over Burr's).")
    print("goals: counter bytes <= 0.5; growing <= 1 KB/step; the WAL never above 64 MB.")


if __name__ == "__main__":
    main()
