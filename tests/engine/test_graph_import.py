"""From code to canvas: a code-first Burr or burrdesk application becomes a flow document."""

from __future__ import annotations

import textwrap

import pytest

from burrdesk.engine.flow_compiler import compile_flow
from burrdesk.engine.graph_import import (
    GraphImportError,
    condition_to_flow,
    document_from_application,
    load_application,
)
from burrdesk.model.flow_validation import errors, validate_flow

# Actions shared by the modules below; `{api}` is burr.core or burrdesk.engine.
_ACTIONS = '''
"""A code-first counter with a parity check."""

from {api} import ApplicationBuilder, State, action, default, expr, when


@action(reads=["count"], writes=["count"])
def increment(state: State) -> State:
    return state.update(count=state["count"] + 1)


@action(
    reads=["count"],
    writes=["parity"],
)
def check(state: State) -> State:
    return state.update(parity="even" if state["count"] % 2 == 0 else "odd")


@action(reads=["count"], writes=["message"])
def report(state: State) -> tuple[dict, State]:
    message = f"counted to {{state['count']}}"
    return {{"message": message}}, state.update(message=message)
'''

_TRANSITIONS = """
            ("increment", "check", ~expr("count >= 5")),
            ("increment", "report", default),
            ("check", "increment", when(parity="odd")),
            ("check", "increment", expr("count < 5")),
            ("check", "report"),
"""

_FUNCTION_MODULE = (
    _ACTIONS
    + """

def build_application():
    return (
        ApplicationBuilder()
        .with_actions(increment=increment, check=check, report=report)
        .with_transitions({transitions}
        )
        .with_state(count=0)
        .with_entrypoint("increment")
        .build()
    )
"""
)

_CLASS_MODULE = '''
"""A Burr app with a class-based action and a lambda condition."""

from burr.core import Action, ApplicationBuilder, Condition, State, action, default


@action(reads=["count"], writes=["count"])
def increment(state: State) -> State:
    return state.update(count=state["count"] + 1)


class Report(Action):
    """Says how far it counted."""

    @property
    def reads(self) -> list[str]:
        return ["count"]

    @property
    def writes(self) -> list[str]:
        return ["message"]

    def run(self, state: State) -> dict:
        return {"message": f"counted to {state['count']}"}

    def update(self, result: dict, state: State) -> State:
        return state.update(**result)


def is_small(state: State) -> bool:
    return state["count"] < 3


app = (
    ApplicationBuilder()
    .with_actions(increment=increment, report=Report())
    .with_transitions(
        ("increment", "increment", Condition.lmda(is_small, ["count"])),
        ("increment", "report", default),
    )
    .with_state(count=0)
    .with_entrypoint("increment")
    .build()
)
'''


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def _function_module(tmp_path, api: str, name: str = "counter_app.py"):
    text = _FUNCTION_MODULE.format(api=api, transitions=_TRANSITIONS.rstrip())
    return _write(tmp_path, name, text)


def _public(app) -> dict:
    return {k: v for k, v in app.state.get_all().items() if not k.startswith("__")}


def _run_to(app, last: str) -> dict:
    while (upcoming := app.get_next_action()) is not None:
        ran, _result, _state = app.step()
        if ran.name == last:
            break
    assert upcoming is not None, "the run stopped before reaching its last action"
    return _public(app)


@pytest.mark.parametrize("api", ["burr.core", "burrdesk.engine"])
def test_nodes_carry_reads_writes_and_undecorated_code(tmp_path, api):
    """Each action becomes a python node whose code is its function without the decorator."""
    document = document_from_application(
        load_application(_function_module(tmp_path, api)), "counter_app"
    )
    assert (document.name, document.entrypoint, document.state) == (
        "counter_app",
        "increment",
        {"count": 0},
    )
    nodes = {n.id: n for n in document.nodes}
    assert list(nodes) == ["increment", "check", "report"]
    assert all(n.kind == "python" for n in document.nodes)
    assert (nodes["check"].reads, nodes["check"].writes) == (["count"], ["parity"])
    assert (nodes["report"].reads, nodes["report"].writes) == (["count"], ["message"])
    assert nodes["check"].label == "Check"
    for node in document.nodes:
        assert node.code.startswith(f"def {node.id}(state: State)"), node.code
        assert "@action" not in node.code and "reads=" not in node.code
        namespace: dict = {"State": object}
        exec(compile(node.code, node.id, "exec"), namespace)
        assert callable(namespace[node.id])


