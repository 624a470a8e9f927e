"""Streaming, parallelism and tracing: Apache Burr and burrdesk side by side, in one process.

  (a) streaming: one streaming action yields 20,000 partial results through `stream_result`
      (no tracker): µs per item;
  (b) MapStates: one parallel step over 1,000 substates, each a one-action sub-application
      (thread pool executor, no tracker): ms for the step;
  (c) tracked spans: 2,000 steps, each opening 5 nested spans with 2 attributes on each,
      recorded by Burr's local tracker and by burrdesk's run database: µs per step and bytes
      on disk per step.

Prints each number for both and the ratio burrdesk / Burr (goal: at most 0.5 for each).

    python benchmarks/burr_features.py [--quick]
"""

from __future__ import annotations

import argparse
import gc
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine_overhead import _engine  # noqa: E402
from tracking_overhead import _size_on_disk  # noqa: E402

ENGINES = ("burr", "burrdesk")


def _module(engine: str, burr_path: str):
    import importlib

    if engine == "burr":
        return importlib.import_module(burr_path)
    return importlib.import_module(
        "burrdesk.engine." + burr_path.removeprefix("burr.core.").removeprefix("burr.")
    )


def streaming(engine: str, items: int) -> float:
    """µs per streamed item."""
    core, action_module = _engine(engine), _module(engine, "burr.core.action")

    @action_module.streaming_action(reads=[], writes=["count"])
    def stream(state):
        for n in range(items):
            yield {"n": n}, None
        yield {"count": items}, state.update(count=items)

    app = (
        core.ApplicationBuilder()
        .with_actions(stream=stream)
        .with_transitions()
        .with_entrypoint("stream")
        .build()
    )
    gc.collect()
    start = time.perf_counter()
    _, container = app.stream_result(halt_after=["stream"])
    seen = sum(1 for _ in container)
    container.get()
    elapsed = time.perf_counter() - start
    assert seen == items
    return elapsed / items * 1e6


def map_states(engine: str, substates: int) -> float:
    """ms for one MapStates step over `substates` sub-applications."""
    core, parallelism = _engine(engine), _module(engine, "burr.core.parallelism")

    @core.action(reads=["x"], writes=["y"])
    def double(state):
        return state.update(y=state["x"] * 2)

    class DoubleAll(parallelism.MapStates):
        def states(self, state, context, inputs):
            for x in range(substates):
                yield state.update(x=x)

        def action(self, state, inputs):
            return double

        def reduce(self, state, states):
            return state.update(total=sum(sub["y"] for sub in states))

        @property
        def reads(self):
            return []

        @property
        def writes(self):
            return ["total"]

    app = (
        core.ApplicationBuilder()
        .with_actions(double_all=DoubleAll())
        .with_transitions()
        .with_entrypoint("double_all")
        .build()
    )
    gc.collect()
    start = time.perf_counter()
    _, _, state = app.run(halt_after=["double_all"])
    elapsed = time.perf_counter() - start
    assert state["total"] == substates * (substates - 1)
    return elapsed * 1000


def tracked_spans(engine: str, steps: int) -> tuple[float, float]:
    """(µs per step, bytes on disk per step) with 5 spans and 10 attributes per step."""
    core = _engine(engine)

    @core.action(reads=["n"], writes=["n"])
    def work(state, __tracer):
        with __tracer("outer") as outer:
            outer.log_attributes(n=state["n"], kind="outer")
            for index in range(4):
                with __tracer(f"inner_{index}") as inner:
                    inner.log_attributes(index=index, label=f"part {index}")
        return state.update(n=state["n"] + 1)

    workdir = Path(tempfile.mkdtemp(prefix=f"spans-{engine}-"))
    target = workdir / ("burr" if engine == "burr" else "runs.db")
    builder = (
        core.ApplicationBuilder()
        .with_actions(work=work)
        .with_transitions(("work", "work", core.expr(f"n < {steps}")))
        .with_state(n=0)
        .with_entrypoint("work")
    )
    if engine == "burr":
        builder = builder.with_tracker(
            "local", project="spans", params={"storage_dir": str(target)}
        )
    else:
        builder = builder.with_tracker("sqlite", project="spans", params={"db_path": str(target)})
    app = builder.build()
    try:
        gc.collect()
        start = time.perf_counter()
        app.run(halt_after=[])
        elapsed = time.perf_counter() - start
        if engine == "burrdesk":
            app.builder.tracker.close()
        size = _size_on_disk(target if engine == "burr" else workdir)
        return elapsed / steps * 1e6, size / steps
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _best(function, *arguments, repeat: int):
    results = [function(*arguments) for _ in range(repeat)]
    return min(results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller workloads, one repeat")
    options = parser.parse_args()
    logging.disable(logging.WARNING)  # Burr warns on every run without halt conditions
    items, substates, steps = (2_000, 100, 200) if options.quick else (20_000, 1_000, 2_000)
    repeat = 1 if options.quick else 3
    rows = []
    stream = {e: _best(streaming, e, items, repeat=repeat) for e in ENGINES}
    rows.append(("(a) streaming, µs/item", items, stream["burr"], stream["burrdesk"]))
    fan = {e: _best(map_states, e, substates, repeat=repeat) for e in ENGINES}
    rows.append(("(b) MapStates, ms/step", substates, fan["burr"], fan["burrdesk"]))
    spans = {e: min(tracked_spans(e, steps) for _ in range(repeat)) for e in ENGINES}
    rows.append(("(c) spans, µs/step", steps, spans["burr"][0], spans["burrdesk"][0]))
    rows.append(("(c) spans, bytes/step", steps, spans["burr"][1], spans["burrdesk"][1]))
    print(f"{'workload':26} {'size':>7} {'Burr':>12} {'burrdesk':>12} {'ratio':>8}")
    for name, size, burr, desk in rows:
        print(f"{name:26} {size:>7} {burr:>12,.1f} {desk:>12,.1f} {desk / burr:>8.3f}")
    print("ratio = burrdesk / Burr; goal for each: <= 0.5")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
