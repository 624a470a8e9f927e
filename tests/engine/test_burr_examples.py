"""Real Burr example programs, run unchanged under Apache Burr and, with only their imports
changed, under burrdesk (see burr_examples/porting.py), against a local OpenAI-compatible
server. Both must produce the same results and states; burrdesk must also have recorded what
they did (streams, spans, child runs, typed state, custom serde) in its run database.

The streaming chatbot is the one Burr ships in its package (`burr/examples/streaming-fastapi`);
the others come from Burr's repository (burr_examples/programs, with their provenance noted).
Libraries those programs use that are not installed here (instructor, youtube_transcript_api,
langchain_core) are replaced by small stand-ins registered as those modules.
"""

from __future__ import annotations

import asyncio
import sys
import types
import uuid
from pathlib import Path

import pydantic
import pytest
from burr_examples.porting import load_example, port_imports
from side_by_side import IMPLEMENTATIONS, public

from burrdesk.model.run_database import RunDatabase

PROGRAMS = Path(__file__).parent / "burr_examples" / "programs"
MODE_QUESTION = "respond with *only* a single word representing the mode"


@pytest.fixture
def llm(openai_server, monkeypatch, tmp_path, data_dir):
    """The openai client of every program talks to the local server; Burr's tracker writes to
    a temporary home; burrdesk's into the test's data directory."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-key")
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return openai_server


def run_database(data_dir: Path) -> RunDatabase:
    return RunDatabase(data_dir / "runs.db", read_only=True)


def close_trackers() -> None:
    from burrdesk.engine.tracking import run_database_tracker

    for tracker in list(run_database_tracker._open_trackers):
        tracker.close()


def test_porting_changes_only_the_import_lines():
    source = (PROGRAMS / "parallel_diagnosis.py").read_text()
    ported = port_imports(source)
    assert len(ported.splitlines()) == len(source.splitlines())
    changed = [
        (old, new)
        for old, new in zip(source.splitlines(), ported.splitlines(), strict=True)
        if old != new
    ]
    assert changed == [
        ("from burr import core", "from burrdesk import engine as core"),
        (
            "from burr.core import Action, ApplicationContext, GraphBuilder, State, action",
            "from burrdesk.engine import Action, ApplicationContext, GraphBuilder, State, action",
        ),
        (
            "from burr.core.parallelism import MapStates, RunnableGraph",
            "from burrdesk.engine.parallelism import MapStates, RunnableGraph",
        ),
        (
            "from burr.tracking import LocalTrackingClient",
            "from burrdesk.engine.tracking import LocalTrackingClient",
        ),
    ]


def test_the_streaming_chatbot_burr_ships_streams_the_same_answer(llm, data_dir):
    burr = pytest.importorskip("burr")
    path = Path(burr.__file__).parent / "examples" / "streaming-fastapi" / "application.py"
    llm.canned[MODE_QUESTION] = "answer_question"
    outcomes = {}
    for implementation in IMPLEMENTATIONS:
        program = load_example(path, implementation, f"streaming_chatbot_{implementation}")

        async def chat(program=program):
            app = program.application()
            action, container = await app.astream_result(
                halt_after=program.TERMINAL_ACTIONS,
                inputs={"prompt": "What is the capital of France?"},
            )
            deltas = [item["delta"] async for item in container]
            result, state = await container.get()
            return action.name, deltas, result["response"], public(state)["chat_history"]

        outcomes[implementation] = asyncio.run(chat())
    assert outcomes["burrdesk"] == outcomes["burr"]
    name, deltas, response, history = outcomes["burrdesk"]
    assert name == "answer_question" and len(deltas) > 3
    assert response["content"] == "".join(deltas)
    assert response["content"].startswith("reply to: Please answer the following question")
    close_trackers()
    with run_database(data_dir) as database:
        (run,) = database.list_runs(project="demo_chatbot_streaming")
        steps = database.read_steps(run.run_id)
        assert [s.action for s in steps] == [
            "prompt",
            "check_safety",
            "decide_mode",
            "answer_question",
        ]
        streamed = steps[-1]
        assert streamed.item_count == len(deltas) and streamed.time_to_first_item is not None
        assert database.state_at(run.run_id, 3)["chat_history"][-1] == response


def test_the_traced_chatbot_records_its_spans_and_attributes(llm, data_dir):
    llm.canned[MODE_QUESTION] = "answer_question"
    finals = {}
    for implementation in IMPLEMENTATIONS:
        program = load_example(
            PROGRAMS / "tracing_and_spans.py", implementation, f"traced_chat_{implementation}"
        )
        app = program.application(app_id=f"traced-{uuid.uuid4()}")
        _, _, state = app.run(
            halt_after=["response"], inputs={"prompt": "What is the capital of France?"}
        )
        finals[implementation] = public(state)
    assert finals["burrdesk"] == finals["burr"]
    assert finals["burrdesk"]["mode"] == "answer_question"
    close_trackers()
    with run_database(data_dir) as database:
        (run,) = database.list_runs(project="demo_tracing")
        steps = {s.action: s.sequence_id for s in database.read_steps(run.run_id)}
        decide = database.spans(run.run_id, steps["decide_mode"])
        assert [(s.span_id, s.name) for s in decide] == [
            (f"{steps['decide_mode']}:0", "generate_prompt"),
            (f"{steps['decide_mode']}:1", "query_openai"),
            (f"{steps['decide_mode']}:1.0", "create_openai_client"),
            (f"{steps['decide_mode']}:1.1", "query_openai"),
            (f"{steps['decide_mode']}:2", "process_openai_response"),
        ]
        attributes = {a.key: a for a in database.attributes(run.run_id, steps["answer_question"])}
        assert attributes["model"].span_id is None and attributes["model"].value == "gpt-3.5-turbo"
        assert attributes["total_tokens"].value == 15
        assert attributes["prepend_prompt"].value == "Please answer the following question:"


def test_the_parallel_diagnosis_fans_out_child_runs(llm, data_dir):
    llm.canned["Diagnosis hypothesis:Common cold"] = "yes"
    llm.canned["Diagnosis hypothesis:"] = "no"
    answers = {}
    for implementation in IMPLEMENTATIONS:
        program = load_example(
            PROGRAMS / "parallel_diagnosis.py", implementation, f"diagnosis_{implementation}"
        )
        answers[implementation] = program.run_my_agent(
            "Patient exhibits mucus dripping from nostrils and coughing.",
            tracking_project="diagnosis",
        )
    assert answers["burrdesk"] == answers["burr"]
    assert answers["burrdesk"][1] == "Common cold"
    close_trackers()
    with run_database(data_dir) as database:
        (parent,) = database.list_runs(project="diagnosis", roots_only=True)
        children = database.child_runs(parent.run_id, sequence_id=1)
        assert len(children) == 3 and parent.child_count == 3
        diagnoses = {
            database.state_at(c.run_id, 0)["hypothesis"]: database.state_at(c.run_id, 0)[
                "diagnosis"
            ]
            for c in children
        }
        assert diagnoses == {"Common cold": "yes", "Sprained ankle": "no", "Broken arm": "no"}


def _stand_in(name: str, **attributes) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__.update(attributes)
    return module


class _Completions:
    """instructor's `chat.completions` over a fake model: it fills the response model in."""

    def create(self, *, response_model, messages, **kwargs):
        return self._post(response_model, messages)

    def create_partial(self, *, response_model, messages, **kwargs):
        post = self._post(response_model, messages)
        fields = list(type(post).model_fields)
        for count in range(1, len(fields) + 1):
            yield response_model.model_construct(**{f: getattr(post, f) for f in fields[:count]})

    @staticmethod
    def _post(response_model, messages):
        transcript = messages[-1]["content"]
        concept = {
            "term": "state machine",
            "definition": "actions and transitions",
            "timestamp": 1.5,
        }
        return response_model(
            topic="Burr",
            hook="Ever wondered how agents keep state?",
            body=f"A video about {transcript[:40]}",
            concepts=[concept],
            key_takeaways=["state is immutable", "actions are small"],
        )


