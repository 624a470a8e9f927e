"""LLM nodes through the real `openai` client, against a local OpenAI-compatible server."""

import socket

import pytest
from fake_openai_server import GOOD_KEY, MODELS

from burrdesk.engine.flow_compiler import compile_flow
from burrdesk.engine.llm_action import LlmCallError, streaming_tokens_to
from burrdesk.engine.openai_chat_client import OpenAIChatClient
from burrdesk.model.flow_document import FlowDocument
from burrdesk.model.run_database import RunDatabase

MESSAGES = [{"role": "user", "content": "hello there"}]


def complete(client, model="alpha-chat", **options):
    return client.complete(
        model=model, messages=MESSAGES, temperature=0.2, max_tokens=64, **options
    )


def chat_flow(model, retries=0):
    return FlowDocument.model_validate(
        {
            "name": "chat",
            "state": {"prompt": "hello there", "history": []},
            "entrypoint": "answer",
            "nodes": [
                {
                    "id": "answer",
                    "kind": "llm",
                    "params": {
                        "model": model,
                        "system_prompt": "be brief",
                        "output_key": "reply",
                        "history_key": "history",
                        "retries": retries,
                    },
                }
            ],
        }
    )


def test_a_plain_completion(openai_server):
    reply = complete(OpenAIChatClient(base_url=openai_server.base_url))
    assert reply.text == "reply to: hello there"
    assert reply.model == "alpha-chat" and reply.attempts == 1
    assert reply.usage == {"prompt_tokens": 11, "completion_tokens": 4, "total_tokens": 15}
    assert reply.latency_ms > 0
    (request,) = openai_server.requests
    assert request["body"]["temperature"] == 0.2 and request["body"]["max_tokens"] == 64
    assert "stream" not in request["body"]


def test_a_streamed_completion_arrives_token_by_token(openai_server):
    tokens = []
    reply = complete(OpenAIChatClient(base_url=openai_server.base_url), on_token=tokens.append)
    assert tokens == ["reply ", "to: ", "hello ", "there"]
    assert reply.text == "reply to: hello there"
    assert reply.usage["total_tokens"] == 15
    assert openai_server.requests[0]["body"]["stream"] is True


def test_a_server_that_refuses_stream_options_still_streams(openai_server):
    tokens = []
    reply = complete(
        OpenAIChatClient(base_url=openai_server.base_url),
        model="no-stream-options",
        on_token=tokens.append,
    )
    assert reply.text == "reply to: hello there" and len(tokens) == 4
    assert [("stream_options" in r["body"]) for r in openai_server.requests] == [True, False]


def test_an_llm_node_streams_and_records_text_model_usage_and_latency(openai_server, tmp_path):
    db_path = tmp_path / "runs.db"
    client = OpenAIChatClient(base_url=openai_server.base_url, api_key=GOOD_KEY)
    app = compile_flow(chat_flow("needs-key"), db_path=db_path, llm_client=client)
    seen = []
    with streaming_tokens_to(lambda node, text: seen.append((node, text))):
        _, result, state = app.step()
    assert seen[0] == ("answer", "reply ") and "".join(t for _, t in seen) == state["reply"]
    assert state["history"] == [
        {"role": "user", "content": "hello there"},
        {"role": "assistant", "content": "reply to: hello there"},
    ]
    assert openai_server.requests[0]["auth"] == f"Bearer {GOOD_KEY}"
    app.builder.tracker.close()
    with RunDatabase(db_path, read_only=True) as db:
        (step,) = db.read_steps(db.list_runs()[0].run_id)
    assert step.result["output"] == "reply to: hello there"
    assert (step.result["model"], step.result["mode"]) == ("needs-key", "live")
    assert step.result["usage"]["total_tokens"] == 15 and step.result["latency_ms"] > 0
    assert GOOD_KEY.encode() not in db_path.read_bytes()
    assert GOOD_KEY not in repr(client)


def test_a_wrong_key_is_a_401_sentence(openai_server):
    client = OpenAIChatClient(base_url=openai_server.base_url, api_key="sk-wrong")
    with pytest.raises(LlmCallError) as error:
        complete(client, model="needs-key")
    assert str(error.value) == (
        f"{openai_server.base_url} refused the API key (401 Unauthorized); "
        "check the key in Settings."
    )


def test_a_429_is_retried_when_the_node_asks_and_reported_when_it_does_not(openai_server):
    client = OpenAIChatClient(base_url=openai_server.base_url)
    reply = complete(client, model="busy-once", retries=2)
    assert reply.text == "reply to: hello there" and reply.attempts == 2
    with pytest.raises(LlmCallError, match=r"429 Too Many Requests\) after 3 attempts"):
        complete(client, model="busy", retries=2)
    with pytest.raises(LlmCallError, match=r"limiting requests \(429 Too Many Requests\);"):
        complete(client, model="busy")


def test_a_timeout_is_a_sentence(openai_server):
    client = OpenAIChatClient(base_url=openai_server.base_url, timeout=0.5)
    with pytest.raises(LlmCallError) as error:
        complete(client, model="slow")
    assert str(error.value) == f"{openai_server.base_url} did not answer within 0.5 s."


def test_an_unreachable_endpoint_is_a_sentence():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = OpenAIChatClient(base_url=f"http://127.0.0.1:{port}/v1", timeout=2)
    with pytest.raises(LlmCallError, match=rf"^Cannot reach http://127.0.0.1:{port}/v1: "):
        complete(client)


@pytest.mark.parametrize("model", ["garbage", "no-choices"])
def test_a_malformed_answer_is_a_sentence(openai_server, model):
    client = OpenAIChatClient(base_url=openai_server.base_url)
    with pytest.raises(LlmCallError, match="was not a chat completion"):
        complete(client, model=model)


def test_openai_without_a_key_says_what_to_do():
    with pytest.raises(LlmCallError, match="^No API key: set OPENAI_API_KEY"):
        complete(OpenAIChatClient(api_key=None))


def test_models_are_listed_from_the_endpoint(openai_server):
    assert OpenAIChatClient(base_url=openai_server.base_url).list_models() == MODELS


def test_a_failed_call_is_a_failed_step_that_a_fork_retries(openai_server, tmp_path):
    db_path = tmp_path / "runs.db"
    client = OpenAIChatClient(base_url=openai_server.base_url)
    app = compile_flow(chat_flow("busy"), db_path=db_path, llm_client=client)
    with pytest.raises(LlmCallError):
        app.step()
    app.builder.tracker.close()
    with RunDatabase(db_path) as db:
        run = db.list_runs()[0]
        (step,) = db.read_steps(run.run_id)
        assert step.status == "failed" and "429 Too Many Requests" in step.error
        fork = db.fork(run.run_id, -1)
    retry = compile_flow(
        chat_flow("alpha-chat"), db_path=db_path, llm_client=client, continue_app_id=fork.app_id
    )
    _, _, state = retry.step()
    assert state["reply"] == "reply to: hello there"
