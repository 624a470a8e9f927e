"""Behavioural compatibility between Apache Burr's `burr.core` and `burrdesk.engine`.

Every test in the first part runs twice through the `core` fixture: once against Burr, once
against burrdesk, with the *same* action source. A test failing only on the burrdesk side is a
compatibility bug in the engine. The last tests (State operation property, SQLite cross-load)
use both implementations at once.
"""

from __future__ import annotations

import asyncio
import copy
import gc
import sqlite3
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st


def _burr_namespace() -> SimpleNamespace:
    core = pytest.importorskip("burr.core")
    lifecycle = pytest.importorskip("burr.lifecycle")
    persistence = pytest.importorskip("burr.core.persistence")
    return SimpleNamespace(
        name="burr",
        action=core.action,
        Action=core.Action,
        State=core.State,
        ApplicationBuilder=core.ApplicationBuilder,
        default=core.default,
        when=core.when,
        expr=core.expr,
        PreRunStepHook=lifecycle.PreRunStepHook,
        PostRunStepHook=lifecycle.PostRunStepHook,
        SQLLitePersister=persistence.SQLLitePersister,
        InMemoryPersister=persistence.InMemoryPersister,
    )


def _burrdesk_namespace() -> SimpleNamespace:
    from burrdesk import engine
    from burrdesk.engine import lifecycle, persistence

    return SimpleNamespace(
        name="burrdesk",
        action=engine.action,
        Action=engine.Action,
        State=engine.State,
        ApplicationBuilder=engine.ApplicationBuilder,
        default=engine.default,
        when=engine.when,
        expr=engine.expr,
        PreRunStepHook=lifecycle.PreRunStepHook,
        PostRunStepHook=lifecycle.PostRunStepHook,
        SQLLitePersister=persistence.SQLLitePersister,
        InMemoryPersister=persistence.InMemoryPersister,
    )


_IMPLEMENTATIONS = {"burr": _burr_namespace, "burrdesk": _burrdesk_namespace}


@pytest.fixture(params=["burr", "burrdesk"])
def core(request) -> SimpleNamespace:
    """The API of one implementation: Burr's `burr.core` or burrdesk's `burrdesk.engine`."""
    return _IMPLEMENTATIONS[request.param]()


# --- helpers (take the implementation namespace, so the same source runs on both) -----------


def public(state) -> dict:
    """The state's keys without the engine's `__` bookkeeping keys."""
    return {k: v for k, v in state.get_all().items() if not k.startswith("__")}


def tracer(core, name: str, tags: list[str] | None = None):
    """An action that appends its name to `trace` and returns the result {"ran": name}."""

    @core.action(reads=["trace"], writes=["trace"], tags=tags)
    def run_it(state):
        return {"ran": name}, state.append(trace=name)

    return run_it


def chain_builder(core, *names: str, tags: dict[str, list[str]] | None = None):
    """A builder for names[0] -> names[1] -> ... with default transitions, trace=[]."""
    tags = tags or {}
    actions = {n: tracer(core, n, tags.get(n)) for n in names}
    transitions = [(a, b) for a, b in zip(names, names[1:], strict=False)]
    builder = core.ApplicationBuilder().with_actions(**actions).with_state(trace=[])
    if transitions:
        builder = builder.with_transitions(*transitions)
    return builder.with_entrypoint(names[0])


def chain(core, *names: str, **kwargs):
    return chain_builder(core, *names, **kwargs).build()


def drain(generator) -> tuple[list, object]:
    """Every value a generator yields, and its return value."""
    yielded = []
    while True:
        try:
            yielded.append(next(generator))
        except StopIteration as stop:
            return yielded, stop.value


# --- sequence ids ------------------------------------------------------------------------------


def test_sequence_id_is_none_before_first_step(core):
    """Burr: a freshly built application has sequence_id None."""
    app = chain(core, "a", "b")
    assert app.sequence_id is None


def test_sequence_id_is_zero_after_first_step(core):
    """Burr: the first step runs with sequence_id 0."""
    app = chain(core, "a", "b")
    app.step()
    assert app.sequence_id == 0


def test_sequence_id_after_run_of_n_steps_is_n_minus_1(core):
    """Burr: run() through three actions leaves sequence_id at 2."""
    app = chain(core, "a", "b", "c")
    app.run(halt_after=["c"])
    assert app.sequence_id == 2
    assert app.state["trace"] == ["a", "b", "c"]


def test_with_identifiers_sequence_id_is_incremented_by_next_step(core):
    """Burr: with_identifiers(sequence_id=5) then one step gives sequence_id 6."""
    app = chain_builder(core, "a", "b").with_identifiers(sequence_id=5).build()
    assert app.sequence_id == 5
    app.step()
    assert app.sequence_id == 6


# --- step ----------------------------------------------------------------------------------------


def test_step_returns_action_empty_result_and_state_for_state_only_action(core):
    """Burr: step() of an action returning just State gives (action, {}, new state)."""

    @core.action(reads=["count"], writes=["count"])
    def inc(state):
        return state.update(count=state["count"] + 1)

    app = core.ApplicationBuilder().with_actions(inc=inc).with_state(count=0)
    app = app.with_entrypoint("inc").build()
    action, result, state = app.step()
    assert action.name == "inc"
    assert result == {}
    assert public(state) == {"count": 1}
    assert public(app.state) == {"count": 1}


def test_step_returns_result_dict_of_result_state_action(core):
    """Burr: step() of an action returning (result, State) gives that result dict."""
    app = chain(core, "a", "b")
    action, result, state = app.step()
    assert action.name == "a"
    assert result == {"ran": "a"}
    assert state["trace"] == ["a"]


def test_step_returns_none_when_no_transition_applies(core):
    """Burr: step() past a terminal action returns None but still bumps sequence_id."""
    app = chain(core, "only")
    app.step()
    assert app.step() is None
    assert app.sequence_id == 1
    assert public(app.state) == {"trace": ["only"]}


