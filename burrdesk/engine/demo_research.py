"""A research assistant written as a Burr program (code, not a flow): the demo run a first
launch records so the timeline's spans, stream and sub-application views have something real.

It plans a topic into subtopics (traced spans with attributes), researches the subtopics in
parallel (`MapStates`: one child run each, with spans of their own), and streams its answer
(`@streaming_action`). Nothing leaves the machine: the "search" reads a small built-in corpus
and the "writing" streams words with short pauses, as a model would stream tokens.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

from burrdesk.engine.action import action, streaming_action
from burrdesk.engine.application import ApplicationBuilder
from burrdesk.engine.parallelism import MapStates
from burrdesk.engine.state import State
from burrdesk.engine.tracking import RunDatabaseTracker
from burrdesk.engine.visibility import trace

PROJECT = "research_assistant"
QUESTION = "How do state machines make LLM agents easier to debug?"
WORD_PAUSE = 0.004
"""Seconds between streamed words (about what a fast local model does)."""

_CORPUS = {
    "state": "Each step reads and writes named keys of an immutable state, so every state "
    "can be stored and compared.",
    "transitions": "Conditions on the transitions decide what runs next, and are tried in "
    "order, so the path an agent took can be replayed.",
    "rewind": "Forking a run after any step, with an edited state, retries a decision "
    "without re-running what came before.",
}


@trace()
def search(subtopic: str) -> list[str]:
    """The passages of the corpus about a subtopic."""
    return [text for key, text in _CORPUS.items() if key in subtopic]


@action(reads=["question"], writes=["subtopics"])
def plan(state: State, __tracer: Any) -> State:
    with __tracer("outline") as span:
        subtopics = ["state", "transitions", "rewind"]
        span.log_attributes(question=state["question"], subtopics=subtopics)
    return state.update(subtopics=subtopics)


@action(reads=["subtopic"], writes=["notes"])
def gather(state: State, __tracer: Any) -> State:
    with __tracer("research") as span:
        passages = search(state["subtopic"])
        span.log_attributes(subtopic=state["subtopic"], passages=len(passages))
        with __tracer("summarize"):
            notes = " ".join(passages)
    return state.update(notes=notes)


class ResearchSubtopics(MapStates):
    """One sub-application per subtopic, run in parallel."""

    def states(
        self, state: State, context: Any, inputs: dict[str, Any]
    ) -> Generator[State, None, None]:
        for subtopic in state["subtopics"]:
            yield state.update(subtopic=subtopic)

    def action(self, state: State, inputs: dict[str, Any]) -> Any:
        return gather

    def reduce(self, state: State, states: Any) -> State:
        return state.update(notes=[sub["notes"] for sub in states])

    @property
    def reads(self) -> list[str]:
        return ["subtopics"]

    @property
    def writes(self) -> list[str]:
        return ["notes"]


@streaming_action(reads=["question", "notes"], writes=["answer"])
def write_answer(state: State, __tracer: Any) -> Generator[tuple[dict, State | None], None, None]:
    __tracer.log_attributes(model="local-writer", temperature=0.3)
    words = " ".join(state["notes"]).split()
    for word in words:
        time.sleep(WORD_PAUSE)
        yield {"delta": word + " "}, None
    answer = " ".join(words)
    yield {"answer": answer}, state.update(answer=answer)


def record_research_run(db_path: Path) -> int:
    """Runs the assistant once into the run database; its run id."""
    tracker = RunDatabaseTracker(db_path, project=PROJECT)
    app = (
        ApplicationBuilder()
        .with_actions(plan=plan, research=ResearchSubtopics(), write_answer=write_answer)
        .with_transitions(("plan", "research"), ("research", "write_answer"))
        .with_state(question=QUESTION)
        .with_entrypoint("plan")
        .with_tracker(tracker)
        .build()
    )
    app.run(halt_before=["write_answer"])
    _, container = app.stream_result(halt_after=["write_answer"])
    container.get()
    run_id = tracker.run_id_for(app.app_id, app.partition_key)
    tracker.close("completed")
    return run_id
