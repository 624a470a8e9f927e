"""Flow documents: reading them (one sentence when impossible) and every validation problem."""

import json

import pytest

from burrdesk.model.flow_document import FlowDocument, FlowFileError, load_flow, parse_flow
from burrdesk.model.flow_validation import errors, validate_flow


def flow(**overrides):
    base = {
        "format": "burrdesk.flow",
        "version": 1,
        "name": "t",
        "state": {"count": 0},
        "entrypoint": "inc",
        "nodes": [
            {
                "id": "inc",
                "kind": "python",
                "reads": ["count"],
                "writes": ["count"],
                "code": "def inc(state):\n    return state.update(count=state['count'] + 1)\n",
            },
            {"id": "end", "kind": "end"},
        ],
        "edges": [
            {"source": "inc", "target": "inc", "condition": "expr: count < 3"},
            {"source": "inc", "target": "end", "condition": "default"},
        ],
    }
    base.update(overrides)
    return FlowDocument.model_validate(base)


def messages(document):
    return [
        (p.severity, p.node_id, p.edge_index, p.field, p.message) for p in validate_flow(document)
    ]


def test_a_good_flow_has_no_problems():
    assert validate_flow(flow()) == []


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("{not json", "is not valid JSON (line 1, column 2"),
        ("[1, 2]", "must hold a JSON object"),
        ('{"format": "something.else"}', "is not a burrdesk flow"),
        ('{"format": "burrdesk.flow", "version": 9}', "flow format version 9"),
        (
            '{"format": "burrdesk.flow", "nodes": [{"id": "a"}]}',
            'node "a" field "kind" field required',
        ),
        (
            '{"format": "burrdesk.flow", "nodes": [], "edges": [{"source": "a"}]}',
            'edge #1 field "target"',
        ),
        ('{"format": "burrdesk.flow", "state": [1]}', 'field "state"'),
    ],
)
def test_unreadable_documents_are_one_sentence(text, complaint):
    with pytest.raises(FlowFileError) as info:
        parse_flow(text, source="my.burrflow")
    message = str(info.value)
    assert complaint in message and message.startswith("my.burrflow") and "\n" not in message


def test_missing_file_folder_and_binary(tmp_path):
    with pytest.raises(FlowFileError, match="There is no flow file"):
        load_flow(tmp_path / "nope.burrflow")
    with pytest.raises(FlowFileError, match="is a folder"):
        load_flow(tmp_path)
    binary = tmp_path / "x.burrflow"
    binary.write_bytes(b"\xff\xfe\x00\x01" * 10)
    with pytest.raises(FlowFileError, match="not a text file"):
        load_flow(binary)


def test_save_and_load_round_trip(tmp_path):
    document = flow()
    document.save(tmp_path / "t.burrflow")
    assert load_flow(tmp_path / "t.burrflow") == document
    assert not list(tmp_path.glob("*.saving"))


def test_unknown_kind_and_duplicate_id():
    document = flow(
        nodes=[
            *flow().model_dump()["nodes"],
            {"id": "inc", "kind": "end"},
            {"id": "x", "kind": "robot"},
        ]
    )
    found = messages(document)
    assert ("error", "inc", None, "id", "duplicate node id.") in found
    assert any(m[1] == "x" and m[3] == "kind" and "unknown kind 'robot'" in m[4] for m in found)


def test_edge_to_a_missing_node_names_the_edge_and_end():
    document = flow(edges=[{"source": "inc", "target": "ghost"}])
    assert ("error", None, 0, "target", "the edge's target 'ghost' is not a node.") in messages(
        document
    )


def test_no_entrypoint_or_a_missing_one():
    assert any(
        m[3] == "entrypoint" and "no entrypoint" in m[4] for m in messages(flow(entrypoint=None))
    )
    assert any("'zzz' is not a node" in m[4] for m in messages(flow(entrypoint="zzz")))


def test_python_code_that_does_not_parse_has_line_and_column():
    document = flow()
    document.nodes[0].code = "def inc(state):\n    return state.update(count=\n"
    (problem,) = [p for p in validate_flow(document) if p.field == "code"]
    assert problem.severity == "error" and problem.line == 2 and problem.column is not None
    assert "does not parse" in problem.message


def test_python_code_without_the_function():
    document = flow()
    document.nodes[0].code = "x = 1\n"
    assert any("must define a function named inc" in m[4] for m in messages(document))


def test_expr_the_restricted_evaluator_rejects():
    document = flow(
        edges=[
            {"source": "inc", "target": "inc", "condition": "expr: __import__('os')"},
            {"source": "inc", "target": "end", "condition": "default"},
        ]
    )
    (problem,) = [p for p in validate_flow(document) if p.edge_index == 0]
    assert problem.field == "condition" and "calling '__import__'" in problem.message
    assert problem.column == 1