# --- run / iterate and halting -----------------------------------------------------------------


def test_run_halt_after_returns_that_action_its_result_and_state(core):
    """Burr: run(halt_after=[x]) stops after x and returns (x, x's result, state)."""
    app = chain(core, "a", "b", "c")
    action, result, state = app.run(halt_after=["b"])
    assert action.name == "b"
    assert result == {"ran": "b"}
    assert state["trace"] == ["a", "b"]
    assert app.sequence_id == 1


def test_run_halt_before_returns_unrun_action_none_and_prior_state(core):
    """Burr: run(halt_before=[x]) returns (x not yet run, None, state before x)."""
    app = chain(core, "a", "b", "c")
    action, result, state = app.run(halt_before=["c"])
    assert action.name == "c"
    assert result is None
    assert state["trace"] == ["a", "b"]
    assert app.sequence_id == 1
    assert app.step()[0].name == "c"


def test_halt_before_entrypoint_still_runs_one_step_first(core):
    """Burr: iterate runs one step before testing halts, so halt_before=[entrypoint] runs it once."""

    @core.action(reads=["count"], writes=["count"])
    def count(state):
        return state.update(count=state["count"] + 1)

    app = (
        core.ApplicationBuilder()
        .with_actions(count=count)
        .with_transitions(("count", "count"))
        .with_state(count=0)
        .with_entrypoint("count")
        .build()
    )
    action, result, state = app.run(halt_before=["count"])
    assert action.name == "count"
    assert result is None
    assert state["count"] == 1
    assert app.sequence_id == 0


def test_halt_after_tag(core):
    """Burr: '@tag:<tag>' in halt_after halts after any action carrying that tag."""
    app = chain(core, "a", "b", "c", tags={"b": ["checkpoint"]})
    action, result, state = app.run(halt_after=["@tag:checkpoint"])
    assert action.name == "b"
    assert result == {"ran": "b"}
    assert state["trace"] == ["a", "b"]


def test_halt_before_tag(core):
    """Burr: '@tag:<tag>' in halt_before halts before any action carrying that tag."""
    app = chain(core, "a", "b", "c", tags={"c": ["checkpoint"]})
    action, result, state = app.run(halt_before=["@tag:checkpoint"])
    assert action.name == "c"
    assert result is None
    assert state["trace"] == ["a", "b"]


def test_halt_on_unknown_action_name_raises_value_error_before_any_step(core):
    """Burr: a halt name that is no action raises ValueError and runs nothing."""
    app = chain(core, "a", "b")
    with pytest.raises(ValueError) as excinfo:
        app.run(halt_after=["no_such_action"])
    assert type(excinfo.value) is ValueError
    assert "no_such_action" in str(excinfo.value)
    assert app.sequence_id is None
    assert public(app.state) == {"trace": []}


def test_halt_on_unknown_tag_raises_value_error(core):
    """Burr: '@tag:' naming a tag no action has raises ValueError (or a subclass)."""
    app = chain(core, "a", "b")
    with pytest.raises(ValueError):
        app.run(halt_before=["@tag:no_such_tag"])
    assert app.sequence_id is None


def test_iterate_yields_each_step_and_returns_final_triple(core):
    """Burr: iterate() yields (action, result, state) per step; StopIteration.value is the final triple."""
    app = chain(core, "a", "b", "c")
    yielded, final = drain(app.iterate(halt_after=["c"]))
    assert [(a.name, r, s["trace"]) for a, r, s in yielded] == [
        ("a", {"ran": "a"}, ["a"]),
        ("b", {"ran": "b"}, ["a", "b"]),
        ("c", {"ran": "c"}, ["a", "b", "c"]),
    ]
    action, result, state = final
    assert (action.name, result, state["trace"]) == ("c", {"ran": "c"}, ["a", "b", "c"])


def test_iterate_halt_before_returns_next_action_with_none_result(core):
    """Burr: iterate(halt_before=[x]) yields the steps before x and returns (x, None, state)."""
    app = chain(core, "a", "b", "c")
    yielded, (action, result, state) = drain(app.iterate(halt_before=["c"]))
    assert [a.name for a, _, _ in yielded] == ["a", "b"]
    assert (action.name, result, state["trace"]) == ("c", None, ["a", "b"])


# --- transitions and conditions -------------------------------------------------------------


def route(core, transitions, **initial):
    """Runs `start`, then one more step; returns the name of the action that step ran (or None)."""

    @core.action(reads=[], writes=[])
    def start(state):
        return state

    def target(name):
        @core.action(reads=[], writes=["went"])
        def go(state):
            return state.update(went=name)

        return go

    app = (
        core.ApplicationBuilder()
        .with_actions(start=start, a=target("a"), b=target("b"))
        .with_transitions(*[("start", to, condition) for to, condition in transitions])
        .with_state(**initial)
        .with_entrypoint("start")
        .build()
    )
    app.step()
    out = app.step()
    return None if out is None else out[0].name


