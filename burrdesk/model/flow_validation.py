"""Problems with a flow document: what blocks a run (errors) and what may surprise (warnings).

Each problem names its node or edge and the field, so the Problems panel can select the culprit
and the CLI can print something a person can act on.
"""

from __future__ import annotations

import ast
import string
from collections import deque
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from burrdesk.model.flow_document import NODE_KINDS, FlowDocument, FlowNode, InputField
from burrdesk.model.restricted_expression import ExpressionError, compile_expression

Severity = Literal["error", "warning"]


class Problem(BaseModel):
    severity: Severity
    message: str
    node_id: str | None = None
    edge_index: int | None = None
    field: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = []
        if self.node_id is not None:
            where.append(f'node "{self.node_id}"')
        if self.edge_index is not None:
            where.append(f"edge #{self.edge_index + 1}")
        if self.field:
            where.append(f'field "{self.field}"')
        if self.line is not None:
            where.append(f"line {self.line}, column {self.column}")
        prefix = f"{', '.join(where)}: " if where else ""
        return f"{self.severity}: {prefix}{self.message}"


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


def node_writes(node: FlowNode) -> list[str]:
    """The keys a node writes, including those its kind implies (inputs, LLM output/history)."""
    keys = list(node.writes)
    if node.kind == "input":
        keys += [f.get("name") for f in node.params.get("inputs", []) if isinstance(f, dict)]
    elif node.kind == "llm":
        keys.append(node.params.get("output_key", "response"))
        if node.params.get("history_key"):
            keys.append(node.params["history_key"])
    return [k for k in dict.fromkeys(keys) if isinstance(k, str)]


def node_reads(node: FlowNode) -> list[str]:
    """The keys a node reads, including an LLM template's fields and its history."""
    keys = list(node.reads)
    if node.kind == "llm":
        keys += template_fields(str(node.params.get("prompt_template", "{prompt}")))
        if node.params.get("history_key"):
            keys.append(node.params["history_key"])
    return list(dict.fromkeys(keys))


