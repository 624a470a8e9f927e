"""What the tracker records of real Burr programs' features: streams, spans and attributes,
child runs of parallel actions, typed state and registered serde types, read back through the
run database's public interface."""

from __future__ import annotations

import sqlite3

import pydantic
import pytest
from database_targets import tracker_kwargs

from burrdesk.engine import ApplicationBuilder, State, action, streaming_action
from burrdesk.engine.integrations.pydantic import PydanticTypingSystem
from burrdesk.engine.parallelism import MapStates
from burrdesk.engine.serde import KEY, deserializer, serialize
from burrdesk.engine.tracking import LocalTrackingClient, RunDatabaseTracker
from burrdesk.engine.visibility import trace
from burrdesk.model.run_database import RunDatabase
from burrdesk.model.run_database_opener import open_run_database
from burrdesk.model.run_database_schema import SCHEMA_VERSION


@streaming_action(reads=["prompt"], writes=["response"])
def respond(state: State):
    words = state["prompt"].split()
    for word in words:
        yield {"delta": word}, None
    yield {"response": " ".join(words)}, state.update(response=" ".join(words))


def test_a_streaming_step_records_its_stream(db_target):
    db = db_target
    app = (
        ApplicationBuilder()
        .with_actions(respond=respond)
        .with_transitions()
        .with_state(prompt="one two three four")
        .with_entrypoint("respond")
        .with_tracker(project="streams", **tracker_kwargs(db))
        .build()
    )
    _, container = app.stream_result(halt_after=["respond"])
    assert [item["delta"] for item in container] == ["one", "two", "three", "four"]
    app.builder.tracker.close()
    with open_run_database(db, read_only=True) as database:
        (run,) = database.list_runs()
        step = database.get_step(run.run_id, 0)
    assert step.streamed and step.item_count == 4
    assert step.stream_started_at <= step.first_item_at <= step.ended_at
    assert step.time_to_first_item >= 0 and step.result == {"response": "one two three four"}


def test_a_stream_abandoned_early_is_a_failed_step_that_says_so(db_target):
    db = db_target
    app = (
        ApplicationBuilder()
        .with_actions(respond=respond)
        .with_transitions()
        .with_state(prompt="a b c")
        .with_entrypoint("respond")
        .with_tracker(project="streams", **tracker_kwargs(db))
        .build()
    )
    _, container = app.stream_result(halt_after=["respond"])
    iterator = iter(container)
    next(iterator)
    iterator.close()
    app.builder.tracker.close()
    with open_run_database(db, read_only=True) as database:
        (run,) = database.list_runs()
        step = database.get_step(run.run_id, 0)
    assert step.status == "failed" and "stopped reading the stream" in step.error
    assert step.item_count == 1


@trace()
def lookup(term: str) -> str:
    return f"definition of {term}"


@action(reads=["term"], writes=["answer"])
def answer(state: State, __tracer) -> State:
    __tracer.log_attributes(model="tiny", temperature=0.2)
    with __tracer("retrieve") as span:
        found = lookup(state["term"])
        span.log_attributes(documents=[found])
    with __tracer("generate", span_dependencies=["retrieve"]):
        text = found.upper()
    return state.update(answer=text)


def test_spans_and_attributes_are_stored_with_their_step(db_target):
    db = db_target
    app = (
        ApplicationBuilder()
        .with_actions(answer=answer)
        .with_transitions()
        .with_state(term="burr")
        .with_entrypoint("answer")
        .with_tracker(project="rag", **tracker_kwargs(db))
        .build()
    )
    app.run(halt_after=["answer"])
    app.builder.tracker.close()
    with open_run_database(db, read_only=True) as database:
        (run,) = database.list_runs()
        spans = database.spans(run.run_id, 0)
        attributes = database.attributes(run.run_id, 0)
    assert [(s.span_id, s.parent_span_id, s.name) for s in spans] == [
        ("0:0", None, "retrieve"),
        ("0:0.0", "0:0", "lookup"),
        ("0:1", None, "generate"),
    ]
    assert spans[2].dependencies == ["retrieve"]
    assert all(s.started_at <= s.ended_at for s in spans)
    by_key = {a.key: a for a in attributes}
    assert by_key["model"].span_id is None and by_key["temperature"].value == 0.2
    assert by_key["documents"].value == ["definition of burr"]
    assert by_key["term"].span_id == "0:0.0" and by_key["return"].value == "definition of burr"
    assert by_key["__burr_function"].value.endswith("lookup")


@action(reads=["word"], writes=["length"])
def measure(state: State) -> State:
    return state.update(length=len(state["word"]))


class MeasureAll(MapStates):
    def states(self, state, context, inputs):
        for word in state["words"]:
            yield state.update(word=word)

    def action(self, state, inputs):
        return measure

    def reduce(self, state, states):
        return state.update(lengths=[sub["length"] for sub in states])

    @property
    def reads(self):
        return ["words"]

    @property
    def writes(self):
        return ["lengths"]