@pytest.fixture
def typed_state_stand_ins(monkeypatch):
    client = types.SimpleNamespace(chat=types.SimpleNamespace(completions=_Completions()))
    monkeypatch.setitem(
        sys.modules, "instructor", _stand_in("instructor", from_openai=lambda openai_client: client)
    )
    transcript = [{"start": 0.0, "text": "state machines"}, {"start": 2.0, "text": "with Burr"}]
    api = types.SimpleNamespace(get_transcript=lambda video_id, languages: transcript)
    monkeypatch.setitem(
        sys.modules,
        "youtube_transcript_api",
        _stand_in("youtube_transcript_api", YouTubeTranscriptApi=api),
    )


def test_the_typed_state_example_streams_models_and_stores_them_as_json(
    llm, data_dir, typed_state_stand_ins
):
    """Both of its applications: the streaming one streams partial posts (and, as Burr's
    example is written, ends with the state it was given), the plain one stores the post."""
    outcomes = {}
    for implementation in IMPLEMENTATIONS:
        program = load_example(
            PROGRAMS / "typed_state.py", implementation, f"typed_{implementation}"
        )
        streaming = program.build_streaming_application()
        _, container = streaming.stream_result(
            halt_after=["generate_post"],
            inputs={"youtube_url": "https://www.youtube.com/watch?v=hqutVJyd3TI"},
        )
        partials = [post.model_dump(exclude_unset=True) for post in container]
        _, streamed_state = container.get()
        plain = program.build_application()
        _, _, state = plain.run(
            halt_after=["generate_post"],
            inputs={"youtube_url": "https://www.youtube.com/watch?v=hqutVJyd3TI"},
        )
        outcomes[implementation] = (
            partials,
            type(streamed_state.data).__name__,
            type(state.data.post).__name__,
            state.data.post.model_dump(),
            state.data.transcript,
        )
    assert outcomes["burrdesk"] == outcomes["burr"]
    partials, kind, post_kind, post, transcript = outcomes["burrdesk"]
    assert len(partials) == 6 and partials[0] == {"topic": "Burr"}  # one per model field
    assert (kind, post_kind) == ("ApplicationState", "SocialMediaPost")
    assert post["concepts"][0]["term"] == "state machine"
    assert transcript == "ts=0.0 - state machines ts=2.0 - with Burr"
    close_trackers()
    with run_database(data_dir) as database:
        streamed_run, plain_run = sorted(
            database.list_runs(project="youtube-post"), key=lambda run: run.run_id
        )
        assert database.get_step(streamed_run.run_id, 1).item_count == len(partials)
        stored = database.state_at(plain_run.run_id, 1)
    assert stored["post"]["concepts"][0]["definition"] == "actions and transitions"
    assert stored["post"]["__burr_serde__"] == "pydantic"


