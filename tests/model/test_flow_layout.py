"""Auto-layout: no overlaps, edges left to right, entrypoint first, deterministic, never mutating."""

from collections import deque

import pytest
from hypothesis import given
from hypothesis import strategies as st

from burrdesk.model import flow_layout
from burrdesk.model.flow_document import FlowDocument, FlowEdge, FlowNode
from burrdesk.model.flow_layout import (
    apply_layout,
    back_edges,
    generate_flow,
    layout_positions,
    node_size,
)
from burrdesk.model.flow_validation import errors, validate_flow


def make_flow(edges, *, nodes=None, entrypoint="a", rows=None):
    """A flow from (source, target) pairs; nodes default to those the edges name, in order."""
    if nodes is None:
        nodes = list(dict.fromkeys(end for edge in edges for end in edge)) or [entrypoint]
    rows = rows or {}
    return FlowDocument(
        entrypoint=entrypoint,
        nodes=[
            FlowNode(id=n, kind="python", reads=[f"k{i}" for i in range(rows.get(n, 1))])
            for n in nodes
        ],
        edges=[FlowEdge(source=s, target=t) for s, t in edges],
    )


def rectangles(document, positions, sizes=None):
    sizes = sizes or {}
    found = []
    for node in document.nodes:
        x, y = positions[node.id]
        width, height = sizes.get(node.id, node_size(node))
        found.append((x, y, width, height, node.id))
    return found


def assert_no_overlap(rects, gap=0):
    """No two cards overlap, and cards one above the other are at least `gap` apart."""
    ordered = sorted(rects)
    for i, (x, y, width, height, name) in enumerate(ordered):
        for other_x, other_y, _, other_height, other in ordered[i + 1 :]:
            if other_x >= x + width:
                break
            apart = other_y >= y + height + gap or y >= other_y + other_height + gap
            assert apart, f"{name} at {(x, y)} is too close to {other} at {(other_x, other_y)}"


def assert_edges_left_to_right(document, positions, sizes=None):
    """Every edge but the back edges ends in a column to the right of its source's card."""
    sizes = sizes or {}
    reversed_edges = back_edges(document)
    ids = {node.id: node for node in document.nodes}
    for index, edge in enumerate(document.edges):
        if index in reversed_edges or edge.source not in ids or edge.target not in ids:
            continue
        source_x, target_x = positions[edge.source][0], positions[edge.target][0]
        width = sizes.get(edge.source, node_size(ids[edge.source]))[0]
        assert source_x < target_x, f"edge #{index} {edge.source} -> {edge.target}"
        assert source_x + width <= target_x, f"edge #{index} leaves into its target's column"


def assert_good_layout(document, sizes=None, **gaps):
    positions = layout_positions(document, node_sizes=sizes, **gaps)
    assert set(positions) == {node.id for node in document.nodes}
    assert_no_overlap(rectangles(document, positions, sizes), gaps.get("node_gap", 40))
    assert_edges_left_to_right(document, positions, sizes)
    if document.entrypoint in positions:  # in the first column: no card of its part is left of it
        entry_x = positions[document.entrypoint][0]
        connected = connected_to(document, document.entrypoint)
        rects = rectangles(document, positions, sizes)
        assert all(x + width > entry_x for x, _, width, _, name in rects if name in connected)
        if not sizes:
            assert entry_x == min(x for x, _ in positions.values())
    return positions


def connected_to(document, start):
    """The ids connected to `start` by edges in either direction."""
    seen, queue = {start}, deque([start])
    while queue:
        node = queue.popleft()
        for edge in document.edges:
            if node in (edge.source, edge.target):
                for end in (edge.source, edge.target):
                    if end not in seen:
                        seen.add(end)
                        queue.append(end)
    return seen


def reaches(document, start, goal):
    seen, queue = {start}, deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            return True
        for edge in document.outgoing(node):
            if edge.target not in seen:
                seen.add(edge.target)
                queue.append(edge.target)
    return False


