"""What the Run panel and the canvas say about runs is about the run now, not an earlier one
(issue #17.3): a failed node's red outline goes when the next run starts, another flow's input
form does not linger, each run's log starts with a header, and the log accounts for every step
even though progress reaches the window coalesced."""

from __future__ import annotations

import re
from pathlib import Path

from burrdesk.model.flow_document import FlowDocument, FlowEdge, FlowNode
from burrdesk.views.canvas.undo_commands import EditNodeCommand

EXAMPLES = Path(__file__).parents[3] / "resources" / "examples"


def _log(window) -> list[str]:
    log = window.run.panel.log
    return [log.item(row).text() for row in range(log.count())]


def test_the_log_has_a_header_and_accounts_for_every_step(qtbot, window):
    window.files.open_path(EXAMPLES / "counter.burrflow", ask=False)
    with qtbot.waitSignal(window.run.panel.runEnded, timeout=15_000):
        window.run.run_action.trigger()
    lines = _log(window)
    assert re.fullmatch(r"Run \d+ of counter · started \d\d:\d\d:\d\d", lines[0])
    covered: list[int] = []
    for line in lines[1:-1]:
        single = re.fullmatch(r"step (\d+) · \w+", line)
        span = re.fullmatch(r"steps (\d+)–(\d+) · .+", line)
        assert single or span, line
        first, last = (int(single[1]),) * 2 if single else (int(span[1]), int(span[2]))
        covered.extend(range(first, last + 1))
    assert covered == list(range(12)), lines
    assert lines[-1] == "run completed"


def test_a_failed_nodes_outline_goes_when_the_next_run_starts(qtbot, window):
    window.files.open_path(EXAMPLES / "counter.burrflow", ask=False)
    model = window.model
    good = model.node("increment").code
    broken = good.replace("return", "raise RuntimeError('boom')\n    return", 1)
    window.undo_stack.push(EditNodeCommand(model, "increment", {"code": broken}, "break"))
    with qtbot.waitSignal(window.run.panel.runEnded, timeout=15_000) as ended:
        window.run.run_action.trigger()
    assert ended.args[1] == "failed"
    item = window.scene.nodes["increment"]
    assert item.highlight == "failed" and "Failed: " in item.toolTip()
    window.undo_stack.undo()
    with qtbot.waitSignal(window.run.panel.runEnded, timeout=15_000) as ended:
        window.run.run_action.trigger()
    assert ended.args[1] == "completed"
    item = window.scene.nodes["increment"]
    assert item.highlight != "failed" and "Failed: " not in item.toolTip()


def test_another_flows_input_form_is_gone_when_a_run_starts(qtbot, window):
    window.files.open_path(EXAMPLES / "chatbot.burrflow", ask=False)
    panel = window.run.panel
    window.run.run_action.trigger()
    qtbot.waitUntil(lambda: "prompt" in panel.input_fields, timeout=15_000)
    assert panel.input_box.isVisible()
    window.files.open_path(EXAMPLES / "counter.burrflow", ask=False)
    with qtbot.waitSignal(panel.runEnded, timeout=15_000):
        window.run.run_action.trigger()
    assert not panel.input_box.isVisible() and panel.input_fields == {}
    assert _log(window)[0].startswith("Run ") and " of counter " in _log(window)[0]


def test_a_log_line_covering_several_steps_names_their_actions_in_the_order_they_ran(
    qtbot, window, tmp_path
):
    """ "steps 0–3 · alpha, done, mid, zeta": the names crossed threads in a QVariantMap, which
    sorted them."""
    order = ["zeta", "alpha", "mid", "done"]
    nodes = [
        FlowNode(
            id=name,
            kind="python",
            writes=["n"],
            code=f"def {name}(state):\n    return state.update(n=state['n'] + 1)\n",
        )
        for name in order[:-1]
    ]
    document = FlowDocument(
        name="quick",
        state={"n": 0},
        entrypoint="zeta",
        nodes=[*nodes, FlowNode(id="done", kind="end")],
        edges=[FlowEdge(source=a, target=b) for a, b in zip(order, order[1:], strict=False)],
    )
    path = tmp_path / "quick.burrflow"
    document.save(path)
    window.files.open_path(path, ask=False)
    with qtbot.waitSignal(window.run.panel.runEnded, timeout=15_000):
        window.run.run_action.trigger()
    lines = [
        [name.split(" ×")[0] for name in match[1].split(", ")]
        for line in _log(window)
        if (match := re.fullmatch(r"steps? [\d–]+ · (.+)", line))
    ]
    several = [names for names in lines if len(names) > 1]
    assert several, lines  # four quick steps: progress coalesces them
    for names in several:
        assert names == sorted(names, key=order.index), lines
