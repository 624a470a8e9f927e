"""Listing runs that recorded a large flow: what opening the timeline costs per page of runs.

Every run stores the flow it ran (the 500-node example is about 240 KB of JSON) and its graph.
A page of the runs list and each refresh of a live run read run records; the documents are
parsed only when something asks for them (the rewind dialog, the read-only canvas). Prints the
time to list a page of 200 such runs, to read one run, and to read one run and its flow.
(Burr's tracker keeps one graph.json per app and has no list of runs to compare with.)

    python benchmarks/runs_of_large_flows.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from burrdesk.model.flow_document import load_flow
from burrdesk.model.run_database import RunDatabase

EXAMPLE = Path(__file__).resolve().parents[1] / "resources" / "examples" / "large_flow_500.burrflow"


def median_ms(call, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    document = load_flow(EXAMPLE)
    flow = document.model_dump(mode="json")
    graph = {
        "actions": [{"name": n.id, "reads": n.reads, "writes": n.writes} for n in document.nodes],
        "transitions": [{"from": e.source, "to": e.target} for e in document.edges],
        "entrypoint": document.entrypoint,
    }
    with tempfile.TemporaryDirectory() as folder, RunDatabase(Path(folder) / "runs.db") as db:
        for number in range(args.runs):
            db.create_run(
                project="large", app_id=f"run-{number}", initial_state={}, flow=flow, graph=graph
            )
        newest = db.list_runs(limit=1)[0].run_id
        page = median_ms(lambda: db.list_runs(limit=args.runs))
        one = median_ms(lambda: db.get_run(newest), repeat=50)
        with_flow = median_ms(lambda: db.get_run(newest).flow, repeat=20)
    print(
        f"{args.runs} runs of a {len(document.nodes)}-node flow ({len(str(flow)) // 1024} KB each)"
    )
    print(f"list a page of {args.runs} runs      {page:8.1f} ms")
    print(f"read one run                  {one:8.2f} ms")
    print(f"read one run and its flow     {with_flow:8.2f} ms")


if __name__ == "__main__":
    main()
