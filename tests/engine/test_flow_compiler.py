"""Compiling flows: each node kind behaves as documented, and runs are recorded."""

from pathlib import Path

import pytest

from burrdesk.engine.flow_compiler import FlowCompileError, compile_flow
from burrdesk.engine.llm_action import (
    ChatReply,
    EchoChatClient,
    PromptTemplateError,
    render_prompt,
)
from burrdesk.model.flow_document import FlowDocument, load_flow
from burrdesk.model.run_database import RunDatabase

EXAMPLES = Path(__file__).parents[2] / "resources" / "examples"


def doc(nodes, edges, state=None, entrypoint=None):
    return FlowDocument.model_validate(
        {
            "format": "burrdesk.flow",
            "name": "test",
            "state": state or {},
            "entrypoint": entrypoint or nodes[0]["id"],
            "nodes": nodes,
            "edges": edges,
        }
    )


def test_counter_example_runs_to_its_end_node():
    app = compile_flow(load_flow(EXAMPLES / "counter.burrflow"))
    last, _, state = app.run(halt_after=["done"])
    assert last.name == "done" and state["count"] == 10 and state["message"] == "counted to 10"


def test_python_node_inputs_results_and_the_state_class_are_available():
    document = doc(
        [
            {
                "id": "greet",
                "kind": "python",
                "writes": ["greeting"],
                "code": (
                    "def greet(state: State, name: str, punctuation: str = '!') -> tuple[dict, State]:\n"
                    "    text = f'hello {name}{punctuation}'\n"
                    "    return {'text': text}, state.update(greeting=text)\n"
                ),
            }
        ],
        [],
    )
    app = compile_flow(document)
    _, result, state = app.step(inputs={"name": "Ada"})
    assert result == {"text": "hello Ada!"} and state["greeting"] == "hello Ada!"
    with pytest.raises(ValueError, match="missing required input 'name'"):
        compile_flow(document).step()


def test_a_single_differently_named_function_is_accepted():
    document = doc(
        [
            {
                "id": "step_one",
                "kind": "python",
                "writes": ["x"],
                "code": "def work(state):\n    return state.update(x=1)\n",
            }
        ],
        [],
    )
    assert compile_flow(document).step()[2]["x"] == 1


def test_input_nodes_convert_text_to_their_declared_types():
    document = doc(
        [
            {
                "id": "ask",
                "kind": "input",
                "params": {
                    "inputs": [
                        {"name": "age", "type": "int"},
                        {"name": "ok", "type": "bool"},
                        {"name": "tags", "type": "json"},
                        {"name": "note", "type": "str", "default": "none"},
                    ]
                },
            }
        ],
        [],
    )
    state = compile_flow(document).step(inputs={"age": "41", "ok": "yes", "tags": '["a"]'})[2]
    assert (state["age"], state["ok"], state["tags"], state["note"]) == (41, True, ["a"], "none")
    with pytest.raises(ValueError, match="Input 'age' must be an integer; 'old' is not"):
        compile_flow(document).step(inputs={"age": "old", "ok": "no", "tags": "[]"})


def test_llm_node_echoes_offline_and_keeps_a_chat_history():
    app = compile_flow(load_flow(EXAMPLES / "chatbot.burrflow"))
    app.run(halt_after=["ai_response"], inputs={"prompt": "hi"})
    _, result, state = app.run(halt_after=["ai_response"], inputs={"prompt": "again"})
    assert result["mode"] == "echo" and result["output"] == "echo: again"
    assert [m["content"] for m in state["chat_history"]] == [
        "hi",
        "echo: hi",
        "again",
        "echo: again",
    ]


class RecordingClient:
    mode = "test"

    def __init__(self):
        self.calls = []

    def complete(self, *, model, messages, temperature, max_tokens, retries=0, on_token=None):
        self.calls.append((model, messages, temperature, max_tokens, retries))
        return ChatReply(text="a real answer", model=model, usage={"total_tokens": 7})


