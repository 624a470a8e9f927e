"""Renders the README's screenshots of a first launch, a chat in progress and a forked run.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_screenshots.py

Each uses a fresh data directory, so what is shown is what a new user sees.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "screenshots"


def wait_until(app, condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not get there in time")
        app.processEvents()
        time.sleep(0.01)


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["BURRDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="burrdesk-shots-")
    os.environ.pop("OPENAI_API_KEY", None)
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from burrdesk.views import theme
    from burrdesk.views.app import SCREENSHOT_SIZE, _with_welcome
    from burrdesk.views.main_window import MainWindow

    app = QApplication(sys.argv[:1])
    theme.apply_theme(app, "light")
    window = MainWindow()
    window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    window.resize(*SCREENSHOT_SIZE)
    window.show()
    window.help.start_up()
    for _ in range(5):
        app.processEvents()
    _with_welcome(window, window.grab()).save(str(OUT / "welcome.png"))
    window.help.welcome.close()

    # The chatbot, two messages in, waiting for the third.
    panel = window.run.panel
    window.run.run_action.trigger()
    for message in ("Hi! What is burrdesk for?", "Can I rewind this chat?"):
        wait_until(app, lambda: panel.input_box.isVisible() and "prompt" in panel.input_fields)
        panel.input_fields["prompt"].setText(message)
        panel.input_fields["prompt"].returnPressed.emit()
        wait_until(app, lambda: not panel.input_box.isVisible())
    wait_until(app, lambda: panel.input_box.isVisible())
    panel.input_fields["prompt"].setText("What happens on a fork?")
    window.run.dock.raise_()
    window.resizeDocks([window.run.dock], [380], Qt.Orientation.Vertical)
    window.scene.select_only("ai_response")
    for _ in range(5):
        app.processEvents()
    panel.log.scrollToBottom()
    window.view.zoom_to_fit()
    window.grab().save(str(OUT / "chatbot-conversation.png"))
    panel.close_run()

    # The failed order run's fork, nested under it, on the timeline.
    timeline = window.timeline.panel
    window.timeline.dock.raise_()
    window.resizeDocks([window.timeline.dock], [470], Qt.Orientation.Vertical)
    order_runs = [
        timeline.runs_model.run_at(r)
        for r in range(timeline.runs_model.rowCount())
        if timeline.runs_model.run_at(r).project == "order_pipeline"
    ]
    failed = order_runs[0]
    timeline.select_run(failed.run_id + 1)
    timeline.select_step(1)
    for _ in range(5):
        app.processEvents()
    window.canvas.recorded.view.zoom_to_fit()
    window.grab().save(str(OUT / "timeline-fork.png"))

    # The research assistant (Burr code): a sub-application's spans and attributes.
    model = timeline.runs_model
    research = next(
        model.run_at(r) for r in range(model.rowCount())
        if model.run_at(r).project == "research_assistant"
    )  # fmt: skip
    child = timeline.database.child_runs(research.run_id, 1)[0]
    timeline.select_run(child.run_id)
    timeline.select_step(0)
    timeline.tabs.setCurrentWidget(timeline.spans_view)
    for _ in range(5):
        app.processEvents()
    window.canvas.recorded.view.zoom_to_fit()
    window.grab().save(str(OUT / "timeline-spans.png"))
    window.close()
    print(
        "Saved welcome.png, chatbot-conversation.png, timeline-fork.png and timeline-spans.png "
        f"in {OUT}."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
