"""Renders every screenshot the README shows into docs/screenshots/, in one run:

- welcome.png: the welcome page over the chatbot example and the demo runs (a first launch)
- canvas-light.png: the email assistant example on the canvas, light theme (`--screenshot`)
- canvas-dark.png: the inventory simulation example in the dark theme (`--screenshot`)
- chatbot-conversation.png: the chatbot mid-conversation in echo mode
- timeline-fork.png: the failed order run's fork nested under it, with the flow it ran
- timeline-spans.png: a sub-application of the research assistant, its spans and attributes
- timeline-code.png: the Code tab with the research assistant's streamed step, as recorded
- timeline-annotate.png: the Annotate tab, a chat reply marked bad, tagged, an answer expected
- insights.png: Insights for a sample project of seven runs that log their token usage
- burr-folder.png: Burr's own demo data opened in place: its apps, a traced chat's steps,
  spans and graph

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_screenshots.py

Each window starts from a fresh data directory, so what is shown is what a new user sees.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "screenshots"
EXAMPLES = HERE.parent / "resources" / "examples"
WIDE_SIZE = (1600, 1000)
"""For the shots of one tab of a step (every tab title and the code's lines fit beside the
runs and steps) and of Burr's nine-action chatbot graph (its cards drawn with their text)."""


