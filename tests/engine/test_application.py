"""Application: stepping, running, halting, inputs, errors, async and the builder's options."""

import asyncio

import pytest

from burrdesk.engine import (
    Action,
    ApplicationBuilder,
    ApplicationContext,
    Input,
    Result,
    State,
    action,
    default,
    expr,
    when,
)


@action(reads=["count"], writes=["count"])
def increment(state: State, by: int = 1) -> State:
    return state.update(count=state["count"] + by)


@action(reads=["count"], writes=["message"], tags=["final"])
def report(state: State) -> tuple[dict, State]:
    message = f"counted to {state['count']}"
    return {"message": message}, state.update(message=message)


def counter(limit: int = 3, **state):
    return (
        ApplicationBuilder()
        .with_actions(increment=increment, report=report)
        .with_transitions(
            ("increment", "increment", expr(f"count < {limit}")),
            ("increment", "report", default),
        )
        .with_state(count=0, **state)
        .with_entrypoint("increment")
        .build()
    )


def test_run_to_the_end_returns_the_last_action_result_and_state():
    app = counter()
    last, result, state = app.run(halt_after=["report"])
    assert last.name == "report"
    assert result == {"message": "counted to 3"}
    assert state["count"] == 3 and app.state is state
    assert app.sequence_id == 3


def test_run_with_no_halt_stops_when_no_transition_applies():
    app = counter()
    last, _result, state = app.run()
    assert last.name == "report" and state["message"] == "counted to 3"
    assert not app.has_next_action()
    assert app.step() is None


def test_step_by_step_sequence_ids_count_from_zero():
    app = counter()
    assert app.sequence_id is None
    seen = []
    while (outcome := app.step()) is not None:
        seen.append((outcome[0].name, app.sequence_id))
    assert seen == [("increment", 0), ("increment", 1), ("increment", 2), ("report", 3)]


def test_halt_before_returns_the_action_not_yet_run_with_no_result():
    app = counter()
    upcoming, result, state = app.run(halt_before=["report"])
    assert upcoming.name == "report" and result is None
    assert "message" not in state and app.get_next_action().name == "report"


def test_halt_by_tag_and_unknown_halt_names():
    app = counter()
    assert app.run(halt_after=["@tag:final"])[0].name == "report"
    with pytest.raises(ValueError, match="halt_after names 'reprot', which is not an action"):
        counter().run(halt_after=["reprot"])


def test_iterate_yields_each_step_and_returns_the_final_triple():
    generator = counter().iterate(halt_after=["report"])
    names = []
    while True:
        try:
            names.append(next(generator)[0].name)
        except StopIteration as stop:
            final = stop.value
            break
    assert names == ["increment"] * 3 + ["report"]
    assert final[0].name == "report" and final[1] == {"message": "counted to 3"}


def test_inputs_are_filtered_per_action_and_bound_inputs_apply():
    app = counter(limit=10)
    app.step(inputs={"by": 5, "unrelated": "ignored"})
    assert app.state["count"] == 5
    bound = (
        ApplicationBuilder()
        .with_actions(increment=increment.bind(by=4))
        .with_transitions(("increment", "increment", default))
        .with_state(count=0)
        .with_entrypoint("increment")
        .build()
    )
    bound.step()
    assert bound.state["count"] == 4


def test_missing_required_input_names_action_and_input():
    @action(reads=[], writes=["prompt"])
    def ask(state: State, prompt: str) -> State:
        return state.update(prompt=prompt)

    app = ApplicationBuilder().with_actions(ask=ask).with_entrypoint("ask").build()
    with pytest.raises(ValueError, match=r"Action 'ask' is missing required input 'prompt'"):
        app.step()
    with pytest.raises(ValueError, match="reserved"):
        app.step(inputs={"__context": 1})


def test_an_exception_in_an_action_propagates_and_leaves_state_as_before():
    @action(reads=["count"], writes=["count"])
    def explode(state: State) -> State:
        raise RuntimeError("kaboom")

    app = (
        ApplicationBuilder()
        .with_actions(explode=explode)
        .with_state(count=1)
        .with_entrypoint("explode")
        .build()
    )
    with pytest.raises(RuntimeError, match="kaboom"):
        app.run(halt_after=["explode"])
    assert app.state.get_all()["count"] == 1
    assert app.get_next_action().name == "explode"


def test_an_action_that_returns_the_wrong_type_or_misses_writes_is_named():
    @action(reads=[], writes=["x"])
    def wrong_type(state: State) -> dict:
        return {"x": 1}

    @action(reads=[], writes=["x", "y"])
    def forgets(state: State) -> State:
        return state.update(x=1)

    for fn, message in [
        (wrong_type, "'wrong_type' must return the new State or a"),
        (forgets, r"missing write keys after running: forgets.*\['y'\]"),
    ]:
        app = ApplicationBuilder().with_actions(fn).with_entrypoint(fn.__name__).build()
        with pytest.raises(ValueError, match=message):
            app.step()