def centre(document, positions, node_id):
    return positions[node_id][1] + node_size(document.node(node_id))[1] / 2


# --- properties over many flows -------------------------------------------------------------


@pytest.mark.parametrize(
    ("n_nodes", "n_edges", "seed"),
    [(1, 0, 0), (2, 1, 0), (3, 9, 1), (10, 20, 2), (40, 80, 3), (120, 240, 4), (200, 600, 5)],
)
def test_generated_flows_lay_out_without_overlap_and_left_to_right(n_nodes, n_edges, seed):
    assert_good_layout(generate_flow(n_nodes, n_edges, seed=seed))


@st.composite
def small_flows(draw):
    count = draw(st.integers(1, 8))
    ids = [f"n{i}" for i in range(count)]
    pairs = draw(
        st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids)), max_size=3 * count)
    )
    entrypoint = draw(st.one_of(st.none(), st.sampled_from(ids)))
    rows = {i: draw(st.integers(0, 5)) for i in ids}
    return make_flow(pairs, nodes=ids, entrypoint=entrypoint, rows=rows)


@given(small_flows())
def test_small_flows_never_overlap_and_go_left_to_right(document):
    assert_good_layout(document)


@given(small_flows())
def test_back_edges_close_a_cycle_or_enter_the_entrypoint(document):
    for index in back_edges(document):
        edge = document.edges[index]
        assert edge.target == document.entrypoint or reaches(document, edge.target, edge.source)


@given(
    small_flows(),
    st.lists(st.tuples(st.integers(1, 400), st.integers(1, 300)), min_size=8, max_size=8),
    st.integers(0, 200),
    st.integers(0, 100),
)
def test_any_sizes_and_gaps_never_overlap(document, dimensions, layer_gap, node_gap):
    sizes = {node.id: dimensions[i] for i, node in enumerate(document.nodes)}
    assert_good_layout(document, sizes, layer_gap=layer_gap, node_gap=node_gap)


@pytest.mark.parametrize("node_gap", [0, 1, 3])
def test_rounding_to_whole_pixels_never_eats_the_gap(node_gap):
    # Odd sizes put centres on half pixels, where rounding alone would close gaps.
    document = make_flow(
        [("n1", "n1"), ("n0", "n2"), ("n0", "n3"), ("n2", "n1")],
        nodes=["n0", "n1", "n2", "n3"],
        entrypoint="n0",
    )
    sizes = {"n0": (15, 5), "n1": (10, 9), "n2": (25, 2), "n3": (31, 1)}
    positions = assert_good_layout(document, sizes, layer_gap=1, node_gap=node_gap)
    assert all(float(v).is_integer() for position in positions.values() for v in position)


@given(st.integers(1, 8).flatmap(lambda n: st.tuples(st.just(n), st.data())))
def test_an_acyclic_flow_from_its_entrypoint_has_no_back_edges(drawn):
    count, data = drawn
    ids = [f"n{i}" for i in range(count)]
    forward = st.tuples(st.integers(0, count - 1), st.integers(0, count - 1)).filter(
        lambda pair: pair[0] < pair[1]
    )
    pairs = data.draw(st.lists(forward, max_size=2 * count)) if count > 1 else []
    document = make_flow([(ids[s], ids[t]) for s, t in pairs], nodes=ids, entrypoint="n0")
    assert back_edges(document) == set()


# --- specific shapes ----------------------------------------------------------------------


def test_a_chain_of_five_lies_on_one_horizontal_line():
    document = make_flow([("a", "b"), ("b", "c"), ("c", "d"), ("d", "e")])
    positions = assert_good_layout(document)
    assert len({y for _, y in positions.values()}) == 1
    xs = [positions[n][0] for n in "abcde"]
    assert xs == sorted(xs) and len(set(xs)) == 5