@pytest.mark.parametrize(
    ("make_transitions", "initial", "expected"),
    [
        pytest.param(
            lambda c: [("a", c.when(flag=True)), ("b", c.default)],
            {"flag": True},
            "a",
            id="when-matches",
        ),
        pytest.param(
            lambda c: [("a", c.when(flag=True)), ("b", c.default)],
            {"flag": False},
            "b",
            id="default-fallback",
        ),
        pytest.param(
            lambda c: [("a", c.when(flag=True)), ("b", c.when(flag=True))],
            {"flag": True},
            "a",
            id="first-match-wins",
        ),
        pytest.param(
            lambda c: [("b", c.when(flag=False)), ("a", c.when(flag=True))],
            {"flag": True},
            "a",
            id="later-match-when-earlier-fails",
        ),
        pytest.param(
            lambda c: [("a", c.expr("count < 3")), ("b", c.default)],
            {"count": 2},
            "a",
            id="expr-true",
        ),
        pytest.param(
            lambda c: [("a", c.expr("count < 3")), ("b", c.default)],
            {"count": 3},
            "b",
            id="expr-false",
        ),
        pytest.param(
            lambda c: [("a", ~c.when(flag=True)), ("b", c.default)],
            {"flag": True},
            "b",
            id="invert",
        ),
        pytest.param(
            lambda c: [("a", c.when(flag=True) | c.expr("count < 3")), ("b", c.default)],
            {"flag": False, "count": 1},
            "a",
            id="or-true",
        ),
        pytest.param(
            lambda c: [("a", c.when(flag=True) | c.expr("count < 3")), ("b", c.default)],
            {"flag": False, "count": 5},
            "b",
            id="or-false",
        ),
        pytest.param(
            lambda c: [("a", c.when(flag=True) & c.expr("count < 3")), ("b", c.default)],
            {"flag": True, "count": 1},
            "a",
            id="and-true",
        ),
        pytest.param(
            lambda c: [("a", c.when(flag=True) & c.expr("count < 3")), ("b", c.default)],
            {"flag": True, "count": 5},
            "b",
            id="and-false",
        ),
        pytest.param(
            lambda c: [("a", c.when(flag=True))],
            {"flag": False},
            None,
            id="no-match-no-default",
        ),
    ],
)
def test_transition_conditions(core, make_transitions, initial, expected):
    """Burr: transitions are tried in order, the first whose condition holds is taken."""
    assert route(core, make_transitions(core), **initial) == expected


@pytest.mark.parametrize(("path", "expected"), [("a", ["a", "end"]), ("b", ["b", "end"])])
def test_transition_source_given_as_list(core, path, expected):
    """Burr: (["a", "b"], "end") adds a transition from each listed source."""

    @core.action(reads=[], writes=[])
    def start(state):
        return state

    app = (
        core.ApplicationBuilder()
        .with_actions(
            start=start, a=tracer(core, "a"), b=tracer(core, "b"), end=tracer(core, "end")
        )
        .with_transitions(
            ("start", "a", core.when(path="a")),
            ("start", "b", core.default),
            (["a", "b"], "end"),
        )
        .with_state(trace=[], path=path)
        .with_entrypoint("start")
        .build()
    )
    app.run(halt_after=["end"])
    assert app.state["trace"] == expected


@pytest.mark.parametrize(
    "expression",
    ["len(items) > 1", "lookup['k'] == 1", "'a' in name", "missing is None", "max(items) == 2"],
)
def test_expr_evaluates_python_expressions_over_state(core, expression):
    """Burr: expr() evaluates builtins, subscripts, `in` and `is` against state keys."""
    initial = {"items": [1, 2], "lookup": {"k": 1}, "name": "ab", "missing": None}
    assert route(core, [("a", core.expr(expression)), ("b", core.default)], **initial) == "a"


def test_condition_reading_absent_key_raises_value_error(core):
    """Burr: evaluating when()/expr() over a key absent from state raises ValueError."""
    with pytest.raises(ValueError):
        route(core, [("a", core.when(flag=True)), ("b", core.default)])


def test_transition_after_default_is_accepted_and_never_taken(core):
    """Burr: a conditional transition listed after a default from the same source builds fine."""
    app = (
        core.ApplicationBuilder()
        .with_actions(a=tracer(core, "a"), b=tracer(core, "b"))
        .with_transitions(("a", "b"), ("a", "a", core.when(flag=True)))
        .with_state(trace=[], flag=True)
        .with_entrypoint("a")
        .build()
    )
    app.run(halt_after=["b"])
    assert app.state["trace"] == ["a", "b"]


def test_second_default_transition_from_same_source_raises_value_error(core):
    """Burr: two default transitions out of one action are refused with ValueError."""
    builder = (
        core.ApplicationBuilder()
        .with_actions(a=tracer(core, "a"), b=tracer(core, "b"))
        .with_transitions(("a", "b"), ("a", "a"))
        .with_entrypoint("a")
    )
    with pytest.raises(ValueError):
        builder.build()


# --- inputs -----------------------------------------------------------------------------------


def input_app(core, fn, **state):
    return (
        core.ApplicationBuilder()
        .with_actions(target=fn)
        .with_state(**state)
        .with_entrypoint("target")
        .build()
    )


def test_extra_inputs_are_ignored(core):
    """Burr: inputs the action does not declare are dropped silently."""

    @core.action(reads=[], writes=["got"])
    def target(state, wanted):
        return state.update(got=wanted)

    app = input_app(core, target)
    _, _, state = app.step(inputs={"wanted": 1, "unrelated": 2})
    assert public(state) == {"got": 1}


def test_missing_required_input_raises_value_error_naming_action_and_input(core):
    """Burr: a missing required input raises ValueError naming the action and the input."""

    @core.action(reads=[], writes=["got"])
    def needs_input(state, user_prompt):
        return state.update(got=user_prompt)

    app = (
        core.ApplicationBuilder()
        .with_actions(needs_input=needs_input)
        .with_entrypoint("needs_input")
        .build()
    )
    with pytest.raises(ValueError) as excinfo:
        app.step(inputs={"something_else": 1})
    message = str(excinfo.value)
    assert "needs_input" in message
    assert "user_prompt" in message
    assert public(app.state) == {}
    assert app.sequence_id == 0


def test_dunder_inputs_are_rejected(core):
    """Burr: inputs whose names start with '__' are reserved and raise ValueError."""

    @core.action(reads=[], writes=["got"])
    def target(state, wanted=0):
        return state.update(got=wanted)

    app = input_app(core, target)
    with pytest.raises(ValueError):
        app.step(inputs={"__secret": 1})
    assert public(app.state) == {}