def test_llm_node_sends_system_history_and_rendered_prompt_to_the_client():
    client = RecordingClient()
    document = doc(
        [
            {
                "id": "answer",
                "kind": "llm",
                "params": {
                    "model": "m1",
                    "system_prompt": "be brief",
                    "prompt_template": "Q: {question}",
                    "output_key": "answer",
                    "history_key": "history",
                    "temperature": 0.1,
                    "max_tokens": 50,
                    "retries": 2,
                },
            }
        ],
        [],
        state={"question": "why?", "history": [{"role": "user", "content": "earlier"}]},
    )
    _, result, state = compile_flow(document, llm_client=client).step()
    model, messages, temperature, max_tokens, retries = client.calls[0]
    assert (model, temperature, max_tokens, retries) == ("m1", 0.1, 50, 2)
    assert result["usage"] == {"total_tokens": 7} and result["mode"] == "test"
    assert messages == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "earlier"},
        {"role": "user", "content": "Q: why?"},
    ]
    assert state["answer"] == "a real answer"
    assert state["history"][-1] == {"role": "assistant", "content": "a real answer"}


def test_prompt_templates_name_missing_keys():
    assert render_prompt("{a} and {b[0]}", {"a": 1, "b": ["x"]}) == "1 and x"
    with pytest.raises(PromptTemplateError, match=r"uses \{missing\}"):
        render_prompt("{missing}", {})
    tokens = []
    reply = EchoChatClient().complete(
        model="m",
        messages=[{"role": "user", "content": "x y"}],
        temperature=0,
        max_tokens=None,
        on_token=tokens.append,
    )
    assert reply.text == "echo: x y" and "".join(tokens) == "echo: x y" and len(tokens) == 3


def test_conditions_route_like_the_engine():
    app = compile_flow(load_flow(EXAMPLES / "email_assistant.burrflow"))
    _, _, state = app.run(halt_after=["done"], inputs={"email": "Newsletter: unsubscribe here"})
    assert state["category"] == "spam" and state["archived"] is True and "drafts" in state
    routed = compile_flow(load_flow(EXAMPLES / "email_assistant.burrflow"))
    _, _, state = routed.run(
        halt_after=["done"], inputs={"email": "Could you help?", "sender_is_vip": "yes"}
    )
    assert state["escalated_to"] == "on-call manager" and len(state["drafts"]) == 1


def test_a_flow_with_errors_does_not_compile_and_lists_them():
    document = doc([{"id": "a", "kind": "python", "code": "def a(state):\n  return (\n"}], [])
    with pytest.raises(FlowCompileError, match='The flow cannot run: error: node "a"') as info:
        compile_flow(document)
    assert info.value.problems[0].field == "code"


def test_recorded_runs_carry_the_flow_document(tmp_path):
    document = load_flow(EXAMPLES / "inventory_simulation.burrflow")
    app = compile_flow(document, db_path=tmp_path / "runs.db")
    app.run(halt_after=["done"])
    app.builder.tracker.close("completed")
    (run,) = RunDatabase(tmp_path / "runs.db").list_runs()
    assert run.project == "inventory_simulation" and run.flow["name"] == "inventory_simulation"
    assert run.step_count == app.sequence_id + 1
    sources = {a["name"]: a["source"] for a in run.graph["actions"]}
    assert sources["restock"].startswith("def restock(state: State, batch: int = 25)")


def test_an_exception_in_node_code_points_at_the_node(tmp_path):
    document = doc(
        [{"id": "boom", "kind": "python", "code": "def boom(state):\n    return 1 / 0\n"}], []
    )
    app = compile_flow(document, db_path=tmp_path / "r.db")
    with pytest.raises(ZeroDivisionError):
        app.step()
    step = app.builder.tracker.database.get_step(1, 0)
    assert step.status == "failed" and '<test:boom>", line 2' in step.traceback
