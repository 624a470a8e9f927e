"""Tracking overhead: Apache Burr's local tracker and burrdesk's run database, side by side.

Both engines run the same workloads with tracking on, in one process:
  (a) counter: 10,000 steps, one small key changes per step;
  (b) growing chat history: a 200-character message appended per step, 2,000 steps.
Prints µs/step and bytes on disk per step for each, and the ratios burrdesk / Burr.

    python benchmarks/tracking_overhead.py [--quick]
"""

from __future__ import annotations

import argparse
import gc
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


def _size_on_disk(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def build(engine: str, workload: str, steps: int, target: Path):
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
    return builder.build()


def measure(engine: str, workload: str, steps: int) -> tuple[float, float]:
    """(µs per step, bytes on disk per step) for one tracked run."""
    workdir = Path(tempfile.mkdtemp(prefix=f"track-{engine}-"))
    target = workdir / ("burr" if engine == "burr" else "runs.db")
    try:
        app = build(engine, workload, steps, target)
        gc.collect()
        start = time.perf_counter()
        app.run(halt_after=[])
        elapsed = time.perf_counter() - start
        if engine == "burrdesk":
            app.builder.tracker.close()
        return elapsed / steps * 1e6, _size_on_disk(workdir) / steps
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    os.environ.setdefault("BURR_TELEMETRY_ENABLED", "false")
    sizes = {"counter": 1_000 if args.quick else 10_000, "growing": 300 if args.quick else 2_000}
    print(
        f"{'workload':<18}{'steps':>7}{'Burr µs':>10}{'burrdesk µs':>13}{'ratio':>8}"
        f"{'Burr B/step':>13}{'burrdesk B/step':>17}{'ratio':>8}"
    )
    for workload, steps in sizes.items():
        burr_us, burr_bytes = measure("burr", workload, steps)
        desk_us, desk_bytes = measure("burrdesk", workload, steps)
        print(
            f"{workload:<18}{steps:>7}{burr_us:>10.1f}{desk_us:>13.1f}{desk_us / burr_us:>8.3f}"
            f"{burr_bytes:>13.0f}{desk_bytes:>17.0f}{desk_bytes / burr_bytes:>8.3f}"
        )
    print("ratio = burrdesk / Burr; targets: counter <= 0.5 (time and bytes),")
    print("growing history <= 0.05 (time) and <= 1 KB/step on disk for burrdesk")


if __name__ == "__main__":
    main()