def test_bind_pre_binds_an_input(core):
    """Burr: fn.bind(x=...) fixes an input so it need not be passed at run time."""

    @core.action(reads=["count"], writes=["count"])
    def add(state, amount):
        return state.update(count=state["count"] + amount)

    app = input_app(core, add.bind(amount=5), count=1)
    _, _, state = app.step()
    assert state["count"] == 6


def test_optional_input_uses_default_unless_given(core):
    """Burr: a parameter with a default is an optional input."""

    @core.action(reads=[], writes=["greeting"])
    def greet(state, name="world"):
        return state.update(greeting=f"hello {name}")

    assert input_app(core, greet).step()[2]["greeting"] == "hello world"
    assert input_app(core, greet).step(inputs={"name": "burr"})[2]["greeting"] == "hello burr"


def test_same_inputs_are_passed_to_every_step_of_run(core):
    """Burr: run(inputs=...) offers the inputs to each step; each takes what it declares."""

    @core.action(reads=[], writes=["first"])
    def first(state, x):
        return state.update(first=x)

    @core.action(reads=[], writes=["second"])
    def second(state, y, x=0):
        return state.update(second=(x, y))

    app = (
        core.ApplicationBuilder()
        .with_actions(first=first, second=second)
        .with_transitions(("first", "second"))
        .with_entrypoint("first")
        .build()
    )
    app.run(halt_after=["second"], inputs={"x": 1, "y": 2})
    assert public(app.state) == {"first": 1, "second": (1, 2)}


# --- errors and hooks ------------------------------------------------------------------------


def recorder_hook(core):
    """A hook recording (stage, action, inputs/result, sequence_id, exception, count)."""

    class Recorder(core.PreRunStepHook, core.PostRunStepHook):
        def __init__(self):
            self.calls = []

        def pre_run_step(self, *, action, state, inputs, sequence_id, **future_kwargs):
            self.calls.append(("pre", action.name, dict(inputs), sequence_id, state.get("count")))

        def post_run_step(self, *, action, state, result, sequence_id, exception, **future_kwargs):
            self.calls.append(("post", action.name, result, sequence_id, exception))
            self.post_state_count = state.get("count")

    return Recorder()


def test_hooks_see_inputs_sequence_id_and_result_in_order_pre_post(core):
    """Burr: PreRunStepHook gets the action's inputs and sequence_id; PostRunStepHook the result."""

    @core.action(reads=["count"], writes=["count"])
    def add(state, amount):
        return {"added": amount}, state.update(count=state["count"] + amount)

    hook = recorder_hook(core)
    app = (
        core.ApplicationBuilder()
        .with_actions(add=add)
        .with_transitions(("add", "add"))
        .with_state(count=0)
        .with_entrypoint("add")
        .with_hooks(hook)
        .build()
    )
    app.step(inputs={"amount": 2, "ignored": 3})
    app.step(inputs={"amount": 5})
    assert hook.calls == [
        ("pre", "add", {"amount": 2}, 0, 0),
        ("post", "add", {"added": 2}, 0, None),
        ("pre", "add", {"amount": 5}, 1, 2),
        ("post", "add", {"added": 5}, 1, None),
    ]
    assert hook.post_state_count == 7


def test_exception_in_action_propagates_unchanged_and_leaves_state(core):
    """Burr: an action's exception propagates as-is, state is untouched, post hook sees it."""
    boom = RuntimeError("boom")

    @core.action(reads=["count"], writes=["count"])
    def inc(state):
        return state.update(count=state["count"] + 1)

    @core.action(reads=["count"], writes=["count"])
    def explode(state):
        raise boom

    hook = recorder_hook(core)
    app = (
        core.ApplicationBuilder()
        .with_actions(inc=inc, explode=explode)
        .with_transitions(("inc", "explode"))
        .with_state(count=0)
        .with_entrypoint("inc")
        .with_hooks(hook)
        .build()
    )
    app.step()
    with pytest.raises(RuntimeError) as excinfo:
        app.step()
    assert excinfo.value is boom
    assert public(app.state) == {"count": 1}
    assert app.sequence_id == 1
    assert hook.calls[-2:] == [
        ("pre", "explode", {}, 1, 1),
        ("post", "explode", None, 1, boom),
    ]
    assert hook.post_state_count == 1
    assert app.get_next_action().name == "explode"


@pytest.mark.parametrize("kind", ["dict", "none", "reversed-tuple", "string"])
def test_single_step_action_with_invalid_return_raises_value_error(core, kind):
    """Burr: a function action must return State or (dict, State); anything else is ValueError."""

    @core.action(reads=[], writes=[])
    def bad(state):
        return {
            "dict": {"x": 1},
            "none": None,
            "reversed-tuple": (state, {}),
            "string": "not a state",
        }[kind]

    app = input_app(core, bad)
    with pytest.raises(ValueError):
        app.step()


def test_declared_write_not_written_raises_value_error_naming_key(core):
    """Burr: an action that declares writes=[k] but does not set k raises ValueError naming k."""

    @core.action(reads=[], writes=["written_key", "forgotten_key"])
    def lazy(state):
        return state.update(written_key=1)

    app = core.ApplicationBuilder().with_actions(lazy=lazy).with_entrypoint("lazy").build()
    with pytest.raises(ValueError) as excinfo:
        app.step()
    assert "forgotten_key" in str(excinfo.value)
    assert "lazy" in str(excinfo.value)
    assert public(app.state) == {}