def test_a_chain_of_cards_of_different_heights_is_aligned_on_their_centres():
    document = make_flow(
        [("a", "b"), ("b", "c"), ("c", "d"), ("d", "e")], rows={"b": 4, "d": 2, "e": 6}
    )
    positions = assert_good_layout(document)
    assert len({centre(document, positions, n) for n in "abcde"}) == 1


def test_a_diamond_is_symmetric_about_its_entrypoint():
    document = make_flow([("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")])
    positions = assert_good_layout(document)
    assert positions["b"][1] < positions["c"][1]
    assert centre(document, positions, "d") == centre(document, positions, "a")
    middle = (centre(document, positions, "b") + centre(document, positions, "c")) / 2
    assert middle == centre(document, positions, "a")


def test_siblings_keep_the_order_of_their_edges():
    document = make_flow([("a", "c"), ("a", "b")], nodes=["a", "b", "c"])
    positions = assert_good_layout(document)
    assert positions["c"][1] < positions["b"][1]


def test_crossing_reduction_untangles_edges():
    # Depth-first order puts c above d, which crosses a -> d with b -> c.
    document = make_flow([("a", "x"), ("a", "y"), ("x", "c"), ("x", "d"), ("y", "c")])
    positions = assert_good_layout(document)
    assert positions["x"][1] < positions["y"][1]
    assert positions["d"][1] < positions["c"][1]


def test_a_long_edge_keeps_its_ends_in_order():
    document = make_flow([("a", "b"), ("b", "c"), ("c", "d"), ("a", "d")])
    positions = assert_good_layout(document)
    assert [positions[n][0] for n in "abcd"] == sorted(positions[n][0] for n in "abcd")
    assert back_edges(document) == set()


@pytest.mark.parametrize("budget", [0, 1, 4])
def test_edges_too_long_for_the_virtual_node_budget_still_go_left_to_right(budget, monkeypatch):
    monkeypatch.setattr(flow_layout, "_VIRTUAL_PER_ITEM", budget)
    chain = [(f"c{i}", f"c{i + 1}") for i in range(59)]
    skips = [(f"c{i}", f"c{2 * i + 20}") for i in range(19)] + [("c59", "c1")]
    document = make_flow(chain + skips, entrypoint="c0")
    positions = assert_good_layout(document)
    assert back_edges(document) == {len(chain) + len(skips) - 1}
    if budget == 0:  # no virtual nodes: nothing but the chain takes room
        assert len({y for _, y in positions.values()}) == 1


def test_a_self_loop_is_a_back_edge_and_takes_no_layer():
    document = make_flow([("a", "a")])
    # No layer, but room above the card for the loop drawn there.
    assert layout_positions(document) == {"a": (0.0, flow_layout.SELF_LOOP_ROOM)}
    assert back_edges(document) == {0}
    document = make_flow([("a", "a"), ("a", "b"), ("b", "b")])
    positions = assert_good_layout(document)
    assert back_edges(document) == {0, 2}
    assert positions["a"][0] < positions["b"][0]


def test_a_cycle_is_broken_at_the_edge_back_to_the_entrypoint():
    document = make_flow([("a", "b"), ("b", "c"), ("c", "a")], nodes=["c", "b", "a"])
    positions = assert_good_layout(document)
    assert back_edges(document) == {2}
    assert positions["a"][0] < positions["b"][0] < positions["c"][0]


def test_a_cycle_away_from_the_entrypoint_is_broken_where_it_closes():
    document = make_flow([("a", "b"), ("b", "c"), ("c", "d"), ("d", "b"), ("c", "e")])
    positions = assert_good_layout(document)
    assert back_edges(document) == {3}
    assert positions["b"][0] < positions["c"][0] < positions["d"][0]


def test_the_entrypoint_is_first_even_when_an_unreachable_node_leads_into_it():
    document = make_flow([("orphan", "start"), ("start", "next")], entrypoint="start")
    positions = assert_good_layout(document)
    assert back_edges(document) == {0}
    assert positions["start"][0] == 0
    assert positions["orphan"][0] > positions["start"][0]


