"""Runs the same Burr program under Apache Burr and under burrdesk, for comparing them.

A scenario takes an `Implementation` and imports everything through `impl.module(...)` with
Burr's own module paths ("burr.core.action", "burr.visibility", ...). For burrdesk the path is
translated the way a user ports a program, by changing the import: `burr.core.X` and `burr.X`
become `burrdesk.engine.X`. So the same source runs on both, and `same_on_both` asserts they
produce the same observable record (results, states, hook calls, error types).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import pytest

IMPLEMENTATIONS = ("burr", "burrdesk")


def burrdesk_path(burr_path: str) -> str:
    """The burrdesk module a Burr import path becomes when its import line is changed."""
    if burr_path == "burr.core":
        return "burrdesk.engine"
    for prefix in ("burr.core.", "burr."):
        if burr_path.startswith(prefix):
            return "burrdesk.engine." + burr_path[len(prefix) :]
    raise ValueError(f"{burr_path} is not a Burr module path")


class Implementation:
    def __init__(self, name: str):
        self.name = name

    def module(self, burr_path: str) -> Any:
        if self.name == "burr":
            return pytest.importorskip(burr_path)
        return importlib.import_module(burrdesk_path(burr_path))

    def __getattr__(self, short: str) -> Any:
        """`impl.core`, `impl.action`, `impl.lifecycle`, ...: the usual modules by short name."""
        paths = {
            "core": "burr.core",
            "action": "burr.core.action",
            "application": "burr.core.application",
            "state": "burr.core.state",
            "lifecycle": "burr.lifecycle",
            "persistence": "burr.core.persistence",
            "parallelism": "burr.core.parallelism",
            "visibility": "burr.visibility",
            "serde": "burr.core.serde",
            "typing": "burr.core.typing",
            "pydantic": "burr.integrations.pydantic",
        }
        if short not in paths:
            raise AttributeError(short)
        return self.module(paths[short])


def public(state: Any) -> dict:
    """A state's keys without the engine's `__` bookkeeping keys."""
    return {k: v for k, v in state.get_all().items() if not k.startswith("__")}


def same_on_both(scenario: Callable[[Implementation], Any]) -> Any:
    """Runs `scenario` on Burr and on burrdesk, asserts both records are equal, returns it."""
    records = {name: scenario(Implementation(name)) for name in IMPLEMENTATIONS}
    assert records["burrdesk"] == records["burr"], (
        f"burrdesk differs from Burr:\n  Burr:     {records['burr']!r}\n"
        f"  burrdesk: {records['burrdesk']!r}"
    )
    return records["burr"]


def hook_recorder(impl: Implementation, *hook_names: str, is_async: bool = False) -> Any:
    """An object deriving from the implementation's bases for `hook_names`; it records each
    call as (hook name, {argument: comparable value})."""
    lifecycle = impl.lifecycle
    base_for = {
        "pre_run_step": "PreRunStepHook",
        "post_run_step": "PostRunStepHook",
        "post_application_create": "PostApplicationCreateHook",
        "pre_run_execute_call": "PreApplicationExecuteCallHook",
        "post_run_execute_call": "PostApplicationExecuteCallHook",
        "pre_start_stream": "PreStartStreamHook",
        "post_stream_item": "PostStreamItemHook",
        "post_end_stream": "PostEndStreamHook",
        "pre_start_span": "PreStartSpanHook",
        "post_end_span": "PostEndSpanHook",
        "do_log_attributes": "DoLogAttributeHook",
    }
    base_module = impl.module("burr.lifecycle.base") if impl.name == "burr" else lifecycle
    bases = tuple(
        getattr(base_module, base_for[name] + ("Async" if is_async else "")) for name in hook_names
    )
    calls: list[tuple[str, dict]] = []

    def recorder_method(name: str) -> Callable[..., Any]:
        if is_async:

            async def record_async(self: Any, **kwargs: Any) -> None:
                calls.append((name, comparable(kwargs)))

            return record_async

        def record(self: Any, **kwargs: Any) -> None:
            calls.append((name, comparable(kwargs)))

        return record

    namespace = {name: recorder_method(name) for name in hook_names}
    recorder = type("Recorder", bases, namespace)()
    recorder.calls = calls
    return recorder


def comparable(arguments: dict[str, Any]) -> dict[str, Any]:
    """Hook arguments in a form that compares across implementations."""
    out: dict[str, Any] = {}
    for key, value in arguments.items():
        kind = type(value).__name__
        if key == "app_id":
            out[key] = "app"  # random per run; scenarios that care compare their own ids
        elif key in ("stream_initialize_time", "first_stream_item_start_time"):
            out[key] = value is not None
        elif key == "action":
            out[key] = value if isinstance(value, str) else value.name
        elif key == "state":
            out[key] = public(value)
        elif key == "exception":
            out[key] = type(value).__name__ if value is not None else None
        elif key == "method":
            out[key] = value.value
        elif key == "span":
            out[key] = None if value is None else (value.name, value.uid)
        elif key == "application_graph":
            out[key] = sorted(a.name for a in value.actions)
        elif key in ("inputs",):
            out[key] = {k: v for k, v in value.items() if not k.startswith("__")}
        elif key in ("parent_pointer", "spawning_parent_pointer"):
            out[key] = None if value is None else (value.app_id, value.sequence_id)
        elif kind in ("State",):
            out[key] = public(value)
        else:
            out[key] = value
    return out
