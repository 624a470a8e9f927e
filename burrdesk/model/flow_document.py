"""The flow document (`.burrflow`): what the canvas edits and the engine compiles.

A flow is JSON a person can write by hand:

    {"format": "burrdesk.flow", "version": 1, "name": "counter",
     "state": {"count": 0}, "entrypoint": "increment",
     "nodes": [{"id": "increment", "kind": "python", "reads": ["count"], "writes": ["count"],
                "code": "def increment(state):\\n    return state.update(count=state['count'] + 1)",
                "position": [0, 0]}],
     "edges": [{"source": "increment", "target": "increment", "condition": "expr: count < 10"}]}

Node kinds are `python`, `llm`, `input` and `end` (see `NODE_KINDS`). An edge condition is
"default", "expr: <expression>" or {"when": {key: value}}; edges from a node are tried in order.

The models accept any `kind` and any condition text so that loading never fails on content:
`flow_validation.validate_flow` turns such content into problems that name the node or edge.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from burrdesk.model.json_text import JsonTextError, parse_json_text

FORMAT = "burrdesk.flow"
FORMAT_VERSION = 1
FILE_SUFFIX = ".burrflow"
NODE_KINDS = ("python", "llm", "input", "end")


class FlowFileError(Exception):
    """A flow file that cannot be read at all; the message is one sentence for the user."""


class InputField(BaseModel):
    """One value an `input` node asks the person for."""

    model_config = ConfigDict(extra="forbid")

    name: str
    type: Literal["str", "int", "float", "bool", "json"] = "str"
    prompt: str = ""
    default: Any = None


class LlmParams(BaseModel):
    """What an `llm` node sends to a chat-completions endpoint, and where the reply goes."""

    model_config = ConfigDict(extra="allow")

    model: str = "gpt-4o-mini"
    system_prompt: str = ""
    prompt_template: str = "{prompt}"
    output_key: str = "response"
    history_key: str | None = None
    temperature: float = 0.7
    max_tokens: int | None = None
    retries: int = 0


class FlowNode(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    kind: str
    label: str = ""
    reads: list[str] = Field(default_factory=list)
    writes: list[str] = Field(default_factory=list)
    code: str = ""
    params: dict[str, Any] = Field(default_factory=dict)
    position: tuple[float, float] = (0.0, 0.0)
    notes: str = ""
    color: str | None = None
    breakpoint: bool = False

    @property
    def title(self) -> str:
        return self.label or self.id

    def input_fields(self) -> list[InputField]:
        """The declared inputs of an `input` node (its `params.inputs`)."""
        return [InputField.model_validate(f) for f in self.params.get("inputs", [])]

    def llm_params(self) -> LlmParams:
        return LlmParams.model_validate(self.params)


class FlowEdge(BaseModel):
    model_config = ConfigDict(extra="allow")

    source: str
    target: str
    condition: str | dict[str, Any] = "default"

    @field_validator("condition", mode="before")
    @classmethod
    def _none_is_default(cls, value: Any) -> Any:
        return "default" if value is None or value == "" else value

    @property
    def condition_kind(self) -> str:
        """default, expr, when, or custom (a code-only condition imported from Python, which a
        flow can show but not run); anything else is "unknown" and reported by validation."""
        if isinstance(self.condition, dict):
            if set(self.condition) == {"when"}:
                return "when"
            return "custom" if set(self.condition) == {"custom"} else "unknown"
        text = self.condition.strip()
        if text == "default":
            return "default"
        if text.startswith("expr:"):
            return "expr"
        return "unknown"

    @property
    def expression(self) -> str | None:
        if self.condition_kind != "expr":
            return None
        return self.condition.strip()[len("expr:") :].strip()  # type: ignore[union-attr]

    @property
    def when(self) -> dict[str, Any] | None:
        return self.condition.get("when") if isinstance(self.condition, dict) else None

    @property
    def condition_label(self) -> str:
        kind = self.condition_kind
        if kind == "default":
            return ""
        if kind == "expr":
            return self.expression or ""
        if kind == "when":
            return ", ".join(f"{k}={v!r}" for k, v in (self.when or {}).items())
        if kind == "custom":
            return str(self.condition["custom"])  # type: ignore[index]
        return str(self.condition)


class FlowDocument(BaseModel):
    """A whole flow: initial state, nodes, edges and the node it starts at."""

    model_config = ConfigDict(extra="allow")

    format: Literal["burrdesk.flow"] = FORMAT
    version: int = FORMAT_VERSION
    name: str = "untitled"
    description: str = ""
    state: dict[str, Any] = Field(default_factory=dict)
    entrypoint: str | None = None
    nodes: list[FlowNode] = Field(default_factory=list)
    edges: list[FlowEdge] = Field(default_factory=list)

    def node(self, node_id: str) -> FlowNode | None:
        for node in self.nodes:
            if node.id == node_id:
                return node
        return None

    def outgoing(self, node_id: str) -> list[FlowEdge]:
        return [e for e in self.edges if e.source == node_id]

    def to_json(self) -> str:
        """Pretty JSON without fields left at their defaults, so files stay short and readable."""
        body = self.model_dump(mode="json", exclude_defaults=True)
        head = {
            "format": self.format,
            "version": self.version,
            "name": self.name,
            "description": self.description,
            "state": body.pop("state", {}),
            "entrypoint": self.entrypoint,
            "nodes": body.pop("nodes", []),
            "edges": body.pop("edges", []),
        }
        for key in ("format", "version", "name", "description", "entrypoint"):
            body.pop(key, None)
        if not head["description"]:
            del head["description"]
        return json.dumps({**head, **body}, indent=2, ensure_ascii=False) + "\n"

    def save(self, path: str | Path) -> None:
        """Writes the document atomically (a crash mid-save never leaves half a file)."""
        target = Path(path)
        temporary = target.with_name(target.name + ".saving")
        temporary.write_text(self.to_json(), encoding="utf-8")
        temporary.replace(target)


def parse_flow(text: str, source: str = "the flow") -> FlowDocument:
    """Parses flow JSON; raises `FlowFileError` with one sentence when it cannot."""
    try:
        data = parse_json_text(text)
    except JsonTextError as exc:
        if exc.line is None:
            raise FlowFileError(f"{source} cannot be read: {exc}.") from None
        raise FlowFileError(
            f"{source} is not valid JSON ({str(exc)[len('invalid JSON at ') :]})."
        ) from None
    if not isinstance(data, dict):
        raise FlowFileError(
            f'{source} must hold a JSON object with "format": "{FORMAT}", '
            f"not a JSON {_JSON_TYPES.get(type(data), type(data).__name__)}."
        )
    if data.get("format") != FORMAT:
        raise FlowFileError(
            f'{source} is not a burrdesk flow: its "format" is {data.get("format")!r}, '
            f"expected {FORMAT!r}."
        )
    version = data.get("version", FORMAT_VERSION)
    if isinstance(version, int) and version > FORMAT_VERSION:
        raise FlowFileError(
            f"{source} uses flow format version {version}; this burrdesk reads up to "
            f"version {FORMAT_VERSION}, so please upgrade it."
        )
    try:
        return FlowDocument.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = _describe_location(data, first["loc"])
        raise FlowFileError(f"{source}: {where} {first['msg'].lower()}.") from None


_JSON_TYPES = {
    list: "array",
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


def _looks_like_utf16_json(path: Path) -> bool:
    """A flow saved as UTF-16 (Windows' "Unicode"): a byte-order mark, then JSON."""
    with path.open("rb") as handle:
        head = handle.read(64)
    if head[:2] not in (b"\xff\xfe", b"\xfe\xff"):
        return False
    text = head[: len(head) // 2 * 2].decode("utf-16", errors="ignore").lstrip()
    return text[:1] in ("{", "[")


def load_flow(path: str | Path) -> FlowDocument:
    """Reads a `.burrflow` file; raises `FlowFileError` with one sentence when it cannot."""
    target = Path(path)
    try:
        text = target.read_text(encoding="utf-8-sig")  # a BOM, as some editors write, is fine
    except FileNotFoundError:
        raise FlowFileError(f"There is no flow file at {target}.") from None
    except IsADirectoryError:
        raise FlowFileError(f"{target} is a folder, not a flow file.") from None
    except UnicodeDecodeError:
        if _looks_like_utf16_json(target):
            raise FlowFileError(
                f"{target} is UTF-16 text; burrdesk reads flows saved as UTF-8."
            ) from None
        raise FlowFileError(f"{target} is not a text file, so it cannot be a flow.") from None
    except OSError as exc:
        raise FlowFileError(f"{target} cannot be read: {exc.strerror}.") from None
    return parse_flow(text, source=str(target))


def _describe_location(data: dict[str, Any], loc: tuple[Any, ...]) -> str:
    """'node "chat" field "reads"' rather than pydantic's ('nodes', 3, 'reads')."""
    if len(loc) >= 2 and loc[0] in ("nodes", "edges") and isinstance(loc[1], int):
        items = data.get(loc[0]) or []
        item = items[loc[1]] if loc[1] < len(items) else {}
        if loc[0] == "nodes":
            name = item.get("id") if isinstance(item, dict) else None
            subject = f'node "{name}"' if name else f"node #{loc[1] + 1}"
        else:
            subject = f"edge #{loc[1] + 1}"
            if isinstance(item, dict) and "source" in item and "target" in item:
                subject += f" ({item['source']} → {item['target']})"
        rest = ".".join(str(part) for part in loc[2:])
        return f'{subject} field "{rest}"' if rest else subject
    return f'field "{".".join(str(p) for p in loc)}"'