def test_unknown_condition_syntax():
    document = flow(edges=[{"source": "inc", "target": "end", "condition": "count > 1"}])
    assert any(m[2] == 0 and "not understood" in m[4] for m in messages(document))


def test_a_read_nothing_writes():
    document = flow(state={})
    document.nodes[0].reads = ["count", "budget"]
    found = messages(document)
    assert any(m[1] == "inc" and "reads 'budget'" in m[4] for m in found)
    assert not any(m[0] == "error" and "reads 'count'" in m[4] for m in found)


def test_a_key_read_before_any_path_sets_it_is_a_warning():
    """The state lacks `count`; `inc` writes it, but the first `inc` reads it before that."""
    found = [m for m in messages(flow(state={})) if m[0] == "warning"]
    assert found == [
        (
            "warning",
            "inc",
            None,
            "reads",
            "reads 'count', which may not be set yet when it runs: the initial state lacks "
            "it and not every path here writes it first.",
        )
    ]
    assert not [m for m in messages(flow()) if m[0] == "warning"]  # the state has it
    setter = {
        "id": "start", "kind": "python", "writes": ["count"],
        "code": "def start(state):\n    return state.update(count=0)\n",
    }  # fmt: skip
    first_sets_it = flow(
        state={},
        entrypoint="start",
        nodes=[setter, *flow().model_dump()["nodes"]],
        edges=[{"source": "start", "target": "inc"}, *flow().model_dump()["edges"]],
    )
    assert not [m for m in messages(first_sets_it) if m[0] == "warning"]


def test_a_condition_on_a_key_nothing_writes():
    document = flow(
        edges=[
            {"source": "inc", "target": "end", "condition": {"when": {"mood": "happy"}}},
            {"source": "inc", "target": "inc"},
        ]
    )
    assert any(m[2] == 0 and "reads 'mood'" in m[4] for m in messages(document))


def test_llm_template_fields_and_input_nodes_count_as_reads_and_writes():
    document = FlowDocument.model_validate(
        {
            "format": "burrdesk.flow",
            "entrypoint": "ask",
            "nodes": [
                {"id": "ask", "kind": "input", "params": {"inputs": [{"name": "question"}]}},
                {
                    "id": "answer",
                    "kind": "llm",
                    "params": {
                        "prompt_template": "Answer {question} in {style}",
                        "output_key": "a",
                    },
                },
            ],
            "edges": [{"source": "ask", "target": "answer"}],
        }
    )
    found = messages(document)
    assert [(p.field, p.message) for p in errors(validate_flow(document))] == [
        (
            "params.prompt_template",
            "the prompt template uses {style}, which no node writes and the initial state lacks.",
        )
    ]
    assert not any("question" in m[4] for m in found)


def test_unreachable_nodes_are_warnings():
    document = flow(nodes=[*flow().model_dump()["nodes"], {"id": "island", "kind": "end"}])
    assert (
        "warning",
        "island",
        None,
        None,
        "unreachable: no path leads here from the entrypoint.",
    ) in (messages(document))
    assert not errors(validate_flow(document))


def test_outgoing_edges_without_a_default_warn_and_two_defaults_are_an_error():
    no_default = flow(edges=[{"source": "inc", "target": "end", "condition": "expr: count > 2"}])
    assert any(m[0] == "warning" and "no default edge" in m[4] for m in messages(no_default))
    two = flow(edges=[{"source": "inc", "target": "end"}, {"source": "inc", "target": "inc"}])
    assert any(m[0] == "error" and "more than one default" in m[4] for m in messages(two))


def test_input_node_needs_named_inputs():
    document = flow(nodes=[{"id": "inc", "kind": "input", "params": {"inputs": [{"prompt": "x"}]}}])
    assert any("needs a 'name'" in m[4] for m in messages(document))


def test_problems_print_with_their_location():
    document = flow(edges=[{"source": "inc", "target": "ghost"}])
    assert str(validate_flow(document)[0]) == (
        "error: edge #1, field \"target\": the edge's target 'ghost' is not a node."
    )


def test_examples_are_valid(tmp_path):
    from pathlib import Path

    examples = sorted((Path(__file__).parents[2] / "resources" / "examples").glob("*.burrflow"))
    assert len(examples) >= 4
    for path in examples:
        assert validate_flow(load_flow(path)) == [], path.name
        assert json.loads(path.read_text())["format"] == "burrdesk.flow"