def template_fields(template: str) -> list[str]:
    """State keys a prompt template refers to: `{name}` or `{name[0]}` -> name."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        return []
    names = []
    for _literal, field, _spec, _conversion in parsed:
        if field:
            names.append(field.split(".")[0].split("[")[0])
    return names


def node_id_problem(node_id: str) -> str | None:
    """Why `node_id` cannot name a node, or None. Burr takes any string as an action name, so
    a flow does too (`終わり🏁`, `step-1`); only what no one can see or type is refused."""
    if not node_id.strip():
        return "a node needs a name that is not empty."
    if node_id != node_id.strip():
        return f"{node_id!r} starts or ends with spaces."
    if any(not character.isprintable() for character in node_id):
        return f"{node_id!r} holds a control character; names are text one can type."
    return None


def validate_flow(document: FlowDocument) -> list[Problem]:
    """Every problem in the document, errors first, in document order."""
    problems: list[Problem] = []
    ids = [n.id for n in document.nodes]
    seen: set[str] = set()
    for node in document.nodes:
        reason = node_id_problem(node.id)
        if reason is not None:
            problems.append(Problem(severity="error", node_id=node.id, field="id", message=reason))
        if node.id in seen:
            problems.append(
                Problem(severity="error", node_id=node.id, field="id", message="duplicate node id.")
            )
        seen.add(node.id)
        problems.extend(_check_node(node))
    if not document.nodes:
        problems.append(Problem(severity="error", message="the flow has no nodes."))
    if document.entrypoint is None:
        problems.append(
            Problem(severity="error", field="entrypoint", message="the flow has no entrypoint.")
        )
    elif document.entrypoint not in seen:
        problems.append(
            Problem(
                severity="error",
                field="entrypoint",
                message=f"the entrypoint '{document.entrypoint}' is not a node.",
            )
        )
    for index in range(len(document.edges)):
        problems.extend(_check_edge(document, index, ids))
    problems.extend(_check_defaults(document))
    problems.extend(_check_reads(document))
    problems.extend(_check_reads_before_writes(document))
    problems.extend(_check_reachability(document))
    return sorted(problems, key=lambda p: p.severity != "error")


def _check_node(node: FlowNode) -> list[Problem]:
    problems: list[Problem] = []
    if node.kind not in NODE_KINDS:
        problems.append(
            Problem(
                severity="error",
                node_id=node.id,
                field="kind",
                message=f"unknown kind '{node.kind}' (kinds are {', '.join(NODE_KINDS)}).",
            )
        )
    elif node.kind == "python":
        problems.extend(_check_python(node))
    elif node.kind == "input":
        fields = node.params.get("inputs", [])
        if not fields:
            problems.append(
                Problem(
                    severity="error",
                    node_id=node.id,
                    field="params.inputs",
                    message="an input node must declare at least one input.",
                )
            )
        if not isinstance(fields, list):
            fields = []
            problems.append(
                Problem(
                    severity="error",
                    node_id=node.id,
                    field="params.inputs",
                    message="the inputs must be a list of {name, type, prompt, default}.",
                )
            )
        for field in fields:
            if not isinstance(field, dict) or not str(field.get("name", "")).isidentifier():
                problems.append(
                    Problem(
                        severity="error",
                        node_id=node.id,
                        field="params.inputs",
                        message=f"input {_shown(field)} needs a 'name' that is a valid identifier.",
                    )
                )
                continue
            problems.extend(_check_input_field(node, field))
    elif node.kind == "llm":
        try:
            node.llm_params()
        except ValidationError as exc:
            first = exc.errors()[0]
            key = ".".join(str(part) for part in first["loc"])
            problems.append(
                Problem(
                    severity="error",
                    node_id=node.id,
                    field=f"params.{key}",
                    message=f"'{key}' {_expectation(first['msg'])}, not {_shown(first.get('input'))}.",
                )
            )
        template = str(node.params.get("prompt_template", "{prompt}"))
        try:
            list(string.Formatter().parse(template))
        except ValueError as exc:
            problems.append(
                Problem(
                    severity="error",
                    node_id=node.id,
                    field="params.prompt_template",
                    message=f"the prompt template is malformed: {exc}.",
                )
            )
    return problems


_DEFAULT_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
}


def _check_input_field(node: FlowNode, field: dict[str, Any]) -> list[Problem]:
    """An input's declared type is one the run can ask for, and its default is of that type
    (a run would otherwise fail at that step, or carry a wrong value on)."""
    name = field["name"]
    try:
        declared = InputField.model_validate(field)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        return [
            Problem(
                severity="error",
                node_id=node.id,
                field="params.inputs",
                message=f"input '{name}': '{key}' {_expectation(first['msg'])}.",
            )
        ]
    allowed = _DEFAULT_TYPES.get(declared.type)
    default = declared.default
    wrong_bool = isinstance(default, bool) and declared.type in ("int", "float")
    if default is not None and allowed and (not isinstance(default, allowed) or wrong_bool):
        return [
            Problem(
                severity="error",
                node_id=node.id,
                field="params.inputs",
                message=(
                    f"input '{name}' takes {_TYPE_WORDS[declared.type]}, but its default "
                    f"{_shown(default)} is not one."
                ),
            )
        ]
    return []


_TYPE_WORDS = {"str": "text", "int": "an integer", "float": "a number", "bool": "true or false"}


def _expectation(pydantic_message: str) -> str:
    """'should be a valid number' from pydantic's 'Input should be a valid number, unable to
    parse string as a number'."""
    text = pydantic_message.split(", unable", 1)[0]
    return text[len("Input ") :] if text.startswith("Input ") else text[:1].lower() + text[1:]


def _shown(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}…"


