"""The flow subcommands of `burrdesk`: run, export, graph and validate.

`run` drives a flow step by step so it can ask for an `input` node's values on the terminal,
print each step as it happens, and stop cleanly on Ctrl-C (the run is then marked stopped).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from burrdesk.cli_error import CliError
from burrdesk.model.flow_document import FlowDocument, FlowFileError, load_flow
from burrdesk.model.flow_validation import Problem, errors, validate_flow
from burrdesk.model.state_codec import to_jsonable
from burrdesk.model.state_delta import changed_keys, compute_delta

EXIT_ACTION_FAILED = 1
EXIT_INTERRUPTED = 130


def _load(path: str) -> FlowDocument:
    try:
        return load_flow(path)
    except FlowFileError as error:
        raise CliError(str(error)) from None


def _report(problems: list[Problem]) -> None:
    for problem in problems:
        print(str(problem), file=sys.stderr)


def _writable(path: str) -> None:
    folder = Path(path).resolve().parent
    if not folder.is_dir():
        raise CliError(f"Cannot write {path}: the folder {folder} does not exist.")


def _parse_inputs(pairs: list[str]) -> dict[str, str]:
    values = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CliError(f"--input {pair!r} must look like key=value.")
        values[key] = value
    return values


def validate_command(args: argparse.Namespace) -> int:
    document = _load(args.flow)
    problems = validate_flow(document)
    if not problems:
        print(f"{args.flow}: no problems.")
        return 0
    for problem in problems:
        print(str(problem))
    return 1 if errors(problems) else 0


def export_command(args: argparse.Namespace) -> int:
    from burrdesk.engine.flow_export import export_dot, export_mermaid, export_python

    document = _load(args.flow)
    fmt = args.format
    if fmt is None:
        suffix = Path(args.output).suffix.lower() if args.output else ".py"
        fmt = {
            ".py": "python",
            ".mmd": "mermaid",
            ".md": "mermaid",
            ".dot": "dot",
            ".gv": "dot",
        }.get(suffix)
        if fmt is None:
            raise CliError(f"Cannot tell the format from {args.output!r}: pass --format.")
    if fmt == "python":
        if errors(validate_flow(document)):
            _report(errors(validate_flow(document)))
            raise CliError("The flow has errors; fix them before exporting it as Python.")
        text = export_python(document, target=args.target)
    elif fmt == "mermaid":
        text = export_mermaid(document)
    else:
        text = export_dot(document)
    if args.output:
        _writable(args.output)
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"Wrote {args.output}.")
    else:
        sys.stdout.write(text)
    return 0


def graph_command(args: argparse.Namespace) -> int:
    from burrdesk.engine.graph_import import (
        GraphImportError,
        document_from_application,
        load_application,
    )

    path, _, attribute = args.module.partition(":")
    try:
        app = load_application(path, attribute or None)
    except GraphImportError as error:
        raise CliError(str(error)) from None
    document = document_from_application(app, name=Path(path).stem)
    if args.output:
        _writable(args.output)
        document.save(args.output)
        print(f"Wrote {args.output} ({len(document.nodes)} nodes, {len(document.edges)} edges).")
    else:
        sys.stdout.write(document.to_json())
    return 0


def _ask(node_id: str, fields: list[Any], given: dict[str, str], allow_prompt: bool) -> dict:
    """Values for an input node (from --input first, then the terminal), converted to their
    declared types so a typo is reported here rather than as a failed step."""
    from burrdesk.engine.flow_compiler import convert_input

    values = _collect(node_id, fields, given, allow_prompt)
    by_name = {f.name: f for f in fields}
    try:
        return {name: convert_input(by_name[name], value) for name, value in values.items()}
    except ValueError as error:
        raise CliError(str(error)) from None


def _collect(node_id: str, fields: list[Any], given: dict[str, str], allow_prompt: bool) -> dict:
    values: dict[str, Any] = {}
    for field in fields:
        if field.name in given:
            values[field.name] = given.pop(field.name)
            continue
        if field.default is not None and not allow_prompt:
            continue
        if not allow_prompt:
            raise _NeedsInput(node_id, field.name)
        try:
            text = input(f"{field.prompt or field.name} [{field.name}]: ")
        except EOFError:
            raise _NeedsInput(node_id, field.name) from None
        if text == "" and field.default is not None:
            continue
        values[field.name] = text
    return values


class _NeedsInput(Exception):
    def __init__(self, node_id: str, name: str):
        super().__init__(
            f"Stopped before node '{node_id}': it needs the input '{name}' "
            f"(pass --input {name}=VALUE, or run without --no-input to be asked)."
        )


def run_command(args: argparse.Namespace) -> int:
    from burrdesk.engine.flow_compiler import FlowCompileError, compile_flow
    from burrdesk.engine.llm_clients import chat_client_for
    from burrdesk.model.llm_settings import load_llm_settings
    from burrdesk.model.run_database import RunDatabaseError
    from burrdesk.model.run_database_opener import database_target, shown_target

    document = _load(args.flow)
    problems = validate_flow(document)
    _report([p for p in problems if p.severity == "warning"])
    if errors(problems):
        _report(errors(problems))
        raise CliError(f"{args.flow} has {len(errors(problems))} error(s) and cannot run.")
    if args.halt_after and document.node(args.halt_after) is None:
        raise CliError(f"--halt-after names '{args.halt_after}', which is not a node of the flow.")
    given = _parse_inputs(args.input)
    db_path = database_target(args.db)
    settings = load_llm_settings()
    if getattr(args, "echo", False):
        settings = settings.model_copy(update={"echo": True})
    if any(node.kind == "llm" for node in document.nodes):
        print(settings.describe(), flush=True)
    try:
        app = compile_flow(
            document, db_path=db_path, project=args.project, llm_client=chat_client_for(settings)
        )
    except (FlowCompileError, RunDatabaseError) as error:
        raise CliError(str(error)) from None
    tracker = app.builder.tracker
    run_id = tracker.run_id_for(app.app_id, app.partition_key)
    print(f"Running {document.name} as run {run_id} in {shown_target(db_path)}", flush=True)
    inputs_nodes = {n.id: n.input_fields() for n in document.nodes if n.kind == "input"}
    status, code = "stopped", 0
    try:
        while (upcoming := app.get_next_action()) is not None:
            step_inputs: dict[str, Any] = {}
            if upcoming.name in inputs_nodes:
                step_inputs = _ask(
                    upcoming.name,
                    inputs_nodes[upcoming.name],
                    given,
                    allow_prompt=not args.no_input and sys.stdin is not None,
                )
            before = app.state
            ran, _result, after = app.step(inputs=step_inputs)  # type: ignore[misc]
            keys = changed_keys(compute_delta(before.get_all(), after.get_all()))
            print(
                f"{app.sequence_id:>5}  {ran.name:<24} changed: {', '.join(keys) or '-'}",
                flush=True,
            )
            if args.halt_after and ran.name == args.halt_after:
                break
        else:
            status = "completed"
    except _NeedsInput as stop:
        print(str(stop), file=sys.stderr)
        status, code = "stopped", 3
    except KeyboardInterrupt:
        print("Interrupted: the run is stopped after its last completed step.", file=sys.stderr)
        status, code = "stopped", EXIT_INTERRUPTED
    except CliError:
        tracker.close("stopped")
        raise
    except Exception as error:  # noqa: BLE001 - the user's action failed; it is recorded
        print(
            f"Step {app.sequence_id} ({app.get_next_action().name if app.get_next_action() else '?'}) "
            f"failed: {type(error).__name__}: {error}",
            file=sys.stderr,
        )
        status, code = "failed", EXIT_ACTION_FAILED
    final = {k: v for k, v in app.state.get_all().items() if not k.startswith("__")}
    print(json.dumps(to_jsonable(final), indent=2, ensure_ascii=False))
    tracker.close(status)
    print(
        f"Run {run_id}: {status}, {app.sequence_id + 1 if app.sequence_id is not None else 0} steps."
    )
    return code
