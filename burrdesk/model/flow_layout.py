"""Layered ("Sugiyama-style") left-to-right auto-layout for flow documents, without Qt.

The layout is pure geometry over the document, so it lives in the model: the canvas, the
importers and the tests can all use it, and a display is never needed to check it.

The steps, each chosen to stay close to linear time (a 500-node flow takes well under a second
in pure Python):

1. Break cycles: a depth-first search from the entrypoint (then from every unvisited node in
   document order) reverses back edges; edges into the entrypoint are reversed too, so the
   entrypoint is always in the first layer. Self-loops take no part in layering.
2. Layering: longest path from the sources, so every remaining edge goes left to right; sources
   other than the entrypoint are then pulled right, next to their nearest successor.
3. Long edges get a virtual node in every layer they pass, so crossing reduction sees them.
   The number of virtual nodes is budgeted (a few per node and edge); past it the longest edges
   go without, so a flow whose edges span hundreds of layers stays fast.
4. Crossing reduction: barycenter sweeps down and up, keeping the order with fewest crossings
   (counted by inversions, O(E log V) per layer pair), then swapping neighbours where that
   removes crossings. Sorting is stable and starts from depth-first order, so the same document
   always gives the same layout and document order (nodes, then each node's edges) breaks ties.
5. Coordinates: x by layer (the widest card in a layer plus `layer_gap`); y starts packed and
   centred per layer, then alignment passes pull every node towards the median of its
   neighbours. Each pass is a weighted isotonic regression (pool adjacent violators) over the
   layer, so nodes keep their order and spacing: overlap is impossible by construction, and
   virtual nodes weigh more, which keeps long edges and chains straight.

Weakly connected components are laid out on their own and stacked vertically, the
entrypoint's first.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left, bisect_right, insort
from collections import defaultdict

from burrdesk.model.flow_document import FlowDocument, FlowEdge, FlowNode
from burrdesk.model.flow_validation import node_reads, node_writes

NODE_WIDTH = 220.0
Size = tuple[float, float]

# A round of crossing reduction costs about one visit of every (virtual) node and edge; this
# many visits in all keeps the pathological case (thousands of virtual nodes) fast.
_SWEEP_BUDGET = 400_000
# At most this many virtual nodes per node and edge of a component (a flow whose edges mostly
# span a layer or two needs well under one).
_VIRTUAL_PER_ITEM = 4
_MAX_ROUNDS = 8
# Alignment weights: a virtual node is part of a long edge, which should stay straight.
_WEIGHT_NODE = 1.0
_WEIGHT_VIRTUAL = 4.0
_WEIGHT_VIRTUAL_CHAIN = 8.0
_WEIGHT_ALONE = 0.25


def node_size(node: FlowNode) -> Size:
    """The size the canvas draws a node's card at (the canvas uses this very function).

    220 wide; a 32 px header and 42 px body for one row of keys, plus 18 px per extra row,
    counting the keys the card lists (including those a node's kind implies, such as an LLM
    node's output key).
    """
    rows = max(len(node.reads), len(node.writes), len(node_reads(node)), len(node_writes(node)), 1)
    return NODE_WIDTH, 74.0 + 18.0 * (rows - 1)


def back_edges(document: FlowDocument) -> set[int]:
    """Indexes in `document.edges` of the edges the layout draws right to left.

    These are the edges reversed to break cycles (self-loops included, and any edge into the
    entrypoint); every other edge between two nodes goes strictly left to right. The canvas
    draws these curving around. Edges naming a missing node are never included.
    """
    graph = _Graph(document)
    reversed_edges, _preorder = _break_cycles(graph)
    return reversed_edges


def layout_positions(
    document: FlowDocument,
    *,
    node_sizes: dict[str, Size] | None = None,
    layer_gap: float = 120,
    node_gap: float = 40,
) -> dict[str, tuple[float, float]]:
    """The top-left position of every node after a layered left-to-right layout.

    `node_sizes` maps node ids to (width, height); nodes it leaves out get `node_size`. The
    document is not modified. A repeated node id maps to the position of its first node
    (`apply_layout` places the repeats too).
    """
    positions = _layout(document, node_sizes, layer_gap, node_gap)
    result: dict[str, tuple[float, float]] = {}
    for node, position in zip(document.nodes, positions, strict=True):
        result.setdefault(node.id, position)
    return result


def apply_layout(
    document: FlowDocument,
    *,
    node_sizes: dict[str, Size] | None = None,
    layer_gap: float = 120,
    node_gap: float = 40,
) -> FlowDocument:
    """A copy of the document with every node moved to its laid-out position.

    The copy is deep, so an undo stack can keep the original unchanged.
    """
    positions = _layout(document, node_sizes, layer_gap, node_gap)
    copy = document.model_copy(deep=True)
    for node, position in zip(copy.nodes, positions, strict=True):
        node.position = position
    return copy


def generate_flow(n_nodes: int, n_edges: int, seed: int = 0) -> FlowDocument:
    """A deterministic random flow of python nodes, for benchmarks, tests and big examples.

    Every node is reachable from the entrypoint (the first node), so the flow has at least
    `n_nodes - 1` edges whatever `n_edges` says, and at most one edge per (source, target).
    Edges mostly lead a short way forward, as in hand-made flows; about one in ten leads back
    (making cycles) and a few are self-loops. Each node's last edge is its default, so the flow
    validates and runs. Positions are all (0, 0): pass the result to `apply_layout`.
    """
    if n_nodes < 1:
        raise ValueError(f"a flow needs at least one node, not {n_nodes}.")
    rng = random.Random(seed)
    digits = len(str(n_nodes - 1))
    ids = [f"step_{i:0{digits}d}" for i in range(n_nodes)]
    # Nodes come in stages (the entrypoint alone in the first); edges mostly lead to a nearby
    # node of the next stage, which gives a flow about three times as wide as it is tall.
    stages = max(2, round(1.2 * math.sqrt(n_nodes))) if n_nodes > 1 else 1
    stage = [0] + [1 + (i - 1) * (stages - 1) // (n_nodes - 1) for i in range(1, n_nodes)]
    first: dict[int, int] = {}
    for i, s in enumerate(stage):
        first.setdefault(s, i)
    size = {s: stage.count(s) for s in first}

    def near(source: int, to_stage: int) -> int:
        """A node of `to_stage` at about the same height as `source` in its stage."""
        height = (source - first[stage[source]] + 0.5) / size[stage[source]]
        spot = int(height * size[to_stage] + rng.gauss(0, 1.5))
        return first[to_stage] + min(max(spot, 0), size[to_stage] - 1)

    parent = [0] * n_nodes
    pairs: dict[tuple[int, int], None] = {}
    for i in range(1, n_nodes):
        parent[i] = near(i, stage[i] - 1)
        pairs[(parent[i], i)] = None
    wanted = min(max(n_edges, n_nodes - 1), n_nodes * n_nodes)
    attempts = 0
    while len(pairs) < wanted and attempts < 20 * wanted:
        attempts += 1
        source = rng.randrange(n_nodes)
        roll = rng.random()
        if roll < 0.02:
            target = source
        elif roll < 0.12:  # back to the node one, two or three steps before: a loop
            target = source
            for _ in range(rng.randint(1, 3)):
                target = parent[target]
        else:
            to_stage = stage[source] + (1 if rng.random() < 0.8 else 2)
            if to_stage >= stages:
                continue
            target = near(source, to_stage)
        pairs.setdefault((source, target))
    for source in range(n_nodes):  # small, dense flows: fill up in order
        for target in range(n_nodes):
            if len(pairs) >= wanted:
                break
            pairs.setdefault((source, target))

    extra_keys = ("total", "items", "flag", "note")
    nodes = []
    for i, node_id in enumerate(ids):
        reads = ["counter", *rng.sample(extra_keys, rng.randint(0, 2))]
        writes = ["counter", *rng.sample(extra_keys, rng.randint(0, 2))]
        updates = ", ".join(
            ['counter=state["counter"] + 1', *(f'{key}=state["counter"]' for key in writes[1:])]
        )
        code = f"def {node_id}(state):\n    return state.update({updates})\n"
        nodes.append(
            FlowNode(
                id=node_id, kind="python", label=f"Step {i}", reads=reads, writes=writes, code=code
            )
        )

    targets: dict[int, list[int]] = defaultdict(list)
    for source, target in pairs:
        targets[source].append(target)
    edges = []
    for source in sorted(targets):
        # Loops are tried first under a condition; the default leads forward when it can.
        ordered = sorted(targets[source], key=lambda t, s=source: t > s)
        for j, target in enumerate(ordered):
            last = j == len(ordered) - 1
            condition = "default" if last else f"expr: counter % {len(ordered)} == {j}"
            edges.append(FlowEdge(source=ids[source], target=ids[target], condition=condition))
    return FlowDocument(
        name=f"generated_{n_nodes}",
        description=f"{n_nodes} generated nodes and {len(edges)} edges (seed {seed}).",
        state={"counter": 0, **dict.fromkeys(extra_keys, 0)},
        entrypoint=ids[0],
        nodes=nodes,
        edges=edges,
    )


# --- the graph and the steps ---------------------------------------------------------------


class _Graph:
    """The document as integers: node i is `document.nodes[i]`, edges whose ends exist."""

    def __init__(self, document: FlowDocument):
        self.n = len(document.nodes)
        index: dict[str, int] = {}
        for i, node in enumerate(document.nodes):
            index.setdefault(node.id, i)
        self.entry = index.get(document.entrypoint) if document.entrypoint is not None else None
        # (edge index, source, target), in document order.
        self.edges: list[tuple[int, int, int]] = []
        self.out: list[list[tuple[int, int]]] = [[] for _ in range(self.n)]
        for k, edge in enumerate(document.edges):
            source, target = index.get(edge.source), index.get(edge.target)
            if source is None or target is None:
                continue
            self.edges.append((k, source, target))
            self.out[source].append((target, k))


def _break_cycles(graph: _Graph) -> tuple[set[int], list[int]]:
    """Edges to reverse (back edges, self-loops, edges into the entrypoint) and DFS preorder."""
    roots = ([graph.entry] if graph.entry is not None else []) + list(range(graph.n))
    color = [0] * graph.n  # 0 unvisited, 1 on the DFS path, 2 done
    preorder: list[int] = []
    reversed_edges: set[int] = set()
    for root in roots:
        if color[root]:
            continue
        color[root] = 1
        preorder.append(root)
        stack = [(root, iter(graph.out[root]))]
        while stack:
            node, pending = stack[-1]
            for target, k in pending:
                state = color[target]
                if state == 0:
                    color[target] = 1
                    preorder.append(target)
                    stack.append((target, iter(graph.out[target])))
                    break
                if state == 1:  # an ancestor or the node itself: a back edge
                    reversed_edges.add(k)
            else:
                color[node] = 2
                stack.pop()
    if graph.entry is not None:
        reversed_edges.update(k for k, _source, target in graph.edges if target == graph.entry)
    return reversed_edges, preorder


def _layers(graph: _Graph, reversed_edges: set[int]) -> tuple[list[int], list[list[int]]]:
    """Longest-path layers of the acyclic graph, and each node's successors in it."""
    n = graph.n
    pairs: dict[tuple[int, int], None] = {}
    for k, source, target in graph.edges:
        if source == target:
            continue
        pairs.setdefault((target, source) if k in reversed_edges else (source, target))
    successors: list[list[int]] = [[] for _ in range(n)]
    indegree = [0] * n
    for source, target in pairs:
        successors[source].append(target)
        indegree[target] += 1
    sources = [v for v in range(n) if indegree[v] == 0]
    topological = list(sources)
    for node in topological:  # Kahn's algorithm; the list grows as we go
        for target in successors[node]:
            indegree[target] -= 1
            if indegree[target] == 0:
                topological.append(target)
    assert len(topological) == n, "cycle breaking left a cycle"
    layer = [0] * n
    for node in topological:
        for target in successors[node]:
            if layer[target] <= layer[node]:
                layer[target] = layer[node] + 1
    # A source's layer is free: put it just before its nearest successor (shorter edges).
    for node in sources:
        if successors[node] and node != graph.entry:
            layer[node] = min(layer[t] for t in successors[node]) - 1
    return layer, successors


def _components(n: int, successors: list[list[int]], entry: int | None) -> list[list[int]]:
    """Weakly connected components, each in node order; the entrypoint's comes first."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for source in range(n):
        for target in successors[source]:
            a, b = find(source), find(target)
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = {}
    for node in range(n):
        groups.setdefault(find(node), []).append(node)
    components = list(groups.values())  # ordered by first node
    if entry is not None:
        components.sort(key=lambda members: entry not in members)
    return components


def _layout(
    document: FlowDocument,
    node_sizes: dict[str, Size] | None,
    layer_gap: float,
    node_gap: float,
) -> list[tuple[float, float]]:
    """Top-left positions by node index (repeated ids each get their own place)."""
    if layer_gap < 0 or node_gap < 0:
        raise ValueError("layer_gap and node_gap cannot be negative.")
    graph = _Graph(document)
    if graph.n == 0:
        return []
    given = node_sizes or {}
    sizes = [given[node.id] if node.id in given else node_size(node) for node in document.nodes]
    reversed_edges, preorder = _break_cycles(graph)
    layer, successors = _layers(graph, reversed_edges)
    rank = [0] * graph.n
    for position, node in enumerate(preorder):
        rank[node] = position

    room = _label_room(document, graph, layer)
    # A self-loop is drawn above its card: the card takes that much room above and below (so
    # that its ports stay level with its neighbours').
    looped = {source for _k, source, target in graph.edges if source == target}
    slots = [
        (width, height + 2 * SELF_LOOP_ROOM) if i in looped else (width, height)
        for i, (width, height) in enumerate(sizes)
    ]
    positions: list[tuple[float, float]] = [(0.0, 0.0)] * graph.n
    top = 0.0
    for members in _components(graph.n, successors, graph.entry):
        placed, height = _layout_component(
            members, layer, successors, slots, rank, float(layer_gap), float(node_gap), room
        )
        for node, (x, y) in placed.items():
            positions[node] = (x, y + top + (SELF_LOOP_ROOM if node in looped else 0.0))
        top += height + 2 * node_gap
    return positions


def _label_room(document: FlowDocument, graph: _Graph, layer: list[int]) -> dict[int, float]:
    """How wide the gap after each layer must be for the condition labels drawn in it: a label
    sits at the middle of its arrow, and a gap narrower than it put the label under a card."""
    branching = {e.source for e in document.edges if e.condition_kind != "default"}
    room: dict[int, float] = {}
    for k, source, target in graph.edges:
        edge = document.edges[k]
        text = edge.condition_label or (
            "otherwise" if edge.condition_kind == "default" and edge.source in branching else ""
        )
        first, last = sorted((layer[source], layer[target]))
        if not text or first == last:
            continue  # no label, or a self-loop's, drawn above its card
        gap = first + (last - first - 1) // 2
        width = min(len(text) * LABEL_CHAR_WIDTH + 14, 200) + 2 * LABEL_MARGIN
        room[gap] = max(room.get(gap, 0.0), width)
    return room


LABEL_CHAR_WIDTH = 6.5
"""About the width of a character of an edge label (8.5 pt) on the canvas."""
LABEL_MARGIN = 24.0
"""Room left between a label and the cards on either side of it."""
SELF_LOOP_ROOM = 40.0
"""Room beyond `node_gap` that a card's self-loop and its label take above the card."""


def _layout_component(
    members: list[int],
    layer_of: list[int],
    successors: list[list[int]],
    sizes: list[Size],
    rank: list[int],
    layer_gap: float,
    node_gap: float,
    label_room: dict[int, float] | None = None,
) -> tuple[dict[int, tuple[float, float]], float]:
    """Places one connected component with its top-left corner at (0, 0); returns its height."""
    lowest = min(layer_of[v] for v in members)
    # Local numbering: real nodes first (0..m-1), then virtual nodes.
    local = {v: i for i, v in enumerate(members)}
    layer = [layer_of[v] - lowest for v in members]
    height = [sizes[v][1] for v in members]
    key = [float(rank[v]) for v in members]
    virtual = [False] * len(members)
    up: list[list[int]] = [[] for _ in members]
    down: list[list[int]] = [[] for _ in members]

    def add_node(at_layer: int, order_key: float) -> int:
        layer.append(at_layer)
        height.append(0.0)
        key.append(order_key)
        virtual.append(True)
        up.append([])
        down.append([])
        return len(layer) - 1

    edges = [(local[v], local[w]) for v in members for w in successors[v]]
    spans = sorted(
        (layer[target] - layer[source], k)
        for k, (source, target) in enumerate(edges)
        if layer[target] - layer[source] > 1
    )
    # Virtual nodes cost time in every later step; past the budget, the longest edges go
    # without them (they still point right, but take no part in ordering and alignment).
    budget = _VIRTUAL_PER_ITEM * (len(members) + len(edges))
    unrouted = set()
    for span, k in spans:
        if span - 1 <= budget:
            budget -= span - 1
        else:
            unrouted.add(k)
    for k, (source, target) in enumerate(edges):
        if k in unrouted:
            continue
        previous = source
        for at_layer in range(layer[source] + 1, layer[target]):
            dummy = add_node(at_layer, key[source] + 0.5)
            down[previous].append(dummy)
            up[dummy].append(previous)
            previous = dummy
        down[previous].append(target)
        up[target].append(previous)

    count = len(layer)
    orders: list[list[int]] = [[] for _ in range(max(layer) + 1)]
    for node in sorted(range(count), key=key.__getitem__):
        orders[layer[node]].append(node)
    edge_total = sum(len(d) for d in down)
    _reduce_crossings(orders, up, down, count + edge_total)
    centre = _assign_y(orders, up, down, height, virtual, node_gap)

    # x: one column per layer; cards are centred in their column.
    widths = [0.0] * len(orders)
    for i, v in enumerate(members):
        widths[layer[i]] = max(widths[layer[i]], sizes[v][0])
    column_x = [0.0] * len(orders)
    room = label_room or {}
    for i in range(1, len(orders)):
        gap = max(layer_gap, room.get(lowest + i - 1, 0.0))
        column_x[i] = column_x[i - 1] + widths[i - 1] + gap

    real_count = len(members)
    top_of = [centre[i] - height[i] / 2 for i in range(real_count)]
    shift = min(top_of)
    placed: dict[int, tuple[float, float]] = {}
    bottom = 0.0
    for order in orders:
        previous_bottom: float | None = None
        for node in order:
            if node >= real_count:
                continue
            y = float(round(top_of[node] - shift))
            if previous_bottom is not None:  # rounding must never eat the gap
                y = max(y, previous_bottom + node_gap)
            previous_bottom = y + height[node]
            bottom = max(bottom, previous_bottom)
            width = sizes[members[node]][0]
            x = column_x[layer[node]] + math.floor((widths[layer[node]] - width) / 2)
            placed[members[node]] = (float(x), y)
    return placed, bottom


def _reduce_crossings(
    orders: list[list[int]], up: list[list[int]], down: list[list[int]], size: int
) -> None:
    """Barycenter sweeps down and up, keeping the order with fewest crossings, then swaps."""
    if len(orders) < 2:
        return
    position = [0] * len(up)
    for order in orders:
        for i, node in enumerate(order):
            position[node] = i
    best = [list(order) for order in orders]
    fewest = _crossings(orders, down, position)
    rounds = max(1, min(_MAX_ROUNDS, _SWEEP_BUDGET // max(size, 1)))
    stale = 0
    for _ in range(rounds):
        if fewest == 0:
            break
        improved = False
        for layers, neighbours in (
            (range(1, len(orders)), up),
            (range(len(orders) - 2, -1, -1), down),
        ):
            for i in layers:
                _sort_by_barycenter(orders[i], neighbours, position)
            crossings = _crossings(orders, down, position)
            if crossings < fewest:
                fewest = crossings
                best = [list(order) for order in orders]
                improved = True
        stale = 0 if improved else stale + 1
        if stale >= 2:
            break
    orders[:] = best
    for order in orders:
        for i, node in enumerate(order):
            position[node] = i
    _transpose(orders, up, down, position)


def _pair_crossings(
    first: int, second: int, neighbours: list[list[int]], position: list[int]
) -> int:
    """Crossings between the edges of two neighbours in a layer, `first` above `second`."""
    above, below = neighbours[first], neighbours[second]
    if not above or not below:
        return 0
    if len(below) == 1:
        end = position[below[0]]
        return sum(1 for a in above if position[a] > end)
    ends = sorted(position[b] for b in below)
    return sum(bisect_left(ends, position[a]) for a in above)


def _transpose(
    orders: list[list[int]], up: list[list[int]], down: list[list[int]], position: list[int]
) -> None:
    """Swaps neighbours in a layer while that removes crossings (a few passes at most)."""
    for _ in range(4):
        swapped = False
        for order in orders:
            for i in range(len(order) - 1):
                u, v = order[i], order[i + 1]
                now = _pair_crossings(u, v, up, position) + _pair_crossings(u, v, down, position)
                if now and (
                    _pair_crossings(v, u, up, position) + _pair_crossings(v, u, down, position)
                    < now
                ):
                    order[i], order[i + 1] = v, u
                    position[u], position[v] = i + 1, i
                    swapped = True
        if not swapped:
            break


def _sort_by_barycenter(order: list[int], neighbours: list[list[int]], position: list[int]) -> None:
    """Sorts one layer by the mean position of each node's neighbours in the fixed layer.

    Nodes without such neighbours keep their slot; ties keep the current order.
    """
    movable = []
    for slot, node in enumerate(order):
        adjacent = neighbours[node]
        if len(adjacent) == 1:  # most nodes, and every virtual one
            movable.append((position[adjacent[0]], slot, node))
        elif adjacent:
            movable.append((sum(position[w] for w in adjacent) / len(adjacent), slot, node))
    movable.sort()
    if len(movable) == len(order):
        order[:] = [node for _, _, node in movable]
    else:
        sorted_nodes = iter(node for _, _, node in movable)
        order[:] = [next(sorted_nodes) if neighbours[node] else node for node in order]
    for i, node in enumerate(order):
        position[node] = i


def _crossings(orders: list[list[int]], down: list[list[int]], position: list[int]) -> int:
    """Edge crossings between consecutive layers: inversions among the edges' lower ends."""
    total = 0
    for order in orders[:-1]:
        ends: list[int] = []  # lower ends of the edges seen so far, sorted
        for node in order:
            targets = down[node]
            if len(targets) > 1:
                targets = sorted(targets, key=position.__getitem__)
            for w in targets:
                end = position[w]
                # Earlier edges whose lower end is below this one's cross it.
                total += len(ends) - bisect_right(ends, end)
                insort(ends, end)
    return total


def _assign_y(
    orders: list[list[int]],
    up: list[list[int]],
    down: list[list[int]],
    height: list[float],
    virtual: list[bool],
    node_gap: float,
) -> list[float]:
    """Vertical centres: packed and centred per layer, then aligned with neighbours."""
    centre = [0.0] * len(height)
    separations: list[list[float]] = []
    for order in orders:
        gaps = [
            (height[a] + height[b]) / 2 + (node_gap / 2 if virtual[a] or virtual[b] else node_gap)
            for a, b in zip(order, order[1:], strict=False)
        ]
        separations.append(gaps)
        y = -sum(gaps) / 2
        for i, node in enumerate(order):
            centre[node] = y
            if i < len(gaps):
                y += gaps[i]

    both = [u + d for u, d in zip(up, down, strict=True)]
    forward = range(1, len(orders))
    backward = range(len(orders) - 2, -1, -1)
    everything = range(len(orders))
    for layers, neighbours in (
        (forward, up),
        (backward, down),
        (forward, up),
        (backward, down),
        (everything, both),
    ):
        weight = [_alignment_weight(node, neighbours, virtual) for node in range(len(virtual))]
        for i in layers:
            order = orders[i]
            desired = []
            for node in order:
                adjacent = neighbours[node]
                if len(adjacent) == 1:
                    desired.append(centre[adjacent[0]])
                elif adjacent:
                    desired.append(_median([centre[w] for w in adjacent]))
                else:  # nothing pulls it: stay put (with a small weight)
                    desired.append(centre[node])
            placed = _isotonic(desired, [weight[node] for node in order], separations[i])
            for node, y in zip(order, placed, strict=True):
                centre[node] = y
    return centre


def _alignment_weight(node: int, neighbours: list[list[int]], virtual: list[bool]) -> float:
    """How hard a node pulls towards its neighbours: long edges most, lone nodes least."""
    adjacent = neighbours[node]
    if not adjacent:
        return _WEIGHT_ALONE
    if not virtual[node]:
        return _WEIGHT_NODE
    return _WEIGHT_VIRTUAL_CHAIN if any(virtual[w] for w in adjacent) else _WEIGHT_VIRTUAL


def _median(values: list[float]) -> float:
    values.sort()
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def _isotonic(desired: list[float], weights: list[float], gaps: list[float]) -> list[float]:
    """Positions closest to `desired` (weighted least squares) that keep order and gaps.

    With y[i] = z[i] + offset[i], the constraint y[i+1] - y[i] >= gap[i] becomes z
    non-decreasing: pool adjacent violators solves that exactly in linear time.
    """
    offsets = [0.0]
    for gap in gaps:
        offsets.append(offsets[-1] + gap)
    blocks: list[tuple[float, float, int]] = []  # (weighted sum, weight, count)
    for want, weight, offset in zip(desired, weights, offsets, strict=True):
        total, mass, count = weight * (want - offset), weight, 1
        while blocks and blocks[-1][0] / blocks[-1][1] > total / mass:
            previous_total, previous_mass, previous_count = blocks.pop()
            total += previous_total
            mass += previous_mass
            count += previous_count
        blocks.append((total, mass, count))
    result = []
    for total, mass, count in blocks:
        z = total / mass
        for _ in range(count):
            result.append(z + offsets[len(result)])
    return result
