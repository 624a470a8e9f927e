"""Lifecycle hooks: told about every step, with Burr's keyword arguments."""

import asyncio

import pytest

from burrdesk.engine import ApplicationBuilder, State, action, expr
from burrdesk.engine.lifecycle import (
    PostApplicationCreateHook,
    PostRunStepHook,
    PostRunStepHookAsync,
    PreRunStepHook,
    PreRunStepHookAsync,
)


class Recorder(PreRunStepHook, PostRunStepHook, PostApplicationCreateHook):
    def __init__(self):
        self.calls = []

    def pre_run_step(self, *, action, state, inputs, sequence_id, app_id, partition_key, **kw):
        self.calls.append(("pre", action.name, sequence_id, dict(inputs), app_id, partition_key))

    def post_run_step(self, *, action, state, result, sequence_id, exception, **kw):
        self.calls.append(("post", action.name, sequence_id, result, exception, state.get("n")))

    def post_application_create(self, *, state, application_graph, app_id, **kw):
        self.calls.append(("create", app_id, [a.name for a in application_graph.actions]))


@action(reads=["n"], writes=["n"])
def add(state: State, amount: int) -> State:
    if amount < 0:
        raise ValueError("negative")
    return state.update(n=state["n"] + amount)


def build(*hooks):
    return (
        ApplicationBuilder()
        .with_actions(add=add)
        .with_transitions(("add", "add", expr("n < 2")))
        .with_state(n=0)
        .with_identifiers(app_id="app-1", partition_key="p")
        .with_hooks(*hooks)
        .with_entrypoint("add")
        .build()
    )


def test_hooks_see_creation_then_pre_and_post_of_each_step():
    recorder = Recorder()
    app = build(recorder)
    app.run(halt_after=[], inputs={"amount": 1})
    assert recorder.calls == [
        ("create", "app-1", ["add"]),
        ("pre", "add", 0, {"amount": 1}, "app-1", "p"),
        ("post", "add", 0, {}, None, 1),
        ("pre", "add", 1, {"amount": 1}, "app-1", "p"),
        ("post", "add", 1, {}, None, 2),
    ]


def test_post_hook_is_told_about_an_exception_with_no_result_and_the_old_state():
    recorder = Recorder()
    app = build(recorder)
    with pytest.raises(ValueError, match="negative") as info:
        app.step(inputs={"amount": -1})
    assert recorder.calls[-1] == ("post", "add", 0, None, info.value, 0)


def test_a_raising_hook_surfaces_to_the_caller():
    class Broken(PreRunStepHook):
        def pre_run_step(self, **kwargs):
            raise RuntimeError("hook failed")

    with pytest.raises(RuntimeError, match="hook failed"):
        build(Broken()).step(inputs={"amount": 1})


def test_async_hooks_are_awaited_by_astep_and_sync_hooks_still_run():
    events = []

    class AsyncRecorder(PreRunStepHookAsync, PostRunStepHookAsync):
        async def pre_run_step(self, *, sequence_id, **kw):
            await asyncio.sleep(0)
            events.append(("async-pre", sequence_id))

        async def post_run_step(self, *, sequence_id, **kw):
            events.append(("async-post", sequence_id))

    sync = Recorder()
    app = build(AsyncRecorder(), sync)
    asyncio.run(app.astep(inputs={"amount": 1}))
    assert events == [("async-pre", 0), ("async-post", 0)]
    assert [c[0] for c in sync.calls] == ["create", "pre", "post"]


def test_sync_step_does_not_call_async_hooks():
    events = []

    class AsyncOnly(PostRunStepHookAsync):
        async def post_run_step(self, **kw):
            events.append("called")

    build(AsyncOnly()).step(inputs={"amount": 1})
    assert events == []
