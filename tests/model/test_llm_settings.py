"""Where LLM nodes send prompts: settings, echo mode, and a key that is never written elsewhere."""

import json
import stat
from pathlib import Path

from fake_openai_server import GOOD_KEY
from pydantic import SecretStr

from burrdesk.cli import main
from burrdesk.engine.flow_export import export_python
from burrdesk.engine.llm_action import EchoChatClient
from burrdesk.engine.llm_clients import chat_client_for
from burrdesk.engine.openai_chat_client import OpenAIChatClient
from burrdesk.model.flow_document import FlowDocument
from burrdesk.model.llm_settings import LlmSettings, load_llm_settings, save_llm_settings
from burrdesk.model.run_database import RunDatabase

NO_ENV: dict[str, str] = {}


def test_echo_without_a_key_or_a_local_endpoint():
    settings = LlmSettings()
    assert settings.mode(NO_ENV) == "echo"
    assert isinstance(chat_client_for(settings, NO_ENV), EchoChatClient)
    assert settings.describe(NO_ENV) == "LLM: echo mode (no API key or local endpoint)"


def test_a_key_or_a_local_server_makes_it_live_and_the_environment_wins():
    keyed = LlmSettings(api_key=SecretStr("sk-stored"))
    assert keyed.mode(NO_ENV) == "live" and keyed.key(NO_ENV) == "sk-stored"
    assert keyed.key({"OPENAI_API_KEY": "sk-env"}) == "sk-env"
    assert keyed.key_source({"OPENAI_API_KEY": "sk-env"}) == "environment"
    local = LlmSettings(base_url="http://127.0.0.1:11434/v1/")
    assert local.mode(NO_ENV) == "live"
    client = chat_client_for(local, NO_ENV)
    assert isinstance(client, OpenAIChatClient) and client.base_url == "http://127.0.0.1:11434/v1"
    assert local.describe(NO_ENV) == "LLM: http://127.0.0.1:11434/v1"
    forced = LlmSettings(base_url="http://127.0.0.1:11434/v1", echo=True)
    assert forced.mode(NO_ENV) == "echo"
    assert forced.describe(NO_ENV) == "LLM: echo mode (chosen in Settings)"


def test_settings_keep_the_key_in_a_private_file_and_never_print_it(tmp_path):
    settings = LlmSettings(base_url="http://localhost:8000/v1", api_key=SecretStr(GOOD_KEY))
    assert GOOD_KEY not in repr(settings) and GOOD_KEY not in str(settings)
    assert GOOD_KEY not in settings.model_dump_json()
    path = save_llm_settings(settings, tmp_path / "llm.json")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["api_key"] == GOOD_KEY
    assert load_llm_settings(path).key(NO_ENV) == GOOD_KEY


def test_unreadable_settings_fall_back_to_defaults(tmp_path):
    path = tmp_path / "llm.json"
    path.write_text("{not json")
    assert load_llm_settings(path) == LlmSettings()
    path.write_text('{"timeout": -3}')
    assert load_llm_settings(path) == LlmSettings()


def llm_flow(tmp_path: Path) -> Path:
    document = FlowDocument.model_validate(
        {
            "name": "ask",
            "state": {"prompt": "what is burrdesk?"},
            "entrypoint": "answer",
            "nodes": [
                {"id": "answer", "kind": "llm", "params": {"model": "needs-key"}},
                {"id": "done", "kind": "end"},
            ],
            "edges": [{"source": "answer", "target": "done"}],
        }
    )
    path = tmp_path / "ask.burrflow"
    path.write_text(document.to_json())
    return path


def test_burrdesk_run_uses_the_settings_and_the_key_lands_nowhere_else(
    tmp_path, monkeypatch, capsys, openai_server
):
    data = tmp_path / "data"
    monkeypatch.setenv("BURRDESK_DATA_DIR", str(data))
    save_llm_settings(LlmSettings(base_url=openai_server.base_url, api_key=SecretStr(GOOD_KEY)))
    flow = llm_flow(tmp_path)
    db_path = tmp_path / "runs.db"
    assert main(["run", str(flow), "--db", str(db_path)]) == 0
    out, err = capsys.readouterr()
    assert f"LLM: {openai_server.base_url}" in out
    assert openai_server.requests[0]["auth"] == f"Bearer {GOOD_KEY}"
    with RunDatabase(db_path, read_only=True) as db:
        (run,) = db.list_runs()
        answer = db.read_steps(run.run_id)[0]
    assert answer.result["output"] == "reply to: what is burrdesk?"
    assert answer.result["mode"] == "live"
    for path in (flow, db_path):
        assert GOOD_KEY.encode() not in path.read_bytes(), path
    assert GOOD_KEY not in out + err
    exported = tmp_path / "ask.py"
    assert main(["export", str(flow), "-o", str(exported)]) == 0
    assert GOOD_KEY not in exported.read_text()
    assert GOOD_KEY not in export_python(FlowDocument.model_validate_json(flow.read_text()))


def test_burrdesk_run_echo_flag_stays_offline(tmp_path, monkeypatch, capsys, openai_server):
    monkeypatch.setenv("BURRDESK_DATA_DIR", str(tmp_path / "data"))
    save_llm_settings(LlmSettings(base_url=openai_server.base_url))
    db_path = tmp_path / "runs.db"
    assert main(["run", str(llm_flow(tmp_path)), "--db", str(db_path), "--echo"]) == 0
    assert "LLM: echo mode (chosen in Settings)" in capsys.readouterr().out
    assert openai_server.requests == []
    with RunDatabase(db_path, read_only=True) as db:
        step = db.read_steps(db.list_runs()[0].run_id)[0]
    assert (step.result["mode"], step.result["output"]) == ("echo", "echo: what is burrdesk?")
