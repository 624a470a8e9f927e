"""Settings: pointing LLM nodes at an endpoint, fetching its models, echo mode, and the key."""

import json
import socket
from pathlib import Path

from fake_openai_server import GOOD_KEY, MODELS
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialogButtonBox

from burrdesk.model.run_database import RunDatabase
from burrdesk.views.dialogs.settings_dialog import SettingsDialog

EXAMPLES = Path(__file__).parents[3] / "resources" / "examples"


def fill_settings(qtbot, base_url, key="", fetch=True):
    """Replaces the modal exec: types into the dialog as a person would, then clicks Save."""

    def answer(dialog: SettingsDialog):
        dialog.show()
        dialog.base_url.clear()
        QTest.keyClicks(dialog.base_url, base_url)
        QTest.keyClicks(dialog.api_key, key)
        if fetch:
            QTest.mouseClick(dialog.fetch_button, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda: dialog.model_list.count() == len(MODELS), timeout=10000)
        save = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save)
        QTest.mouseClick(save, Qt.MouseButton.LeftButton)
        return dialog.result()

    return answer


def test_without_an_endpoint_llm_nodes_say_echo(qtbot, window):
    window.files.open_path(EXAMPLES / "chatbot.burrflow", ask=False)
    assert window.llm.llm_label.text() == "LLM: echo mode (no API key or local endpoint)"
    assert window.scene.llm_echo
    window.scene.select_only("ai_response")
    assert "echo mode" in window.inspector.panel.node_page.llm_mode.text()


def test_settings_point_llm_nodes_at_an_endpoint_and_fetch_its_models(
    qtbot, window, data_dir, monkeypatch, openai_server
):
    monkeypatch.setattr(
        SettingsDialog, "exec", fill_settings(qtbot, openai_server.base_url, GOOD_KEY)
    )
    window.llm.settings_action.trigger()
    assert window.llm.llm_label.text() == f"LLM: {openai_server.base_url}"
    assert not window.scene.llm_echo
    stored = json.loads((data_dir / "llm.json").read_text())
    assert stored["base_url"] == openai_server.base_url and stored["api_key"] == GOOD_KEY
    assert stored["models"] == MODELS
    completer = window.inspector.panel.node_page.llm_model.completer()
    assert completer.model().rowCount() == len(MODELS)


def test_a_failed_model_fetch_is_one_sentence(qtbot, data_dir):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    from burrdesk.model.llm_settings import LlmSettings

    dialog = SettingsDialog(LlmSettings())
    qtbot.addWidget(dialog)
    dialog.show()
    QTest.keyClicks(dialog.base_url, f"http://127.0.0.1:{port}/v1")
    QTest.mouseClick(dialog.fetch_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.fetch_button.isEnabled(), timeout=15000)
    assert dialog.fetch_status.text().startswith(f"Cannot reach http://127.0.0.1:{port}/v1")
    assert dialog.model_list.count() == 0


def test_the_chatbot_streams_replies_from_the_endpoint_and_the_key_stays_private(
    qtbot, window, tmp_path, monkeypatch, openai_server
):
    monkeypatch.setattr(
        SettingsDialog, "exec", fill_settings(qtbot, openai_server.base_url, GOOD_KEY, fetch=False)
    )
    window.llm.settings_action.trigger()
    window.files.open_path(EXAMPLES / "chatbot.burrflow", ask=False)
    panel = window.run.panel
    with qtbot.waitSignal(
        panel.nodeActive, timeout=15000, check_params_cb=lambda n: n == "human_input"
    ):
        window.run.run_action.trigger()
    qtbot.waitUntil(lambda: "prompt" in panel.input_fields, timeout=5000)
    QTest.keyClicks(panel.input_fields["prompt"], "hello there")
    live_texts = []  # what the timeline shows while the reply streams (after it updates)
    panel.streaming.connect(
        lambda _who, _text: live_texts.append(window.timeline.panel.live_text.text())
    )
    with qtbot.waitSignal(
        panel.streaming,
        timeout=15000,
        check_params_cb=lambda who, text: text.startswith("reply"),
    ):
        QTest.keyClick(panel.input_fields["prompt"], Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: not window.timeline.panel.live_text.isVisibleTo(window.timeline.panel),
        timeout=10000,
    )
    assert any(" is writing: reply" in text for text in live_texts)
    qtbot.waitUntil(lambda: panel.input_box.isVisible(), timeout=10000)
    lines = [panel.log.item(i).text() for i in range(panel.log.count())]
    assert "Assistant: reply to: hello there" in lines or any(
        line.endswith(": reply to: hello there") for line in lines
    )
    assert not any("▍" in line for line in lines)
    assert openai_server.requests[0]["auth"] == f"Bearer {GOOD_KEY}"
    assert openai_server.requests[0]["body"]["stream"] is True
    panel.close_run()

    with RunDatabase(window.run.database_path(), read_only=True) as db:
        run = db.list_runs()[0]
        reply = db.read_steps(run.run_id)[1]
    assert reply.result["mode"] == "live" and reply.result["usage"]["total_tokens"] == 15
    saved = tmp_path / "chat.burrflow"
    assert window.files.write_to(saved)
    exported = tmp_path / "chat.py"
    assert window.files.export_to("python", exported)
    for path in (saved, exported, window.run.database_path()):
        assert GOOD_KEY.encode() not in path.read_bytes(), path
    assert all(GOOD_KEY not in line for line in lines)