def test_values_nested_deeper_than_the_limit_are_one_sentence():
    text = json.dumps(flow().model_dump(mode="json"))
    for depth in (150, 5_000):  # one the parser reads, one it cannot
        deep = "[" * depth + "1" + "]" * depth
        nested = text.replace('"state": {"count": 0}', f'"state": {{"count": 0, "deep": {deep}}}')
        with pytest.raises(FlowFileError, match="nests values more than 100 levels deep") as bad:
            parse_flow(nested, source="deep.burrflow")
        assert "\n" not in str(bad.value)
    assert "at state.count[0][0]" in str(
        pytest.raises(
            FlowFileError,
            parse_flow,
            text.replace('"count": 0', f'"count": {"[" * 150}1{"]" * 150}'),
        ).value  # fmt: skip
    )
    shallow = "[" * 90 + "1" + "]" * 90
    assert parse_flow(text.replace('"count": 0', f'"count": {shallow}')).state["count"]


def test_a_condition_nested_a_thousand_deep_is_a_problem_not_a_crash():
    document = flow(
        edges=[
            {"source": "inc", "target": "inc", "condition": "expr: " + "not " * 1000 + "count"},
            {"source": "inc", "target": "end", "condition": "expr: " + "- " * 1000 + "count"},
            {"source": "inc", "target": "end", "condition": "default"},
        ]
    )
    problems = [m for m in messages(document) if m[0] == "error"]
    assert [p[2] for p in problems] == [0, 1]
    assert all("nests more than 60 levels deep" in p[4] and len(p[4]) < 200 for p in problems)


def test_python_code_too_deep_to_parse_is_a_problem():
    code = "def inc(state):\n    return " + "1+" * 100_000 + "1\n"
    document = flow(
        nodes=[{"id": "inc", "kind": "python", "code": code}, {"id": "end", "kind": "end"}]
    )
    assert (
        "error",
        "inc",
        None,
        "code",
        "the code nests too deeply for Python to parse.",
    ) in messages(document)


def test_wrong_types_in_inputs_and_llm_parameters_name_node_and_field():
    document = flow(
        nodes=[
            {
                "id": "ask",
                "kind": "input",
                "params": {
                    "inputs": [
                        {"name": "n", "type": "int", "default": "many"},
                        {"name": "on", "type": "bool", "default": 1},
                        {"name": "x", "type": "integer"},
                        {"name": "ok", "type": "float", "default": 2},
                    ]
                },
            },  # fmt: skip
            {
                "id": "llm",
                "kind": "llm",
                "params": {"prompt_template": "{n}", "temperature": "hot"},
            },
            {
                "id": "llm2",
                "kind": "llm",
                "params": {"prompt_template": "{n}", "max_tokens": "many"},
            },
            {"id": "end", "kind": "end"},
        ],
        entrypoint="ask",
        edges=[
            {"source": "ask", "target": "llm"},
            {"source": "llm", "target": "llm2"},
            {"source": "llm2", "target": "end"},
        ],
    )
    found = [(p[1], p[3], p[4]) for p in messages(document) if p[0] == "error"]
    assert found == [
        ("ask", "params.inputs", "input 'n' takes an integer, but its default 'many' is not one."),
        ("ask", "params.inputs", "input 'on' takes true or false, but its default 1 is not one."),
        ("ask", "params.inputs", "input 'x': 'type' should be 'str', 'int', 'float', 'bool' or 'json'."),
        ("llm", "params.temperature", "'temperature' should be a valid number, not 'hot'."),
        ("llm2", "params.max_tokens", "'max_tokens' should be a valid integer, not 'many'."),
    ]  # fmt: skip


@pytest.mark.parametrize("name", ["終わり🏁", "step-1", "class", "two words", "ok"])
def test_any_name_burr_takes_names_a_node(name):
    document = flow(
        entrypoint=name,
        nodes=[{"id": name, "kind": "python", "code": "def f(state):\n    return state\n"}],
        edges=[],
    )
    assert errors(validate_flow(document)) == []


@pytest.mark.parametrize(
    ("name", "complaint"),
    [("", "not empty"), (" padded", "starts or ends with spaces"), ("a\nb", "control character")],
)
def test_names_no_one_can_see_or_type_are_refused(name, complaint):
    document = flow(entrypoint=name, nodes=[{"id": name, "kind": "end"}], edges=[])
    assert any(complaint in p[4] for p in messages(document) if p[3] == "id")


def test_utf16_is_named_and_a_utf8_byte_order_mark_is_read(tmp_path):
    text = json.dumps(flow().model_dump(mode="json"))
    utf16 = tmp_path / "windows.burrflow"
    utf16.write_bytes(text.encode("utf-16"))
    with pytest.raises(FlowFileError, match="is UTF-16 text; burrdesk reads flows saved as UTF-8"):
        load_flow(utf16)
    marked = tmp_path / "marked.burrflow"
    marked.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert load_flow(marked).name == "t"
