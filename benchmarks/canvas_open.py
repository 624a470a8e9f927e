"""Opening the 500-node example flow in the app: validate, build the canvas, paint it fitted.

Prints the time from File → Open to the first painted window, and one repaint of the whole
window, under an offscreen QApplication. Target: under 1 s to open. (Burr draws its graphs as
static images in a web UI, so there is no side-by-side run here.)

    python benchmarks/canvas_open.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("BURRDESK_DATA_DIR", tempfile.mkdtemp(prefix="burrdesk-bench-"))

from PySide6.QtWidgets import QApplication  # noqa: E402

from burrdesk.views import theme  # noqa: E402
from burrdesk.views.main_window import MainWindow  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "resources" / "examples" / "large_flow_500.burrflow"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    theme.apply_theme(app, "light")
    opens, paints = [], []
    for _ in range(args.repeat):
        window = MainWindow()
        window.resize(1400, 900)
        window.show()
        app.processEvents()
        start = time.perf_counter()
        window.files.open_path(EXAMPLE, ask=False)
        for _ in range(3):
            app.processEvents()
        window.grab()
        opens.append(time.perf_counter() - start)
        start = time.perf_counter()
        window.grab()
        paints.append(time.perf_counter() - start)
        window.undo_stack.setClean()
        window.close()
        window.deleteLater()
        app.processEvents()
    nodes = len(window.model.document.nodes)
    print(f"{nodes}-node flow, {len(window.model.document.edges)} edges (median of {args.repeat})")
    print(f"open and first paint   {statistics.median(opens) * 1000:8.0f} ms   (target 1000 ms)")
    print(f"repaint the window     {statistics.median(paints) * 1000:8.0f} ms")


if __name__ == "__main__":
    main()
