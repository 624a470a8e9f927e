"""How responsive the window stays while the worker thread runs a fast flow.

Runs an endless counter flow through the app's own `RunController` (worker QThread, coalesced
queued signals, every step committed to a run database) under an offscreen QApplication, and
measures the event loop meanwhile: a 10 ms QTimer records how late each tick fires. Prints the
steps per second, the 50th/99th percentile and worst tick delay, and the same delay with no
run, as the baseline. Target: under 50 ms at the 99th percentile. (Apache Burr has no GUI, so
there is no side-by-side reference for this one.)

    python benchmarks/event_loop_latency.py [--seconds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QElapsedTimer, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from burrdesk.model.flow_document import FlowDocument  # noqa: E402
from burrdesk.model.run_database import RunDatabase  # noqa: E402
from burrdesk.views.run.run_worker import RunController  # noqa: E402

TICK_MS = 10

ENDLESS = FlowDocument.model_validate(
    {
        "name": "endless_counter",
        "state": {"count": 0},
        "entrypoint": "tick",
        "nodes": [
            {
                "id": "tick",
                "kind": "python",
                "reads": ["count"],
                "writes": ["count"],
                "code": "def tick(state):\n    return state.update(count=state['count'] + 1)\n",
            }
        ],
        "edges": [{"source": "tick", "target": "tick"}],
    }
)


def measure_ticks(app: QApplication, seconds: float) -> list[float]:
    """Delays (ms) of a 10 ms timer over `seconds` of event-loop time."""
    delays: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.elapsed()]
    timer = QTimer()
    timer.setInterval(TICK_MS)

    def tick() -> None:
        now = clock.elapsed()
        delays.append(max(0.0, now - last[0] - TICK_MS))
        last[0] = now

    timer.timeout.connect(tick)
    timer.start()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.001)
    timer.stop()
    return delays


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    baseline = measure_ticks(app, 1.0)

    db_path = Path(tempfile.mkdtemp(prefix="latency-")) / "runs.db"
    controller = RunController(ENDLESS, db_path)
    progress = []
    controller.worker.advanced.connect(lambda _r, seq, _p, _n: progress.append(seq))
    controller.run()
    started = time.monotonic()
    during = measure_ticks(app, args.seconds)
    controller.stop()
    controller.close()
    elapsed = time.monotonic() - started
    with RunDatabase(db_path, read_only=True) as db:
        steps = db.list_runs()[0].step_count
    print(
        f"worker ran {steps:,} steps in {elapsed:.1f} s ({steps / elapsed:,.0f} steps/s), "
        f"{len(progress)} progress signals reached the GUI"
    )
    for label, delays in (("idle baseline", baseline), ("during the run", during)):
        print(
            f"{label:<16} tick delay p50 {statistics.median(delays):6.1f} ms   "
            f"p99 {percentile(delays, 0.99):6.1f} ms   worst {max(delays):6.1f} ms"
        )
    print(f"target: p99 under 50 ms -> {'met' if percentile(during, 0.99) < 50 else 'missed'}")


if __name__ == "__main__":
    main()
