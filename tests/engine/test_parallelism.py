"""Parallel sub-applications (`MapStates`, `MapActions`, `MapActionsAndStates`,
`TaskBasedParallelAction`, executors, `with_spawning_parent`), side by side under Apache Burr and
burrdesk: the reduced states, the children's app ids and parent pointers, and the hooks."""

from __future__ import annotations

import asyncio
import concurrent.futures

import pytest
from side_by_side import hook_recorder, public, same_on_both


def fan_out(impl, *, recorder=None, executor=None, tracker=None):
    core, parallelism = impl.core, impl.parallelism

    @core.action(reads=["word"], writes=["shout"])
    def shout(state):
        return state.update(shout=state["word"].upper() + "!")

    class ShoutAll(parallelism.MapStates):
        def states(self, state, context, inputs):
            for word in state["words"]:
                yield state.update(word=word)

        def action(self, state, inputs):
            return shout

        def reduce(self, state, states):
            return state.update(shouts=[sub["shout"] for sub in states])

        @property
        def reads(self):
            return ["words"]

        @property
        def writes(self):
            return ["shouts"]

    @core.action(reads=["shouts"], writes=["joined"])
    def join(state):
        return state.update(joined=" ".join(state["shouts"]))

    builder = (
        core.ApplicationBuilder()
        .with_actions(shout_all=ShoutAll(), join=join)
        .with_transitions(("shout_all", "join"))
        .with_state(words=["a", "bb", "ccc"])
        .with_identifiers(app_id="parent-app")
        .with_entrypoint("shout_all")
    )
    if recorder is not None:
        builder = builder.with_hooks(recorder)
    if executor is not None:
        builder = builder.with_parallel_executor(executor)
    if tracker is not None:
        builder = builder.with_tracker(tracker)
    return builder.build()


def test_map_states_fans_out_and_reduces_in_order():
    def scenario(impl):
        app = fan_out(impl)
        _, _, state = app.run(halt_after=["join"])
        return public(state)

    assert same_on_both(scenario)["joined"] == "A! BB! CCC!"


def test_children_get_stable_app_ids_and_point_to_the_step_that_spawned_them():
    """A tracker cascades to the children (as Burr's does): it hears each child created with
    a pointer to the parent's step, and the children's app ids derive from the parent's."""

    def scenario(impl):
        class Children(impl.lifecycle.PostApplicationCreateHook):
            def __init__(self):
                self.created = []

            def post_application_create(self, *, app_id, spawning_parent_pointer, **kwargs):
                pointer = spawning_parent_pointer
                self.created.append(
                    (app_id, None if pointer is None else (pointer.app_id, pointer.sequence_id))
                )

        children = Children()
        app = fan_out(impl, tracker=children)
        app.run(halt_after=["join"])
        return sorted(children.created, key=lambda created: (created[1] is not None, created))

    created = same_on_both(scenario)
    assert created[0] == ("parent-app", None)
    assert [pointer for _, pointer in created[1:]] == [("parent-app", 0)] * 3
    assert len({app_id for app_id, _ in created}) == 4


def test_map_actions_runs_several_actions_and_graphs_over_one_state():
    def scenario(impl):
        core, parallelism = impl.core, impl.parallelism

        @core.action(reads=["n"], writes=["out"])
        def add_one(state):
            return state.update(out=state["n"] + 1)

        @core.action(reads=["n"], writes=["out"])
        def square(state):
            return state.update(out=state["n"] ** 2)

        @core.action(reads=["n"], writes=["n"])
        def double(state):
            return state.update(n=state["n"] * 2)

        two_step = parallelism.RunnableGraph(
            graph=core.GraphBuilder()
            .with_actions(double=double, square=square)
            .with_transitions(("double", "square"))
            .build(),
            entrypoint="double",
            halt_after=["square"],
        )

        class Several(parallelism.MapActions):
            def actions(self, state, context, inputs):
                yield add_one
                yield square
                yield two_step

            def reduce(self, state, states):
                return state.update(outs=[sub["out"] for sub in states])

            @property
            def reads(self):
                return ["n"]

            @property
            def writes(self):
                return ["outs"]

        app = (
            core.ApplicationBuilder()
            .with_actions(several=Several())
            .with_transitions()
            .with_state(n=3)
            .with_entrypoint("several")
            .build()
        )
        return public(app.run(halt_after=["several"])[2])

    assert same_on_both(scenario)["outs"] == [4, 9, 36]


