"""Importing what real Burr programs log beyond steps: spans, attributes, streams and
sub-applications. Burr's own demo data (in the apache-burr package) and logs that Burr's
tracker writes here, while its programs run, are imported and compared line by line."""

from __future__ import annotations

import asyncio
import collections
import json
from pathlib import Path

import pytest
from burr.core import ApplicationBuilder, State
from burr.core.action import streaming_action
from burr.core.parallelism import MapStates
from burr.tracking import LocalTrackingClient

from burrdesk.model.burr_import import import_tracker_dir
from burrdesk.model.run_database import RunDatabase

burr = pytest.importorskip("burr")
DEMO_DATA = Path(burr.__file__).parent / "tracking" / "server" / "demo_data"


@pytest.fixture
def database(tmp_path: Path) -> RunDatabase:
    with RunDatabase(tmp_path / "runs.db") as db:
        yield db


def log_lines(app_folder: Path) -> list[dict]:
    with (app_folder / "log.jsonl").open() as handle:
        return [json.loads(line) for line in handle if line.strip()]


@pytest.mark.parametrize("project", sorted(p.name for p in DEMO_DATA.iterdir() if p.is_dir()))
def test_every_demo_project_imports_with_nothing_lost(project, database):
    result = import_tracker_dir(DEMO_DATA / project, database)
    apps = sorted(d for d in (DEMO_DATA / project).iterdir() if (d / "log.jsonl").exists())
    assert len(result.run_ids) == len(apps)
    for folder in apps:
        lines = log_lines(folder)
        run = database.find_run(folder.name, project=project)
        ends = [line for line in lines if line["type"] == "end_entry"]
        assert run.step_count == len(ends), folder
        final = {k: v for k, v in ends[-1]["state"].items() if not k.startswith("__")}
        assert database.state_at(run.run_id, ends[-1]["sequence_id"]) == final
        by_step = collections.defaultdict(lambda: {"spans": set(), "attributes": []})
        for line in lines:
            if line["type"] in ("begin_span", "end_span"):
                by_step[line["action_sequence_id"]]["spans"].add(line["span_id"])
            elif line["type"] == "attribute":
                by_step[line["action_sequence_id"]]["attributes"].append(
                    (line["span_id"], line["key"], line["value"])
                )
        for end in ends:
            sequence_id = end["sequence_id"]
            spans = database.spans(run.run_id, sequence_id)
            assert {s.span_id for s in spans} == by_step[sequence_id]["spans"]
            assert all(s.name for s in spans)
            attributes = database.attributes(run.run_id, sequence_id)
            assert [(a.span_id, a.key, a.value) for a in attributes] == by_step[sequence_id][
                "attributes"
            ]


def test_the_traced_demo_keeps_span_names_parents_and_times(database):
    import_tracker_dir(DEMO_DATA / "demo_chatbot_with_traces", database)
    run = database.find_run("chat-1-giraffe", project="demo_chatbot_with_traces")
    spans = {s.span_id: s for s in database.spans(run.run_id, 0)}
    assert spans["0:0.0"].name == "process_prompt" and spans["0:0.0"].parent_span_id == "0:0"
    assert spans["0:0"].name == "prompt"  # Burr logged only this root span's end
    assert spans["0:0.0"].started_at <= spans["0:0.0"].ended_at
    (prompt,) = [a for a in database.attributes(run.run_id, 0) if a.key == "prompt"]
    assert prompt.value == "Please draw a giraffe." and prompt.span_id == "0:0.0"


@streaming_action(reads=["prompt"], writes=["response"])
def stream_words(state: State):
    for word in state["prompt"].split():
        yield {"delta": word}, None
    yield {"response": state["prompt"]}, state.update(response=state["prompt"])


def test_a_stream_burr_logged_imports_with_its_item_count_and_times(tmp_path, database):
    storage = tmp_path / "dot-burr"
    app = (
        ApplicationBuilder()
        .with_actions(stream_words=stream_words)
        .with_transitions()
        .with_state(prompt="alpha beta gamma delta")
        .with_entrypoint("stream_words")
        .with_tracker(LocalTrackingClient(project="streams", storage_dir=str(storage)))
        .with_identifiers(app_id="streamer")
        .build()
    )
    _, container = app.stream_result(halt_after=["stream_words"])
    assert len(list(container)) == 4
    (end_stream,) = [
        line for line in log_lines(storage / "streams" / "streamer") if line["type"] == "end_stream"
    ]
    import_tracker_dir(storage, database)
    run = database.find_run("streamer", project="streams")
    step = database.get_step(run.run_id, 0)
    assert step.item_count == end_stream["items_streamed"] == 4
    assert step.stream_started_at <= step.first_item_at and step.time_to_first_item is not None


def test_sub_applications_burr_logged_become_child_runs(tmp_path, database):
    from burr.core import action

    @action(reads=["n"], writes=["n2"])
    def square(state: State) -> State:
        return state.update(n2=state["n"] ** 2)

    class Squares(MapStates):
        def states(self, state, context, inputs):
            for n in state["ns"]:
                yield state.update(n=n)

        def action(self, state, inputs):
            return square

        def reduce(self, state, states):
            return state.update(squares=[s["n2"] for s in states])

        @property
        def reads(self):
            return ["ns"]

        @property
        def writes(self):
            return ["squares"]

    storage = tmp_path / "dot-burr"
    app = (
        ApplicationBuilder()
        .with_actions(squares=Squares())
        .with_transitions()
        .with_state(ns=[2, 3, 4])
        .with_entrypoint("squares")
        .with_tracker(LocalTrackingClient(project="fan", storage_dir=str(storage)))
        .with_identifiers(app_id="fan-parent")
        .build()
    )
    app.run(halt_after=["squares"])
    result = import_tracker_dir(storage, database)
    assert len(result.run_ids) == 4
    (parent,) = database.list_runs(project="fan", roots_only=True)
    assert parent.app_id == "fan-parent" and parent.child_count == 3
    children = database.child_runs(parent.run_id, sequence_id=0)
    assert sorted(database.state_at(c.run_id, 0)["n2"] for c in children) == [4, 9, 16]


def test_an_async_stream_from_burr_imports_too(tmp_path, database):
    @streaming_action(reads=[], writes=["text"])
    async def speak(state: State):
        for letter in "abc":
            await asyncio.sleep(0)
            yield {"letter": letter}, None
        yield {"text": "abc"}, state.update(text="abc")

    storage = tmp_path / "dot-burr"

    async def main():
        app = (
            ApplicationBuilder()
            .with_actions(speak=speak)
            .with_transitions()
            .with_entrypoint("speak")
            .with_tracker(LocalTrackingClient(project="async", storage_dir=str(storage)))
            .with_identifiers(app_id="speaker")
            .build()
        )
        _, container = await app.astream_result(halt_after=["speak"])
        return [item async for item in container]

    assert len(asyncio.run(main())) == 3
    import_tracker_dir(storage, database)
    run = database.find_run("speaker", project="async")
    assert database.get_step(run.run_id, 0).item_count == 3
