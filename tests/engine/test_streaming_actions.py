"""Streaming actions, run side by side under Apache Burr and burrdesk: the partial results, the
final result and state, the hooks' calls in order, and the errors."""

from __future__ import annotations

import asyncio

import pytest
from side_by_side import hook_recorder, public, same_on_both

STREAM_HOOKS = (
    "pre_run_step",
    "post_run_step",
    "pre_start_stream",
    "post_stream_item",
    "post_end_stream",
    "pre_run_execute_call",
    "post_run_execute_call",
)


def streaming_chat(impl, *, fail_after: int | None = None, final: bool = True):
    """Burr's streaming chatbot pattern with a fake client: `prompt` -> tokens -> `response`."""
    core, action_module = impl.core, impl.action

    @action_module.streaming_action(reads=["prompt"], writes=["response", "chat_history"])
    def respond(state):
        buffer = []
        for index, token in enumerate(f"echo: {state['prompt']}".split(" ")):
            if fail_after is not None and index == fail_after:
                raise ConnectionError("the model went away")
            buffer.append(token)
            yield {"delta": token}, None
        text = " ".join(buffer)
        if final:
            yield (
                {"response": text},
                state.update(response=text).append(
                    chat_history={"role": "assistant", "content": text}
                ),
            )

    @core.action(reads=[], writes=["prompt", "chat_history"])
    def ask(state, prompt: str):
        return state.update(prompt=prompt).append(chat_history={"role": "user", "content": prompt})

    return (
        core.ApplicationBuilder()
        .with_actions(ask=ask, respond=respond)
        .with_transitions(("ask", "respond"), ("respond", "ask"))
        .with_state(chat_history=[])
        .with_entrypoint("ask")
    )


def test_stream_result_hands_out_partials_then_the_final_result_and_state():
    def scenario(impl):
        recorder = hook_recorder(impl, *STREAM_HOOKS)
        app = streaming_chat(impl).with_hooks(recorder).build()
        action, container = app.stream_result(halt_after=["respond"], inputs={"prompt": "hi there"})
        partials = [item["delta"] for item in container]
        result, state = container.get()
        return {
            "action": action.name,
            "partials": partials,
            "result": result,
            "state": public(state),
            "app_state": public(app.state),
            "sequence_id": app.sequence_id,
            "hooks": recorder.calls,
        }

    record = same_on_both(scenario)
    assert record["partials"] == ["echo:", "hi", "there"]
    assert record["result"] == {"response": "echo: hi there"}
    names = [name for name, _ in record["hooks"]]
    assert names.count("post_stream_item") == 3 and names[-1] == "post_end_stream"


def test_get_without_iterating_runs_the_stream_to_the_end():
    def scenario(impl):
        app = streaming_chat(impl).build()
        _, container = app.stream_result(halt_after=["respond"], inputs={"prompt": "one two"})
        result, state = container.get()
        return result, public(state), container.get()[0]

    same_on_both(scenario)


def test_a_two_step_streaming_action_class_streams_and_updates_with_its_last_item():
    def scenario(impl):
        core, action_module = impl.core, impl.action

        class CountUp(action_module.StreamingAction):
            @property
            def reads(self):
                return ["limit"]

            @property
            def writes(self):
                return ["counted"]

            def stream_run(self, state, **run_kwargs):
                for n in range(state["limit"]):
                    yield {"n": n}
                yield {"n": state["limit"], "done": True}

            def update(self, result, state):
                return state.update(counted=result["n"])

        recorder = hook_recorder(impl, *STREAM_HOOKS)
        app = (
            core.ApplicationBuilder()
            .with_actions(count=CountUp())
            .with_transitions()
            .with_state(limit=3)
            .with_hooks(recorder)
            .with_entrypoint("count")
            .build()
        )
        _, container = app.stream_result(halt_after=["count"])
        items = list(container)
        result, state = container.get()
        return items, result, public(state), recorder.calls

    items, result, state, _ = same_on_both(scenario)
    assert items == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert result == {"n": 3, "done": True} and state == {"limit": 3, "counted": 3}