def test_a_deleted_key_is_removed_and_internal_keys_survive():
    @action(reads=["scratch"], writes=[])
    def tidy(state: State) -> State:
        return state.wipe(delete=["scratch"])

    app = (
        ApplicationBuilder()
        .with_actions(tidy=tidy)
        .with_state(scratch=1, keep=2)
        .with_entrypoint("tidy")
        .build()
    )
    app.step()
    assert "scratch" not in app.state and app.state["keep"] == 2
    assert app.sequence_id == 0


class Doubler(Action):
    """A class-based action that sees only what it reads."""

    @property
    def reads(self) -> list[str]:
        return ["n"]

    @property
    def writes(self) -> list[str]:
        return ["n"]

    @property
    def inputs(self) -> tuple[list[str], list[str]]:
        return [], ["factor"]

    def run(self, state: State, factor: int = 2) -> dict:
        assert state.keys() == ["n"]
        return {"n": state["n"] * factor}

    def update(self, result: dict, state: State) -> State:
        return state.update(n=result["n"])


def test_class_based_actions_run_and_update():
    app = (
        ApplicationBuilder()
        .with_actions(double=Doubler(), show=Result("n"))
        .with_transitions(("double", "double", when(n__lt=10)), ("double", "show"))
        .with_state(n=1, other="hidden")
        .with_entrypoint("double")
        .build()
    )
    final, result, state = app.run(halt_after=["show"], inputs={"factor": 3})
    assert state["n"] == 27 and result == {"n": 27} and final.name == "show"


def test_undeclared_writes_from_a_reducer_are_refused():
    class Sneaky(Doubler):
        def update(self, result: dict, state: State) -> State:
            return state.update(n=1, secret=True)

    app = ApplicationBuilder().with_actions(s=Sneaky()).with_state(n=1).with_entrypoint("s").build()
    with pytest.raises(ValueError, match=r"wrote keys \['secret'\] that it does not declare"):
        app.step()


def test_input_action_copies_inputs_into_state():
    app = ApplicationBuilder().with_actions(ask=Input("name")).with_entrypoint("ask").build()
    app.step(inputs={"name": "Ada"})
    assert app.state["name"] == "Ada"


def test_context_is_injected_when_an_action_asks_for_it():
    seen: list[ApplicationContext] = []

    @action(reads=[], writes=[])
    def introspect(state: State, __context: ApplicationContext) -> State:
        seen.append(__context)
        return state

    app = (
        ApplicationBuilder()
        .with_actions(introspect=introspect)
        .with_transitions(("introspect", "introspect"))
        .with_identifiers(app_id="my-app", partition_key="user-1")
        .with_entrypoint("introspect")
        .build()
    )
    app.step()
    app.step()
    assert [(c.app_id, c.partition_key, c.sequence_id, c.action_name) for c in seen] == [
        ("my-app", "user-1", 0, "introspect"),
        ("my-app", "user-1", 1, "introspect"),
    ]


def test_identifiers_and_starting_sequence_id():
    app = counter()
    assert len(app.uid) == 36 and app.app_id == app.uid and app.partition_key is None
    resumed = (
        ApplicationBuilder()
        .with_actions(increment=increment)
        .with_transitions(("increment", "increment"))
        .with_state(count=0)
        .with_identifiers(app_id="fixed", sequence_id=41)
        .with_entrypoint("increment")
        .build()
    )
    resumed.step()
    assert (resumed.app_id, resumed.sequence_id) == ("fixed", 42)


def test_update_state_and_reset_to_entrypoint():
    app = counter()
    app.run(halt_after=["report"])
    app.update_state(app.state.update(count=0))
    app.reset_to_entrypoint()
    assert app.get_next_action().name == "increment"
    assert app.run(halt_after=["report"])[2]["count"] == 3


def test_async_actions_run_with_arun_and_not_with_step():
    @action(reads=["n"], writes=["n"])
    async def slow_add(state: State) -> State:
        await asyncio.sleep(0)
        return state.update(n=state["n"] + 1)

    def build():
        return (
            ApplicationBuilder()
            .with_actions(add=slow_add)
            .with_transitions(("add", "add", expr("n < 3")))
            .with_state(n=0)
            .with_entrypoint("add")
            .build()
        )

    final = asyncio.run(build().arun(halt_after=[]))
    assert final[2]["n"] == 3
    with pytest.raises(ValueError, match=r"async.*astep\(\), arun\(\) or aiterate\(\)"):
        build().step()

    async def collect():
        return [step[2]["n"] async for step in build().aiterate(halt_after=["add"])]

    assert asyncio.run(collect()) == [1]


def test_async_halt_before_matches_sync():
    result = asyncio.run(counter().arun(halt_before=["report"]))
    assert result[0].name == "report" and result[1] is None


def test_builder_rejects_mixing_initialize_from_with_explicit_state():
    from burrdesk.engine.persistence import InMemoryPersister

    with pytest.raises(ValueError, match="cannot be combined"):
        ApplicationBuilder().with_state(a=1).initialize_from(
            InMemoryPersister(),
            resume_at_next_action=True,
            default_state={},
            default_entrypoint="x",
        )
    with pytest.raises(ValueError, match="need fork_from_app_id"):
        ApplicationBuilder().initialize_from(
            InMemoryPersister(),
            resume_at_next_action=True,
            default_state={},
            default_entrypoint="x",
            fork_from_sequence_id=3,
        )