def wait_until(app, condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not get there in time")
        app.processEvents()
        time.sleep(0.01)


def settle(app) -> None:
    for _ in range(5):
        app.processEvents()


def fresh_data_dir() -> None:
    """Points burrdesk at a new, empty data directory (settings, run database, cache)."""
    os.environ["BURRDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="burrdesk-shots-")


def run_of(timeline, project: str, app_id: str | None = None):
    """The newest run of `project` listed on the timeline (with that app id, if given)."""
    model = timeline.runs_model
    runs = (model.run_at(row) for row in range(model.rowCount()))
    return next(run for run in runs if run.project == project and app_id in (None, run.app_id))


def open_first_launch(app):
    """The main window of a first launch: demo runs recorded, the welcome page open."""
    from PySide6.QtCore import Qt

    from burrdesk.views import theme
    from burrdesk.views.app import SCREENSHOT_SIZE
    from burrdesk.views.main_window import MainWindow

    fresh_data_dir()
    theme.apply_theme(app, "light")
    window = MainWindow(interactive=False)
    window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    window.resize(*SCREENSHOT_SIZE)
    window.show()
    window.help.start_up()
    settle(app)
    return window


def shoot_welcome(app, window) -> None:
    """The welcome page over the window, as a first launch shows it."""
    from burrdesk.views.app import _with_welcome

    _with_welcome(window, window.grab()).save(str(OUT / "welcome.png"))
    window.help.welcome.close()


def shoot_chatbot_conversation(app, window) -> None:
    """The chatbot, two messages in, waiting for the third."""
    from PySide6.QtCore import Qt

    panel = window.run.panel
    box = panel.input_box  # disabled from a message sent until the flow asks again

    def asked() -> bool:
        return box.isVisible() and box.isEnabled() and "prompt" in panel.input_fields

    window.run.run_action.trigger()
    for message in ("Hi! What is burrdesk for?", "Can I rewind this chat?"):
        wait_until(app, asked)
        panel.input_fields["prompt"].setText(message)
        panel.input_fields["prompt"].returnPressed.emit()
    wait_until(app, asked)
    panel.input_fields["prompt"].setText("What happens on a fork?")
    window.run.dock.raise_()
    window.resizeDocks([window.run.dock], [380], Qt.Orientation.Vertical)
    window.scene.select_only("ai_response")
    settle(app)
    panel.log.scrollToBottom()
    window.view.zoom_to_fit()
    window.grab().save(str(OUT / "chatbot-conversation.png"))
    window.run.stop_action.trigger()  # the chat ends stopped, as a person would leave it
    wait_until(app, lambda: not panel.stop_button.isEnabled())


def shoot_timeline_fork(app, window) -> None:
    """The failed order run's fork, nested under it, on the timeline."""
    from PySide6.QtCore import Qt

    timeline = window.timeline.panel
    window.timeline.dock.raise_()
    window.resizeDocks([window.timeline.dock], [470], Qt.Orientation.Vertical)
    failed = run_of(timeline, "order_pipeline")  # its fork is listed under it, not beside it
    timeline.select_run(failed.run_id + 1)
    timeline.select_step(1)
    settle(app)
    window.canvas.recorded.view.zoom_to_fit()
    window.grab().save(str(OUT / "timeline-fork.png"))


def shoot_timeline_spans(app, window) -> None:
    """The research assistant (Burr code): a sub-application's spans and attributes."""
    timeline = window.timeline.panel
    research = run_of(timeline, "research_assistant")
    child = timeline.database.child_runs(research.run_id, 1)[0]
    timeline.select_run(child.run_id)
    timeline.select_step(0)
    timeline.tabs.setCurrentWidget(timeline.spans_view)
    settle(app)
    window.canvas.recorded.view.zoom_to_fit()
    window.grab().save(str(OUT / "timeline-spans.png"))


def widen_timeline(app, window) -> None:
    """The wide window, its timeline tall enough for four steps and wide enough for a step's
    tabs (the shots of a single tab show only the timeline)."""
    from PySide6.QtCore import Qt

    window.resize(*WIDE_SIZE)
    settle(app)
    window.resizeDocks([window.timeline.dock], [440], Qt.Orientation.Vertical)
    window.timeline.panel.splitter.setSizes([760, 840])
    settle(app)


def shoot_timeline_code(app, window) -> None:
    """The research assistant's streamed step (write_answer) and its source, as recorded."""
    timeline = window.timeline.panel
    research = run_of(timeline, "research_assistant")
    timeline.select_run(research.run_id)
    timeline.select_step(2)
    timeline.tabs.setCurrentWidget(timeline.code_view)
    widen_timeline(app, window)
    settle(app)
    window.timeline.dock.grab().save(str(OUT / "timeline-code.png"))


def shoot_timeline_annotate(app, window) -> None:
    """The chat just had: its last reply marked bad, tagged, with the answer it should give."""
    timeline = window.timeline.panel
    chat = run_of(timeline, "chatbot")
    timeline.select_run(chat.run_id)
    timeline.select_step(chat.step_count - 1)
    editor = timeline.annotation_editor
    timeline.tabs.setCurrentWidget(editor)
    widen_timeline(app, window)
    if not editor.bad_button.isChecked():
        editor.bad_button.click()
    editor.tags_edit.setText("echo, needs-answer")
    editor.note_edit.setPlainText("Repeats the question instead of answering it.")
    editor.expected_edit.setPlainText("Yes: Rewind to Here forks the chat after any step.")
    editor.save_button.click()
    settle(app)
    window.timeline.dock.grab().save(str(OUT / "timeline-annotate.png"))


SUPPORT_QUESTIONS = (
    "How do I reset my password?",
    "Can I change the email on my account?",
    "Why was I charged twice this month?",
    "Does the desktop app work offline?",
    "How do I export my data?",
    "Where do I find my invoices?",
)
SUPPORT_ACTIONS = ("classify", "retrieve", "answer")
SUPPORT_FAILURES = {
    2: ("answer", "RateLimitError: 429 Too Many Requests"),
    5: ("classify", "APITimeoutError: Request timed out."),
}
"""Two of the seven runs end in a failed call: their run number, action and error."""


def support_step(rng: random.Random, action: str, turn: int, model: str) -> tuple[float, tuple]:
    """How long a support bot step takes, and the LLM call it makes (model, tokens in, tokens
    out; empty for the retrieval, which calls no model)."""
    if action == "classify":
        return rng.lognormvariate(-1.25, 0.45), (
            "gpt-4o-mini-2024-07-18",
            rng.randint(380, 520),
            rng.randint(3, 9),
        )
    if action == "retrieve":
        return rng.lognormvariate(-2.7, 0.5), ()
    prompt = 900 + 260 * turn + rng.randint(0, 400)  # the conversation so far grows
    return rng.lognormvariate(0.3, 0.7), (model, prompt, rng.randint(120, 420))


def llm_trace(call: tuple, started: float, ended: float) -> tuple[list, list]:
    """The span and attributes a traced LLM call logs (`model`, `prompt_tokens`, ...)."""
    if not call:
        return [], []
    span = {"span_id": "0:0", "name": "chat.completions", "started_at": started, "ended_at": ended}
    keys = ("model", "prompt_tokens", "completion_tokens")
    attributes = [
        {"span_id": "0:0", "key": key, "value": value, "logged_at": ended}
        for key, value in zip(keys, call, strict=True)
    ]
    return [span], attributes


def record_support_bot(db_path: Path) -> None:
    """Seven runs of a support bot whose LLM calls log their model and token usage: each
    question is classified on gpt-4o-mini, passages retrieved, and answered on gpt-4o (one
    run on a local llama3.1:8b, which has no price). Written with explicit timings, so the
    latencies are a real model's without waiting for them."""
    from burrdesk.model.run_database import RunDatabase

    rng = random.Random(7)
    clock = time.time() - 7 * 3600
    with RunDatabase(db_path) as db:
        for number in range(7):
            model = "llama3.1:8b" if number == 4 else "gpt-4o"
            turns = rng.randint(10, 16)
            steps = [(turn, action) for turn in range(turns) for action in SUPPORT_ACTIONS]
            failed_action, error = SUPPORT_FAILURES.get(number, (None, None))
            if failed_action is not None:  # the run ends at that action of its last turn
                steps = steps[: steps.index((turns - 1, failed_action)) + 1]
            state = {"ticket": 4100 + number, "answered": 0}
            run_id = db.create_run(
                project="support-bot",
                app_id=f"ticket-{4100 + number}",
                initial_state=state,
                created_at=clock,
            )
            writer = db.writer(run_id)
            for seq, (turn, action) in enumerate(steps):
                fails = failed_action is not None and seq == len(steps) - 1
                seconds, call = support_step(rng, action, turn, model)
                spans, attributes = llm_trace(() if fails else call, clock, clock + seconds)
                after = {**state, "answered": state["answered"] + (action == "answer")}
                asked = rng.choice(SUPPORT_QUESTIONS) if action == "classify" else None
                writer.record_step(
                    sequence_id=seq,
                    action=action,
                    before=state,
                    after=after,
                    writes=["answered"],
                    inputs={"question": asked} if asked else None,
                    error=error if fails else None,
                    started_at=clock,
                    ended_at=clock + seconds,
                    spans=spans,
                    attributes=attributes,
                )
                state = after
                clock += seconds + rng.uniform(0.01, 0.05)
                if action == "answer":
                    clock += rng.uniform(5, 40)  # the person reads the answer, asks again
            writer.finish("failed" if failed_action is not None else "completed")
            clock += rng.uniform(1800, 3600)


def shoot_insights(app, window) -> None:
    """Insights for the support bot's whole project."""
    from PySide6.QtCore import Qt

    db_path = window.run.database_path()
    record_support_bot(db_path)
    window.timeline.open_run_database(db_path)  # lists the new runs
    timeline = window.timeline.panel
    timeline.select_run(run_of(timeline, "support-bot").run_id)
    settle(app)
    insights = window.insights
    insights.show_insights()
    window.resizeDocks([insights.dock], [400], Qt.Orientation.Vertical)
    insights.panel.set_scope("project")
    panel = insights.panel
    wait_until(
        app,
        lambda: (
            panel.insights is not None
            and panel.insights.scope == "project"
            and not panel.computer.busy
        ),
    )
    settle(app)
    insights.dock.grab().save(str(OUT / "insights.png"))


def shoot_burr_folder(app, window) -> None:
    """Burr's demo data (shipped in its package), opened in place: a traced chat's step."""
    import burr
    from PySide6.QtCore import Qt

    demo_data = Path(burr.__file__).parent / "tracking/server/demo_data"
    window.files.open_path(demo_data)
    window.timeline.wait_for_first_read()
    settle(app)
    timeline = window.timeline.panel
    chat = run_of(timeline, "demo_chatbot_with_traces", "chat-1-giraffe")
    timeline.select_run(chat.run_id)
    timeline.select_step(4)
    timeline.tabs.setCurrentWidget(timeline.spans_view)
    window.timeline.dock.raise_()
    window.resizeDocks([window.timeline.dock], [420], Qt.Orientation.Vertical)
    timeline.splitter.setSizes([840, 600])
    settle(app)
    window.canvas.recorded.view.zoom_to_fit()
    app.processEvents()
    window.grab().save(str(OUT / "burr-folder.png"))


def shoot_canvas(example: str, theme_name: str, name: str) -> None:
    """An example flow on the canvas, as `burrdesk --theme T --screenshot OUT FLOW` draws it."""
    from burrdesk.views.app import run_app

    fresh_data_dir()
    if run_app(EXAMPLES / example, OUT / name, theme_name) != 0:
        raise RuntimeError(f"burrdesk could not render {name}")


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.pop("OPENAI_API_KEY", None)
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    window = open_first_launch(app)
    shoot_welcome(app, window)
    shoot_chatbot_conversation(app, window)
    shoot_timeline_fork(app, window)
    shoot_timeline_spans(app, window)
    shoot_timeline_code(app, window)
    shoot_timeline_annotate(app, window)
    shoot_insights(app, window)
    shoot_burr_folder(app, window)
    window.close()
    shoot_canvas("email_assistant.burrflow", "light", "canvas-light.png")
    shoot_canvas("inventory_simulation.burrflow", "dark", "canvas-dark.png")
    print(f"Saved the README's ten screenshots in {OUT}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