def test_unreachable_nodes_next_to_the_flow_are_laid_out_too():
    document = make_flow([("a", "b"), ("b", "c"), ("side", "c"), ("side", "b")])
    positions = assert_good_layout(document)
    assert positions["side"][0] < positions["b"][0]


def test_disconnected_components_are_stacked_below_the_entrypoints():
    document = make_flow(
        [("x", "y"), ("a", "b"), ("b", "c")], nodes=["lonely", "x", "y", "a", "b", "c", "z"]
    )
    positions = assert_good_layout(document)
    rects = {r[-1]: r for r in rectangles(document, positions)}
    main_bottom = max(rects[n][1] + rects[n][3] for n in "abc")
    assert positions["a"] == (0.0, 0.0)
    # Then the others, in document order, each below the last.
    assert positions["lonely"][1] >= main_bottom
    assert positions["x"][1] > positions["lonely"][1]
    assert positions["x"][1] == positions["y"][1]
    assert positions["z"][1] > positions["x"][1]


def test_edges_naming_missing_nodes_are_ignored():
    document = make_flow([("a", "b")])
    document.edges.append(FlowEdge(source="b", target="ghost"))
    document.edges.append(FlowEdge(source="ghost", target="a"))
    assert_good_layout(document)
    assert back_edges(document) == set()


def test_without_an_entrypoint_the_first_node_leads():
    document = make_flow([("b", "a"), ("a", "b")], nodes=["a", "b"], entrypoint=None)
    positions = assert_good_layout(document)
    assert positions["a"][0] < positions["b"][0]
    assert back_edges(document) == {0}


def test_repeated_ids_each_get_their_own_place():
    document = make_flow([("a", "b")], nodes=["a", "a", "b"])
    laid_out = apply_layout(document)
    rects = [(*n.position, *node_size(n), f"{n.id}#{i}") for i, n in enumerate(laid_out.nodes)]
    assert_no_overlap(rects)
    assert layout_positions(document)["a"] == laid_out.nodes[0].position


def test_an_empty_flow_has_no_positions():
    document = FlowDocument()
    assert layout_positions(document) == {}
    assert back_edges(document) == set()
    assert apply_layout(document) == document


def test_given_sizes_are_respected():
    document = make_flow([("a", "b"), ("a", "c"), ("a", "d"), ("b", "e")])
    sizes = {"b": (500.0, 400.0), "c": (60.0, 30.0)}
    positions = layout_positions(document, node_sizes=sizes)
    full = {n.id: sizes.get(n.id, node_size(n)) for n in document.nodes}
    assert_no_overlap(rectangles(document, positions, full))
    assert_edges_left_to_right(document, positions, full)
    assert positions["e"][0] >= positions["b"][0] + 500 + 120


def test_gaps_set_the_spacing():
    document = make_flow([("a", "b"), ("a", "c")])
    positions = layout_positions(document, layer_gap=50, node_gap=10)
    width, height = node_size(document.node("b"))
    assert positions["b"][0] == width + 50
    assert positions["c"][1] - positions["b"][1] == height + 10
    with pytest.raises(ValueError, match="negative"):
        layout_positions(document, node_gap=-1)


def test_node_size_counts_the_keys_a_card_lists():
    """The layout's card size is the size the canvas draws (one row of keys: 74 px)."""
    from burrdesk.views.canvas.card_style import node_height

    assert node_size(FlowNode(id="a", kind="python")) == (220.0, 74.0)
    three = FlowNode(id="a", kind="python", reads=["x", "y", "z"])
    assert node_size(three) == (220.0, 110.0) == (220.0, node_height(three))
    asking = FlowNode(
        id="a", kind="input", params={"inputs": [{"name": "p"}, {"name": "q"}, {"name": "r"}]}
    )
    assert node_size(asking) == (220.0, 110.0)