class _Document(pydantic.BaseModel):
    """langchain_core's Document, as much as the custom-serde example uses of it."""

    page_content: str


def test_the_custom_serde_example_round_trips_its_own_types_through_the_tracker(
    llm, data_dir, monkeypatch
):
    documents = _stand_in("langchain_core.documents", Document=_Document)
    monkeypatch.setitem(
        sys.modules, "langchain_core", _stand_in("langchain_core", documents=documents)
    )
    monkeypatch.setitem(sys.modules, "langchain_core.documents", documents)
    outcomes = {}
    for implementation in IMPLEMENTATIONS:
        program = load_example(
            PROGRAMS / "custom_serde.py", implementation, f"serde_{implementation}"
        )
        app_id = f"serde-{uuid.uuid4()}"
        app = program.build_application("client-123", app_id)
        _, _, state = app.run(halt_after=["terminal_action"], inputs={"user_input": "hello world"})
        serialized = state.serialize()
        revived = type(state).deserialize(serialized)
        assert state.get_all() == revived.get_all()
        custom = {k: v for k, v in serialized["dict"].items()}
        outcomes[implementation] = (
            custom,
            serialized["custom_field"],
            state["lc_doc"].page_content,
        )
        resumed = program.build_application("client-123", app_id)
        assert resumed.state["dict"]["bar"] == program.CustomClass("example value")
        assert resumed.state["custom_field"].page_content == "this is a custom field to serialize"
    assert outcomes["burrdesk"] == outcomes["burr"]
    custom, field, _ = outcomes["burrdesk"]
    assert custom["bar"] == {"__burr_serde__": "CustomClass", "value": "[value==example value]"}
    assert field == {"value": "serialized::this is a custom field to serialize"}
    close_trackers()
    with run_database(data_dir) as database:
        (run, *_) = database.list_runs(project="serde-example")
        stored = database.state_at(run.run_id, 0)
    assert stored["dict"]["bar"] == custom["bar"]
