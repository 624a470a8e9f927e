"""Flow export: the Python module is ruff-clean and runs like the flow; Mermaid and DOT draw it."""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from burrdesk.engine.flow_compiler import compile_flow
from burrdesk.engine.flow_export import export_dot, export_mermaid, export_python
from burrdesk.model.flow_document import FlowDocument, load_flow

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_NAMES = ("chatbot", "counter", "email_assistant", "inventory_simulation")
EXAMPLES = [REPO / "resources" / "examples" / f"{name}.burrflow" for name in EXAMPLE_NAMES]
RUFF = Path(sys.executable).with_name("ruff")
PYPROJECT = REPO / "pyproject.toml"

# What a person types at each input node; the chatbot gets one prompt per turn.
ANSWERS = {
    "email": "This is urgent: could you call me back today?",
    "sender_is_vip": False,
    "prompt": ["hello", "bye"],
}


@pytest.fixture(autouse=True)
def _echo_llm(monkeypatch):
    """LLM nodes echo instead of calling an endpoint."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


def _ruff_problems(path: Path) -> str:
    """Empty when `ruff check` and `ruff format --check` (project settings) both pass."""
    output = []
    for command in (["check", "--no-cache"], ["format", "--check", "--diff", "--no-cache"]):
        done = subprocess.run(
            [str(RUFF), *command, "--config", str(PYPROJECT), str(path)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            output.append(done.stdout + done.stderr)
    return "\n".join(output)


def _import(path: Path):
    spec = importlib.util.spec_from_file_location(f"exported_{uuid.uuid4().hex}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _drive(app, document: FlowDocument, max_asks: int = 2) -> dict:
    """Steps `app` until an end node ran, nothing is next, or an input node would be asked for
    the (max_asks + 1)th time; returns the public state."""
    fields = {n.id: [f.name for f in n.input_fields()] for n in document.nodes if n.kind == "input"}
    ends = {n.id for n in document.nodes if n.kind == "end"}
    asked: dict[str, int] = {}
    while (upcoming := app.get_next_action()) is not None:
        inputs = {}
        if upcoming.name in fields:
            turn = asked.get(upcoming.name, 0)
            if turn == max_asks:
                break
            asked[upcoming.name] = turn + 1
            for name in fields[upcoming.name]:
                answer = ANSWERS[name]
                inputs[name] = answer[turn] if isinstance(answer, list) else answer
        ran, _result, _state = app.step(inputs=inputs)
        if ran.name in ends:
            break
    return {k: v for k, v in app.state.get_all().items() if not k.startswith("__")}


def _export(document: FlowDocument, target: str, folder: Path) -> Path:
    path = folder / f"{document.name}_{target}.py"
    path.write_text(export_python(document, target=target), encoding="utf-8")
    return path


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_exported_examples_are_ruff_clean_for_both_targets(example, tmp_path):
    """Every example exports to a module that passes ruff check and ruff format (line length 100)."""
    document = load_flow(example)
    for target in ("burr", "burrdesk"):
        problems = _ruff_problems(_export(document, target, tmp_path))
        assert not problems, problems


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_exported_examples_reach_the_same_state_as_the_flow(example, tmp_path):
    """The Burr module, the burrdesk module and compile_flow end in the same public state."""
    document = load_flow(example)
    burr_module = _import(_export(document, "burr", tmp_path))
    burrdesk_module = _import(_export(document, "burrdesk", tmp_path))
    assert "burr.core" in burr_module.ApplicationBuilder.__module__
    assert burrdesk_module.ApplicationBuilder.__module__.startswith("burrdesk.engine")

    under_burr = _drive(burr_module.build_application(), document)
    under_burrdesk = _drive(burrdesk_module.build_application(), document)
    compiled = _drive(compile_flow(document), document)
    assert under_burr == under_burrdesk == compiled
    assert set(document.state) <= set(compiled)


def test_the_example_runs_reach_their_expected_outcomes(tmp_path):
    """The shared drive really goes somewhere: counting, escalating, and two chat turns."""
    outcomes = {}
    for example in EXAMPLES:
        document = load_flow(example)
        outcomes[document.name] = _drive(compile_flow(document), document)
    assert outcomes["counter"] == {"count": 10, "message": "counted to 10"}
    email = outcomes["email_assistant"]
    assert (email["category"], email["urgency"], email["escalated_to"]) == (
        "question",
        3,
        "on-call manager",
    )
    assert email["drafts"] == [email["reply"]] and email["reply"].startswith("echo: Draft")
    chat = outcomes["chatbot"]["chat_history"]
    assert [m["content"] for m in chat] == ["hello", "echo: hello", "bye", "echo: bye"]
    assert outcomes["inventory_simulation"]["day"] == 100


def _script_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}


def test_the_exported_counter_runs_as_a_script(tmp_path):
    """`python counter.py` steps to the end node and prints the final state."""
    path = _export(load_flow(REPO / "resources/examples/counter.burrflow"), "burr", tmp_path)
    done = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, env=_script_env(), timeout=60
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "0: increment" and lines[-2] == "11: done"
    assert ast.literal_eval(lines[-1]) == {"count": 10, "message": "counted to 10"}


def test_the_exported_email_assistant_asks_on_stdin(tmp_path):
    """The script asks for each input on the terminal and converts yes/no to a bool."""
    path = _export(
        load_flow(REPO / "resources/examples/email_assistant.burrflow"), "burr", tmp_path
    )
    done = subprocess.run(
        [sys.executable, str(path)],
        input="Could you send me the slides?\nyes\n",
        capture_output=True,
        text=True,
        env=_script_env(),
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Paste the email to triage: " in done.stdout
    final = ast.literal_eval(done.stdout.splitlines()[-1])
    assert (final["urgency"], final["sender_is_vip"]) == (1, True)
    assert final["escalated_to"] == "on-call manager"  # only because the answer was yes
    assert final["drafts"] == [final["reply"]]


def _flow(nodes: list[dict], edges: list[dict], state: dict | None = None) -> FlowDocument:
    return FlowDocument.model_validate(
        {"name": "edge_case", "state": state or {}, "entrypoint": nodes[0]["id"]}
        | {"nodes": nodes, "edges": edges}
    )


def _python(node_id: str, reads: list[str], writes: list[str]) -> dict:
    body = ", ".join(f"{key}=1" for key in writes)
    return {
        "id": node_id,
        "kind": "python",
        "reads": reads,
        "writes": writes,
        "code": f"def {node_id}(state: State) -> State:\n    return state.update({body})\n",
    }


def _unannotated_python_nodes() -> FlowDocument:
    code = 'def bump(state):\n    return state.update(count=state["count"] + 1)\n'
    node = {"id": "bump", "kind": "python", "reads": ["count"], "writes": ["count"], "code": code}
    edge = {"source": "bump", "target": "bump", "condition": "expr: count < 3"}
    return _flow([node], [edge], {"count": 0})


def _quoted_expr() -> FlowDocument:
    return _flow(
        [_python("triage", ["status"], ["status"]), _python("close", [], [])],
        [{"source": "triage", "target": "close", "condition": 'expr: status == "spam"'}],
        {"status": "new"},
    )


_LONG_EXPR = "retries < 3 and priority > 2 and not paused_by_the_owner"


def _transition_of_101_columns() -> FlowDocument:
    flat = " " * 12 + '("triage", "escalate", expr(' + json.dumps(_LONG_EXPR) + ")),"
    assert len(flat) == 101  # one column too wide once the trailing comma is counted
    keys = ["retries", "priority", "paused_by_the_owner"]
    return _flow(
        [_python("triage", keys, keys), _python("escalate", [], [])],
        [
            {"source": "triage", "target": "escalate", "condition": f"expr: {_LONG_EXPR}"},
            {"source": "triage", "target": "triage"},
        ],
        {"retries": 0, "priority": 3, "paused_by_the_owner": False},
    )


def _decorator_of_101_columns() -> FlowDocument:
    reads, writes = ["customer_name", "order_history", "loyalty_tier"], ["discount_percentage_now"]
    flat = f"@action(reads={json.dumps(reads)}, writes={json.dumps(writes)})"
    assert len(flat) == 101
    state = dict.fromkeys(reads, "")
    return _flow([_python("discount", reads, writes)], [], state)


def _nested_state_of_101_columns() -> FlowDocument:
    limits = {"low_stock_level": 5, "reorder_point": 12, "high_stock": 250, "max_order_size": 8000}
    assert len('    "limits": ' + json.dumps(limits) + ",") == 101
    state = {"limits": limits, "warehouse": "north-east distribution centre", "day": 0}
    state["stock_by_item"] = {"widgets": 40, "gadgets": 12}
    return _flow([_python("restock", ["limits"], ["day"])], [], state)


def _llm(model: str) -> FlowDocument:
    node = {"id": "answer", "kind": "llm", "params": {"model": model, "prompt_template": "{q}"}}
    return _flow([node], [], {"q": "why?"})


def _input_with_four_fields() -> FlowDocument:
    fields = [
        {"name": "email", "type": "str"},
        {"name": "subject", "type": "str"},
        {"name": "sender", "type": "str"},
        {"name": "sender_is_vip", "type": "bool", "default": False},
    ]
    return _flow([{"id": "receive_email", "kind": "input", "params": {"inputs": fields}}], [])


@pytest.mark.parametrize(
    "make",
    [
        _unannotated_python_nodes,
        _quoted_expr,
        _transition_of_101_columns,
        _decorator_of_101_columns,
        _nested_state_of_101_columns,
        lambda: _llm("claude-3-5-sonnet-20241022"),
        lambda: _llm("ft:gpt-4o-mini-2024-07-18:acme-corp:support-bot:9xQ2"),
        _input_with_four_fields,
    ],
    ids=[
        "python-nodes-without-State-annotations",
        "expr-with-double-quotes",
        "transition-of-101-columns",
        "decorator-of-101-columns",
        "nested-state-of-101-columns",
        "llm-model-name-of-26-chars",
        "llm-fine-tuned-model-id",
        "input-node-with-four-fields",
    ],
)
def test_generated_code_stays_ruff_clean_at_the_edges(make, tmp_path):
    """Quotes and long lines in generated code come out as ruff format writes them."""
    document = make()
    problems = _ruff_problems(_export(document, "burr", tmp_path))
    assert not problems, problems


def test_a_node_named_like_a_module_helper_still_builds(tmp_path):
    """An input node called `ask` is an action of the exported app, not the prompt helper."""
    document = _flow(
        [
            {"id": "ask", "kind": "input", "params": {"inputs": [{"name": "question"}]}},
            {"id": "done", "kind": "end"},
        ],
        [{"source": "ask", "target": "done"}],
    )
    module = _import(_export(document, "burr", tmp_path))
    app = module.build_application()
    app.step(inputs={"question": "why?"})
    assert app.state["question"] == "why?"


def _drawn() -> FlowDocument:
    return FlowDocument.model_validate(
        {
            "name": 'the "quoted" flow',
            "state": {"n": 0},
            "entrypoint": "ask",
            "nodes": [
                {
                    "id": "ask",
                    "kind": "input",
                    "label": 'Ask "why"\nplease',
                    "params": {"inputs": [{"name": "q"}]},
                },
                {"id": "think", "kind": "llm", "label": "Think"},
                {"id": "tally", "kind": "python", "label": "back\\slash"},
                {"id": "done", "kind": "end", "label": "Done"},
            ],
            "edges": [
                {"source": "ask", "target": "think"},
                {"source": "think", "target": "tally", "condition": 'expr: q == "yes"'},
                {"source": "think", "target": "done", "condition": {"when": {"q": "no"}}},
                {"source": "tally", "target": "done"},
            ],
        }
    )


def test_mermaid_draws_shapes_labels_and_the_entrypoint():
    """Mermaid: a shape per kind, condition labels on edges, a thick entrypoint, escaped quotes."""
    text = export_mermaid(_drawn())
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    assert '    ask[/"Ask #quot;why#quot; please"/]' in lines
    assert '    think("Think")' in lines
    assert '    tally["back\\slash"]' in lines
    assert '    done(("Done"))' in lines
    assert "    ask --> think" in lines
    assert "    think -->|q == #quot;yes#quot;| tally" in lines
    assert "    think -->|q='no'| done" in lines
    assert "    tally --> done" in lines
    assert [line for line in lines if "style" in line] == ["    style ask stroke-width:3px"]
    assert all(line.startswith("    ") for line in lines[1:])  # the label's newline is a space
    assert '"why"' not in text


def test_dot_draws_shapes_labels_and_the_entrypoint():
    """DOT: a shape per kind, condition labels on edges, a thick entrypoint, escaped quotes."""
    lines = export_dot(_drawn()).splitlines()
    assert lines[0] == 'digraph "the \\"quoted\\" flow" {' and lines[-1] == "}"
    assert '    "ask" [label="Ask \\"why\\"\\nplease", shape=parallelogram, penwidth=3];' in lines
    assert '    "think" [label="Think", shape=box, style=rounded];' in lines
    assert '    "tally" [label="back\\\\slash", shape=box];' in lines
    assert '    "done" [label="Done", shape=doublecircle];' in lines
    assert '    "ask" -> "think";' in lines
    assert '    "think" -> "tally" [label="q == \\"yes\\""];' in lines
    assert '    "think" -> "done" [label="q=\'no\'"];' in lines
    assert sum("penwidth" in line for line in lines) == 1


def test_mermaid_never_uses_the_reserved_word_end_as_a_node_id():
    """A node called `end` (natural for an end node) must not break the Mermaid flowchart."""
    document = FlowDocument.model_validate(
        {
            "name": "finish",
            "entrypoint": "work",
            "nodes": [
                {"id": "work", "kind": "python", "label": "Work"},
                {"id": "end", "kind": "end", "label": "Finish"},
            ],
            "edges": [{"source": "work", "target": "end"}],
        }
    )
    text = export_mermaid(document)
    assert "Finish" in text
    assert not re.search(r"\bend\b", text), text


def test_nodes_named_as_burr_allows_export_to_modules_that_run_the_same(tmp_path):
    """Burr takes any string as an action name: `step-1`, a keyword, `終わり🏁`."""
    document = load_flow(REPO / "resources" / "examples" / "counter.burrflow")
    renamed = {"increment": "step-1", "report": "class", "done": "終わり🏁"}
    data = document.model_dump(mode="json")
    for node in data["nodes"]:
        node["id"] = renamed.get(node["id"], node["id"])
    for edge in data["edges"]:
        edge["source"], edge["target"] = renamed[edge["source"]], renamed[edge["target"]]
    data["entrypoint"] = "step-1"
    document = FlowDocument.model_validate(data)
    compiled = _drive(compile_flow(document), document)
    assert compiled == {"count": 10, "message": "counted to 10"}
    for target in ("burr", "burrdesk"):
        path = _export(document, target, tmp_path)
        assert not _ruff_problems(path)
        app = _import(path).build_application()
        assert _drive(app, document) == compiled
        assert {a.name for a in app.graph.actions} == {"step-1", "class", "終わり🏁"}
