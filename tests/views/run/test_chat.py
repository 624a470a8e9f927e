"""Input nodes are a chat (issue #17.8): the conversation as messages, the run's steps apart
in the log, the input at the bottom, Enter sends; several or typed fields are a compact form
at the bottom whose placeholders say what is expected."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from burrdesk.model.flow_document import FlowDocument
from burrdesk.views import theme

EXAMPLES = Path(__file__).parents[3] / "resources" / "examples"
STEP_LINE = re.compile(r"steps? \d+")


def conversation(panel) -> list[tuple[str, str]]:
    return [(m.role, m.text()) for m in panel.chat.messages()]


def log_lines(panel) -> list[str]:
    return [panel.log.item(row).text() for row in range(panel.log.count())]


def top(widget, panel) -> int:
    return widget.mapTo(panel, QPoint(0, 0)).y()


def wait_for_input(qtbot, panel, name: str) -> None:
    """Until the input at the bottom asks for `name` and can be typed into."""
    qtbot.waitUntil(
        lambda: name in panel.input_fields and panel.input_fields[name].isEnabled(),
        timeout=15_000,
    )


def say(qtbot, panel, text: str) -> None:
    """Types `text` into the chat box and presses Return, as a person does."""
    box = panel.input_fields["prompt"]
    QTest.keyClicks(box, text)
    QTest.keyClick(box, Qt.Key.Key_Return)


@pytest.fixture
def screenshot(tmp_path):
    """Saves a widget's picture (into $BURRDESK_SCREENSHOTS when set, to look at)."""
    folder = Path(os.environ.get("BURRDESK_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)

    def grab(widget, name: str) -> Path:
        path = folder / f"{name}.png"
        assert widget.grab().save(str(path))
        return path

    return grab


def test_the_chatbot_is_a_chat_with_the_input_at_the_bottom(qtbot, window, screenshot):
    window.files.open_path(EXAMPLES / "chatbot.burrflow", ask=False)
    panel = window.run.panel
    window.run.run_action.trigger()
    wait_for_input(qtbot, panel, "prompt")
    box = panel.input_fields["prompt"]
    assert box.placeholderText() == "Say something to the bot"
    assert panel.input_box.isVisible() and box.hasFocus()
    # The input sits under the conversation, across its width.
    assert top(panel.input_box, panel) >= top(panel.chat, panel) + panel.chat.height()
    assert panel.chat.isVisible() and conversation(panel) == []

    say(qtbot, panel, "hello there")
    # At once: the message is in the conversation, the input is empty and waits for the flow.
    assert conversation(panel) == [("user", "hello there")]
    assert box.text() == "" and not box.isEnabled()
    wait_for_input(qtbot, panel, "prompt")
    assert conversation(panel) == [("user", "hello there"), ("assistant", "echo: hello there")]
    you, reply = panel.chat.messages()
    assert reply.speaker == "Assistant (echo)"
    # The person's bubble is on the right, the reply's on the left.
    assert you.mapTo(panel, QPoint(0, 0)).x() > reply.mapTo(panel, QPoint(0, 0)).x()
    assert you.label.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    assert panel.input_fields["prompt"].hasFocus()

    # The steps are in the log, not in the conversation.
    assert any(STEP_LINE.match(line) for line in log_lines(panel))
    assert not any(STEP_LINE.match(text) for _role, text in conversation(panel))
    assert top(panel.input_box, panel) >= top(panel.chat, panel) + panel.chat.height()

    # A second turn, with a long message that wraps inside its bubble.
    long = "and again, with a message long enough to wrap onto a second line " * 3
    say(qtbot, panel, long.strip())
    wait_for_input(qtbot, panel, "prompt")
    assert conversation(panel) == [
        ("user", "hello there"),
        ("assistant", "echo: hello there"),
        ("user", long.strip()),
        ("assistant", f"echo: {long.strip()}"),
    ]
    bubble = panel.chat.messages()[2]
    line = bubble.label.fontMetrics().height()
    qtbot.waitUntil(lambda: bubble.label.height() >= 2 * line, timeout=5000)  # it wraps
    assert bubble.width() < panel.chat.viewport().width()

    try:
        for name in ("light", "dark"):
            theme.apply_theme(QApplication.instance(), name)
            qtbot.wait(1)  # the new style is laid out
            screenshot(panel, f"chat_{name}")
            screenshot(window, f"chat_window_{name}")
    finally:
        theme.apply_theme(QApplication.instance(), "light")


def test_shift_return_starts_a_new_line_and_an_empty_message_is_not_sent(qtbot, window):
    window.files.open_path(EXAMPLES / "chatbot.burrflow", ask=False)
    panel = window.run.panel
    window.run.run_action.trigger()
    wait_for_input(qtbot, panel, "prompt")
    box = panel.input_fields["prompt"]
    QTest.keyClick(box, Qt.Key.Key_Return)
    assert conversation(panel) == [] and box.isEnabled()
    one_line = box.height()
    QTest.keyClicks(box, "first line")
    QTest.keyClick(box, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    QTest.keyClicks(box, "second line")
    assert box.text() == "first line\nsecond line" and conversation(panel) == []
    assert box.height() > one_line  # the box grows with what is typed
    QTest.keyClick(box, Qt.Key.Key_Return)
    assert conversation(panel) == [("user", "first line\nsecond line")]
    wait_for_input(qtbot, panel, "prompt")
    assert conversation(panel)[-1] == ("assistant", "echo: first line\nsecond line")


def test_the_send_button_sends_too(qtbot, window):
    window.files.open_path(EXAMPLES / "chatbot.burrflow", ask=False)
    panel = window.run.panel
    window.run.run_action.trigger()
    wait_for_input(qtbot, panel, "prompt")
    QTest.keyClicks(panel.input_fields["prompt"], "by button")
    assert panel.send_button.isVisible()
    QTest.mouseClick(panel.send_button, Qt.MouseButton.LeftButton)
    assert conversation(panel) == [("user", "by button")]
    wait_for_input(qtbot, panel, "prompt")
    assert conversation(panel)[-1] == ("assistant", "echo: by button")


def form_flow() -> FlowDocument:
    return FlowDocument.model_validate(
        {
            "name": "signup",
            "entrypoint": "details",
            "nodes": [
                {
                    "id": "details",
                    "kind": "input",
                    "params": {
                        "inputs": [
                            {"name": "name", "type": "str", "prompt": "Your name"},
                            {"name": "age", "type": "int"},
                        ]
                    },
                },
                {
                    "id": "greet",
                    "kind": "python",
                    "reads": ["name", "age"],
                    "writes": ["greeting"],
                    "code": "def greet(state):\n"
                    "    return state.update(greeting=f\"{state['name']} is {state['age']}\")\n",
                },
            ],
            "edges": [{"source": "details", "target": "greet"}],
        }
    )


def test_several_fields_are_a_compact_form_at_the_bottom(qtbot, window, screenshot):
    from burrdesk.model.run_database import RunDatabase

    window.files.set_document(form_flow(), None)
    panel = window.run.panel
    window.run.run_action.trigger()
    wait_for_input(qtbot, panel, "age")
    name, age = panel.input_fields["name"], panel.input_fields["age"]
    assert (name.placeholderText(), age.placeholderText()) == ("text", "a whole number")
    assert name.isVisible() and age.isVisible() and name.hasFocus()
    for field in (name, age):
        assert top(field, panel) >= top(panel.chat, panel) + panel.chat.height()
    assert top(age, panel) > top(name, panel)  # one field a row
    theme.apply_theme(QApplication.instance(), "light")
    screenshot(panel, "form_light")

    # Enter in the first field moves on; Enter in the last sends, once the age is a number.
    QTest.keyClicks(name, "Ada")
    QTest.keyClick(name, Qt.Key.Key_Return)
    assert age.hasFocus() and conversation(panel) == []
    QTest.keyClicks(age, "thirty-six")
    QTest.keyClick(age, Qt.Key.Key_Return)
    assert conversation(panel) == [] and panel.controller is not None
    assert "must be a whole number" in panel.input_box.problem.text()
    assert panel.input_box.problem.isVisible() and age.property("invalid")
    screenshot(panel, "form_invalid_light")
    age.clear()
    QTest.keyClicks(age, "36")
    assert not age.property("invalid")
    with qtbot.waitSignal(panel.runEnded, timeout=15_000) as ended:
        QTest.keyClick(age, Qt.Key.Key_Return)
        assert conversation(panel) == [("user", "name: Ada\nage: 36")]
    assert ended.args[1] == "completed"
    assert not panel.input_box.isVisible()
    ended_note = panel.chat.notices()[-1]
    qtbot.waitUntil(ended_note.isVisible, timeout=5000)
    screenshot(panel, "form_sent_light")
    with RunDatabase(window.run.database_path(), read_only=True) as db:
        run = db.list_runs()[0]
        assert db.state_at(run.run_id, run.last_sequence_id)["greeting"] == "Ada is 36"
    assert "You: name = Ada, age = 36" in log_lines(panel)
    assert ended_note.text().startswith(f"Run {run.run_id} completed")


def test_a_flow_that_says_nothing_gives_the_panel_to_its_log(qtbot, window):
    window.files.open_path(EXAMPLES / "counter.burrflow", ask=False)
    panel = window.run.panel
    with qtbot.waitSignal(panel.runEnded, timeout=15_000):
        window.run.run_action.trigger()
    assert not panel.chat.isVisible() and panel.log.isVisible()
    assert log_lines(panel)[-1] == "run completed"
    window.files.open_path(EXAMPLES / "chatbot.burrflow", ask=False)
    window.run.run_action.trigger()
    wait_for_input(qtbot, panel, "prompt")
    assert panel.chat.isVisible() and panel.log.isVisible()
    # The log can be hidden, leaving the conversation alone.
    panel.log_button.click()
    assert not panel.log.isVisible() and panel.chat.isVisible()
    panel.log_button.click()
    assert panel.log.isVisible()


def test_a_narrow_panel_puts_the_log_above_and_keeps_the_input_at_the_bottom(
    qtbot, window, screenshot
):
    window.files.open_path(EXAMPLES / "chatbot.burrflow", ask=False)
    panel = window.run.panel
    window.run.run_action.trigger()
    wait_for_input(qtbot, panel, "prompt")
    say(qtbot, panel, "hello there")
    wait_for_input(qtbot, panel, "prompt")
    window.run.dock.setFloating(True)
    window.run.dock.resize(420, 560)
    qtbot.waitUntil(lambda: panel.splitter.orientation() == Qt.Orientation.Vertical, timeout=5000)
    assert top(panel.log, panel) < top(panel.chat, panel)
    assert top(panel.input_box, panel) >= top(panel.chat, panel) + panel.chat.height()
    theme.apply_theme(QApplication.instance(), "light")
    screenshot(panel, "chat_narrow_light")
    window.run.dock.setFloating(False)


def test_a_streamed_reply_grows_in_its_bubble(qtbot, window, openai_server):
    from fake_openai_server import GOOD_KEY

    from burrdesk.engine.llm_clients import chat_client_for
    from burrdesk.model.llm_settings import LlmSettings

    settings = LlmSettings(base_url=openai_server.base_url, api_key=GOOD_KEY)
    window.files.open_path(EXAMPLES / "chatbot.burrflow", ask=False)
    panel = window.run.panel
    panel.llm_client_factory = lambda: chat_client_for(settings)
    window.run.run_action.trigger()
    wait_for_input(qtbot, panel, "prompt")
    seen = []  # (bubbles, the live bubble's text on screen) at each streamed piece
    panel.streaming.connect(
        lambda _who, text: (
            text and seen.append((list(panel.chat.messages()), panel.chat.messages()[-1].shown()))
        )
    )
    say(qtbot, panel, "hello there")
    wait_for_input(qtbot, panel, "prompt")
    assert conversation(panel) == [("user", "hello there"), ("assistant", "reply to: hello there")]
    assert seen, "the reply did not stream"
    reply = panel.chat.messages()[1]
    for bubbles, shown in seen:
        assert len(bubbles) == 2 and bubbles[1] is reply  # one bubble, growing
        assert shown.endswith("▍") and "reply to: hello there".startswith(shown[:-1])
    assert reply.shown() == "reply to: hello there" and not reply.live


def test_the_next_input_does_not_take_the_keyboard_from_another_editor(qtbot, window):
    window.files.open_path(EXAMPLES / "chatbot.burrflow", ask=False)
    panel = window.run.panel
    window.run.run_action.trigger()
    wait_for_input(qtbot, panel, "prompt")
    say(qtbot, panel, "hello there")
    elsewhere = window.inspector.panel.flow_page.name  # the person edits while the bot answers
    elsewhere.setFocus()
    wait_for_input(qtbot, panel, "prompt")
    assert elsewhere.hasFocus() and not panel.input_fields["prompt"].hasFocus()
    # Typed but not sent, a message survives the flow asking again (Run pressed meanwhile).
    QTest.keyClicks(panel.input_fields["prompt"], "half a tho")
    window.run.run_action.trigger()
    assert panel.status.text() == "Running…"
    qtbot.waitUntil(lambda: "waiting for your message" in panel.status.text(), timeout=15_000)
    assert panel.input_fields["prompt"].text() == "half a tho"


def test_typed_fields_say_what_they_expect_and_defaults_stand(qtbot, window):
    from burrdesk.model.run_database import RunDatabase

    document = FlowDocument.model_validate(
        {
            "name": "typed",
            "entrypoint": "ask",
            "nodes": [
                {
                    "id": "ask",
                    "kind": "input",
                    "params": {
                        "inputs": [
                            {"name": "ratio", "type": "float"},
                            {"name": "ok", "type": "bool", "prompt": "Go ahead?"},
                            {"name": "data", "type": "json", "default": {"a": [1, 2]}},
                        ]
                    },
                }
            ],
            "edges": [],
        }
    )
    window.files.set_document(document, None)
    panel = window.run.panel
    window.run.run_action.trigger()
    wait_for_input(qtbot, panel, "data")
    fields = panel.input_fields
    assert [fields[n].placeholderText() for n in ("ratio", "ok", "data")] == [
        "a number",
        "yes or no",
        "JSON",
    ]
    assert fields["data"].text() == '{"a": [1, 2]}'
    QTest.keyClicks(fields["ratio"], "0.5")
    QTest.keyClicks(fields["ok"], "maybe")
    fields["data"].clear()  # empty: the node's default
    QTest.keyClick(fields["data"], Qt.Key.Key_Return)
    assert "Go ahead? must be yes or no" in panel.input_box.problem.text()
    assert fields["ok"].hasFocus() and conversation(panel) == []
    fields["ok"].clear()
    QTest.keyClicks(fields["ok"], "yes")
    with qtbot.waitSignal(panel.runEnded, timeout=15_000) as ended:
        QTest.keyClick(fields["data"], Qt.Key.Key_Return)
    assert ended.args[1] == "completed"
    assert conversation(panel) == [("user", 'ratio: 0.5\nok: yes\ndata: {"a": [1, 2]}')]
    with RunDatabase(window.run.database_path(), read_only=True) as db:
        run = db.list_runs()[0]
        state = db.state_at(run.run_id, run.last_sequence_id)
    assert (state["ratio"], state["ok"], state["data"]) == (0.5, True, {"a": [1, 2]})


def test_a_failed_reply_is_a_notice_under_the_message(qtbot, window):
    import socket

    from burrdesk.engine.llm_clients import chat_client_for
    from burrdesk.model.llm_settings import LlmSettings

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = LlmSettings(base_url=f"http://127.0.0.1:{port}/v1", api_key="sk-x", timeout=5)
    window.files.open_path(EXAMPLES / "chatbot.burrflow", ask=False)
    panel = window.run.panel
    panel.llm_client_factory = lambda: chat_client_for(settings)
    window.run.run_action.trigger()
    wait_for_input(qtbot, panel, "prompt")
    with qtbot.waitSignal(panel.runEnded, timeout=30_000) as ended:
        say(qtbot, panel, "hello there")
    assert ended.args[1] == "failed"
    assert conversation(panel) == [("user", "hello there")]
    (notice,) = panel.chat.notices()
    assert notice.text().startswith("The run failed in 'ai_response'")
    assert notice.property("kind") == "error"
    assert not panel.input_box.isVisible() and panel.input_fields == {}
