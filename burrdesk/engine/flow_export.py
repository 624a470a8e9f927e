"""Exporting a flow: a plain Python module using the Burr API, and Mermaid / Graphviz text.

The Python export is the "no lock-in" promise: the module builds the same application with
`burr.core` (or `burrdesk.engine`), runs on its own (`python app.py`), and reads like code a
person would write. LLM nodes become a small function that calls the openai client when
OPENAI_API_KEY is set and echoes otherwise, like the echo mode in the app.
"""

from __future__ import annotations

import ast
import json
import keyword
import re
import textwrap
from typing import Literal

from burrdesk.model.flow_document import FlowDocument, FlowEdge, FlowNode
from burrdesk.model.flow_validation import node_reads

Target = Literal["burr", "burrdesk"]
LINE_LENGTH = 100

_LLM_HELPER = '''
def _chat_completion(
    model: str, messages: list[dict], temperature: float, max_tokens: int | None
) -> tuple[str, str]:
    """(reply, mode): the chat-completions endpoint when OPENAI_API_KEY is set, else an echo."""
    if not os.environ.get("OPENAI_API_KEY"):
        last = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
        return f"echo: {last}", "echo"
    from openai import OpenAI

    reply = OpenAI().chat.completions.create(
        model=model, messages=messages, temperature=temperature, max_tokens=max_tokens
    )
    return reply.choices[0].message.content or "", "live"
'''