# --- purity and determinism ----------------------------------------------------------------


def test_layout_is_deterministic():
    document = generate_flow(150, 300, seed=7)
    first = layout_positions(document)
    assert layout_positions(document) == first
    reloaded = FlowDocument.model_validate_json(document.to_json())
    assert layout_positions(reloaded) == first
    assert back_edges(reloaded) == back_edges(document)


def test_the_input_document_is_not_modified():
    document = generate_flow(60, 120, seed=1)
    before = document.model_dump()
    positions = layout_positions(document)
    laid_out = apply_layout(document)
    assert document.model_dump() == before
    assert {n.id: n.position for n in laid_out.nodes} == positions
    assert laid_out.model_dump(exclude={"nodes"}) == document.model_dump(exclude={"nodes"})
    laid_out.edges.clear()
    laid_out.nodes[0].reads.append("extra")
    assert document.model_dump() == before


# --- the generator and a big flow ----------------------------------------------------------


def test_generated_flows_are_deterministic_connected_and_valid():
    document = generate_flow(80, 160, seed=3)
    assert document.to_json() == generate_flow(80, 160, seed=3).to_json()
    assert document.to_json() != generate_flow(80, 160, seed=4).to_json()
    assert len(document.nodes) == 80 and len(document.edges) == 160
    assert all(reaches(document, document.entrypoint, n.id) for n in document.nodes)
    assert errors(validate_flow(document)) == []
    assert back_edges(document), "a generated flow has cycles"
    assert any(e.source == e.target for e in document.edges)
    pairs = [(e.source, e.target) for e in document.edges]
    assert len(set(pairs)) == len(pairs)


def test_a_generated_flow_always_has_enough_edges_to_connect():
    assert len(generate_flow(10, 0).edges) == 9
    assert len(generate_flow(1, 5).edges) == 1  # the only edge one node can have: a self-loop
    with pytest.raises(ValueError, match="at least one node"):
        generate_flow(0, 0)


def test_a_500_node_flow_lays_out():
    document = generate_flow(500, 1000)
    positions = assert_good_layout(document)
    assert len(positions) == 500
    assert len(back_edges(document)) < len(document.edges) // 5


def test_the_gap_between_two_layers_holds_the_condition_labels_drawn_in_it():
    """A label sits at the middle of its arrow; a gap narrower than it put it under a card."""
    label = "urgency >= 3 or sender_is_vip and not category == 'spam'"
    document = make_flow([("a", "b"), ("a", "c")])
    document.edges[0].condition = f"expr: {label}"
    positions = assert_good_layout(document)
    widths = {n.id: flow_layout.node_size(n)[0] for n in document.nodes}
    gap = positions["b"][0] - (positions["a"][0] + widths["a"])
    assert gap >= min(len(label) * flow_layout.LABEL_CHAR_WIDTH + 14, 200)
    plain = assert_good_layout(make_flow([("a", "b"), ("a", "c")]))
    assert plain["b"][0] - (plain["a"][0] + widths["a"]) == 120  # no label: the usual gap


def test_a_self_looped_card_in_a_column_keeps_room_for_its_loop_above():
    """The loop is drawn 58 px above the card with its label; the card above must not be
    there (in a 500-node flow four loops and their labels were drawn under cards)."""
    document = make_flow(
        [("s", "a"), ("s", "b"), ("s", "c"), ("b", "b"), ("a", "t"), ("b", "t")], entrypoint="s"
    )
    positions = assert_good_layout(document)
    sizes = {node.id: node_size(node) for node in document.nodes}
    column = sorted((positions[n][1], n) for n in "abc")
    for (top, upper), (lower_top, lower) in zip(column, column[1:], strict=False):
        gap = lower_top - (top + sizes[upper][1])
        wanted = 40 + (flow_layout.SELF_LOOP_ROOM if "b" in (upper, lower) else 0)
        assert gap >= wanted, (upper, lower, gap)
