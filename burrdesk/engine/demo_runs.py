"""The demo runs a first launch records, so the timeline has something to click on at once.

They are made the honest way: the example flows run headless through the engine and the tracker,
exactly as a run from the app would be recorded, and so does a research assistant written as
Burr code (`demo_research.py`: spans, a parallel fan-out into child runs, a streamed answer).
LLM nodes run in echo mode, so seeding never needs a network or a key.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from burrdesk.engine.demo_research import record_research_run
from burrdesk.engine.flow_compiler import compile_flow
from burrdesk.engine.llm_action import EchoChatClient
from burrdesk.model.flow_document import FlowDocument, load_flow
from burrdesk.model.run_database import RunDatabase, RunDatabaseError
from burrdesk.model.step_annotations import Annotation, AnnotationStore

CHAT_TURNS = ("Hi! What is burrdesk for?", "Can I rewind this conversation?")


@dataclass(frozen=True)
class DemoRuns:
    research: int
    counter: int
    chat: int
    failed_order: int
    fixed_order: int


def needs_demo_runs(db_path: Path) -> bool:
    """A first launch: the default run database is missing or has no runs yet."""
    if not db_path.exists():
        return True
    try:
        with RunDatabase(db_path, read_only=True) as db:
            return db.count_runs() == 0
    except RunDatabaseError:
        return False  # a damaged file is the user's to look at, not ours to write into


def _run_id(app) -> int:
    return app.builder.tracker.run_id_for(app.app_id, app.partition_key)


def seed_demo_runs(db_path: Path, examples: Path) -> DemoRuns:
    """Records the research assistant (with its three child runs), then four runs of the
    examples: the counter to its end, a short echo chat with the chatbot, the order pipeline
    failing at its card charge, and a fork of that run with a higher card limit that completes."""
    research = record_research_run(db_path)
    counter = compile_flow(load_flow(examples / "counter.burrflow"), db_path=db_path)
    counter.run(halt_after=["done"])
    counter_id = _run_id(counter)
    counter.builder.tracker.close("completed")

    chat = compile_flow(
        load_flow(examples / "chatbot.burrflow"), db_path=db_path, llm_client=EchoChatClient()
    )
    for prompt in CHAT_TURNS:
        chat.step(inputs={"prompt": prompt})
        chat.step()
    chat_id = _run_id(chat)
    chat.builder.tracker.close("stopped")

    order_flow: FlowDocument = load_flow(examples / "order_pipeline.burrflow")
    order = compile_flow(order_flow, db_path=db_path)
    order.step()
    with contextlib.suppress(RuntimeError):  # the card is declined: the point of this demo
        order.step()
    failed = _run_id(order)
    order.builder.tracker.close("failed")

    with RunDatabase(db_path) as db:
        validated = db.read_steps(failed, limit=1)[0].sequence_id
        fork = db.fork(failed, validated, state_overrides={"card_limit": 500.0})
    fixed = compile_flow(order_flow, db_path=db_path, continue_app_id=fork.app_id)
    fixed.run(halt_after=["done"])
    fixed.builder.tracker.close("completed")
    _annotate_demo(db_path, research, failed)
    return DemoRuns(
        research=research,
        counter=counter_id,
        chat=chat_id,
        failed_order=failed,
        fixed_order=fork.run_id,
    )


def _annotate_demo(db_path: Path, research: int, failed_order: int) -> None:
    """Two annotations on the last steps of two runs, so the Annotate tab and its filters
    show what they are for."""
    marks = (
        (
            research,
            {
                "verdict": "good",
                "tags": ["golden"],
                "note": "Covers every subtopic the plan listed.",
            },
        ),
        (
            failed_order,
            {
                "verdict": "bad",
                "tags": ["card-limit"],
                "note": "Declined: the card limit is below the order total.",
                "expected": {"charged": True},
            },
        ),
    )
    with RunDatabase(db_path) as db:
        store = AnnotationStore(db)
        for run_id, fields in marks:
            last = db.read_last_steps(run_id, limit=1)[0]
            store.save(
                Annotation.for_step(db.get_run(run_id), last.sequence_id, last.action, **fields)
            )
