"""Arrows never pass behind cards they do not connect, and labels never sit under a card
(issue #17.4): after auto-layout of our examples, of Burr's own demo graphs and of generated
flows, and when a person drags a card into an arrow's way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QPainterPathStroker
from PySide6.QtTest import QTest

from burrdesk.model.burr_tracker_format import describe_burr_graph
from burrdesk.model.flow_document import FlowDocument, FlowEdge, FlowNode
from burrdesk.model.flow_layout import generate_flow, layout_positions
from burrdesk.model.recorded_flow import document_from_graph

burr = pytest.importorskip("burr")
EXAMPLES = Path(__file__).parents[3] / "resources" / "examples"
DEMO_DATA = Path(burr.__file__).parent / "tracking" / "server" / "demo_data"


def card_rect(card):
    return card.mapRectToScene(card.rect())


def crossings(scene):
    """(arrow, card) pairs where an arrow passes behind a card other than its ends, and
    (label, card) pairs where a label covers any card."""
    behind, covered = [], []
    stroker = QPainterPathStroker()
    stroker.setWidth(2)
    for edge in scene.edges:
        stroke = stroker.createStroke(edge.path())
        for card in scene.nodes.values():
            rect = card_rect(card)
            if card is not edge.source and card is not edge.target and stroke.intersects(rect):
                behind.append((edge.edge.source, edge.edge.target, card.node_id))
            label = edge.label_rect
            if not label.isNull() and label.intersects(rect):
                covered.append((edge.label_text(), card.node_id))
    return behind, covered


def overlapping_labels(scene):
    labels = [(e.label_text(), e.label_rect) for e in scene.edges if not e.label_rect.isNull()]
    return [
        (text, other)
        for i, (text, rect) in enumerate(labels)
        for other, other_rect in labels[i + 1 :]
        if rect.intersects(other_rect)
    ], len(labels)


def lay_out(qtbot, window, path):
    window.files.open_path(path, ask=False)
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    laid_out = layout_positions(window.model.document)
    assert {n.id: tuple(n.position) for n in window.model.document.nodes} == laid_out
    qtbot.wait(30)  # the arrows re-route once the moves are done


def burr_demo_graphs():
    """One graph per Burr demo project (their apps share a graph)."""
    return sorted(
        next(p for p in sorted(project.iterdir()) if (p / "graph.json").exists())
        for project in DEMO_DATA.iterdir()
        if project.is_dir()
    )


@pytest.mark.parametrize("example", sorted(p.stem for p in EXAMPLES.glob("*.burrflow")))
def test_every_example_opens_with_no_arrow_or_label_under_a_card(qtbot, window, example):
    window.files.open_path(EXAMPLES / f"{example}.burrflow", ask=False)
    qtbot.wait(20)
    assert window.scene.edges
    assert crossings(window.scene) == ([], [])


@pytest.mark.parametrize("example", sorted(p.stem for p in EXAMPLES.glob("*.burrflow")))
def test_after_auto_layout_no_arrow_or_label_of_an_example_is_under_a_card(qtbot, window, example):
    lay_out(qtbot, window, EXAMPLES / f"{example}.burrflow")
    assert crossings(window.scene) == ([], [])
    overlaps, labels = overlapping_labels(window.scene)
    assert len(overlaps) <= labels // 50, overlaps  # none but in the 500-node flow


@pytest.mark.parametrize("app", burr_demo_graphs(), ids=lambda p: p.parent.name)
def test_burrs_demo_graphs_lay_out_with_no_arrow_or_label_under_a_card(
    qtbot, window, tmp_path, app
):
    graph = describe_burr_graph(json.loads((app / "graph.json").read_text()))
    document = document_from_graph(graph, app.parent.name)
    document.nodes.reverse()  # not the order the layout would choose
    path = tmp_path / f"{app.parent.name}.burrflow"
    path.write_text(document.model_dump_json())
    lay_out(qtbot, window, path)
    assert len(window.scene.edges) == len(graph["transitions"])
    assert crossings(window.scene) == ([], [])
    assert overlapping_labels(window.scene)[0] == []


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_flows_lay_out_with_no_arrow_or_label_under_a_card(qtbot, window, tmp_path, seed):
    path = tmp_path / "generated.burrflow"
    path.write_text(generate_flow(120, 220, seed=seed).model_dump_json())
    lay_out(qtbot, window, path)
    assert crossings(window.scene) == ([], [])
    overlaps, labels = overlapping_labels(window.scene)
    assert labels > 150 and len(overlaps) <= labels // 100, overlaps


def three_cards(tmp_path):
    """`a` → `b` in a row, with `c` parked below, out of the way."""
    document = FlowDocument(
        name="three",
        entrypoint="a",
        nodes=[
            FlowNode(id="a", kind="python", position=(0, 0)),
            FlowNode(id="b", kind="python", position=(800, 0)),
            FlowNode(id="c", kind="python", position=(400, 400)),
        ],
        edges=[FlowEdge(source="a", target="b", condition="expr: count > 2")],
    )
    path = tmp_path / "three.burrflow"
    path.write_text(document.model_dump_json())
    return path


def drag_card(window, card_id, to_scene: QPointF):
    view = window.view
    card = window.scene.nodes[card_id]
    start = view.mapFromScene(card.sceneBoundingRect().center())
    end = view.mapFromScene(to_scene)
    viewport = view.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for fraction in (0.2, 0.4, 0.6, 0.8, 1.0):
        QTest.mouseMove(viewport, start + (end - start) * fraction)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)


def test_dragging_a_card_into_an_arrows_way_sends_the_arrow_around_it_and_back(
    qtbot, window, tmp_path
):
    window.files.open_path(three_cards(tmp_path), ask=False)
    window.view.zoom_to_fit()
    qtbot.wait(20)
    arrow = window.scene.edges[0]
    straight = arrow.path().boundingRect()
    assert straight.height() < 1  # level ports: one straight curve

    middle = QPointF(530, card_rect(window.scene.nodes["a"]).center().y())
    drag_card(window, "c", middle)
    c = card_rect(window.scene.nodes["c"])
    assert c.contains(QPointF(c.center().x(), straight.center().y()))  # it is in the way
    qtbot.waitUntil(lambda: crossings(window.scene) == ([], []), timeout=2000)
    routed = arrow.path().boundingRect()
    assert routed.top() < c.top() or routed.bottom() > c.bottom()  # around it
    assert not arrow.label_rect.intersects(c)

    drag_card(window, "c", QPointF(530, 500))
    qtbot.waitUntil(lambda: arrow.path().boundingRect().height() < 1, timeout=2000)
    window.undo_stack.undo()  # back in the way: undo moves the card, the arrow follows
    qtbot.waitUntil(lambda: arrow.path().boundingRect().height() > 1, timeout=2000)
    assert crossings(window.scene) == ([], [])

    window.scene.select_only("c")  # deleted: the arrow goes straight again
    window.view.setFocus()
    QTest.keyClick(window.view.viewport(), Qt.Key.Key_Delete)
    assert "c" not in window.scene.nodes
    qtbot.waitUntil(lambda: arrow.path().boundingRect().height() < 1, timeout=2000)


def test_a_self_loop_under_a_card_close_above_loops_below_instead(qtbot, window, tmp_path):
    document = FlowDocument(
        name="loop",
        entrypoint="a",
        nodes=[
            FlowNode(id="above", kind="python", position=(0, -110)),
            FlowNode(id="a", kind="python", position=(0, 0)),
        ],
        edges=[FlowEdge(source="a", target="a", condition="expr: n < 3")],
    )
    path = tmp_path / "loop.burrflow"
    path.write_text(document.model_dump_json())
    window.files.open_path(path, ask=False)
    qtbot.wait(20)
    loop = window.scene.edges[0]
    a = card_rect(window.scene.nodes["a"])
    assert loop.path().boundingRect().bottom() > a.bottom() + 20
    assert crossings(window.scene) == ([], [])
    drag_card(window, "above", QPointF(600, -300))  # room above again: the loop goes back up
    qtbot.waitUntil(lambda: loop.path().boundingRect().top() < a.top() - 20, timeout=2000)
