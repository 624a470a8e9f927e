"""Turns a flow document into a running `Application`.

`python` nodes are the user's own code: it runs with the user's rights, so opening a flow from
someone else is like running their script (the desktop app asks before trusting a file). Edge
conditions, by contrast, go through the restricted evaluator and cannot run code.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from burrdesk.engine.actions import Action, FunctionBasedAction, derive_inputs_from_fn
from burrdesk.engine.application import Application, ApplicationBuilder
from burrdesk.engine.conditions import Condition, default, expr, when
from burrdesk.engine.llm_action import ChatClient, LlmAction
from burrdesk.engine.state import State
from burrdesk.model.flow_document import FlowDocument, FlowEdge, FlowNode, InputField
from burrdesk.model.flow_validation import Problem, errors, node_reads, validate_flow
from burrdesk.model.json_text import parse_json_text


class FlowCompileError(ValueError):
    """A flow with errors; `problems` lists them all, the message names the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"The flow cannot run: {problems[0]}{more}.")


class FlowPythonAction(FunctionBasedAction):
    """A `python` node's function; its source is the node's code."""

    def __init__(self, fn: Any, node: FlowNode):
        super().__init__(fn, node.reads, node.writes)
        self._code = node.code

    def get_source(self) -> str:
        return self._code

    def with_params(self, **kwargs: Any) -> FlowPythonAction:
        raise TypeError("Flow actions take their inputs at run time.")


class InputAction(Action):
    """An `input` node: writes the values the person supplied (converted to their types)."""

    def __init__(self, fields: list[InputField]):
        super().__init__()
        self.fields = fields

    @property
    def reads(self) -> list[str]:
        return []

    @property
    def writes(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def inputs(self) -> tuple[list[str], list[str]]:
        required = [f.name for f in self.fields if f.default is None]
        optional = [f.name for f in self.fields if f.default is not None]
        return required, optional

    def run(self, state: State, **run_kwargs: Any) -> dict:
        values = {}
        for field in self.fields:
            raw = run_kwargs.get(field.name, field.default)
            values[field.name] = convert_input(field, raw)
        return values

    def update(self, result: dict, state: State) -> State:
        return state.update(**result)

    def get_source(self) -> str:
        return f"input({', '.join(f'{f.name}: {f.type}' for f in self.fields)})"


class EndAction(Action):
    """An `end` node: marks where a flow finishes; changes nothing."""

    @property
    def reads(self) -> list[str]:
        return []

    @property
    def writes(self) -> list[str]:
        return []

    def run(self, state: State, **run_kwargs: Any) -> dict:
        return {}

    def update(self, result: dict, state: State) -> State:
        return state

    def get_source(self) -> str:
        return "end"


def convert_input(field: InputField, raw: Any) -> Any:
    """Converts text typed by a person (or given on the command line) to the field's type."""
    if not isinstance(raw, str) or field.type == "str":
        return raw
    try:
        if field.type == "int":
            return int(raw)
        if field.type == "float":
            return float(raw)
        if field.type == "bool":
            lowered = raw.strip().lower()
            if lowered in ("1", "true", "yes", "y", "on"):
                return True
            if lowered in ("0", "false", "no", "n", "off"):
                return False
            raise ValueError(raw)
        return parse_json_text(raw)
    except ValueError:
        wanted = _INPUT_TYPES[field.type]
        shown = raw if len(raw) <= 40 else f"{raw[:40]}…"
        raise ValueError(f"Input {field.name!r} must be {wanted}; {shown!r} is not.") from None


_INPUT_TYPES = {"int": "an integer", "float": "a number", "bool": "yes or no", "json": "JSON"}


def _python_action(node: FlowNode, flow_name: str) -> FlowPythonAction:
    namespace: dict[str, Any] = {"State": State, "__name__": f"burrflow.{flow_name}.{node.id}"}
    exec(compile(node.code, f"<{flow_name}:{node.id}>", "exec"), namespace)  # noqa: S102 - the user's own code
    fn = namespace.get(node.id)
    if not callable(fn):
        functions = [v for k, v in namespace.items() if callable(v) and not k.startswith("__")]
        functions = [
            f for f in functions if getattr(f, "__module__", None) == namespace["__name__"]
        ]
        if len(functions) != 1:
            raise FlowCompileError(
                [
                    Problem(
                        severity="error",
                        node_id=node.id,
                        field="code",
                        message=f"the code must define a function named {node.id}(state, ...).",
                    )
                ]
            )
        fn = functions[0]
    derive_inputs_from_fn({}, fn)
    return FlowPythonAction(fn, node)


def node_action(node: FlowNode, flow_name: str, llm_client: ChatClient | None) -> Action:
    if node.kind == "python":
        return _python_action(node, flow_name)
    if node.kind == "input":
        return InputAction(node.input_fields())
    if node.kind == "llm":
        params = node.llm_params()
        return LlmAction(
            model=params.model,
            system_prompt=params.system_prompt,
            prompt_template=params.prompt_template,
            output_key=params.output_key,
            history_key=params.history_key,
            reads=node_reads(node),
            temperature=params.temperature,
            max_tokens=params.max_tokens,
            retries=params.retries,
            client=llm_client,
        )
    return EndAction()


def edge_condition(edge: FlowEdge) -> Condition:
    kind = edge.condition_kind
    if kind == "expr":
        return expr(edge.expression or "")
    if kind == "when":
        return when(**(edge.when or {}))
    return default


def compile_flow(
    document: FlowDocument,
    *,
    db_path: str | os.PathLike[str] | None = None,
    tracker: Any = None,
    project: str | None = None,
    app_id: str | None = None,
    partition_key: str | None = None,
    llm_client: ChatClient | None = None,
    hooks: Sequence[Any] = (),
    state_persister: Any = None,
    continue_app_id: str | None = None,
) -> Application:
    """Validates and builds the flow; records to `db_path` (or `tracker`) when given.

    `continue_app_id` continues a run recorded under that app id (a fork made by
    `RunDatabase.fork`, or a run that stopped) instead of starting from the initial state.
    """
    problems = errors(validate_flow(document))
    if problems:
        raise FlowCompileError(problems)
    builder = ApplicationBuilder()
    for node in document.nodes:
        builder.with_actions(**{node.id: node_action(node, document.name, llm_client)})
    builder.with_transitions(
        *[(edge.source, edge.target, edge_condition(edge)) for edge in document.edges]
    )
    if continue_app_id is None:
        builder.with_state(**document.state).with_entrypoint(document.entrypoint or "")
        builder.with_identifiers(app_id=app_id, partition_key=partition_key)
    else:
        builder.with_identifiers(app_id=continue_app_id, partition_key=partition_key)
    if continue_app_id is not None and tracker is None and db_path is None:
        raise ValueError("Continuing a recorded run needs its run database (db_path=...).")
    if tracker is None and db_path is not None:
        from burrdesk.engine.tracking import RunDatabaseTracker

        tracker = RunDatabaseTracker(
            db_path, project=project or document.name, flow=document.model_dump(mode="json")
        )
    if tracker is not None:
        if getattr(tracker, "flow", None) is None:
            tracker.flow = document.model_dump(mode="json")
        builder.tracker = tracker
        builder.with_hooks(tracker)
    if continue_app_id is not None:
        builder.initialize_from(
            tracker,
            resume_at_next_action=True,
            default_state=document.state,
            default_entrypoint=document.entrypoint or "",
        )
    if state_persister is not None:
        builder.with_state_persister(state_persister)
    builder.with_hooks(*hooks)
    return builder.build()
