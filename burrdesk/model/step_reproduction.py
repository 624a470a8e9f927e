"""A recorded step turned into code: a pytest test case that replays it, and a fork script.

A test case holds the state before the step, its inputs, its result and the state after as
JSON data, imports the action from the module that defines it, and runs it through a
one-action application of the engine that recorded the run (burrdesk's or Apache Burr's), so
the action gets its reads, inputs, `__context` and write checks exactly as it did then. A
fork script rebuilds the run's graph from its recorded actions and transitions and continues
the run from the step through `initialize_from(tracker, fork_from_app_id=...,
fork_from_sequence_id=...)`. Nothing recorded is evaluated here: data goes into the files as
JSON text, names and condition texts as Python string literals.
"""

from __future__ import annotations

import dataclasses
import json
import keyword
from collections.abc import Mapping
from typing import Any

from burrdesk.model.run_database import RunDatabase, RunDatabaseError
from burrdesk.model.run_records import RunRecord, StepRecord
from burrdesk.model.state_codec import TAG, to_jsonable

BURRDESK = "burrdesk"
BURR = "burr"
"""What a recorded graph's "engine" says: `describe_graph` writes the first, the tracker for
Burr programs the second."""


class ReproductionError(RunDatabaseError):
    """A step that cannot be turned into a test case or fork script; one sentence for the user."""


@dataclasses.dataclass(frozen=True)
class StepCase:
    """What a test case of one step holds, read from the run database."""

    run: RunRecord
    step: StepRecord
    engine: str
    action: dict[str, Any]
    state_before: dict[str, Any]
    inputs: dict[str, Any]
    result: Any
    state_after: dict[str, Any]

    @property
    def changed_keys(self) -> list[str]:
        keys = set(self.state_before) | set(self.state_after)
        return sorted(k for k in keys if self.state_before.get(k) != self.state_after.get(k))


def recorded_engine(run: RunRecord) -> str:
    """Which engine recorded the run, as its graph says (older recordings: burrdesk's)."""
    graph = run.graph or {}
    return BURR if graph.get("engine") == BURR else BURRDESK


def load_step_case(database: RunDatabase, run_id: int, sequence_id: int) -> StepCase:
    """The recorded step `sequence_id` of run `run_id`, ready to be written as a test case."""
    run = database.get_run(run_id)
    step, owner = _find_step(database, run, sequence_id)
    if step.status != "completed":
        detail = f" ({step.error.splitlines()[0]})" if step.error else ""
        what = "failed" if step.status == "failed" else "is still running"
        raise ReproductionError(
            f"Step {sequence_id} of run {run_id} {what}{detail}, so it has no result to "
            "expect; fork from it instead to run it again."
        )
    action = _importable_action(owner, step.action)
    before = _public(to_jsonable(database.state_at(owner.run_id, sequence_id - 1)))
    after = _public(to_jsonable(database.state_at(owner.run_id, sequence_id)))
    inputs = to_jsonable(step.inputs)
    if _holds_opaque(before) or _holds_opaque(inputs):
        raise ReproductionError(
            f"The state or inputs of step {sequence_id} of run {run_id} hold values stored only "
            "as their repr, so a test case cannot rebuild them (register a serde for their type)."
        )
    return StepCase(
        run=owner,
        step=step,
        engine=recorded_engine(owner),
        action=action,
        state_before=before,
        inputs=inputs,
        result=to_jsonable(step.result),
        state_after=after,
    )


def _find_step(
    database: RunDatabase, run: RunRecord, sequence_id: int
) -> tuple[StepRecord, RunRecord]:
    """The step and the run that recorded it (a fork's early steps are its parent's)."""
    try:
        return database.get_step(run.run_id, sequence_id), run
    except RunDatabaseError:
        inherited = (
            run.parent_run_id is not None
            and run.parent_sequence_id is not None
            and sequence_id <= run.parent_sequence_id
        )
        if inherited:
            return _find_step(database, database.get_run(run.parent_run_id), sequence_id)
        raise