def test_map_actions_and_states_is_a_cartesian_product_with_inputs_passed_down():
    def scenario(impl):
        core, parallelism = impl.core, impl.parallelism

        def scaler(factor):
            @core.action(reads=["x"], writes=["y"])
            def scale(state, offset: int):
                return state.update(y=state["x"] * factor + offset)

            return scale

        class Grid(parallelism.MapActionsAndStates):
            def actions(self, state, context, inputs):
                yield scaler(2)
                yield scaler(10)

            def states(self, state, context, inputs):
                for x in state["xs"]:
                    yield state.update(x=x)

            def reduce(self, state, states):
                return state.update(ys=[sub["y"] for sub in states])

            @property
            def reads(self):
                return ["xs"]

            @property
            def writes(self):
                return ["ys"]

            @property
            def inputs(self):
                return ["__context", "offset"]

        app = (
            core.ApplicationBuilder()
            .with_actions(grid=Grid())
            .with_transitions()
            .with_state(xs=[1, 2])
            .with_entrypoint("grid")
            .build()
        )
        return public(app.run(halt_after=["grid"], inputs={"offset": 1})[2])

    assert same_on_both(scenario)["ys"] == [3, 5, 11, 21]


def test_a_task_based_parallel_action_with_its_own_tasks():
    def scenario(impl):
        core, parallelism = impl.core, impl.parallelism

        @core.action(reads=["item"], writes=["size"])
        def measure(state):
            return state.update(size=len(state["item"]))

        class Measure(parallelism.TaskBasedParallelAction):
            def tasks(self, state, context, inputs):
                for index, item in enumerate(state["items"]):
                    yield parallelism.SubGraphTask(
                        graph=parallelism.RunnableGraph.create(measure),
                        inputs={},
                        state=state.update(item=item),
                        application_id=f"{context.app_id}-{index}",
                    )

            def reduce(self, state, states):
                return state.update(sizes=[sub["size"] for sub in states])

            @property
            def reads(self):
                return ["items"]

            @property
            def writes(self):
                return ["sizes"]

        app = (
            core.ApplicationBuilder()
            .with_actions(measure_all=Measure())
            .with_transitions()
            .with_state(items=["ab", "cde", ""])
            .with_identifiers(app_id="tasks")
            .with_entrypoint("measure_all")
            .build()
        )
        return public(app.run(halt_after=["measure_all"])[2])

    assert same_on_both(scenario)["sizes"] == [2, 3, 0]


def test_with_parallel_executor_uses_the_given_executor_and_only_once():
    def scenario(impl):
        used = []

        def executor():
            used.append("made")
            return concurrent.futures.ThreadPoolExecutor(max_workers=2)

        app = fan_out(impl, executor=executor)
        state = app.run(halt_after=["join"])[2]
        with pytest.raises(ValueError):
            impl.core.ApplicationBuilder().with_parallel_executor(executor).with_parallel_executor(
                executor
            )
        return public(state)["joined"], used

    assert same_on_both(scenario) == ("A! BB! CCC!", ["made"])


def test_an_async_map_states_gathers_its_children():
    def scenario(impl):
        core, parallelism = impl.core, impl.parallelism

        @core.action(reads=["n"], writes=["n2"])
        async def slow_square(state):
            await asyncio.sleep(0)
            return state.update(n2=state["n"] ** 2)

        class Squares(parallelism.MapStates):
            async def states(self, state, context, inputs):
                for n in state["ns"]:
                    yield state.update(n=n)

            def action(self, state, inputs):
                return slow_square

            async def reduce(self, state, states):
                return state.update(squares=[sub["n2"] async for sub in states])

            def is_async(self):
                return True

            @property
            def reads(self):
                return ["ns"]

            @property
            def writes(self):
                return ["squares"]

        async def main():
            app = (
                core.ApplicationBuilder()
                .with_actions(squares=Squares())
                .with_transitions()
                .with_state(ns=[1, 2, 3])
                .with_entrypoint("squares")
                .build()
            )
            return public((await app.arun(halt_after=["squares"]))[2])

        return asyncio.run(main())

    assert same_on_both(scenario)["squares"] == [1, 4, 9]


def test_an_application_started_inside_an_action_with_a_spawning_parent():
    def scenario(impl):
        core = impl.core
        recorder = hook_recorder(impl, "post_application_create")

        @core.action(reads=["n"], writes=["n"])
        def inner(state):
            return state.update(n=state["n"] + 100)

        @core.action(reads=["n"], writes=["n"])
        def outer(state, __context):
            child = (
                core.ApplicationBuilder()
                .with_actions(inner=inner)
                .with_transitions()
                .with_state(n=state["n"])
                .with_entrypoint("inner")
                .with_spawning_parent(__context.app_id, __context.sequence_id)
                .with_identifiers(app_id=f"{__context.app_id}-child")
                .with_hooks(recorder)
                .build()
            )
            n = child.run(halt_after=["inner"])[2]["n"]
            return state.update(n=n)

        app = (
            core.ApplicationBuilder()
            .with_actions(outer=outer)
            .with_transitions()
            .with_state(n=1)
            .with_identifiers(app_id="host")
            .with_entrypoint("outer")
            .build()
        )
        state = app.run(halt_after=["outer"])[2]
        return public(state), [args["spawning_parent_pointer"] for _, args in recorder.calls]

    state, pointers = same_on_both(scenario)
    assert state == {"n": 101} and pointers == [("host", 0)]
