"""Typed state with pydantic (`PydanticTypingSystem`, `with_typing`, `@action.pydantic`,
`state.data`) and Burr's serde registrations, side by side under Apache Burr and burrdesk."""

from __future__ import annotations

import asyncio

import pydantic
import pytest
from side_by_side import public, same_on_both


class Step(pydantic.BaseModel):
    name: str
    done: bool = False


class Plan(pydantic.BaseModel):
    goal: str = ""
    steps: list[Step] = pydantic.Field(default_factory=list)
    summary: str | None = None


def planner(impl):
    core, action_module = impl.core, impl.action
    typed = impl.pydantic

    @action_module.action.pydantic(reads=["goal"], writes=["steps"])
    def plan(state: Plan, count: int) -> Plan:
        state.steps = [Step(name=f"{state.goal} #{i}") for i in range(count)]
        return state

    @action_module.action.pydantic(reads=["steps"], writes=["steps", "summary"])
    def finish(state: Plan) -> Plan:
        state.steps = [step.model_copy(update={"done": True}) for step in state.steps]
        state.summary = ", ".join(step.name for step in state.steps)
        return state

    return (
        core.ApplicationBuilder()
        .with_actions(plan, finish)
        .with_transitions(("plan", "finish"))
        .with_typing(typed.PydanticTypingSystem(Plan))
        .with_state(Plan(goal="ship"))
        .with_entrypoint("plan")
        .build()
    )


def test_state_data_is_the_model_and_pydantic_actions_update_it():
    def scenario(impl):
        app = planner(impl)
        before = app.state.data
        _, _, state = app.run(halt_after=["finish"], inputs={"count": 2})
        data = state.data
        return type(before).__name__, type(data).__name__, data.model_dump(), sorted(public(state))

    before, after, dumped, keys = same_on_both(scenario)
    assert (before, after) == ("Plan", "Plan")
    assert dumped["summary"] == "ship #0, ship #1"
    assert all(step["done"] for step in dumped["steps"])
    assert keys == ["goal", "steps", "summary"]


def test_nested_models_stay_models_in_the_state():
    def scenario(impl):
        app = planner(impl)
        app.step(inputs={"count": 1})
        value = app.state["steps"][0]
        return type(value).__name__, value.name

    assert same_on_both(scenario) == ("Step", "ship #0")


def test_an_async_pydantic_action():
    def scenario(impl):
        core, action_module = impl.core, impl.action

        @action_module.action.pydantic(reads=["goal"], writes=["summary"])
        async def summarize(state: Plan) -> Plan:
            await asyncio.sleep(0)
            state.summary = state.goal[::-1]
            return state

        app = (
            core.ApplicationBuilder()
            .with_actions(summarize)
            .with_transitions()
            .with_typing(impl.pydantic.PydanticTypingSystem(Plan))
            .with_state(Plan(goal="abc"))
            .with_entrypoint("summarize")
            .build()
        )
        state = asyncio.run(app.arun(halt_after=["summarize"]))[2]
        return state.data.summary

    assert same_on_both(scenario) == "cba"


def test_declaring_keys_the_model_lacks_or_no_model_is_a_value_error_on_both():
    def scenario(impl):
        action_module = impl.action
        errors = []
        with pytest.raises(ValueError) as missing:

            @action_module.action.pydantic(reads=["nope"], writes=["summary"])
            def bad_reads(state: Plan) -> Plan:
                return state

        errors.append(type(missing.value).__name__)
        with pytest.raises(ValueError) as untyped:

            @action_module.action.pydantic(reads=["goal"], writes=["summary"])
            def no_types(state, count):
                return state

        errors.append(type(untyped.value).__name__)
        return errors

    assert same_on_both(scenario) == ["ValueError", "ValueError"]


def test_a_typed_object_without_a_typing_system_is_refused():
    def scenario(impl):
        with pytest.raises(ValueError):
            impl.core.ApplicationBuilder().with_state(Plan(goal="x"))
        return "refused"

    same_on_both(scenario)


def test_dict_typing_is_the_default_and_data_is_a_dict():
    def scenario(impl):
        state = impl.core.State({"a": 1})
        return state.data, type(state.typing_system).__name__

    assert same_on_both(scenario) == ({"a": 1}, "DictBasedTypingSystem")


# --- serde -------------------------------------------------------------------------------------


class Money:
    def __init__(self, cents: int):
        self.cents = cents

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Money) and other.cents == self.cents


def test_registered_serializers_and_deserializers_round_trip_a_custom_type():
    def scenario(impl):
        serde = impl.serde

        @serde.serialize.register(Money)
        def _(value, **kwargs):
            return {serde.KEY: "money", "cents": value.cents}

        @serde.deserializer.register("money")
        def _(value, **kwargs):
            return Money(value["cents"])

        state = impl.core.State({"price": Money(250), "items": [Money(1), 3], "label": "x"})
        stored = state.serialize()
        revived = impl.core.State.deserialize(stored)
        return stored, revived["price"] == Money(250), revived["items"][0] == Money(1)

    stored, price, first = same_on_both(scenario)
    assert stored["price"] == {"__burr_serde__": "money", "cents": 250}
    assert price and first


def test_a_field_serde_applies_to_one_state_key():
    def scenario(impl):
        def to_text(value, **kwargs):
            return {"text": ",".join(value)}

        def from_text(value, **kwargs):
            return value["text"].split(",")

        impl.state.register_field_serde("tags_field", to_text, from_text)
        state = impl.core.State({"tags_field": ["a", "b"], "other": ["a", "b"]})
        stored = state.serialize()
        return stored, impl.core.State.deserialize(stored).get_all()

    stored, revived = same_on_both(scenario)
    assert stored["tags_field"] == {"text": "a,b"} and stored["other"] == ["a", "b"]
    assert revived["tags_field"] == ["a", "b"]


def test_a_field_serde_needs_kwargs_on_both():
    def scenario(impl):
        with pytest.raises(ValueError):
            impl.state.register_field_serde("f", lambda value: {}, lambda value, **kw: value)
        return "refused"

    same_on_both(scenario)


def test_a_stored_key_without_a_deserializer_is_a_value_error():
    def scenario(impl):
        with pytest.raises(ValueError):
            impl.core.State.deserialize({"x": {"__burr_serde__": "nobody-registered-this"}})
        return "refused"

    same_on_both(scenario)


def test_a_pydantic_value_is_stored_in_burrs_format():
    def scenario(impl):
        stored = impl.core.State({"plan": Plan(goal="g")}).serialize()["plan"]
        return {k: v for k, v in stored.items() if k != "__pydantic_class"}, stored[
            "__pydantic_class"
        ].endswith("Plan")

    stored, named = same_on_both(scenario)
    assert stored["__burr_serde__"] == "pydantic" and named