def _importable_action(run: RunRecord, name: str) -> dict[str, Any]:
    entries = {a.get("name"): a for a in (run.graph or {}).get("actions", [])}
    entry = entries.get(name)
    if entry is None:
        raise ReproductionError(f"Run {run.run_id} recorded no action named {name!r} in its graph.")
    module, qualname = entry.get("module"), entry.get("qualname")
    reason = None
    if run.flow is not None:
        reason = "it is a node of a flow document, not a function in a module"
    elif not module or not qualname:
        reason = (
            "the run was recorded before burrdesk stored where actions are defined"
            if run.source == "burrdesk"
            else f"it was imported from {run.source}, which does not say where actions are defined"
        )
    elif module == "__main__":
        reason = "it is defined in a script run as __main__; move it into a module"
    elif "<locals>" in qualname or not all(part.isidentifier() for part in qualname.split(".")):
        reason = f"it is defined inside a function ({qualname})"
    elif "bound" in entry and entry["bound"] is None:
        reason = "it was bound with .bind() to values that are not plain JSON"
    if reason is not None:
        raise ReproductionError(
            f"Action {name!r} of run {run.run_id} cannot be imported: {reason}."
        )
    return entry


def _public(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if not k.startswith("__")}


def _holds_opaque(value: Any) -> bool:
    if isinstance(value, dict):
        return TAG in value or any(_holds_opaque(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_opaque(v) for v in value)
    return False


# --- the test case ---------------------------------------------------------------------------


def render_test_case(database: RunDatabase, run_id: int, sequence_id: int) -> str:
    """The source of a pytest file that replays step `sequence_id` of run `run_id`."""
    case = load_step_case(database, run_id, sequence_id)
    run, step, entry = case.run, case.step, case.action
    burr = case.engine == BURR
    core = "burr.core" if burr else "burrdesk.engine"
    alias = _identifier(entry["qualname"].split(".")[0])
    test_name = f"test_step_{sequence_id}_{_identifier(step.action)}".replace("__", "_")
    call = (
        "asyncio.run(app.astep(inputs=INPUTS))" if entry.get("async") else "app.step(inputs=INPUTS)"
    )
    lines = [
        f'"""Step {sequence_id} of run {run.run_id} ({run.project}, app id {run.app_id}): '
        f"{step.action}, replayed.",
        "",
        "Made by `burrdesk test-case` from the run database it was recorded in. The action",
        f"runs as {'Apache Burr' if burr else 'burrdesk'} ran it, from the recorded state and",
        "inputs; edit the expectations where an exact match is too strict (an LLM's reply).",
        '"""',
        "",
    ]
    lines += [
        *(["import asyncio"] if entry.get("async") else []),
        "import json",
        "",
        f"from {core} import ApplicationBuilder, State{', serde' if burr else ''}",
        "from burrdesk.model.state_codec import to_jsonable",
        "",
        f"from {entry['module']} import {_import_clause(entry['qualname'], alias)}",
        "",
        f"ACTION_NAME = {_py(step.action)}",
        f"STATE_BEFORE = {_json_literal(case.state_before)}",
        f"INPUTS = {_json_literal(case.inputs)}",
        f"EXPECTED_RESULT = {_json_literal(case.result)}",
        f"EXPECTED_STATE_AFTER = {_json_literal(case.state_after)}",
        f"CHANGED_KEYS = {_py(case.changed_keys)}",
        "",
        "",
        "def _jsonable(value):",
        '    """A value as the run database stored it, so it compares with the recorded one."""',
        f"    return to_jsonable({'serde.serialize(value)' if burr else 'value'})",
        "",
        "",
        "def _public(values):",
        '    return {k: v for k, v in values.items() if not k.startswith("__")}',
        "",
        "",
        "def run_step():",
        '    """Runs the action once, the way the application did: a one-action application."""',
        "    app = (",
        "        ApplicationBuilder()",
        f"        .with_actions(**{{ACTION_NAME: {_action_expression(entry, alias)}}})",
        "        .with_transitions()",
        "        .with_state(State.deserialize(STATE_BEFORE))",
        "        .with_entrypoint(ACTION_NAME)",
        "        .build()",
        "    )",
        f"    _action, result, state = {call}",
        "    return _jsonable(result), _public(_jsonable(state.serialize()))",
        "",
        "",
        f"def {test_name}():",
        "    result, state = run_step()",
        "    assert result == EXPECTED_RESULT",
        "    changed = {key: state.get(key) for key in CHANGED_KEYS}",
        "    assert changed == {key: EXPECTED_STATE_AFTER.get(key) for key in CHANGED_KEYS}",
        "    assert state == EXPECTED_STATE_AFTER",
        "",
    ]
    return "\n".join(lines)


def _action_expression(entry: Mapping[str, Any], alias: str) -> str:
    rest = entry["qualname"].split(".")[1:]
    target = ".".join([alias, *rest])
    if entry.get("kind") == "class":
        return f"{target}()"
    if entry.get("bound"):
        return f"{target}.bind(**json.loads({json.dumps(entry['bound'])!r}))"
    return target


def _import_clause(qualname: str, alias: str) -> str:
    first = qualname.split(".")[0]
    return first if first == alias else f"{first} as {alias}"


def _identifier(name: str) -> str:
    text = "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "action"
    if text[0].isdigit() or keyword.iskeyword(text):
        text = f"_{text}"
    return text


def _py(value: str | list[str] | None) -> str:
    """A Python literal of a recorded name or text (JSON's string syntax is Python's)."""
    return json.dumps(value, ensure_ascii=False) if value is not None else "None"


def _json_literal(value: Any) -> str:
    """Python source that evaluates to `value`: its JSON text, parsed when the test runs."""
    compact = json.dumps(value, ensure_ascii=False, sort_keys=True)
    if len(compact) <= 60:
        return f"json.loads({compact!r})"
    text = json.dumps(value, indent=4, ensure_ascii=False, sort_keys=True)
    if "'''" in text or "\\" in text:
        return f"json.loads(\n    {text!r}\n)"
    return f"json.loads(\n    r'''\n{text}\n'''\n)"


# --- the fork script -------------------------------------------------------------------------


def render_fork_script(
    database: RunDatabase, run_id: int, sequence_id: int, *, db_path: str | None = None
) -> str:
    """The source of a script that forks run `run_id` after step `sequence_id` (as Burr's
    `fork_from_sequence_id` does: a failed step is run again) and records the fork."""
    run = database.get_run(run_id)
    step, owner = _find_step(database, run, sequence_id)
    graph = run.graph or {}
    engine = recorded_engine(run)
    actions = graph.get("actions") or []
    entries = [_importable_action(run, a.get("name")) for a in actions]
    used: set[str] = set()
    transitions = [
        (t["from"], t["to"], _condition_expression(t.get("condition") or {}, run.run_id, used))
        for t in graph.get("transitions") or []
    ]
    burr = engine == BURR
    core = "burr.core" if burr else "burrdesk.engine"
    tracker_module = "burrdesk.burr_tracking" if burr else "burrdesk.engine.tracking"
    imports: set[str] = set()
    aliases: dict[str, str] = {}
    for entry in entries:
        alias = _identifier(f"{entry['name']}_action")
        first = entry["qualname"].split(".")[0]
        imports.add(f"from {entry['module']} import {first} as {alias}")
        aliases[entry["name"]] = alias
    is_async = any(e.get("async") for e in entries)
    path = db_path if db_path is not None else database.location
    lines = [
        f'"""Forks run {run.run_id} ({run.project}) after step {sequence_id} ({step.action}).',
        "",
        f"The run's app id is {run.app_id}; the fork is recorded in its run database.",
        "",
        "Made by `burrdesk fork-script`. The graph is rebuilt from the recorded actions and",
        f"transitions and continued with {'Apache Burr' if burr else 'burrdesk'}'s",
        "initialize_from(fork_from_app_id=..., fork_from_sequence_id=...); edit the state or the",
        "graph here to try a change. Usage: python THIS.py [--steps N] [--inputs JSON]",
        '"""',
        "",
        "import argparse",
    ]
    if is_async:
        lines.append("import asyncio")
    lines += [
        "import json",
        "",
        f"from {core} import {', '.join(['ApplicationBuilder', *sorted(used)])}",
        f"from {tracker_module} import RunDatabaseTracker",
        "",
    ]
    lines += sorted(imports)
    actions_code = ", ".join(
        f"{_py(n)}: {_action_expression(e, aliases[n])}"
        for n, e in zip([a.get("name") for a in actions], entries, strict=True)
    )
    lines += [
        "",
        f"DB_PATH = {_py(path)}",
        f"PROJECT = {_py(run.project)}",
        f"APP_ID = {_py(run.app_id)}",
        f"PARTITION_KEY = {_py(run.partition_key or None)}",
        f"SEQUENCE_ID = {sequence_id}",
        f"ENTRYPOINT = {_py(run.entrypoint or graph.get('entrypoint'))}",
        "",
        "",
        "def build_application(tracker):",
        '    """The recorded graph, starting from the state after the step."""',
        "    return (",
        "        ApplicationBuilder()",
        f"        .with_actions(**{{{actions_code}}})",
        "        .with_transitions(",
        *[f"            ({_py(a)}, {_py(b)}, {c})," for a, b, c in transitions],
        "        )",
        "        .initialize_from(",
        "            tracker,",
        "            resume_at_next_action=True,",
        "            default_state={},",
        "            default_entrypoint=ENTRYPOINT,",
        "            fork_from_app_id=APP_ID,",
        "            fork_from_partition_key=PARTITION_KEY,",
        "            fork_from_sequence_id=SEQUENCE_ID,",
        "        )",
        "        .with_tracker(tracker)",
        "        .build()",
        "    )",
        "",
        "",
        "def main(argv=None):",
        "    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])",
        '    parser.add_argument("--steps", type=int, default=0, help="steps to run after forking")',
        '    parser.add_argument("--inputs", default="{}", help="inputs for those steps, as JSON")',
        "    args = parser.parse_args(argv)",
        "    tracker = RunDatabaseTracker(project=PROJECT, db_path=DB_PATH)",
        "    try:",
        "        app = build_application(tracker)",
        "        run_id = tracker.run_id_for(app.uid, app.partition_key)",
        '        print(f"Forked app {APP_ID} after step {SEQUENCE_ID} as run {run_id} (app {app.uid}).")',
        "        inputs = json.loads(args.inputs)",
        "        for _ in range(args.steps):",
        f"            taken = {'asyncio.run(app.astep(inputs=inputs))' if is_async else 'app.step(inputs=inputs)'}",
        "            if taken is None:",
        "                break",
        '            print(f"step {app.sequence_id}: {taken[0].name}")',
        "    finally:",
        "        tracker.close()",
        "    return 0",
        "",
        "",
        'if __name__ == "__main__":',
        "    raise SystemExit(main())",
        "",
    ]
    return "\n".join(lines)


def _condition_expression(condition: Mapping[str, Any], run_id: int, used: set[str]) -> str:
    """Source rebuilding a recorded condition from its kind and data (never from its code);
    adds the names it needs to `used`."""
    kind = condition.get("kind") or "default"
    if kind in ("default", "expr", "when"):
        used.add(kind)
    if kind == "default":
        return "default"
    if kind == "expr":
        return f"expr({_py(condition['expr'])})"
    if kind == "when":
        return f"when(**json.loads({json.dumps(condition['when'])!r}))"
    if kind == "not":
        return f"~{_condition_expression(condition['operand'], run_id, used)}"
    if kind in ("or", "and"):
        joiner = " | " if kind == "or" else " & "
        parts = [_condition_expression(c, run_id, used) for c in condition["operands"]]
        return f"({joiner.join(parts)})"
    raise ReproductionError(
        f"Run {run_id} has a transition on the custom condition {condition.get('name')!r}, "
        "which the recording only names, so a fork script cannot rebuild its graph."
    )


__all__ = [
    "BURR",
    "BURRDESK",
    "ReproductionError",
    "StepCase",
    "load_step_case",
    "recorded_engine",
    "render_fork_script",
    "render_test_case",
]
