"""Drawing a transition changes nothing until its condition is written, and is tried before the
default one; a default beside conditions reads "otherwise"; a problem appearing in the
inspector does not move the fields under the pointer (issue #17.7)."""

from __future__ import annotations

from pathlib import Path

from burrdesk.views.canvas.flow_editor_model import NEW_CONDITION
from burrdesk.views.canvas.undo_commands import EditNodeCommand

EXAMPLES = Path(__file__).parents[3] / "resources" / "examples"


def _outgoing(window, node_id):
    return [(e.target, e.condition) for e in window.model.document.edges if e.source == node_id]


def test_a_new_self_loop_beside_a_default_is_never_taken_and_tried_first(qtbot, window):
    window.files.open_path(EXAMPLES / "counter.burrflow", ask=False)
    assert _outgoing(window, "report") == [("done", "default")]
    window.scene.connect_nodes("report", "report")
    assert _outgoing(window, "report") == [("report", NEW_CONDITION), ("done", "default")]
    assert NEW_CONDITION == "expr: False"
    window.undo_stack.undo()
    assert _outgoing(window, "report") == [("done", "default")]
    window.undo_stack.redo()
    assert _outgoing(window, "report")[0] == ("report", NEW_CONDITION)


def test_a_default_beside_conditions_is_labelled_otherwise(qtbot, window):
    window.files.open_path(EXAMPLES / "counter.burrflow", ask=False)
    labels = {(e.edge.source, e.edge.target): e.label_text() for e in window.scene.edges}
    assert labels[("increment", "increment")] == "count < 10"
    assert labels[("increment", "report")] == "otherwise"
    assert labels[("report", "done")] == ""  # the only way on: nothing to tell apart


def test_a_problem_appearing_does_not_move_the_inspectors_fields(qtbot, window):
    window.files.open_path(EXAMPLES / "counter.burrflow", ask=False)
    window.scene.select_only("increment")
    page = window.inspector.panel.node_page
    qtbot.waitUntil(lambda: page.id_edit.isVisible())
    before = page.id_edit.mapTo(window, page.id_edit.rect().topLeft())
    broken = "def increment(state):\n    return state.update(count=\n"
    window.undo_stack.push(EditNodeCommand(window.model, "increment", {"code": broken}))
    qtbot.waitUntil(lambda: bool(page.problems.text()), timeout=3000)
    qtbot.wait(50)
    assert page.id_edit.mapTo(window, page.id_edit.rect().topLeft()) == before