def test_action_deleting_a_key_with_wipe_removes_it_from_app_state(core):
    """Burr: state.wipe(delete=[k]) returned by an action removes k from the application state."""

    @core.action(reads=["tmp"], writes=[])
    def cleanup(state):
        return state.wipe(delete=["tmp"])

    app = input_app(core, cleanup, tmp=1, keep=2)
    _, result, state = app.step()
    assert result == {}
    assert public(state) == {"keep": 2}
    assert public(app.state) == {"keep": 2}
    assert "tmp" not in app.state


# --- class-based actions -----------------------------------------------------------------------


def counter_class(core, seen: list):
    class Counter(core.Action):
        @property
        def reads(self):
            return ["count"]

        @property
        def writes(self):
            return ["count"]

        @property
        def inputs(self):
            return ["by"]

        def run(self, state, by):
            seen.append(state.get_all())
            return {"count": state["count"] + by}

        def update(self, result, state):
            return state.update(**result)

    return Counter


def test_class_based_action_runs_with_only_its_reads(core):
    """Burr: Action.run gets only the keys it reads; update folds the result into full state."""
    seen: list = []
    app = (
        core.ApplicationBuilder()
        .with_actions(counter=counter_class(core, seen)())
        .with_transitions(("counter", "counter"))
        .with_state(count=10, other="untouched")
        .with_entrypoint("counter")
        .build()
    )
    action, result, state = app.step(inputs={"by": 3})
    assert action.name == "counter"
    assert result == {"count": 13}
    assert public(state) == {"count": 13, "other": "untouched"}
    app.step(inputs={"by": 1})
    assert seen == [{"count": 10}, {"count": 13}]
    assert app.sequence_id == 1


def test_class_based_action_writing_undeclared_new_key_raises_value_error(core):
    """Burr: update() adding a key not in writes raises ValueError."""

    class Sneaky(core.Action):
        @property
        def reads(self):
            return []

        @property
        def writes(self):
            return ["declared"]

        def run(self, state):
            return {}

        def update(self, result, state):
            return state.update(declared=1, undeclared=2)

    app = input_app(core, Sneaky())
    with pytest.raises(ValueError) as excinfo:
        app.step()
    assert "undeclared" in str(excinfo.value)


# --- State -----------------------------------------------------------------------------------


def test_state_operations(core):
    """Burr: State update/append/extend/increment/wipe/merge/subset give these exact results."""
    State = core.State
    s = State({"a": 1, "lst": [1], "n": 5})
    assert s.update(a=2, b=3).get_all() == {"a": 2, "lst": [1], "n": 5, "b": 3}
    assert s.append(lst=2, new=7).get_all() == {"a": 1, "lst": [1, 2], "n": 5, "new": [7]}
    assert s.extend(lst=[2, 3], fresh=[4]).get_all() == {
        "a": 1,
        "lst": [1, 2, 3],
        "n": 5,
        "fresh": [4],
    }
    assert s.increment(n=2, z=3).get_all() == {"a": 1, "lst": [1], "n": 7, "z": 3}
    assert s.wipe(keep=["a"]).get_all() == {"a": 1}
    assert s.wipe(delete=["a", "not_there"]).get_all() == {"lst": [1], "n": 5}
    assert s.merge(State({"a": 9, "m": 0})).get_all() == {"a": 9, "lst": [1], "n": 5, "m": 0}
    assert s.subset("a", "n", "not_there").get_all() == {"a": 1, "n": 5}
    assert s.get_all() == {"a": 1, "lst": [1], "n": 5}


def test_state_read_access(core):
    """Burr: State get/keys/in/[]/len behave like a read-only mapping."""
    s = core.State({"a": 1, "b": [2]})
    assert s["a"] == 1
    assert s.get("a") == 1
    assert s.get("missing") is None
    assert s.get("missing", 7) == 7
    assert s.keys() == ["a", "b"]
    assert "a" in s
    assert "missing" not in s
    assert len(s) == 2
    assert dict(s) == {"a": 1, "b": [2]}
    assert s == core.State({"a": 1, "b": [2]})


def test_state_missing_key_raises_key_error(core):
    """Burr: state[missing] raises KeyError mentioning the key."""
    s = core.State({"a": 1})
    with pytest.raises(KeyError) as excinfo:
        s["missing_key"]
    assert "missing_key" in str(excinfo.value)


def test_state_subset_not_ignoring_missing_raises_key_error(core):
    """Burr: subset(..., ignore_missing=False) with an absent key raises KeyError."""
    with pytest.raises(KeyError):
        core.State({"a": 1}).subset("a", "b", ignore_missing=False)


def test_state_operations_never_mutate_the_original(core):
    """Burr: every State operation returns a new State and leaves the original as it was."""
    inner = [1]
    s = core.State({"a": 1, "lst": inner, "n": 5})
    s.update(a=2)
    s.append(lst=2)
    s.extend(lst=[3, 4])
    s.increment(n=1)
    s.wipe(delete=["a"])
    s.wipe(keep=["a"])
    s.merge(core.State({"a": 3}))
    s.subset("a")
    assert s.get_all() == {"a": 1, "lst": [1], "n": 5}
    assert inner == [1]


@pytest.mark.parametrize(
    ("operation", "args"),
    [("append", {"n": 1}), ("extend", {"n": [1]}), ("increment", {"lst": 1})],
)
def test_state_type_mismatch_raises_value_error(core, operation, args):
    """Burr: append/extend on a non-list or increment on a non-int raises ValueError."""
    s = core.State({"n": 5, "lst": [1]})
    with pytest.raises(ValueError):
        getattr(s, operation)(**args)


def test_state_wipe_with_both_delete_and_keep_raises_value_error(core):
    """Burr: wipe(delete=..., keep=...) is refused with ValueError."""
    with pytest.raises(ValueError):
        core.State({"a": 1}).wipe(delete=["a"], keep=["a"])


# --- async -------------------------------------------------------------------------------------