@pytest.mark.parametrize("api", ["burr.core", "burrdesk.engine"])
def test_edges_keep_their_conditions_and_validate_cleanly(tmp_path, api):
    """expr, ~expr, when and default conditions become flow conditions with no errors."""
    document = document_from_application(load_application(_function_module(tmp_path, api)))
    assert [(e.source, e.target, e.condition) for e in document.edges] == [
        ("increment", "check", "expr: not (count >= 5)"),
        ("increment", "report", "default"),
        ("check", "increment", {"when": {"parity": "odd"}}),
        ("check", "increment", "expr: count < 5"),
        ("check", "report", "default"),
    ]
    assert errors(validate_flow(document)) == []


@pytest.mark.parametrize("api", ["burr.core", "burrdesk.engine"])
def test_nodes_are_laid_out_in_layers_from_the_entrypoint(tmp_path, api):
    """The auto-layout: entrypoint leftmost, forward edges pointing right, no overlaps."""
    from burrdesk.model.flow_layout import back_edges, node_size

    document = document_from_application(load_application(_function_module(tmp_path, api)))
    positions = {n.id: n.position for n in document.nodes}
    assert positions["increment"][0] == min(x for x, _ in positions.values())
    assert positions["check"][0] > positions["increment"][0]
    assert positions["report"][0] > positions["increment"][0]
    reversed_edges = back_edges(document)
    for index, edge in enumerate(document.edges):
        if index not in reversed_edges:
            assert positions[edge.source][0] < positions[edge.target][0], edge
    boxes = []
    for node in document.nodes:
        (x, y), (w, h) = node.position, node_size(node)
        boxes.append((x, y, x + w, y + h))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


@pytest.mark.parametrize("api", ["burr.core", "burrdesk.engine"])
def test_the_imported_flow_runs_like_the_original_app(tmp_path, api):
    """compile_flow of the imported document reaches the same final state as the app."""
    original = load_application(_function_module(tmp_path, api))
    document = document_from_application(original)
    expected = _run_to(original, "report")
    assert expected == {"count": 5, "parity": "even", "message": "counted to 5"}
    assert _run_to(compile_flow(document), "report") == expected


def test_a_class_based_action_keeps_its_source_in_the_notes(tmp_path):
    """A class-based action becomes a stub node; its class source is kept in the notes."""
    app = load_application(_write(tmp_path, "classy.py", _CLASS_MODULE))
    report = document_from_application(app).node("report")
    assert (report.reads, report.writes) == (["count"], ["message"])
    assert report.code.startswith("def report(state: State) -> State:")
    assert "NotImplementedError" in report.code
    assert report.notes.startswith("class Report(Action):"), repr(report.notes)
    assert "def update(self, result: dict, state: State) -> State:" in report.notes


def test_a_burr_lambda_condition_is_imported_as_custom(tmp_path):
    """A Burr Condition.lmda is Python code: the edge is custom and validation says so."""
    app = load_application(_write(tmp_path, "classy.py", _CLASS_MODULE))
    document = document_from_application(app)
    assert document.edges[0].condition == {"custom": "lmda_is_small_"}
    (problem,) = errors(validate_flow(document))
    assert (problem.edge_index, problem.field) == (0, "condition")
    assert "cannot run in a flow" in problem.message


def test_a_burrdesk_lambda_condition_is_imported_as_custom():
    """burrdesk's lmda keeps its kind, so it imports as a custom condition."""
    from burrdesk.engine import lmda

    assert condition_to_flow(lmda(lambda state: True, ["count"])) == {"custom": "lmda_<lambda>_"}


def test_burr_when_and_expr_conditions_are_recovered_from_their_names():
    """Burr keeps only a condition's name; expr, when and ~expr come back intact."""
    from burr.core import default, expr, when

    assert condition_to_flow(default) == "default"
    assert condition_to_flow(expr("count < 5")) == "expr: count < 5"
    assert condition_to_flow(~expr("count >= 5")) == "expr: not (count >= 5)"
    assert condition_to_flow(when(parity="odd", done=False)) == {
        "when": {"done": False, "parity": "odd"}
    }
    assert condition_to_flow(when(count__gte=3)) == "expr: count>=3"
    assert condition_to_flow(expr("a > 1") | expr("b")) == {"custom": "a > 1 | b"}