def test_sub_applications_are_child_runs_of_the_step_that_started_them(db_target):
    db = db_target
    app = (
        ApplicationBuilder()
        .with_actions(start=action(reads=[], writes=[])(lambda state: state), measure=MeasureAll())
        .with_transitions(("start", "measure"))
        .with_state(words=["a", "bb", "ccc", "dddd"])
        .with_entrypoint("start")
        .with_tracker(project="fan", **tracker_kwargs(db))
        .build()
    )
    assert app.run(halt_after=["measure"])[2]["lengths"] == [1, 2, 3, 4]
    app.builder.tracker.close()
    with open_run_database(db, read_only=True) as database:
        (parent,) = database.list_runs(roots_only=True)
        children = database.child_runs(parent.run_id, sequence_id=1)
        assert database.child_runs(parent.run_id, sequence_id=0) == []
        assert parent.child_count == 4 and len(children) == 4
        assert {c.spawning_parent_run_id for c in children} == {parent.run_id}
        assert {c.spawning_parent_sequence_id for c in children} == {1}
        assert sorted(database.state_at(c.run_id, 0)["length"] for c in children) == [1, 2, 3, 4]
        assert all(c.status == "completed" and c.step_count == 1 for c in children)
        assert [r.run_id for r in database.list_runs(children_of=parent.run_id)] == [
            c.run_id for c in children
        ]
        assert database.count_runs() == 5


class Quote(pydantic.BaseModel):
    author: str
    text: str


class Board(pydantic.BaseModel):
    quotes: list[Quote] = pydantic.Field(default_factory=list)
    count: int = 0


@action.pydantic(reads=["quotes", "count"], writes=["quotes", "count"])
def add_quote(state: Board, author: str) -> Board:
    state.quotes = [*state.quotes, Quote(author=author, text=f"said by {author}")]
    state.count += 1
    return state


def typed_board(db, app_id, **initialize):
    builder = (
        ApplicationBuilder()
        .with_actions(add_quote)
        .with_transitions(("add_quote", "add_quote"))
        .with_typing(PydanticTypingSystem(Board))
        .with_identifiers(app_id=app_id)
        .with_tracker(project="typed", **tracker_kwargs(db))
    )
    if initialize:
        return builder.initialize_from(builder.tracker, **initialize).build()
    return builder.with_state(Board()).with_entrypoint("add_quote").build()


def test_typed_state_is_stored_as_json_and_resumes_as_models(db_target):
    db = db_target
    app = typed_board(db, "board-1")
    app.step(inputs={"author": "ada"})
    app.step(inputs={"author": "alan"})
    app.builder.tracker.close()
    with open_run_database(db, read_only=True) as database:
        (run,) = database.list_runs()
        stored = database.state_at(run.run_id, 1)
        raw = database._query("SELECT state FROM checkpoints")
    assert stored["count"] == 2
    assert stored["quotes"][1]["author"] == "alan"
    assert stored["quotes"][1]["__burr_serde__"] == "pydantic"
    assert all(b"pickle" not in text.encode() for (text,) in raw)

    fork = typed_board(
        db,
        "board-fork",
        resume_at_next_action=True,
        default_state={},
        default_entrypoint="add_quote",
        fork_from_app_id="board-1",
        fork_from_sequence_id=0,
    )
    assert isinstance(fork.state["quotes"][0], Quote)
    fork.step(inputs={"author": "grace"})
    assert [q.author for q in fork.state.data.quotes] == ["ada", "grace"]
    fork.builder.tracker.close()


class Celsius:
    def __init__(self, degrees: float):
        self.degrees = degrees


@serialize.register(Celsius)
def _celsius_to_json(value: Celsius, **kwargs) -> dict:
    return {KEY: "celsius", "degrees": value.degrees}


@deserializer.register("celsius")
def _celsius_from_json(value: dict, **kwargs) -> Celsius:
    return Celsius(value["degrees"])


@action(reads=["temperature"], writes=["temperature"])
def warm(state: State) -> State:
    return state.update(temperature=Celsius(state["temperature"].degrees + 1.5))


def test_a_registered_type_is_stored_as_registered_and_read_back_as_the_object(db_target):
    db = db_target
    tracker = RunDatabaseTracker(db, project="serde")
    app = (
        ApplicationBuilder()
        .with_actions(warm=warm)
        .with_transitions(("warm", "warm"))
        .with_state(temperature=Celsius(20.0))
        .with_identifiers(app_id="heater")
        .with_entrypoint("warm")
        .with_tracker(tracker)
        .build()
    )
    app.step()
    app.step()
    with open_run_database(db, read_only=True) as database:
        (run,) = database.list_runs()
        assert database.state_at(run.run_id, 1)["temperature"] == {KEY: "celsius", "degrees": 23.0}
    loaded = tracker.load(None, "heater")
    assert isinstance(loaded["state"]["temperature"], Celsius)
    assert loaded["state"]["temperature"].degrees == 23.0
    tracker.close()


