"""Auto-layout speed, and its quality against a naive layout.

Speed: `layout_positions` and `apply_layout` on generated flows of 50, 200, 500 and 1,000 nodes
(two edges per node), the median of several runs each; the target is a 500-node flow in well
under one second, in pure Python on a small machine.

Quality: the same 500-node flow laid out by the layered layout and by a naive baseline (one
column per breadth-first distance from the entrypoint, rows in document order). Both are scored
the way the canvas draws them: each edge a straight line from the source card's output port
(right middle) to the target card's input port (left middle). Fewer crossings is better, as is
fewer edges drawn right to left.

    python benchmarks/auto_layout.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import deque

from burrdesk.model.flow_document import FlowDocument
from burrdesk.model.flow_layout import (
    NODE_WIDTH,
    apply_layout,
    generate_flow,
    layout_positions,
    node_size,
)

SIZES = (50, 200, 500, 1000)
EDGES_PER_NODE = 2
TARGET_NODES = 500
TARGET_SECONDS = 1.0

Point = tuple[float, float]


def median_ms(run, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def bfs_columns(document: FlowDocument) -> dict[str, Point]:
    """The naive baseline: column = breadth-first distance from the entrypoint, rows in order."""
    depth: dict[str, int] = {}
    if document.entrypoint:
        depth[document.entrypoint] = 0
        queue = deque([document.entrypoint])
        while queue:
            current = queue.popleft()
            for edge in document.outgoing(current):
                if edge.target not in depth:
                    depth[edge.target] = depth[current] + 1
                    queue.append(edge.target)
    unreached = max(depth.values(), default=-1) + 1
    row_height = max(node_size(node)[1] for node in document.nodes) + 40
    rows: dict[int, int] = {}
    positions = {}
    for node in document.nodes:
        column = depth.get(node.id, unreached)
        row = rows.get(column, 0)
        rows[column] = row + 1
        positions[node.id] = (column * (NODE_WIDTH + 120), row * row_height)
    return positions


def segments(document: FlowDocument, positions: dict[str, Point]) -> list[tuple[Point, Point]]:
    """Each edge as the canvas anchors it: output port (right middle) to input port (left)."""
    sizes = {node.id: node_size(node) for node in document.nodes}
    lines = []
    for edge in document.edges:
        if edge.source == edge.target:
            continue
        (sx, sy), (tx, ty) = positions[edge.source], positions[edge.target]
        source_width, source_height = sizes[edge.source]
        lines.append(
            ((sx + source_width, sy + source_height / 2), (tx, ty + sizes[edge.target][1] / 2))
        )
    return lines


def _turn(a: Point, b: Point, c: Point) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def crossings(lines: list[tuple[Point, Point]]) -> int:
    """Pairs of lines that properly cross (touching at a shared port does not count)."""
    # Sweep by x: only lines whose x ranges overlap can cross.
    spans = sorted((min(a[0], b[0]), max(a[0], b[0]), a, b) for a, b in lines)
    count = 0
    for i, (_left, right, a, b) in enumerate(spans):
        for other_left, _other_right, c, d in spans[i + 1 :]:
            if other_left > right:
                break
            if _turn(a, b, c) * _turn(a, b, d) < 0 and _turn(c, d, a) * _turn(c, d, b) < 0:
                count += 1
    return count


def right_to_left(document: FlowDocument, positions: dict[str, Point]) -> int:
    """Edges whose input port is not right of their output port (drawn curving back)."""
    lines = segments(document, positions)
    return sum(1 for start, end in lines if end[0] <= start[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs per size (median)")
    args = parser.parse_args()

    print(
        f"Auto-layout of generated flows ({EDGES_PER_NODE} edges per node), "
        f"median of {args.repeats} runs:"
    )
    print(f"{'nodes':>7} {'edges':>7} {'layout_positions':>18} {'apply_layout':>14}")
    timings = {}
    flows = {}
    for size in SIZES:
        document = generate_flow(size, EDGES_PER_NODE * size)
        flows[size] = document
        layout = median_ms(lambda d=document: layout_positions(d), args.repeats)
        applied = median_ms(lambda d=document: apply_layout(d), args.repeats)
        timings[size] = layout
        print(f"{size:>7} {len(document.edges):>7} {layout:>15.1f} ms {applied:>11.1f} ms")

    target = timings[TARGET_NODES]
    verdict = "under" if target < TARGET_SECONDS * 1000 else "OVER"
    print(
        f"\n{TARGET_NODES} nodes: {target:.0f} ms, {verdict} the {TARGET_SECONDS:.0f} s target "
        f"({TARGET_SECONDS * 1000 / target:.1f}x headroom)."
    )

    document = flows[TARGET_NODES]
    layered = layout_positions(document)
    baseline = bfs_columns(document)
    layered_crossings = crossings(segments(document, layered))
    baseline_crossings = crossings(segments(document, baseline))
    print(
        f"\nQuality on the {TARGET_NODES}-node flow (straight lines between card ports, "
        "as the canvas anchors them):"
    )
    print(f"{'':<16} {'crossings':>10} {'right-to-left edges':>21}")
    for name, positions, count in (
        ("BFS columns", baseline, baseline_crossings),
        ("layered layout", layered, layered_crossings),
    ):
        print(f"{name:<16} {count:>10} {right_to_left(document, positions):>21}")
    ratio = layered_crossings / baseline_crossings if baseline_crossings else float("nan")
    print(f"crossing ratio (layered / BFS columns): {ratio:.2f}  (lower is better)")


if __name__ == "__main__":
    main()