def _check_python(node: FlowNode) -> list[Problem]:
    if not node.code.strip():
        return [
            Problem(
                severity="error",
                node_id=node.id,
                field="code",
                message=f"a python node needs code defining def {node.id}(state): ...",
            )
        ]
    try:
        tree = ast.parse(node.code)
    except SyntaxError as exc:
        return [
            Problem(
                severity="error",
                node_id=node.id,
                field="code",
                line=exc.lineno,
                column=exc.offset,
                message=f"the code does not parse: {exc.msg}.",
            )
        ]
    except (RecursionError, MemoryError):
        return [
            Problem(
                severity="error",
                node_id=node.id,
                field="code",
                message="the code nests too deeply for Python to parse.",
            )
        ]
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    if not any(f.name == node.id for f in functions) and len(functions) != 1:
        wanted = (
            f"a function named {node.id}(state, ...)"
            if node.id.isidentifier()
            else "one function, def anything(state, ...)"
        )
        return [
            Problem(
                severity="error",
                node_id=node.id,
                field="code",
                message=f"the code must define {wanted}.",
            )
        ]
    return []


def _check_edge(document: FlowDocument, index: int, ids: list[str]) -> list[Problem]:
    edge = document.edges[index]
    problems = []
    for end, role in ((edge.source, "source"), (edge.target, "target")):
        if end not in ids:
            problems.append(
                Problem(
                    severity="error",
                    edge_index=index,
                    field=role,
                    message=f"the edge's {role} '{end}' is not a node.",
                )
            )
    kind = edge.condition_kind
    if kind == "custom":
        problems.append(
            Problem(
                severity="error",
                edge_index=index,
                field="condition",
                message=(
                    f"the condition {edge.condition_label!r} is Python code from the imported "
                    "application and cannot run in a flow; rewrite it as an expr."
                ),
            )
        )
    elif kind == "unknown":
        problems.append(
            Problem(
                severity="error",
                edge_index=index,
                field="condition",
                message=(
                    f'condition {edge.condition!r} is not understood: use "default", '
                    '"expr: <expression>" or {"when": {key: value}}.'
                ),
            )
        )
    elif kind == "expr":
        try:
            compile_expression(edge.expression or "")
        except ExpressionError as exc:
            problems.append(
                Problem(
                    severity="error",
                    edge_index=index,
                    field="condition",
                    column=(exc.column + 1) if exc.column is not None else None,
                    line=1 if exc.column is not None else None,
                    message=f"{exc.reason}.",
                )
            )
    elif kind == "when" and not isinstance(edge.when, dict):
        problems.append(
            Problem(
                severity="error",
                edge_index=index,
                field="condition",
                message="a when condition needs an object of key: value pairs.",
            )
        )
    return problems


def _outgoing_kinds(document: FlowDocument) -> dict[str, list[str]]:
    """Each node's outgoing condition kinds, in the order they are tried (one pass)."""
    kinds: dict[str, list[str]] = {}
    for edge in document.edges:
        kinds.setdefault(edge.source, []).append(edge.condition_kind)
    return kinds


def _check_defaults(document: FlowDocument) -> list[Problem]:
    problems = []
    outgoing = _outgoing_kinds(document)
    for node in document.nodes:
        kinds = outgoing.get(node.id)
        if not kinds:
            continue
        if "default" not in kinds:
            problems.append(
                Problem(
                    severity="warning",
                    node_id=node.id,
                    field="edges",
                    message=(
                        "no default edge: when no condition holds the run stops here; "
                        "add a default edge if it should go on."
                    ),
                )
            )
        elif kinds.count("default") > 1:
            problems.append(
                Problem(
                    severity="error",
                    node_id=node.id,
                    field="edges",
                    message="more than one default edge: only the first can ever be taken.",
                )
            )
        elif kinds.index("default") != len(kinds) - 1:
            problems.append(
                Problem(
                    severity="warning",
                    node_id=node.id,
                    field="edges",
                    message="edges after the default edge can never be taken.",
                )
            )
    return problems