def test_stream_result_runs_earlier_actions_plainly_and_streams_the_halt_after_one():
    def scenario(impl):
        core, action_module = impl.core, impl.action

        @core.action(reads=[], writes=["prompt"])
        def prepare(state):
            return state.update(prompt="a b c")

        @action_module.streaming_action(reads=["prompt"], writes=["response"])
        def respond(state):
            for word in state["prompt"].split():
                yield {"word": word}, None
            yield {"response": state["prompt"]}, state.update(response=state["prompt"])

        recorder = hook_recorder(impl, *STREAM_HOOKS)
        app = (
            core.ApplicationBuilder()
            .with_actions(prepare, respond)
            .with_transitions(("prepare", "respond"))
            .with_hooks(recorder)
            .with_entrypoint("prepare")
            .build()
        )
        action, container = app.stream_result(halt_after=["respond"])
        words = [item["word"] for item in container]
        return action.name, words, public(container.get()[1]), app.sequence_id, recorder.calls

    name, words, state, sequence_id, _ = same_on_both(scenario)
    assert (name, words, sequence_id) == ("respond", ["a", "b", "c"], 1)


def test_halt_before_reached_first_returns_that_action_with_nothing_to_stream():
    def scenario(impl):
        core, action_module = impl.core, impl.action

        def mark(name):
            @core.action(reads=[], writes=["seen"])
            def step(state):
                return state.append(seen=name)

            return step

        @action_module.streaming_action(reads=[], writes=["seen"])
        def finale(state):
            yield {"part": 1}, None
            yield {}, state.append(seen="finale")

        app = (
            core.ApplicationBuilder()
            .with_actions(first=mark("first"), second=mark("second"), finale=finale)
            .with_transitions(("first", "second"), ("second", "finale"))
            .with_state(seen=[])
            .with_entrypoint("first")
            .build()
        )
        action, container = app.stream_result(halt_after=["finale"], halt_before=["second"])
        items = list(container)
        result, state = container.get()
        return action.name, items, result, public(state), app.sequence_id

    name, items, result, state, sequence_id = same_on_both(scenario)
    assert (name, result, state["seen"], sequence_id) == ("second", None, ["first"], 0)


def test_a_non_streaming_action_comes_back_with_its_result_and_no_partials():
    def scenario(impl):
        recorder = hook_recorder(impl, *STREAM_HOOKS)
        app = streaming_chat(impl).with_hooks(recorder).build()
        action, container = app.stream_result(halt_after=["ask"], inputs={"prompt": "q"})
        return action.name, list(container), container.get()[0], recorder.calls

    name, items, result, hooks = same_on_both(scenario)
    assert name == "ask" and result == {}
    assert "pre_start_stream" not in [hook for hook, _ in hooks]


def test_run_and_step_run_a_streaming_action_to_its_end():
    def scenario(impl):
        app = streaming_chat(impl).build()
        app.step(inputs={"prompt": "plain run"})
        action, result, state = app.step()
        return action.name, result, public(state)

    assert same_on_both(scenario)[1] == {"response": "echo: plain run"}


def test_stream_iterate_streams_every_step_until_the_halt():
    def scenario(impl):
        core, action_module = impl.core, impl.action

        def speaker(word_key: str):
            @action_module.streaming_action(reads=[], writes=[word_key])
            def speak(state):
                for letter in word_key:
                    yield {"letter": letter}, None
                yield {word_key: word_key.upper()}, state.update(**{word_key: word_key.upper()})

            return speak

        app = (
            core.ApplicationBuilder()
            .with_actions(first=speaker("ab"), second=speaker("cd"))
            .with_transitions(("first", "second"))
            .with_entrypoint("first")
            .build()
        )
        seen = []
        for action, container in app.stream_iterate(halt_after=["second"]):
            seen.append((action.name, [item["letter"] for item in container]))
        return seen, public(app.state)

    seen, state = same_on_both(scenario)
    assert seen == [("first", ["a", "b"]), ("second", ["c", "d"])]
    assert state == {"ab": "AB", "cd": "CD"}


def test_an_error_mid_stream_reaches_the_caller_and_the_hooks_and_leaves_state_alone():
    def scenario(impl):
        recorder = hook_recorder(impl, *STREAM_HOOKS)
        app = streaming_chat(impl, fail_after=2).with_hooks(recorder).build()
        app.step(inputs={"prompt": "will fail soon"})
        _, container = app.stream_result(halt_after=["respond"])
        received = []
        with pytest.raises(ConnectionError, match="went away"):
            for item in container:
                received.append(item["delta"])
        post = [arguments for name, arguments in recorder.calls if name == "post_run_step"][-1]
        return received, post["exception"], public(app.state)

    received, exception, state = same_on_both(scenario)
    assert received == ["echo:", "will"] and exception == "ConnectionError"
    assert "response" not in state


def test_a_stream_that_never_yields_its_state_is_a_value_error_on_both():
    def scenario(impl):
        app = streaming_chat(impl, final=False).build()
        app.step(inputs={"prompt": "no final"})
        _, container = app.stream_result(halt_after=["respond"])
        with pytest.raises(ValueError) as raised:
            container.get()
        return type(raised.value).__name__

    same_on_both(scenario)