def async_app(core, hooks=()):
    @core.action(reads=["count"], writes=["count"])
    async def ainc(state, by=1):
        await asyncio.sleep(0)
        return {"added": by}, state.update(count=state["count"] + by)

    @core.action(reads=["count"], writes=["doubled"])
    def double(state):
        return state.update(doubled=state["count"] * 2)

    return (
        core.ApplicationBuilder()
        .with_actions(ainc=ainc, double=double)
        .with_transitions(("ainc", "double"))
        .with_state(count=1)
        .with_entrypoint("ainc")
        .with_hooks(*hooks)
        .build()
    )


def test_astep_runs_async_action(core):
    """Burr: astep() awaits an async action and returns (action, result, state)."""
    app = async_app(core)
    action, result, state = asyncio.run(app.astep(inputs={"by": 4}))
    assert action.name == "ainc"
    assert result == {"added": 4}
    assert public(state) == {"count": 5}
    assert app.sequence_id == 0


def test_arun_runs_async_then_sync_actions(core):
    """Burr: arun() runs async and sync actions alike and returns the halt triple."""
    app = async_app(core)
    action, result, state = asyncio.run(app.arun(halt_after=["double"], inputs={"by": 2}))
    assert action.name == "double"
    assert result == {}
    assert public(state) == {"count": 3, "doubled": 6}
    assert app.sequence_id == 1


def test_arun_halt_before_returns_unrun_action(core):
    """Burr: arun(halt_before=[x]) returns (x, None, state before x)."""
    app = async_app(core)
    action, result, state = asyncio.run(app.arun(halt_before=["double"]))
    assert (action.name, result, public(state)) == ("double", None, {"count": 2})


def test_aiterate_yields_each_step(core):
    """Burr: aiterate() yields (action, result, state) per step."""
    app = async_app(core)

    async def collect():
        return [
            (a.name, r, public(s))
            async for a, r, s in app.aiterate(halt_after=["double"], inputs={"by": 1})
        ]

    assert asyncio.run(collect()) == [
        ("ainc", {"added": 1}, {"count": 2}),
        ("double", {}, {"count": 2, "doubled": 4}),
    ]


def test_astep_calls_sync_hooks(core):
    """Burr: astep() calls synchronous pre/post hooks too."""
    hook = recorder_hook(core)
    app = async_app(core, hooks=[hook])
    asyncio.run(app.astep(inputs={"by": 2}))
    assert hook.calls == [
        ("pre", "ainc", {"by": 2}, 0, 1),
        ("post", "ainc", {"added": 2}, 0, None),
    ]


@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
def test_sync_step_on_async_action_raises(core):
    """Burr: step() on an async action raises ValueError (use astep/arun)."""
    app = async_app(core)
    with pytest.raises(ValueError) as excinfo:
        app.step()
    assert public(app.state) == {"count": 1}
    assert app.sequence_id == 0
    # Burr calls the async function before refusing its coroutine: collect it here, where the
    # "never awaited" warning is filtered, rather than in whichever test runs next.
    del excinfo
    gc.collect()


# --- persistence -------------------------------------------------------------------------------


def rows(db_path, table="burr_state") -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(
            f"SELECT app_id, sequence_id, position, status FROM {table} "
            "ORDER BY app_id, sequence_id"
        ).fetchall()


def sqlite_persister(core, tmp_path):
    persister = core.SQLLitePersister(db_path=tmp_path / "p.db", table_name="burr_state")
    persister.initialize()
    return persister


def resumed_chain(core, persister, **initialize_kwargs):
    return (
        core.ApplicationBuilder()
        .with_actions(a=tracer(core, "a"), b=tracer(core, "b"), c=tracer(core, "c"))
        .with_transitions(("a", "b"), ("b", "c"))
        .initialize_from(
            persister,
            resume_at_next_action=True,
            default_state={"trace": []},
            default_entrypoint="a",
            **initialize_kwargs,
        )
        .with_state_persister(persister)
    )


def test_sqlite_persister_saves_one_row_per_step(core, tmp_path):
    """Burr: with_state_persister saves (app_id, sequence_id, position, 'completed') per step."""
    persister = sqlite_persister(core, tmp_path)
    app = chain_builder(core, "a", "b", "c").with_identifiers(app_id="app-1")
    app = app.with_state_persister(persister).build()
    app.run(halt_after=["c"])
    assert rows(tmp_path / "p.db") == [
        ("app-1", 0, "a", "completed"),
        ("app-1", 1, "b", "completed"),
        ("app-1", 2, "c", "completed"),
    ]
    loaded = persister.load(None, "app-1")
    assert loaded["sequence_id"] == 2
    assert loaded["position"] == "c"
    assert loaded["status"] == "completed"
    assert public(loaded["state"]) == {"trace": ["a", "b", "c"]}
    assert public(persister.load(None, "app-1", 0)["state"]) == {"trace": ["a"]}
    assert persister.load(None, "no-such-app") is None


def test_resume_continues_at_next_action_with_same_state_and_sequence_id(core, tmp_path):
    """Burr: initialize_from(resume_at_next_action=True) with the same app_id picks up where it stopped."""
    persister = sqlite_persister(core, tmp_path)
    first = chain_builder(core, "a", "b", "c").with_identifiers(app_id="app-1")
    first.with_state_persister(persister).build().run(halt_after=["b"])

    app = resumed_chain(core, persister).with_identifiers(app_id="app-1").build()
    assert public(app.state) == {"trace": ["a", "b"]}
    assert app.sequence_id == 1
    assert app.get_next_action().name == "c"
    action, result, state = app.step()
    assert (action.name, result, state["trace"]) == ("c", {"ran": "c"}, ["a", "b", "c"])
    assert app.sequence_id == 2
    assert rows(tmp_path / "p.db")[-1] == ("app-1", 2, "c", "completed")


