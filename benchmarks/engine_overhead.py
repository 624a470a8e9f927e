"""Engine overhead per step: Apache Burr and burrdesk side by side, in one process.

Three workloads, each built from the same source against both engines:
  (a) counter: one action increments `count`, self-transition on expr("count < N");
  (b) growing state: an action appends a 200-character message to `history`;
  (c) the README chatbot (human_input -> ai_response with an echo "LLM").

Prints microseconds per step for each engine and the ratio burrdesk / Burr (lower is better).
Each measurement is the best of several repetitions, to damp the noise of a shared machine.

    python benchmarks/engine_overhead.py [--quick]
"""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import time
from collections.abc import Callable
from types import ModuleType

MESSAGE = "x" * 200


def _engine(name: str) -> ModuleType:
    return importlib.import_module("burr.core" if name == "burr" else "burrdesk.engine")


def counter_builder(core: ModuleType, steps: int):
    """The counter application, not yet built (other benchmarks add a tracker to it)."""

    @core.action(reads=["count"], writes=["count"])
    def increment(state):
        return state.update(count=state["count"] + 1)

    return (
        core.ApplicationBuilder()
        .with_actions(increment=increment)
        .with_transitions(("increment", "increment", core.expr(f"count < {steps}")))
        .with_state(count=0)
        .with_entrypoint("increment")
    )


def counter_app(core: ModuleType, steps: int):
    return counter_builder(core, steps).build()


def growing_app(core: ModuleType, steps: int):
    @core.action(reads=["history"], writes=["history", "turns"])
    def remember(state):
        return state.append(history=MESSAGE).update(turns=state["turns"] + 1)

    return (
        core.ApplicationBuilder()
        .with_actions(remember=remember)
        .with_transitions(("remember", "remember", core.expr(f"turns < {steps}")))
        .with_state(history=[], turns=0)
        .with_entrypoint("remember")
        .build()
    )


def chatbot_app(core: ModuleType):
    @core.action(reads=[], writes=["prompt", "chat_history"])
    def human_input(state, prompt: str):
        return state.update(prompt=prompt).append(chat_history={"content": prompt, "role": "user"})

    @core.action(reads=["chat_history"], writes=["response", "chat_history"])
    def ai_response(state):
        content = "echo: " + state["chat_history"][-1]["content"]
        return state.update(response=content).append(
            chat_history={"content": content, "role": "assistant"}
        )

    return (
        core.ApplicationBuilder()
        .with_actions(human_input=human_input, ai_response=ai_response)
        .with_transitions(("human_input", "ai_response"), ("ai_response", "human_input"))
        .with_state(chat_history=[])
        .with_entrypoint("human_input")
        .build()
    )


def run_counter(core: ModuleType, steps: int) -> int:
    app = counter_app(core, steps)
    app.run(halt_after=[])
    assert app.state["count"] == steps, app.state["count"]
    return steps


def run_growing(core: ModuleType, steps: int) -> int:
    app = growing_app(core, steps)
    app.run(halt_after=[])
    assert len(app.state["history"]) == steps
    return steps


def run_chatbot(core: ModuleType, turns: int) -> int:
    app = chatbot_app(core)
    for turn in range(turns):
        app.run(halt_after=["ai_response"], inputs={"prompt": f"message {turn}"})
    assert len(app.state["chat_history"]) == 2 * turns
    return 2 * turns


def per_step_us(
    workload: Callable[[ModuleType, int], int], core: ModuleType, size: int, repeats: int
) -> float:
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        steps = workload(core, size)
        elapsed = time.perf_counter() - start
        best = min(best, elapsed / steps * 1e6)
    return best


def growth_profile(core: ModuleType, steps: int, blocks: int = 10) -> list[float]:
    """µs/step in consecutive blocks of the growing-state run: flat means cost does not rise."""
    app = growing_app(core, steps + 1)
    size = steps // blocks
    costs = []
    for _ in range(blocks):
        gc.collect()
        start = time.perf_counter()
        for _ in range(size):
            app.step()
        costs.append((time.perf_counter() - start) / size * 1e6)
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, one repetition")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # Burr warns about unbounded runs on every run() call

    workloads = [
        ("(a) counter", run_counter, 10_000, 2_000),
        ("(b) growing state", run_growing, 2_000, 500),
        ("(c) chatbot (turns)", run_chatbot, 1_000, 200),
    ]
    repeats = 1 if args.quick else 3
    print(f"{'workload':<22}{'size':>7}{'Burr µs/step':>15}{'burrdesk µs/step':>19}{'ratio':>9}")
    for label, workload, size, quick_size in workloads:
        n = quick_size if args.quick else size
        burr_us = per_step_us(workload, _engine("burr"), n, repeats)
        desk_us = per_step_us(workload, _engine("burrdesk"), n, repeats)
        print(f"{label:<22}{n:>7}{burr_us:>15.1f}{desk_us:>19.2f}{desk_us / burr_us:>9.3f}")
    print("ratio = burrdesk / Burr; targets: (a) <= 0.5, (b) <= 0.05")
    growth_steps = 500 if args.quick else 2_000
    print(
        f"\n(b) µs/step in blocks of {growth_steps // 10} steps as history grows to {growth_steps}:"
    )
    for name in ("burr", "burrdesk"):
        costs = growth_profile(_engine(name), growth_steps)
        label = "Burr" if name == "burr" else name
        print(
            f"  {label:<9}"
            + " ".join(f"{c:7.1f}" for c in costs)
            + f"   last/first {costs[-1] / costs[0]:.2f}"
        )


if __name__ == "__main__":
    main()
