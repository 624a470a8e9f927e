"""How one action's output becomes the next state: the checks and merges of a single step.

Shared by plain steps and streaming steps. The rules follow Burr's: a result is a dict; a
single-step action returns the new `State` or `(result, State)`; a two-step action's `update`
may only add keys it declares in `writes`; a declared write missing afterwards is an error; the
engine's own `__` keys are never taken from what an action returns.
"""

from __future__ import annotations

from typing import Any

from burrdesk.engine.actions import Action
from burrdesk.engine.state import State

SEQUENCE_ID = "__SEQUENCE_ID"
PRIOR_STEP = "__PRIOR_STEP"
CONTEXT_INPUT = "__context"
TRACER_INPUT = "__tracer"
INJECTED_INPUTS = (CONTEXT_INPUT, TRACER_INPUT)


class PreparedAction:
    """Per-action facts the step loop needs, computed once at build time."""

    __slots__ = (
        "action",
        "name",
        "required",
        "accepted",
        "wants_context",
        "wants_tracer",
        "writes",
        "single",
        "streaming",
        "result_type",
    )

    def __init__(self, action: Action):
        self.action = action
        self.name = action.name
        required, optional = action.optional_and_required_inputs
        declared = required | optional
        self.wants_context = CONTEXT_INPUT in declared
        self.wants_tracer = TRACER_INPUT in declared
        self.required = frozenset(required.difference(INJECTED_INPUTS))
        self.accepted = frozenset(declared.difference(INJECTED_INPUTS))
        self.writes = tuple(action.writes)
        self.single = action.single_step
        self.streaming = action.streaming
        self.result_type = action.schema.intermediate_result_type()
        """What results must be: dicts, or the model a typed streaming action declares."""


def check_result(prepared: PreparedAction, result: Any) -> None:
    if not isinstance(result, prepared.result_type):
        raise ValueError(
            f"Action {prepared.name!r} returned a {type(result).__name__} result; results must "
            f"be {'dicts' if prepared.result_type is dict else prepared.result_type.__name__}."
        )


def run_function(prepared: PreparedAction, state: State, inputs: dict[str, Any]) -> dict:
    action = prepared.action
    result = action.run(state.subset(*action.reads), **inputs)
    check_result(prepared, result)
    return result


def single_step_output(prepared: PreparedAction, before: State, output: Any) -> tuple[dict, State]:
    """The (result, new state) of a single-step action's return value."""
    if isinstance(output, State):
        result, returned = {}, output
    elif (
        isinstance(output, tuple)
        and len(output) == 2
        and isinstance(output[0], prepared.result_type)
        and isinstance(output[1], State)
    ):
        result, returned = output
    else:
        raise ValueError(
            f"Action {prepared.name!r} must return the new State or a (result: dict, State) "
            f"tuple; it returned a {type(output).__name__}: {output!r:.200}."
        )
    return result, merge_written(prepared, before, returned)


def merge_written(prepared: PreparedAction, before: State, returned: State) -> State:
    """The old state with the action's public changes applied; internal keys stay the engine's."""
    old = before._values
    new = returned._values
    merged = dict(old)
    for key, value in new.items():
        if not key.startswith("__"):
            merged[key] = value
    for key in old:
        if key not in new and not key.startswith("__"):
            del merged[key]
    for key in prepared.writes:
        if key not in merged:
            missing = [w for w in prepared.writes if w not in merged]
            raise ValueError(
                f"State is missing write keys after running: {prepared.name}. Action "
                f"{prepared.name!r} declares writes={list(prepared.writes)} but did not set "
                f"{missing}."
            )
    merged[PRIOR_STEP] = prepared.name
    return State._adopt(merged, before._typing)


def run_reducer(prepared: PreparedAction, before: State, result: dict) -> State:
    """A two-step action's `update(result, state)`, checked and merged."""
    returned = prepared.action.update(result, before)
    if not isinstance(returned, State):
        raise ValueError(
            f"Action {prepared.name!r}: update() must return a State, not {type(returned).__name__}."
        )
    undeclared = [
        k for k in returned._values if k not in before._values and k not in prepared.writes
    ]
    if undeclared:
        raise ValueError(
            f"Action {prepared.name!r} wrote keys {sorted(undeclared)} that it does not declare "
            f"in writes={list(prepared.writes)}."
        )
    return merge_written(prepared, before, returned)
