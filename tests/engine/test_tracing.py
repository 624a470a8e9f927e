"""Tracing inside actions (`__tracer`, nested spans, attributes, `@trace()`), side by side under
Apache Burr and burrdesk: the same span names, ids, parents and attributes reach the hooks."""

from __future__ import annotations

import asyncio

import pytest
from side_by_side import hook_recorder, public, same_on_both

SPAN_HOOKS = ("pre_start_span", "post_end_span", "do_log_attributes")


def traced_app(impl, recorder):
    core, visibility = impl.core, impl.visibility

    @visibility.trace()
    def tokenize(text: str) -> list:
        return text.split()

    @visibility.trace(input_filterlist=["secret"], span_name="score_words")
    def score(words: list, secret: str = "") -> int:
        return sum(len(word) for word in words)

    @core.action(reads=["text"], writes=["score"])
    def analyse(state, __tracer):
        __tracer.log_attributes(mode="fast")
        with __tracer("prepare") as tracer:
            tracer.log_attributes(length=len(state["text"]))
            with __tracer("clean", span_dependencies=["prepare"]):
                cleaned = state["text"].strip()
        with __tracer("compute"):
            total = score(tokenize(cleaned), secret="hunter2")
        return {"score": total}, state.update(score=total)

    @core.action(reads=["score"], writes=["verdict"])
    def judge(state, __tracer):
        with __tracer("decide") as tracer:
            verdict = "long" if state["score"] > 5 else "short"
            tracer.log_attribute("verdict", verdict)
        return {"verdict": verdict}, state.update(verdict=verdict)

    return (
        core.ApplicationBuilder()
        .with_actions(analyse=analyse, judge=judge)
        .with_transitions(("analyse", "judge"))
        .with_state(text="  spans all the way down ")
        .with_hooks(recorder)
        .with_entrypoint("analyse")
        .build()
    )


def test_spans_nest_and_number_the_same_way_and_attributes_land_on_them():
    def scenario(impl):
        recorder = hook_recorder(impl, *SPAN_HOOKS)
        app = traced_app(impl, recorder)
        _, _, state = app.run(halt_after=["judge"])
        return public(state), recorder.calls

    state, calls = same_on_both(scenario)
    assert state["verdict"] == "long"
    spans = [args["span"] for name, args in calls if name == "pre_start_span"]
    assert spans == [
        ("prepare", "0:0"),
        ("clean", "0:0.0"),
        ("compute", "0:1"),
        ("tokenize", "0:1.0"),
        ("score_words", "0:1.1"),
        ("decide", "1:0"),
    ]
    logged = {
        key: (value, args["span"])
        for name, args in calls
        if name == "do_log_attributes"
        for key, value in args["attributes"].items()
    }
    assert logged["mode"] == ("fast", None)
    assert logged["length"] == (25, ("prepare", "0:0"))
    assert logged["text"] == ("spans all the way down", ("tokenize", "0:1.0"))
    assert logged["return"][0] == 18 and "secret" not in logged


def test_trace_outside_an_action_just_calls_the_function():
    def scenario(impl):
        @impl.visibility.trace()
        def double(x):
            return 2 * x

        return double(21)

    assert same_on_both(scenario) == 42


def test_async_spans_and_traced_coroutines():
    def scenario(impl):
        core, visibility = impl.core, impl.visibility
        recorder = hook_recorder(impl, *SPAN_HOOKS)

        @visibility.trace()
        async def fetch(topic: str) -> str:
            await asyncio.sleep(0)
            return f"about {topic}"

        @core.action(reads=["topic"], writes=["notes"])
        async def research(state, __tracer):
            async with __tracer("gather"):
                notes = await fetch(state["topic"])
            return {"notes": notes}, state.update(notes=notes)

        async def main():
            app = (
                core.ApplicationBuilder()
                .with_actions(research=research)
                .with_transitions()
                .with_state(topic="bees")
                .with_hooks(recorder)
                .with_entrypoint("research")
                .build()
            )
            await app.arun(halt_after=["research"])
            return public(app.state), recorder.calls

        return asyncio.run(main())

    state, calls = same_on_both(scenario)
    assert state["notes"] == "about bees"
    assert [a["span"] for n, a in calls if n == "pre_start_span"] == [
        ("gather", "0:0"),
        ("fetch", "0:0.0"),
    ]


def test_an_exception_inside_a_span_still_ends_it_and_reaches_the_caller():
    def scenario(impl):
        core = impl.core
        recorder = hook_recorder(impl, *SPAN_HOOKS)

        @core.action(reads=[], writes=["never"])
        def fragile(state, __tracer):
            with __tracer("risky"):
                raise KeyError("missing thing")

        app = (
            core.ApplicationBuilder()
            .with_actions(fragile=fragile)
            .with_transitions()
            .with_hooks(recorder)
            .with_entrypoint("fragile")
            .build()
        )
        with pytest.raises(KeyError):
            app.step()
        return [name for name, _ in recorder.calls]

    assert same_on_both(scenario) == ["pre_start_span", "post_end_span"]
