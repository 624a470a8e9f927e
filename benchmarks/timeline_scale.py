"""The timeline on a million-step database: open it, show the first page, jump to the end.

Generates (or reuses, with --keep) the database of `run_database_scale.py`, then drives the
app's own `TimelinePanel` under an offscreen QApplication and prints:
  - open the database and show the newest run's first page of steps,
  - jump to the last step (End) and show its state and diff,
  - memory growth of the process while doing so.
Targets: open under 0.5 s, jump under 100 ms, memory growth under 200 MB. (Apache Burr's UI is
a web app over its tracker files with no random access, so there is no side-by-side run here.)

    python benchmarks/timeline_scale.py [--steps N] [--keep PATH]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from run_database_scale import generate  # noqa: E402

from burrdesk.views.timeline.timeline_panel import TimelinePanel  # noqa: E402


def rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def settle(app: QApplication) -> None:
    for _ in range(3):
        app.processEvents()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="reuse or keep the generated database here")
    args = parser.parse_args()
    path = args.keep or Path(tempfile.mkdtemp(prefix="timeline-")) / "runs.db"
    if not path.exists():
        start = time.perf_counter()
        generate(path, args.steps)
        print(f"generated {args.steps:,} steps in {time.perf_counter() - start:.1f} s")

    app = QApplication.instance() or QApplication([])
    panel = TimelinePanel()
    panel.resize(1200, 800)
    panel.show()
    settle(app)
    before = rss_mb()

    start = time.perf_counter()
    panel.open_database(path)
    newest = panel.runs_model.run_at(0)
    panel.select_run(newest.run_id)
    panel.select_step(newest.first_sequence_id or 0)
    settle(app)
    opened = time.perf_counter() - start

    start = time.perf_counter()
    panel.steps_view.setFocus()
    QTest.keyClick(panel.steps_view, Qt.Key.Key_End)
    settle(app)
    jumped = time.perf_counter() - start
    step = panel.current_step

    grown = rss_mb() - before
    model = panel.steps_model
    print(
        f"run {newest.run_id}: {newest.step_count:,} steps as {model.rowCount():,} rows; "
        f"{model.cached_pages} pages of 500 read"
    )
    print(f"open and show the first page   {opened * 1000:8.1f} ms   (target < 500 ms)")
    print(
        f"End: jump to step {step.sequence_id if step else '?'} "
        f"with state and diff {jumped * 1000:8.1f} ms   (target < 100 ms)"
    )
    print(f"peak memory growth             {grown:8.1f} MB   (target < 200 MB)")


if __name__ == "__main__":
    main()