def test_resume_with_nothing_saved_uses_defaults(core, tmp_path):
    """Burr: initialize_from with no saved row starts at default_entrypoint with default_state."""
    persister = sqlite_persister(core, tmp_path)
    app = resumed_chain(core, persister).with_identifiers(app_id="fresh").build()
    assert public(app.state) == {"trace": []}
    assert app.sequence_id is None
    assert app.step()[0].name == "a"
    assert app.sequence_id == 0


def test_failed_step_is_saved_as_failed_and_resume_retries_it(core, tmp_path):
    """Burr: a raising step is saved with status 'failed' and resuming re-runs that action."""
    persister = sqlite_persister(core, tmp_path)
    fail = {"on": True}

    @core.action(reads=["trace"], writes=["trace"])
    def flaky(state):
        if fail["on"]:
            raise RuntimeError("transient")
        return state.append(trace="flaky")

    def build(builder):
        return (
            builder.with_actions(a=tracer(core, "a"), flaky=flaky)
            .with_transitions(("a", "flaky"))
            .with_identifiers(app_id="app-1")
            .with_state_persister(persister)
            .build()
        )

    app = build(core.ApplicationBuilder().with_state(trace=[]).with_entrypoint("a"))
    with pytest.raises(RuntimeError):
        app.run(halt_after=["flaky"])
    assert rows(tmp_path / "p.db") == [
        ("app-1", 0, "a", "completed"),
        ("app-1", 1, "flaky", "failed"),
    ]

    fail["on"] = False
    resumed = build(
        core.ApplicationBuilder().initialize_from(
            persister, resume_at_next_action=True, default_state={}, default_entrypoint="a"
        )
    )
    assert public(resumed.state) == {"trace": ["a"]}
    action, _, state = resumed.step()
    assert action.name == "flaky"
    assert state["trace"] == ["a", "flaky"]
    assert resumed.sequence_id == 2


def test_fork_starts_new_app_from_given_step(core, tmp_path):
    """Burr: fork_from_app_id + fork_from_sequence_id start a new app_id from that step's state."""
    persister = sqlite_persister(core, tmp_path)
    first = chain_builder(core, "a", "b", "c").with_identifiers(app_id="app-1")
    first.with_state_persister(persister).build().run(halt_after=["c"])

    fork = (
        resumed_chain(core, persister, fork_from_app_id="app-1", fork_from_sequence_id=0)
        .with_identifiers(app_id="app-2")
        .build()
    )
    assert fork.uid == "app-2"
    assert public(fork.state) == {"trace": ["a"]}
    assert fork.sequence_id == 0
    assert fork.parent_pointer.app_id == "app-1"
    assert fork.parent_pointer.sequence_id == 0
    fork.run(halt_after=["c"])
    assert fork.state["trace"] == ["a", "b", "c"]
    assert [r for r in rows(tmp_path / "p.db") if r[0] == "app-2"] == [
        ("app-2", 1, "b", "completed"),
        ("app-2", 2, "c", "completed"),
    ]
    assert sorted(persister.list_app_ids(None)) == ["app-1", "app-2"]


def test_fork_into_same_app_id_raises_value_error(core, tmp_path):
    """Burr: forking into the app_id being forked from is refused with ValueError."""
    persister = sqlite_persister(core, tmp_path)
    builder = resumed_chain(core, persister, fork_from_app_id="app-1").with_identifiers(
        app_id="app-1"
    )
    with pytest.raises(ValueError):
        builder.build()


def test_uninitialized_sqlite_persister_is_refused_at_build(core, tmp_path):
    """Burr: an uninitialized persister is accepted by with_state_persister; build() raises RuntimeError."""
    persister = core.SQLLitePersister(db_path=tmp_path / "p.db", table_name="burr_state")
    builder = chain_builder(core, "a").with_state_persister(persister)
    with pytest.raises(RuntimeError):
        builder.build()


def test_persister_initialized_after_with_state_persister_but_before_build(core, tmp_path):
    """Burr: the initialized check happens in build(), so initialize() may come after with_state_persister."""
    persister = core.SQLLitePersister(db_path=tmp_path / "p.db", table_name="burr_state")
    builder = chain_builder(core, "a").with_identifiers(app_id="late")
    builder = builder.with_state_persister(persister)
    persister.initialize()
    builder.build().step()
    assert rows(tmp_path / "p.db") == [("late", 0, "a", "completed")]


def test_in_memory_persister_resume(core):
    """Burr: InMemoryPersister supports the same save/resume round trip."""
    persister = core.InMemoryPersister()
    first = chain_builder(core, "a", "b", "c").with_identifiers(app_id="mem")
    first.with_state_persister(persister).build().run(halt_after=["a"])

    app = resumed_chain(core, persister).with_identifiers(app_id="mem").build()
    assert public(app.state) == {"trace": ["a"]}
    assert app.sequence_id == 0
    assert app.step()[0].name == "b"
    assert persister.list_app_ids(None) == ["mem"]


# --- the README chatbot -------------------------------------------------------------------------


def test_readme_chatbot_three_turns(core):
    """Burr README: human_input -> ai_response, run(halt_after=['ai_response']) per turn."""

    @core.action(reads=[], writes=["prompt", "chat_history"])
    def human_input(state, prompt):
        chat_item = {"content": prompt, "role": "user"}
        return state.update(prompt=prompt).append(chat_history=chat_item)

    @core.action(reads=["chat_history"], writes=["response", "chat_history"])
    def ai_response(state):
        response = "echo: " + state["chat_history"][-1]["content"]
        chat_item = {"content": response, "role": "assistant"}
        return state.update(response=response).append(chat_history=chat_item)

    app = (
        core.ApplicationBuilder()
        .with_actions(human_input, ai_response)
        .with_transitions(("human_input", "ai_response"), ("ai_response", "human_input"))
        .with_state(chat_history=[])
        .with_entrypoint("human_input")
        .build()
    )
    for prompt in ["hi", "who was Aaron Burr?", "bye"]:
        action, result, state = app.run(halt_after=["ai_response"], inputs={"prompt": prompt})
        assert action.name == "ai_response"
        assert result == {}
        assert state["response"] == f"echo: {prompt}"
    assert app.state["chat_history"] == [
        {"content": "hi", "role": "user"},
        {"content": "echo: hi", "role": "assistant"},
        {"content": "who was Aaron Burr?", "role": "user"},
        {"content": "echo: who was Aaron Burr?", "role": "assistant"},
        {"content": "bye", "role": "user"},
        {"content": "echo: bye", "role": "assistant"},
    ]
    assert app.state["prompt"] == "bye"
    assert app.sequence_id == 5


