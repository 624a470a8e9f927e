"""The flow a recorded run ran: from its stored flow, or drawn from its graph description."""

from pathlib import Path

from burrdesk.engine import ApplicationBuilder, State, action, default, expr, when
from burrdesk.engine.flow_compiler import compile_flow
from burrdesk.model.flow_document import load_flow
from burrdesk.model.recorded_flow import condition_from_description, recorded_document
from burrdesk.model.run_database import RunDatabase

EXAMPLES = Path(__file__).parents[2] / "resources" / "examples"


@action(reads=["count"], writes=["count"])
def increment(state: State) -> State:
    """Adds one."""
    return state.update(count=state["count"] + 1)


@action(reads=["count"], writes=["done"])
def finish(state: State) -> State:
    return state.update(done=True)


def test_a_flow_run_records_the_document_it_ran(tmp_path):
    document = load_flow(EXAMPLES / "counter.burrflow")
    db_path = tmp_path / "runs.db"
    compile_flow(document, db_path=db_path).run(halt_after=["done"])
    with RunDatabase(db_path, read_only=True) as db:
        (run,) = db.list_runs()
        assert recorded_document(run) == document
        nodes, edges = db.visit_counts(run.run_id)
    assert nodes == {"increment": 10, "report": 1, "done": 1}
    assert edges == {"increment->increment": 9, "increment->report": 1, "report->done": 1}


def test_a_run_from_code_is_drawn_from_its_graph(tmp_path):
    db_path = tmp_path / "code.db"
    app = (
        ApplicationBuilder()
        .with_actions(increment, finish)
        .with_transitions(
            ("increment", "increment", expr("count < 3") & ~when(count=0)),
            ("increment", "finish", default),
        )
        .with_state(count=1)
        .with_entrypoint("increment")
        .with_tracker("sqlite", project="code", params={"db_path": str(db_path)})
        .build()
    )
    app.run(halt_after=["finish"])
    with RunDatabase(db_path, read_only=True) as db:
        (run,) = db.list_runs()
    document = recorded_document(run)
    assert run.flow is None and document is not None
    assert [n.id for n in document.nodes] == ["increment", "finish"]
    assert document.entrypoint == "increment"
    node = document.node("increment")
    assert (node.kind, node.reads, node.writes) == ("python", ["count"], ["count"])
    assert '"""Adds one."""' in node.code
    # A `when` inside `&` has no flow form: it stays a named condition, shown but not run.
    loop, leave = document.edges
    assert loop.condition_kind == "custom" and "count < 3" in loop.condition_label
    assert leave.condition == "default"
    assert len({tuple(n.position) for n in document.nodes}) == 2  # laid out, not stacked


def test_conditions_from_their_descriptions():
    assert condition_from_description(None) == "default"
    assert condition_from_description({"kind": "expr", "expr": "x > 1"}) == "expr: x > 1"
    assert condition_from_description({"kind": "when", "when": {"a": 1}}) == {"when": {"a": 1}}
    negated = {"kind": "not", "operand": {"kind": "expr", "expr": "x"}}
    assert condition_from_description(negated) == "expr: not (x)"
    both = {"kind": "or", "operands": [{"kind": "expr", "expr": "a"}, negated]}
    assert condition_from_description(both) == "expr: (a) or (not (x))"
    assert condition_from_description({"kind": "function", "name": "is_ready"}) == {
        "custom": "is_ready"
    }


def test_a_run_that_recorded_neither_has_no_document(tmp_path):
    with RunDatabase(tmp_path / "bare.db") as db:
        run = db.get_run(db.create_run(project="p", app_id="a", initial_state={}))
    assert recorded_document(run) is None