# --- naming the application ---------------------------------------------------------------


_BUILDER_TAIL = """

builder = (
    ApplicationBuilder()
    .with_actions(increment=increment, check=check, report=report)
    .with_transitions(("increment", "report"))
    .with_state(count=0)
    .with_entrypoint("increment")
)
app = builder.build()
"""


@pytest.mark.parametrize(
    ("attribute", "kind"),
    [("app", "an application"), ("build_application", "a function"), ("builder", "a builder")],
)
def test_the_attribute_may_name_an_application_a_function_or_a_builder(tmp_path, attribute, kind):
    """`module.py:ATTRIBUTE` accepts an application, a function returning one, or a builder."""
    path = _function_module(tmp_path, "burr.core")
    path.write_text(path.read_text() + _BUILDER_TAIL)
    app = load_application(path, attribute)
    actions = sorted(a.name for a in app.graph.actions)
    assert actions == ["check", "increment", "report"], kind
    transitions = len(list(app.graph.transitions))
    assert transitions == (5 if attribute == "build_application" else 1)


def test_without_an_attribute_the_build_function_is_found(tmp_path):
    """A module with only build_application() needs no attribute."""
    app = load_application(_function_module(tmp_path, "burrdesk.engine"))
    assert app.graph.entrypoint.name == "increment"


def test_importing_the_application_class_for_type_hints_is_not_an_application(tmp_path):
    """`from burr.core import Application` (for `-> Application`) does not count as an app."""
    text = _FUNCTION_MODULE.format(api="burr.core", transitions=_TRANSITIONS.rstrip())
    text = text.replace("from burr.core import ", "from burr.core import Application, ")
    text = text.replace("def build_application():", "def build_application() -> Application:")
    app = load_application(_write(tmp_path, "typed.py", text))
    assert not isinstance(app, type), f"load_application returned the class {app!r}"
    assert sorted(a.name for a in app.graph.actions) == ["check", "increment", "report"]
    assert len(document_from_application(app).nodes) == 3


def _one_sentence(error: GraphImportError) -> str:
    message = str(error)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_a_missing_file_is_one_sentence(tmp_path):
    """A path with no file names the path."""
    with pytest.raises(GraphImportError) as caught:
        load_application(tmp_path / "nowhere.py")
    assert "There is no Python file at" in _one_sentence(caught.value)
    assert "nowhere.py" in str(caught.value)


def test_a_module_that_raises_names_the_exception(tmp_path):
    """A module failing at import reports its exception type and message."""
    path = _write(tmp_path, "broken.py", "raise RuntimeError('no database configured')\n")
    with pytest.raises(GraphImportError) as caught:
        load_application(path)
    message = _one_sentence(caught.value)
    assert "broken.py" in message
    assert "RuntimeError: no database configured" in message


def test_a_module_with_no_application_says_how_to_name_one(tmp_path):
    """A module with nothing application-like asks for module.py:ATTRIBUTE."""
    path = _write(tmp_path, "helpers.py", "def helper(x):\n    return x\n")
    with pytest.raises(GraphImportError) as caught:
        load_application(path)
    message = _one_sentence(caught.value)
    assert "defines no applications" in message and "helpers.py:ATTRIBUTE" in message


def test_a_missing_attribute_is_one_sentence(tmp_path):
    """Naming an attribute the module lacks says which one."""
    with pytest.raises(GraphImportError) as caught:
        load_application(_function_module(tmp_path, "burr.core"), "nope")
    assert "has no attribute 'nope'" in _one_sentence(caught.value)


def test_an_attribute_that_is_not_an_application_is_one_sentence(tmp_path):
    """A constant, or a function that needs arguments, is refused in one sentence."""
    path = _function_module(tmp_path, "burr.core")
    path.write_text(path.read_text() + "\nLIMIT = 3\n\n\ndef make(limit):\n    return limit\n")
    with pytest.raises(GraphImportError) as caught:
        load_application(path, "LIMIT")
    assert "is not an application, a builder or a function" in _one_sentence(caught.value)
    with pytest.raises(GraphImportError) as caught:
        load_application(path, "make")
    assert "needs arguments" in _one_sentence(caught.value)