def _py(value: object) -> str:
    """A one-line Python literal for a JSON value, double-quoted as ruff format writes it."""
    if isinstance(value, str):
        if '"' in value and "'" not in value:
            return repr(value)  # single quotes avoid escaping, as ruff format prefers
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_py(k)}: {_py(v)}" for k, v in value.items()) + "}"
    if isinstance(value, tuple):
        inner = ", ".join(_py(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(_py(v) for v in value) + "]"
    return repr(value)


def _py_block(value: object, indent: int, prefix: str, suffix: str = "") -> str:
    """`prefix` + literal, exploded one item per line (with trailing commas) when the line,
    `suffix` included, would be too long."""
    flat = prefix + _py(value)
    fits = len(" " * indent + flat + suffix) <= LINE_LENGTH
    if fits or not isinstance(value, (dict, list)) or not value:
        return flat
    pad = " " * (indent + 4)
    if isinstance(value, dict):
        items = [_py_block(v, indent + 4, f"{_py(k)}: ", ",") + "," for k, v in value.items()]
        opening, closing = "{", "}"
    else:
        items = [_py_block(v, indent + 4, "", ",") + "," for v in value]
        opening, closing = "[", "]"
    body = "\n".join(pad + item for item in items)
    return f"{prefix}{opening}\n{body}\n{' ' * indent}{closing}"


def _call(name: str, args: list[str], indent: int, prefix: str = "", suffix: str = "") -> str:
    """`name(args)` on one line, or one argument per line when the whole line (with what
    comes before and after it) is too long."""
    flat = f"{name}({', '.join(args)})"
    if len(" " * indent + prefix + flat + suffix) <= LINE_LENGTH:
        return flat
    pad = " " * (indent + 4)
    return f"{name}(\n" + "".join(f"{pad}{a},\n" for a in args) + " " * indent + ")"


def _decorator(node: FlowNode, reads: list[str], writes: list[str]) -> str:
    return "@" + _call("action", [f"reads={_py(reads)}", f"writes={_py(writes)}"], 0, prefix="@")


def _python_node(node: FlowNode) -> tuple[str, str]:
    """(source with @action added before the node's function, that function's name)."""
    code = textwrap.dedent(node.code).strip("\n")
    tree = ast.parse(code)
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    target = next((f for f in functions if f.name == node.id), functions[0])
    lines = code.splitlines()
    first = (target.decorator_list[0].lineno if target.decorator_list else target.lineno) - 1
    decorated = [*lines[:first], _decorator(node, node.reads, node.writes), *lines[first:]]
    return "\n".join(decorated), target.name


def _input_node(node: FlowNode, function: str) -> str:
    fields = node.input_fields()
    params = ["state: State"]
    for field in fields:
        annotation = {"json": "object"}.get(field.type, field.type)
        default = f" = {_py(field.default)}" if field.default is not None else ""
        params.append(f"{field.name}: {annotation}{default}")
    names = [f.name for f in fields]
    signature = _call(f"def {function}", params, 0, suffix=" -> State:")
    update = _call("state.update", [f"{n}={n}" for n in names], 4, prefix="return ")
    return f"{_decorator(node, [], names)}\n{signature} -> State:\n    return {update}"


def _llm_node(node: FlowNode, function: str) -> str:
    params = node.llm_params()
    writes = [params.output_key] + ([params.history_key] if params.history_key else [])
    system = [{"role": "system", "content": params.system_prompt}] if params.system_prompt else []
    body = [
        _decorator(node, node_reads(node), writes),
        f"def {function}(state: State) -> tuple[dict, State]:",
        "    " + _py_block(params.prompt_template, 4, "template = "),
        "    prompt = template.format_map(state.get_all())",
        "    " + _py_block(system, 4, "messages: list[dict] = "),
    ]
    if params.history_key:
        body += [
            f"    history = list(state.get({_py(params.history_key)}) or [])",
            "    messages += history",
            '    user_turn = {"role": "user", "content": prompt}',
            "    new_turns = [] if history and history[-1] == user_turn else [user_turn]",
            "    messages += new_turns",
        ]
    else:
        body.append('    messages.append({"role": "user", "content": prompt})')
    call_args = [_py(params.model), "messages", _py(params.temperature), _py(params.max_tokens)]
    body.append(
        "    reply, mode = " + _call("_chat_completion", call_args, 4, prefix="reply, mode = ")
    )
    body.append(f"    new_state = state.update(**{{{_py(params.output_key)}: reply}})")
    if params.history_key:
        body.append('    turns = [*new_turns, {"role": "assistant", "content": reply}]')
        body.append(f"    new_state = new_state.extend(**{{{_py(params.history_key)}: turns}})")
    result = {"output": "reply", "model": _py(params.model), "mode": "mode", "prompt": "prompt"}
    pairs = [f'"{k}": {v}' for k, v in result.items()]
    flat = "    result = {" + ", ".join(pairs) + "}"
    if len(flat) <= LINE_LENGTH:
        body.append(flat)
    else:
        body.append("    result = {\n" + "".join(f"        {p},\n" for p in pairs) + "    }")
    body.append("    return result, new_state")
    return "\n".join(body)


def _end_node(node: FlowNode, function: str) -> str:
    return f"{_decorator(node, [], [])}\ndef {function}(state: State) -> State:\n    return state"


def _condition(edge: FlowEdge) -> str | None:
    kind = edge.condition_kind
    if kind == "expr":
        return f"expr({_py(edge.expression)})"
    if kind == "when":
        pairs = (edge.when or {}).items()
        if all(k.isidentifier() for k, _ in pairs):
            return "when(" + ", ".join(f"{k}={_py(v)}" for k, v in pairs) + ")"
        return f"when(**{_py(edge.when)})"
    return None


_RESERVED = {
    "ApplicationBuilder",
    "State",
    "action",
    "expr",
    "when",
    "os",
    "annotations",
    "INITIAL_STATE",
    "INPUT_PROMPTS",
    "END_NODES",
    "build_application",
    "main",
    "input",
    "print",
}
"""Names the exported module defines or uses itself; a node function may not shadow them."""


def _function_name(node_id: str, taken: set[str]) -> str:
    """A Python name for a node's function: the id itself when it is one (Burr's action names
    are any string: `終わり🏁` becomes `終わり_`, `step-1` `step_1`)."""
    name = "".join(c if f"a{c}".isidentifier() else "_" for c in node_id) or "node"
    if not name.isidentifier() or keyword.iskeyword(name):
        name = f"node_{name}"
    name = name if name not in _RESERVED else f"{name}_node"
    while name in taken or name in _RESERVED:
        name += "_"
    taken.add(name)
    return name


def _action_arguments(action_names: dict[str, str]) -> list[str]:
    """`with_actions` arguments: `name=function`, and the names Python cannot take as a
    keyword (`step-1`, `class`) in one `**{...}`."""
    plain = {n: f for n, f in action_names.items() if n.isidentifier() and not keyword.iskeyword(n)}
    lines = [f"            {name}={function}," for name, function in plain.items()]
    other = [f"{_py(n)}: {f}" for n, f in action_names.items() if n not in plain]
    if other:
        lines.append("            **{" + ", ".join(other) + "},")
    return lines


def _import_names(document: FlowDocument, blocks: list[str]) -> list[str]:
    names = {"ApplicationBuilder", "action"}
    if any(re.search(r"\bState\b", block) for block in blocks):
        names.add("State")
    names |= {k for e in document.edges if (k := e.condition_kind) in ("expr", "when")}
    # isort's order-by-type, as ruff applies it: classes before functions.
    return sorted(names, key=lambda n: (not n[0].isupper(), n))


_ASK = """def _ask(prompt: str, kind: str) -> object:
    text = input(f"{prompt}: ")
    if kind == "int":
        return int(text)
    if kind == "float":
        return float(text)
    if kind == "bool":
        return text.strip().lower() in ("1", "true", "yes", "y", "on")
    if kind == "json":
        return json.loads(text)
    return text"""

_MAIN = """def main() -> None:
    app = build_application()
    while (upcoming := app.get_next_action()) is not None:
        fields = INPUT_PROMPTS.get(upcoming.name, {})
        inputs = {name: _ask(prompt, kind) for name, (prompt, kind) in fields.items()}
        ran, _result, _state = app.step(inputs=inputs)
        print(f"{app.sequence_id}: {ran.name}")
        if ran.name in END_NODES:
            break
    print({k: v for k, v in app.state.get_all().items() if not k.startswith("__")})


if __name__ == "__main__":
    main()"""


def export_python(document: FlowDocument, target: Target = "burr") -> str:
    """A runnable, ruff-clean Python module that builds `document` with the Burr API."""
    module = "burr.core" if target == "burr" else "burrdesk.engine"
    has_llm = any(n.kind == "llm" for n in document.nodes)
    requirement = "apache-burr" if target == "burr" else "burrdesk"
    if has_llm:
        requirement += " (and openai with OPENAI_API_KEY set, for real LLM replies)"
    title = document.name + (f": {document.description}" if document.description else "")
    docstring = (
        f'"""{title}\n\nExported from a burrdesk flow; run it with `python {document.name}.py`.\n'
        f'It needs {requirement}.\n"""'
    )

    blocks = [_LLM_HELPER.strip("\n")] if has_llm else []
    taken: set[str] = set()
    action_names: dict[str, str] = {}
    for node in document.nodes:
        if node.kind == "python":
            source, function = _python_node(node)
            if function in _RESERVED:
                alias = _function_name(node.id, taken)
                source += f"\n\n\n{alias} = {function}"
                function = alias
            blocks.append(source)
            taken.add(function)
            action_names[node.id] = function
            continue
        function = _function_name(node.id, taken)
        if node.kind == "input":
            blocks.append(_input_node(node, function))
        elif node.kind == "llm":
            blocks.append(_llm_node(node, function))
        else:
            blocks.append(_end_node(node, function))
        action_names[node.id] = function

    prompts = {
        n.id: {f.name: (f.prompt or f.name, f.type) for f in n.input_fields()}
        for n in document.nodes
        if n.kind == "input"
    }
    ends = [n.id for n in document.nodes if n.kind == "end"]
    blocks.append(
        "\n".join(
            [
                _py_block(json.loads(json.dumps(document.state)), 0, "INITIAL_STATE = "),
                _py_block(prompts, 0, "INPUT_PROMPTS: dict[str, dict[str, tuple[str, str]]] = "),
                _py_block(ends, 0, "END_NODES: list[str] = "),
            ]
        )
    )
    lines = [
        "def build_application():",
        "    return (",
        "        ApplicationBuilder()",
        "        .with_actions(",
        *_action_arguments(action_names),
        "        )",
    ]
    if document.edges:
        lines.append("        .with_transitions(")
        for edge in document.edges:
            condition = _condition(edge)
            args = [_py(edge.source), _py(edge.target)] + ([condition] if condition else [])
            lines.append("            " + _call("", args, 12, suffix=",") + ",")
        lines.append("        )")
    lines += [
        "        .with_state(**INITIAL_STATE)",
        f"        .with_entrypoint({_py(document.entrypoint)})",
        "        .build()",
        "    )",
    ]
    blocks += ["\n".join(lines), _ASK, _MAIN]
    header = [docstring, "from __future__ import annotations"]
    stdlib = ["import json"] + (["import os"] if has_llm else [])
    header.append("\n".join(stdlib))
    header.append(f"from {module} import {', '.join(_import_names(document, blocks))}")
    return (
        "\n\n".join(header[:2])
        + "\n\n"
        + "\n\n".join(header[2:])
        + "\n\n\n"
        + "\n\n\n".join(blocks)
        + "\n"
    )


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("\n", " ")


def _mermaid_id(node_id: str) -> str:
    """Mermaid reads a node called `end` as the end of a block; give such ids a suffix."""
    return f"{node_id}_" if node_id.lower() == "end" else node_id


def export_mermaid(document: FlowDocument) -> str:
    """A Mermaid flowchart (left to right) for docs and pull requests."""
    shapes = {"input": ('[/"', '"/]'), "llm": ('("', '")'), "end": ('(("', '"))')}
    lines = ["flowchart LR"]
    for node in document.nodes:
        opening, closing = shapes.get(node.kind, ('["', '"]'))
        lines.append(f"    {_mermaid_id(node.id)}{opening}{_mermaid_text(node.title)}{closing}")
    for edge in document.edges:
        label = edge.condition_label
        arrow = f" -->|{_mermaid_text(label)}| " if label else " --> "
        lines.append(f"    {_mermaid_id(edge.source)}{arrow}{_mermaid_id(edge.target)}")
    if document.entrypoint:
        lines.append(f"    style {_mermaid_id(document.entrypoint)} stroke-width:3px")
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def export_dot(document: FlowDocument) -> str:
    """Graphviz DOT text (render with `dot -Tsvg`)."""
    shapes = {"input": "parallelogram", "llm": "box, style=rounded", "end": "doublecircle"}
    lines = [f'digraph "{_dot_text(document.name)}" {{', "    rankdir=LR;", "    node [shape=box];"]
    for node in document.nodes:
        shape = shapes.get(node.kind, "box")
        extra = ", penwidth=3" if node.id == document.entrypoint else ""
        lines.append(f'    "{node.id}" [label="{_dot_text(node.title)}", shape={shape}{extra}];')
    for edge in document.edges:
        label = edge.condition_label
        attrs = f' [label="{_dot_text(label)}"]' if label else ""
        lines.append(f'    "{edge.source}" -> "{edge.target}"{attrs};')
    lines.append("}")
    return "\n".join(lines) + "\n"
