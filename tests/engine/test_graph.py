"""Building the graph: clear errors for graphs that cannot work."""

import pytest

from burrdesk.engine import ApplicationBuilder, GraphError, State, action, default, expr


@action(reads=[], writes=["x"])
def first(state: State) -> State:
    return state.update(x=1)


@action(reads=["x"], writes=["x"])
def second(state: State) -> State:
    return state.update(x=state["x"] + 1)


def _builder():
    return ApplicationBuilder().with_actions(first=first, second=second).with_entrypoint("first")


def test_unknown_action_in_a_transition_names_it():
    with pytest.raises(GraphError, match="target 'thrid' is not an action"):
        _builder().with_transitions(("first", "thrid")).build()


def test_duplicate_action_names_are_refused():
    builder = ApplicationBuilder().with_actions(first=first).with_actions(first=second)
    with pytest.raises(GraphError, match="'first' is added twice"):
        builder.with_entrypoint("first").build()


def test_missing_and_unknown_entrypoints():
    with pytest.raises(GraphError, match="no entrypoint"):
        ApplicationBuilder().with_actions(first=first).build()
    with pytest.raises(GraphError, match="entrypoint 'nope' is not an action"):
        ApplicationBuilder().with_actions(first=first).with_entrypoint("nope").build()


def test_no_actions_at_all():
    with pytest.raises(GraphError, match="needs actions"):
        ApplicationBuilder().with_entrypoint("x").build()


def test_two_default_transitions_from_one_action_are_refused():
    with pytest.raises(GraphError, match="two default transitions"):
        _builder().with_transitions(("first", "second"), ("first", "first")).build()


def test_malformed_transition_and_condition():
    with pytest.raises(GraphError, match="must be \\(source, target\\)"):
        _builder().with_transitions(("first",))
    with pytest.raises(GraphError, match="condition must be default"):
        _builder().with_transitions(("first", "second", "x > 1"))


def test_a_list_of_sources_expands_to_one_transition_each():
    app = (
        _builder()
        .with_transitions(
            (["first", "second"], "second", expr("x < 3")), ("second", "first", default)
        )
        .build()
    )
    edges = [(t.from_.name, t.to.name, t.condition.name) for t in app.graph.transitions]
    assert edges == [
        ("first", "second", "x < 3"),
        ("second", "second", "x < 3"),
        ("second", "first", "default"),
    ]
    assert app.graph.entrypoint.name == "first"
    assert [a.name for a in app.graph.actions] == ["first", "second"]


def test_actions_given_positionally_take_their_function_name():
    app = ApplicationBuilder().with_actions(first, second).with_entrypoint("first").build()
    assert [a.name for a in app.graph.actions] == ["first", "second"]


def test_non_actions_are_refused_with_a_hint():
    def plain(state):
        return state

    with pytest.raises(ValueError, match="decorate the function with @action"):
        ApplicationBuilder().with_actions(plain=plain)
    with pytest.raises(ValueError, match="pass an instance"):
        from burrdesk.engine import Result

        ApplicationBuilder().with_actions(result=Result)
