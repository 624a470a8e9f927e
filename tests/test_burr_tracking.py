"""burrdesk's tracker inside real Apache Burr programs: nothing but `with_tracker` changes.

Each program runs under Apache Burr (`burr.core`, from the test extra). Where it says so, the
same run is also recorded by Burr's own local tracker and that log is imported into a second
run database, so what burrdesk recorded live is checked against what Burr itself wrote.
"""

from __future__ import annotations

import asyncio
import importlib.util
import uuid
from pathlib import Path

import pydantic
import pytest

from burrdesk.model.burr_import import import_tracker_dir
from burrdesk.model.run_database import RunDatabase
from burrdesk.model.run_database_opener import open_run_database

burr_core = pytest.importorskip("burr.core", reason="apache-burr is in the test extra")
from burr.core import ApplicationBuilder, State, action, default, expr, when  # noqa: E402
from burr.core.action import streaming_action  # noqa: E402
from burr.tracking import LocalTrackingClient  # noqa: E402
from burr.visibility import TracerFactory  # noqa: E402

from burrdesk.burr_tracking import RunDatabaseTracker  # noqa: E402

PROGRAMS = Path(__file__).parent / "engine" / "burr_examples" / "programs"


def _load_program(name: str):
    """One of Burr's example programs, as Burr wrote it (imports included)."""
    spec = importlib.util.spec_from_file_location(f"tracked_{name}", PROGRAMS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@action(reads=[], writes=["question"])
def ask(state: State, question: str) -> tuple[dict, State]:
    return {"question": question}, state.update(question=question)


@action(reads=["question"], writes=["answer", "tries"])
def answer(state: State, __tracer: TracerFactory) -> tuple[dict, State]:
    with __tracer("retrieve") as retrieve:
        retrieve.log_attributes(documents=3)
        with __tracer("rank"):
            pass
    with __tracer("compose") as compose:
        compose.log_attributes(model="gpt-4o-mini", prompt_tokens=12)
    reply = state["question"].upper()
    return {"answer": reply}, state.update(answer=reply).update(tries=state.get("tries", 0) + 1)


@action(reads=["question"], writes=["answer", "tries"])
async def answer_later(state: State, __tracer: TracerFactory) -> tuple[dict, State]:
    await asyncio.sleep(0)
    with __tracer("retrieve"):
        await asyncio.sleep(0)
    reply = state["question"].upper()
    return {"answer": reply}, state.update(answer=reply, tries=state.get("tries", 0) + 1)


@streaming_action(reads=["answer"], writes=["spoken"])
def speak(state: State):
    words = state["answer"].split()
    for word in words:
        yield {"delta": word}, None
    spoken = " ".join(words)
    yield {"spoken": spoken}, state.update(spoken=spoken)


@action(reads=["tries"], writes=[])
def give_up(state: State) -> tuple[dict, State]:
    raise RuntimeError(f"gave up after {state['tries']} tries")


def _application(tracker, app_id: str, *, failing: bool = False, hooks=(), answering=answer):
    builder = (
        ApplicationBuilder()
        .with_actions(ask=ask, answer=answering, speak=speak, give_up=give_up)
        .with_transitions(
            ("ask", "answer"),
            ("answer", "give_up", expr("tries > 0") if failing else when(tries=-1)),
            ("answer", "speak", default),
        )
        .with_state(tries=0)
        .with_entrypoint("ask")
        .with_identifiers(app_id=app_id, partition_key="user-1")
        .with_tracker(tracker)
    )
    if hooks:
        builder = builder.with_hooks(*hooks)
    return builder.build()


@pytest.fixture
def db_path(db_target: str) -> str:
    """Real Burr programs record into a file and, the same tests again, into PostgreSQL."""
    return db_target


def _run_question(app) -> None:
    app.run(halt_after=["ask"], inputs={"question": "what is burr"})
    _, streaming = app.stream_result(halt_after=["speak"])
    assert [item["delta"] for item in streaming] == ["WHAT", "IS", "BURR"]
    streaming.get()


def test_a_burr_program_records_steps_spans_attributes_and_streams(db_path, tmp_path):
    """The same run is recorded by burrdesk and by Burr's own tracker: they must agree."""
    burr_dir = tmp_path / "burr"
    tracker = RunDatabaseTracker(project="agent", db_path=db_path)
    burr_tracker = LocalTrackingClient(project="agent", storage_dir=str(burr_dir))
    app_id = f"app-{uuid.uuid4()}"
    _run_question(_application(tracker, app_id, hooks=[burr_tracker]))
    tracker.close()

    with open_run_database(db_path, read_only=True) as database:
        (run,) = database.list_runs(project="agent")
        assert (run.app_id, run.partition_key, run.status) == (app_id, "user-1", "completed")
        steps = database.read_steps(run.run_id)
        assert [(s.sequence_id, s.action, s.status) for s in steps] == [
            (0, "ask", "completed"),
            (1, "answer", "completed"),
            (2, "speak", "completed"),
        ]
        assert steps[0].inputs == {"question": "what is burr"}
        assert steps[1].result == {"answer": "WHAT IS BURR"}
        assert steps[2].item_count == 3 and steps[2].time_to_first_item is not None
        final = database.state_at(run.run_id, 2)
        assert (final["spoken"], final["tries"]) == ("WHAT IS BURR", 1)
        spans = [(s.span_id, s.name) for s in database.spans(run.run_id, 1)]
        assert spans == [("1:0", "retrieve"), ("1:0.0", "rank"), ("1:1", "compose")]
        attributes = {(a.span_id, a.key): a.value for a in database.attributes(run.run_id, 1)}
        assert attributes == {
            ("1:0", "documents"): 3,
            ("1:1", "model"): "gpt-4o-mini",
            ("1:1", "prompt_tokens"): 12,
        }
        actions = {a["name"]: a for a in run.graph["actions"]}
        assert set(actions) == {"ask", "answer", "speak", "give_up"}
        assert "def answer(state: State, __tracer: TracerFactory)" in actions["answer"]["source"]
        assert run.entrypoint == "ask"
        live = (
            [(s.action, s.inputs, s.result) for s in steps],
            [database.state_at(run.run_id, s.sequence_id) for s in steps],
            spans,
            attributes,
        )

    imported_path = tmp_path / "imported.db"
    with RunDatabase(imported_path) as imported:
        (imported_id,) = import_tracker_dir(burr_dir, imported).run_ids
        from_burr_steps = imported.read_steps(imported_id)
        from_burr = (
            [(s.action, s.inputs, s.result) for s in from_burr_steps],
            [imported.state_at(imported_id, s.sequence_id) for s in from_burr_steps],
            [(s.span_id, s.name) for s in imported.spans(imported_id, 1)],
            {(a.span_id, a.key): a.value for a in imported.attributes(imported_id, 1)},
        )
    assert live == from_burr


def test_an_exception_in_a_burr_action_is_recorded_and_the_run_marked_failed(db_path):
    tracker = RunDatabaseTracker(project="agent", db_path=db_path)
    app = _application(tracker, "failing", failing=True)
    with pytest.raises(RuntimeError, match="gave up after 1 tries"):
        app.run(halt_after=["speak"], inputs={"question": "why"})
    tracker.close()
    with open_run_database(db_path, read_only=True) as database:
        (run,) = database.list_runs(project="agent")
        failed = database.get_step(run.run_id, 2)
        assert run.status == "failed"
        assert (failed.action, failed.status) == ("give_up", "failed")
        assert "RuntimeError: gave up after 1 tries" in failed.error
        assert "raise RuntimeError" in failed.traceback
        assert database.state_at(run.run_id, 1)["answer"] == "WHY"


@pytest.mark.parametrize("answering", [answer, answer_later], ids=["sync-action", "async-action"])
def test_an_async_burr_application_records_like_a_sync_one(db_path, answering):
    """`arun` with async actions, and with sync ones, whose hooks Burr 0.43 calls with the state
    from before the step (apache/burr#895): the recorded states are right either way."""
    tracker = RunDatabaseTracker(project="agent", db_path=db_path)
    app = _application(tracker, "async", answering=answering)

    async def main():
        await app.arun(halt_after=["answer"], inputs={"question": "async too"})

    asyncio.run(main())
    tracker.close()
    with open_run_database(db_path, read_only=True) as database:
        (run,) = database.list_runs(project="agent")
        assert [s.action for s in database.read_steps(run.run_id)] == ["ask", "answer"]
        assert database.state_at(run.run_id, 0) == {"tries": 0, "question": "async too"}
        assert database.state_at(run.run_id, 1)["answer"] == "ASYNC TOO"
        assert database.state_at(run.run_id, 1)["tries"] == 1
        assert [s.name for s in database.spans(run.run_id, 1)][0] == "retrieve"


def test_a_recorded_burr_run_is_forked_with_burrs_own_initialize_from(db_path):
    tracker = RunDatabaseTracker(project="agent", db_path=db_path)
    _run_question(_application(tracker, "original"))
    forked = (
        ApplicationBuilder()
        .with_actions(ask=ask, answer=answer, speak=speak, give_up=give_up)
        .with_transitions(("ask", "answer"), ("answer", "speak"))
        .initialize_from(
            tracker,
            resume_at_next_action=True,
            default_state={},
            default_entrypoint="ask",
            fork_from_app_id="original",
            fork_from_partition_key="user-1",
            fork_from_sequence_id=1,
        )
        .with_identifiers(app_id="fork", partition_key="user-1")
        .with_tracker(tracker)
        .build()
    )
    assert forked.state["answer"] == "WHAT IS BURR"
    _, streaming = forked.stream_result(halt_after=["speak"])
    streaming.get()
    tracker.close()
    with open_run_database(db_path, read_only=True) as database:
        original = database.find_run("original", project="agent", partition_key="user-1")
        fork = database.find_run("fork", project="agent", partition_key="user-1")
        assert (fork.parent_run_id, fork.parent_sequence_id) == (original.run_id, 1)
        assert [s.sequence_id for s in database.read_steps(fork.run_id)] == [2]
        assert database.state_at(fork.run_id, 2)["spoken"] == "WHAT IS BURR"


def test_the_parallel_diagnosis_records_its_sub_applications(openai_server, monkeypatch, db_path):
    """Burr's MapStates example (unchanged) built with burrdesk's tracker: each hypothesis
    runs as a child application, linked to the step that started it."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-key")
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    openai_server.canned["Diagnosis hypothesis:Common cold"] = "yes"
    openai_server.canned["Diagnosis hypothesis:"] = "no"
    program = _load_program("parallel_diagnosis")
    audio = "Patient exhibits mucus dripping from nostrils and coughing."
    tracker = RunDatabaseTracker(project="diagnosis", db_path=db_path)
    app = program.build_application(
        "visit-1", program.build_graph(), {"audio": audio}, "transcribe_audio", None, tracker
    )
    *_, state = app.run(halt_after=["determine_diagnosis"], inputs={"audio": audio})
    assert state["final_diagnosis"] == "Common cold"
    tracker.close()
    with open_run_database(db_path, read_only=True) as database:
        (parent,) = database.list_runs(project="diagnosis", roots_only=True)
        assert parent.status == "completed" and parent.child_count == 3
        assert [s.action for s in database.read_steps(parent.run_id)] == [
            "transcribe_audio",
            "hypotheses",
            "determine_diagnosis",
        ]
        children = database.child_runs(parent.run_id, sequence_id=1)
        outcomes = {
            database.state_at(c.run_id, 0)["hypothesis"]: database.state_at(c.run_id, 0)[
                "diagnosis"
            ]
            for c in children
        }
        assert outcomes == {"Common cold": "yes", "Sprained ankle": "no", "Broken arm": "no"}
        assert all(c.status == "completed" for c in children)


class Conversation(pydantic.BaseModel):
    question: str = ""
    answer: str | None = None


def test_pydantic_typed_burr_state_is_stored_as_json_and_forks_back(db_path):
    from burr.integrations.pydantic import PydanticTypingSystem, pydantic_action

    @pydantic_action(reads=["question"], writes=["answer"])
    def reply(state: Conversation) -> Conversation:
        state.answer = f"you asked {state.question!r}"
        return state

    tracker = RunDatabaseTracker(project="typed", db_path=db_path)
    app = (
        ApplicationBuilder()
        .with_actions(reply=reply)
        .with_transitions()
        .with_typing(PydanticTypingSystem(Conversation))
        .with_state(Conversation(question="why typed?"))
        .with_entrypoint("reply")
        .with_identifiers(app_id="typed")
        .with_tracker(tracker)
        .build()
    )
    _, _, state = app.run(halt_after=["reply"])
    assert state.data.answer == "you asked 'why typed?'"
    loaded = tracker.load(None, "typed", 0)
    assert loaded["state"]["answer"] == "you asked 'why typed?'"
    tracker.close()
    with open_run_database(db_path, read_only=True) as database:
        (run,) = database.list_runs(project="typed")
        assert run.status == "completed"
        assert database.state_at(run.run_id, 0)["answer"] == "you asked 'why typed?'"


def test_the_tracker_needs_no_other_change_to_the_default_database(data_dir):
    """Without `db_path` it records where the desktop app looks: the default run database."""
    tracker = RunDatabaseTracker(project="defaults")
    app = _application(tracker, "default-db")
    app.run(halt_after=["ask"], inputs={"question": "where"})
    tracker.close()
    with RunDatabase(data_dir / "runs.db", read_only=True) as database:
        (run,) = database.list_runs(project="defaults")
        assert [s.action for s in database.read_steps(run.run_id)] == ["ask"]