def test_local_tracking_client_records_into_the_run_database_not_burrs_folder(tmp_path, data_dir):
    burr_folder = tmp_path / "dot-burr"
    app = (
        ApplicationBuilder()
        .with_actions(warm=warm)
        .with_transitions()
        .with_state(temperature=Celsius(1.0))
        .with_entrypoint("warm")
        .with_tracker(LocalTrackingClient("ported", storage_dir=burr_folder))
        .build()
    )
    app.step()
    app.builder.tracker.close()
    assert not burr_folder.exists()
    with RunDatabase(data_dir / "runs.db", read_only=True) as database:
        assert [r.project for r in database.list_runs()] == ["ported"]


def test_a_version_1_file_reads_read_only_and_is_migrated_when_written(tmp_path):
    import sqlite_utils

    from burrdesk.model.run_database_schema import MIGRATIONS

    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)
    MIGRATIONS[1](old)
    old["meta"].insert_all(
        [
            {"key": "format", "value": "burrdesk.run-database"},
            {"key": "schema_version", "value": "1"},
        ]
    )
    old.execute(
        "INSERT INTO runs (project, app_id, partition_key, status, created_at, updated_at) "
        "VALUES ('p', 'a', '', 'completed', 1, 1)"
    )
    old.execute("INSERT INTO checkpoints VALUES (1, -1, '{\"x\": 1}')")
    old.execute(
        "INSERT INTO steps (run_id, sequence_id, action, status, delta) "
        "VALUES (1, 0, 'go', 'completed', '{\"set\": {\"x\": 2}}')"
    )
    old.conn.commit()
    old.close()
    with RunDatabase(path, read_only=True) as database:
        assert database.version == 1 and not database.has_spans
        (run,) = database.list_runs(roots_only=True)
        assert run.child_count == 0 and database.spans(run.run_id, 0) == []
        assert database.get_step(run.run_id, 0).item_count is None
        assert database.state_at(run.run_id, 0) == {"x": 2}
    with RunDatabase(path) as database:
        assert database.schema_version == SCHEMA_VERSION and database.has_spans
        assert database.state_at(1, 0) == {"x": 2}


@pytest.mark.parametrize("items", [0, 3])
def test_a_streaming_action_run_as_a_plain_step_records_no_stream(db_target, items):
    db = db_target
    app = (
        ApplicationBuilder()
        .with_actions(respond=respond)
        .with_transitions()
        .with_state(prompt=" ".join(["w"] * items) or "solo")
        .with_entrypoint("respond")
        .with_tracker(project="plain", **tracker_kwargs(db))
        .build()
    )
    app.step()
    app.builder.tracker.close()
    with open_run_database(db, read_only=True) as database:
        step = database.get_step(database.list_runs()[0].run_id, 0)
    assert not step.streamed and step.status == "completed"


def _version_2_file(path):
    import sqlite_utils

    from burrdesk.model.run_database_schema import MIGRATIONS

    old = sqlite_utils.Database(path)
    MIGRATIONS[1](old)
    MIGRATIONS[2](old)
    old["meta"].insert_all(
        [
            {"key": "format", "value": "burrdesk.run-database"},
            {"key": "schema_version", "value": "2"},
        ]
    )
    old.execute(
        "INSERT INTO runs (project, app_id, partition_key, status, created_at, updated_at) "
        "VALUES ('p', 'a', '', 'completed', 1, 1)"
    )
    old.execute("INSERT INTO checkpoints VALUES (1, -1, '{}')")
    old.execute(
        "INSERT INTO steps (run_id, sequence_id, action, status, item_count) "
        "VALUES (1, 0, 'go', 'completed', 7)"
    )
    old.execute(
        "INSERT INTO spans VALUES (1, 0, '0:0', NULL, 'outer', 1.0, 2.0, '[\"x\"]'), "
        "(1, 0, '0:0.0', '0:0', 'inner', 1.2, 1.5, NULL)"
    )
    old.execute(
        "INSERT INTO attributes VALUES (1, 0, 0, NULL, 'model', '\"tiny\"', 1.1), "
        "(1, 0, 1, '0:0.0', 'tokens', '12', 1.3)"
    )
    old.conn.commit()
    old.close()


def test_a_version_2_file_keeps_its_spans_read_only_and_after_migrating(tmp_path):
    path = tmp_path / "v2.db"
    _version_2_file(path)
    expected_spans = [("0:0", None, "outer", ["x"]), ("0:0.0", "0:0", "inner", [])]
    expected_attributes = [(None, "model", "tiny"), ("0:0.0", "tokens", 12)]
    for read_only in (True, False):
        with RunDatabase(path, read_only=read_only) as database:
            assert database.schema_version == (2 if read_only else SCHEMA_VERSION)
            spans = database.spans(1, 0)
            assert [(s.span_id, s.parent_span_id, s.name, s.dependencies) for s in spans] == (
                expected_spans
            )
            attributes = database.attributes(1, 0)
            assert [(a.span_id, a.key, a.value) for a in attributes] == expected_attributes
            assert database.get_step(1, 0).item_count == 7
    tables = {row[0] for row in sqlite3.connect(path).execute("SELECT name FROM sqlite_master")}
    assert "spans" not in tables and "attributes" not in tables