# --- both implementations at once ------------------------------------------------------------

_KEYS = st.sampled_from(["a", "b", "c"])
_INTS = st.integers(min_value=-5, max_value=5)
_VALUES = st.one_of(_INTS, st.lists(_INTS, max_size=3))
_OPERATIONS = st.one_of(
    st.tuples(st.just("update"), st.dictionaries(_KEYS, _VALUES, max_size=2)),
    st.tuples(st.just("append"), st.dictionaries(_KEYS, _INTS, max_size=2)),
    st.tuples(st.just("extend"), st.dictionaries(_KEYS, st.lists(_INTS, max_size=3), max_size=2)),
    st.tuples(st.just("increment"), st.dictionaries(_KEYS, _INTS, max_size=2)),
    st.tuples(st.just("wipe_delete"), st.lists(_KEYS, max_size=3)),
    st.tuples(st.just("wipe_keep"), st.lists(_KEYS, max_size=3)),
    st.tuples(st.just("merge"), st.dictionaries(_KEYS, _VALUES, max_size=2)),
    st.tuples(st.just("subset"), st.lists(_KEYS, max_size=3)),
)


def _apply(State, state, operation: str, argument):
    argument = copy.deepcopy(argument)
    if operation == "wipe_delete":
        return state.wipe(delete=argument)
    if operation == "wipe_keep":
        return state.wipe(keep=argument)
    if operation == "merge":
        return state.merge(State(argument))
    if operation == "subset":
        return state.subset(*argument)
    return getattr(state, operation)(**argument)


@settings(max_examples=300, deadline=None)
@given(initial=st.dictionaries(_KEYS, _VALUES), operations=st.lists(_OPERATIONS, max_size=8))
def test_random_state_operation_sequences_match_burr(initial, operations):
    """Burr: any sequence of State operations gives the same values, key order and errors."""
    burr, desk = _burr_namespace(), _burrdesk_namespace()
    states = {
        "burr": burr.State(copy.deepcopy(initial)),
        "desk": desk.State(copy.deepcopy(initial)),
    }
    for operation, argument in operations:
        before = {name: copy.deepcopy(s.get_all()) for name, s in states.items()}
        outcomes = {}
        for name, ns in (("burr", burr), ("desk", desk)):
            try:
                outcomes[name] = _apply(ns.State, states[name], operation, argument)
            except Exception as exc:  # the error type is what gets compared
                outcomes[name] = exc
        for name, s in states.items():
            assert s.get_all() == before[name], f"{name} {operation} mutated its input"
        if isinstance(outcomes["burr"], Exception) or isinstance(outcomes["desk"], Exception):
            assert type(outcomes["desk"]) is type(outcomes["burr"]), (operation, argument)
            continue
        assert outcomes["desk"].get_all() == outcomes["burr"].get_all(), (operation, argument)
        assert outcomes["desk"].keys() == outcomes["burr"].keys(), (operation, argument)
        states = outcomes


def _write_three_steps(ns, db_path, app_id: str) -> None:
    persister = ns.SQLLitePersister(db_path=db_path, table_name="burr_state")
    persister.initialize()
    app = chain_builder(ns, "a", "b", "c").with_identifiers(app_id=app_id)
    app = app.with_state_persister(persister).build()
    app.run(halt_after=["b"])
    persister.cleanup()


@pytest.mark.parametrize(("writer", "reader"), [("burr", "burrdesk"), ("burrdesk", "burr")])
def test_sqlite_file_written_by_one_loads_and_resumes_in_the_other(tmp_path, writer, reader):
    """Burr: a SQLite persister file is portable between Burr and burrdesk, both directions."""
    write_ns, read_ns = _IMPLEMENTATIONS[writer](), _IMPLEMENTATIONS[reader]()
    db_path = tmp_path / "shared.db"
    _write_three_steps(write_ns, db_path, "app-x")

    writer_view = write_ns.SQLLitePersister(db_path=db_path, table_name="burr_state")
    reader_view = read_ns.SQLLitePersister(db_path=db_path, table_name="burr_state")
    for sequence_id in (0, 1, None):
        expected = writer_view.load(None, "app-x", sequence_id)
        loaded = reader_view.load(None, "app-x", sequence_id)
        assert loaded["state"].get_all() == expected["state"].get_all()
        for field in ("app_id", "sequence_id", "position", "status", "partition_key"):
            assert loaded[field] == expected[field], field
    assert reader_view.list_app_ids(None) == ["app-x"]

    app = resumed_chain(read_ns, reader_view).with_identifiers(app_id="app-x").build()
    assert public(app.state) == {"trace": ["a", "b"]}
    assert app.sequence_id == 1
    app.step()
    assert app.state["trace"] == ["a", "b", "c"]
    assert rows(db_path) == [
        ("app-x", 0, "a", "completed"),
        ("app-x", 1, "b", "completed"),
        ("app-x", 2, "c", "completed"),
    ]
    resumed_by_writer = writer_view.load(None, "app-x")
    assert public(resumed_by_writer["state"]) == {"trace": ["a", "b", "c"]}