def async_chat(impl):
    core, action_module = impl.core, impl.action

    @action_module.streaming_action(reads=["prompt"], writes=["response"])
    async def respond(state):
        words = state["prompt"].split()
        for word in words:
            await asyncio.sleep(0)
            yield {"delta": word}, None
        yield {"response": "/".join(words)}, state.update(response="/".join(words))

    @core.action(reads=[], writes=["prompt"])
    def ask(state, prompt: str):
        return state.update(prompt=prompt)

    return (
        core.ApplicationBuilder()
        .with_actions(ask=ask, respond=respond)
        .with_transitions(("ask", "respond"), ("respond", "ask"))
        .with_entrypoint("ask")
    )


def test_astream_result_streams_an_async_generator():
    """The same partials, result, state and hook order. One difference is on purpose: when an
    async run steps a synchronous action (`ask`), Burr tells post_run_step the state from before
    the step and result None; burrdesk tells it the step's real result and new state."""
    recorders = {}

    def scenario(impl):
        recorder = recorders[impl.name] = hook_recorder(impl, *STREAM_HOOKS)

        async def main():
            app = async_chat(impl).with_hooks(recorder).build()
            action, container = await app.astream_result(
                halt_after=["respond"], inputs={"prompt": "x y z"}
            )
            deltas = [item["delta"] async for item in container]
            result, state = await container.get()
            return action.name, deltas, result, public(state), [n for n, _ in recorder.calls]

        return asyncio.run(main())

    name, deltas, result, _, _ = same_on_both(scenario)
    assert (name, deltas, result) == ("respond", ["x", "y", "z"], {"response": "x/y/z"})
    ask_post = {
        name: next(a for n, a in recorders[name].calls if n == "post_run_step")
        for name in recorders
    }
    assert ask_post["burr"]["state"] == {} and ask_post["burr"]["result"] is None
    assert ask_post["burrdesk"]["state"] == {"prompt": "x y z"}
    assert ask_post["burrdesk"]["result"] == {}


def test_astream_iterate_and_an_async_streaming_action_class():
    def scenario(impl):
        core, action_module = impl.core, impl.action

        class Letters(action_module.AsyncStreamingAction):
            @property
            def reads(self):
                return ["word"]

            @property
            def writes(self):
                return ["spelled"]

            async def stream_run(self, state, **run_kwargs):
                for letter in state["word"]:
                    yield {"letter": letter}
                yield {"letter": None, "spelled": "-".join(state["word"])}

            def update(self, result, state):
                return state.update(spelled=result["spelled"])

        async def main():
            app = (
                core.ApplicationBuilder()
                .with_actions(spell=Letters())
                .with_transitions()
                .with_state(word="abc")
                .with_entrypoint("spell")
                .build()
            )
            seen = []
            async for action, container in app.astream_iterate(halt_after=["spell"]):
                seen.append((action.name, [item["letter"] async for item in container]))
            return seen, public(app.state)

        return asyncio.run(main())

    seen, state = same_on_both(scenario)
    assert seen == [("spell", ["a", "b", "c"])] and state["spelled"] == "a-b-c"


def test_a_pydantic_streaming_action_over_typed_state():
    def scenario(impl):
        import pydantic

        core, action_module = impl.core, impl.action
        typed = impl.pydantic

        class Chat(pydantic.BaseModel):
            prompt: str = ""
            response: str | None = None

        class Partial(pydantic.BaseModel):
            delta: str

        @action_module.streaming_action.pydantic(
            reads=["prompt"],
            writes=["response"],
            state_input_type=Chat,
            state_output_type=Chat,
            stream_type=Partial,
        )
        def respond(state: Chat):
            for word in state.prompt.split():
                yield Partial(delta=word), None
            state.response = state.prompt.upper()
            yield Partial(delta=""), state

        app = (
            core.ApplicationBuilder()
            .with_actions(respond=respond)
            .with_transitions()
            .with_typing(typed.PydanticTypingSystem(Chat))
            .with_state(Chat(prompt="typed words"))
            .with_entrypoint("respond")
            .build()
        )
        _, container = app.stream_result(halt_after=["respond"])
        deltas = [partial.delta for partial in container]
        _, state = container.get()
        return deltas, state.data.model_dump(), type(app.state.data).__name__

    deltas, data, kind = same_on_both(scenario)
    assert deltas == ["typed", "words"] and data["response"] == "TYPED WORDS"
    assert kind == "Chat"