def _check_reads(document: FlowDocument) -> list[Problem]:
    available = set(document.state)
    for node in document.nodes:
        available.update(node_writes(node))
    problems = []
    for node in document.nodes:
        templated = (
            set(template_fields(str(node.params.get("prompt_template", "{prompt}"))))
            if node.kind == "llm"
            else set()
        )
        for key in node_reads(node):
            if key in available:
                continue
            if key in templated and key not in node.reads:
                field, what = "params.prompt_template", f"the prompt template uses {{{key}}}"
            else:
                field, what = "reads", f"reads '{key}'"
            problems.append(
                Problem(
                    severity="error",
                    node_id=node.id,
                    field=field,
                    message=f"{what}, which no node writes and the initial state lacks.",
                )
            )
    for index, edge in enumerate(document.edges):
        names = []
        if edge.condition_kind == "expr":
            try:
                names = list(compile_expression(edge.expression or "").names)
            except ExpressionError:
                names = []
        elif edge.condition_kind == "when" and isinstance(edge.when, dict):
            names = [k.split("__")[0] for k in edge.when]
        for key in names:
            if key not in available:
                problems.append(
                    Problem(
                        severity="error",
                        edge_index=index,
                        field="condition",
                        message=f"the condition reads '{key}', which nothing writes.",
                    )
                )
    return problems


def _check_reads_before_writes(document: FlowDocument) -> list[Problem]:
    """A node that may run before the key it reads is set: the initial state lacks the key
    and some path from the entrypoint reaches the node without a node writing it first (a
    "must be set" data-flow analysis over the transitions). A warning: a condition may rule
    that path out, which only a run can tell. Keys nothing writes are `_check_reads`' errors."""
    entry = document.entrypoint
    if entry is None or document.node(entry) is None:
        return []
    writes = {node.id: set(node_writes(node)) for node in document.nodes}
    written = set(document.state).union(*writes.values())
    sources: dict[str, list[str]] = {node.id: [] for node in document.nodes}
    for edge in document.edges:
        if edge.target in sources and edge.source in writes:
            sources[edge.target].append(edge.source)
    ready: dict[str, set[str]] = {entry: set(document.state)}  # keys surely set on arrival
    changed = True
    while changed:
        changed = False
        for node in document.nodes:
            arrivals = [ready[s] | writes[s] for s in sources[node.id] if s in ready]
            if node.id == entry:
                arrivals.append(set(document.state))
            if not arrivals:
                continue
            surely = set.intersection(*arrivals)
            if ready.get(node.id) != surely:
                ready[node.id] = surely
                changed = True
    problems = []
    for node in document.nodes:
        if node.id not in ready:
            continue  # unreachable: `_check_reachability` says so
        exempt = {node.params.get("history_key")} if node.kind == "llm" else set()
        for key in node_reads(node):
            if key in written and key not in ready[node.id] and key not in exempt:
                problems.append(
                    Problem(
                        severity="warning",
                        node_id=node.id,
                        field="reads",
                        message=(
                            f"reads '{key}', which may not be set yet when it runs: the "
                            "initial state lacks it and not every path here writes it first."
                        ),
                    )
                )
    return problems


def _check_reachability(document: FlowDocument) -> list[Problem]:
    if document.entrypoint is None or document.node(document.entrypoint) is None:
        return []
    targets: dict[str, list[str]] = {}
    for edge in document.edges:
        targets.setdefault(edge.source, []).append(edge.target)
    reached = {document.entrypoint}
    queue = deque([document.entrypoint])
    while queue:
        for target in targets.get(queue.popleft(), []):
            if target not in reached:
                reached.add(target)
                queue.append(target)
    return [
        Problem(
            severity="warning",
            node_id=node.id,
            message="unreachable: no path leads here from the entrypoint.",
        )
        for node in document.nodes
        if node.id not in reached
    ]
