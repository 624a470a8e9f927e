"""Following a Burr tracker folder in place: Burr's demo data and logs that real Burr programs
write while the mirror reads them, compared with the logs and with a one-off import."""

from __future__ import annotations

import collections
import json
import shutil
from pathlib import Path

import pytest

burr = pytest.importorskip("burr")
from burr.core import ApplicationBuilder, State, action, default  # noqa: E402
from burr.core.action import streaming_action  # noqa: E402
from burr.core.parallelism import MapStates  # noqa: E402
from burr.tracking import LocalTrackingClient  # noqa: E402

from burrdesk.model.burr_import import import_tracker_dir  # noqa: E402
from burrdesk.model.burr_trace_mirror import BurrTraceMirror, cache_path_for  # noqa: E402
from burrdesk.model.burr_tracker_format import BurrFormatError  # noqa: E402
from burrdesk.model.run_database import RunDatabase  # noqa: E402

DEMO_DATA = Path(burr.__file__).parent / "tracking" / "server" / "demo_data"
DEMO_PROJECTS = sorted(p.name for p in DEMO_DATA.iterdir() if p.is_dir())


def mirror_of(folder: Path, tmp_path: Path, **options) -> BurrTraceMirror:
    options.setdefault("quiet_seconds", 0)
    options.setdefault("active_seconds", 0)
    return BurrTraceMirror(folder, tmp_path / "mirror.db", **options)


def read_all(mirror: BurrTraceMirror, **options) -> None:
    while mirror.sync(**options).more:
        pass


def log_lines(app_folder: Path) -> list[dict]:
    with (app_folder / "log.jsonl").open() as handle:
        return [json.loads(line) for line in handle if line.strip()]


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
    }


def same_runs(left: RunDatabase, right: RunDatabase) -> None:
    """Both databases hold the same apps with the same steps, states, spans and streams."""
    runs_left = {(r.project, r.app_id): r for r in left.list_runs(limit=10_000)}
    runs_right = {(r.project, r.app_id): r for r in right.list_runs(limit=10_000)}
    assert runs_left.keys() == runs_right.keys()
    for key, a in runs_left.items():
        b = runs_right[key]
        assert (a.status, a.step_count, a.first_sequence_id, a.last_sequence_id) == (
            b.status,
            b.step_count,
            b.first_sequence_id,
            b.last_sequence_id,
        ), key
        assert a.graph == b.graph
        assert left.initial_state(a.run_id) == right.initial_state(b.run_id), key
        steps_a = left.read_steps(a.run_id, 0, 100_000)
        steps_b = right.read_steps(b.run_id, 0, 100_000)
        fields = ("sequence_id", "action", "status", "inputs", "result", "error", "item_count")
        assert [[getattr(s, f) for f in fields] for s in steps_a] == [
            [getattr(s, f) for f in fields] for s in steps_b
        ], key
        for step in steps_a:
            seq = step.sequence_id
            assert left.state_at(a.run_id, seq) == right.state_at(b.run_id, seq)
            assert left.spans(a.run_id, seq) == right.spans(b.run_id, seq)
            assert left.attributes(a.run_id, seq) == right.attributes(b.run_id, seq)


# --- Burr's demo data ---------------------------------------------------------------------


@pytest.mark.parametrize("project", DEMO_PROJECTS)
def test_every_demo_project_opens_in_place_with_nothing_lost(project, tmp_path):
    folder = DEMO_DATA / project
    before = snapshot(folder)
    with mirror_of(folder, tmp_path) as mirror:
        read_all(mirror)
        database = mirror.database
        apps = sorted(d for d in folder.iterdir() if (d / "log.jsonl").exists())
        assert database.count_runs() == len(apps)
        for app_folder in apps:
            lines = log_lines(app_folder)
            run = database.find_run(app_folder.name, project=project)
            ends = [line for line in lines if line["type"] == "end_entry"]
            assert run.step_count == len(ends)
            final = {k: v for k, v in ends[-1]["state"].items() if not k.startswith("__")}
            assert database.state_at(run.run_id, ends[-1]["sequence_id"]) == final
            spans = collections.Counter(
                line["action_sequence_id"] for line in lines if line["type"] == "begin_span"
            )
            attributes = collections.Counter(
                line["action_sequence_id"] for line in lines if line["type"] == "attribute"
            )
            for end in ends:
                seq = end["sequence_id"]
                assert len(database.spans(run.run_id, seq)) >= spans[seq]
                assert len(database.attributes(run.run_id, seq)) == attributes[seq]
        with RunDatabase(tmp_path / "imported.db") as imported:
            import_tracker_dir(folder, imported)
            same_runs(database, imported)
    assert snapshot(folder) == before, "nothing may be written into the Burr folder"


def test_the_whole_demo_folder_reads_in_pieces_alike(tmp_path):
    with mirror_of(DEMO_DATA, tmp_path) as mirror:
        rounds = 0
        while mirror.sync(step_budget=7).more:
            rounds += 1
        assert rounds > 10
        with RunDatabase(tmp_path / "imported.db") as imported:
            import_tracker_dir(DEMO_DATA, imported)
            same_runs(mirror.database, imported)


def test_the_app_being_looked_at_is_read_first(tmp_path):
    with mirror_of(DEMO_DATA, tmp_path) as mirror:
        mirror.sync(step_budget=1)
        counter = mirror.database.find_run("count-to-42", project="demo_counter")
        assert counter.step_count < 43
        mirror.sync(step_budget=100, prefer=counter.run_id)
        assert mirror.database.get_run(counter.run_id).step_count == 43


# --- logs that grow while they are read -----------------------------------------------------


def copy_app(source: Path, target: Path) -> bytes:
    """The app folder without its log; returns the log's bytes to be written in pieces."""
    target.mkdir(parents=True)
    for name in ("graph.json", "metadata.json"):
        if (source / name).exists():
            shutil.copy(source / name, target / name)
    return (source / "log.jsonl").read_bytes()


def test_a_growing_log_is_followed_piece_by_piece_and_half_lines_wait(tmp_path):
    storage = tmp_path / "dot-burr"
    app = storage / "demo_chatbot_with_traces" / "chat-1-giraffe"
    data = copy_app(DEMO_DATA / "demo_chatbot_with_traces" / "chat-1-giraffe", app)
    log = app / "log.jsonl"
    log.write_bytes(b"")
    # Each piece lands just now, so the last step of each is still open (its root span ends
    # after its end entry): it waits until the log has been quiet for a while.
    with mirror_of(storage, tmp_path / "cache", quiet_seconds=60) as mirror:
        mirror.sync()
        run_id = mirror.database.find_run("chat-1-giraffe").run_id
        assert mirror.database.get_run(run_id).status == "created"
        counts = []
        cut = 0
        while cut < len(data):
            cut = min(len(data), cut + 173)  # cuts fall mid-line almost every time
            log.write_bytes(data[:cut])
            mirror.sync()
            counts.append(mirror.database.get_run(run_id).step_count)
        assert counts == sorted(counts) and counts[0] < counts[-1]
        mirror.quiet_seconds = 0
        mirror.sync()
        with RunDatabase(tmp_path / "imported.db") as imported:
            import_tracker_dir(storage, imported)
            same_runs(mirror.database, imported)


def test_the_last_step_waits_until_the_log_is_quiet(tmp_path):
    storage = tmp_path / "dot-burr"
    app = storage / "demo_counter" / "count-to-42"
    data = copy_app(DEMO_DATA / "demo_counter" / "count-to-42", app)
    (app / "log.jsonl").write_bytes(data)
    with mirror_of(storage, tmp_path / "cache", quiet_seconds=3600) as mirror:
        mirror.sync()
        run = mirror.database.find_run("count-to-42")
        assert run.step_count == 42 and run.status == "running"
    with mirror_of(storage, tmp_path / "cache", quiet_seconds=0, active_seconds=3600) as mirror:
        mirror.sync()
        run = mirror.database.find_run("count-to-42")
        assert run.step_count == 43 and run.status == "running"  # it may go on: Burr logs no end
        mirror.active_seconds = 0
        mirror.sync()
        assert mirror.database.get_run(run.run_id).status == "completed"


def test_a_step_that_never_ends_is_running_then_interrupted(tmp_path):
    storage = tmp_path / "dot-burr"
    app = storage / "demo_counter" / "count-to-42"
    data = copy_app(DEMO_DATA / "demo_counter" / "count-to-42", app)
    lines = data.splitlines(keepends=True)
    begin = next(i for i, line in enumerate(lines) if b'"begin_entry"' in line and i > 10)
    (app / "log.jsonl").write_bytes(b"".join(lines[: begin + 1]))
    with mirror_of(storage, tmp_path / "cache") as mirror:
        mirror.sync()
        run = mirror.database.find_run("count-to-42")
        assert run.status == "running"
        mirror.running_seconds = 0
        mirror.sync()
        assert mirror.database.get_run(run.run_id).status == "interrupted"


def test_reopening_reads_only_what_is_new(tmp_path):
    storage = tmp_path / "dot-burr"
    app = storage / "demo_counter" / "count-to-42"
    data = copy_app(DEMO_DATA / "demo_counter" / "count-to-42", app)
    lines = data.splitlines(keepends=True)
    log = app / "log.jsonl"
    log.write_bytes(b"".join(lines[:40]))
    cache = tmp_path / "cache"
    with mirror_of(storage, cache) as mirror:
        mirror.sync()
        first = mirror.database.find_run("count-to-42")
    log.write_bytes(data)
    with mirror_of(storage, cache) as mirror:
        report = mirror.sync()
        run = mirror.database.find_run("count-to-42")
        assert run.run_id == first.run_id and report.new_runs == []
        assert report.new_steps == 43 - first.step_count and run.step_count == 43


def test_a_rewritten_log_rebuilds_the_cache(tmp_path):
    storage = tmp_path / "dot-burr"
    app = storage / "demo_counter" / "count-to-42"
    data = copy_app(DEMO_DATA / "demo_counter" / "count-to-42", app)
    (app / "log.jsonl").write_bytes(data)
    cache = tmp_path / "cache"
    with mirror_of(storage, cache) as mirror:
        mirror.sync()
    other = copy_app(DEMO_DATA / "demo_counter" / "count-to-1", tmp_path / "other")
    (app / "log.jsonl").write_bytes(other)
    with mirror_of(storage, cache) as mirror:
        mirror.sync()
        (run,) = mirror.database.list_runs()
        assert run.step_count == len(
            [
                x
                for x in log_lines(DEMO_DATA / "demo_counter" / "count-to-1")
                if x["type"] == "end_entry"
            ]
        )


def test_a_bad_line_stops_that_app_with_one_sentence_and_not_the_others(tmp_path):
    storage = tmp_path / "dot-burr"
    broken = storage / "demo_counter" / "count-to-42"
    data = copy_app(DEMO_DATA / "demo_counter" / "count-to-42", broken)
    lines = data.splitlines(keepends=True)
    (broken / "log.jsonl").write_bytes(b"".join(lines[:10]) + b"{not json\n" + b"".join(lines[10:]))
    fine = storage / "demo_counter" / "count-to-1"
    (fine / "log.jsonl").parent.mkdir(parents=True)
    shutil.copytree(DEMO_DATA / "demo_counter" / "count-to-1", fine, dirs_exist_ok=True)
    with mirror_of(storage, tmp_path / "cache") as mirror:
        report = mirror.sync()
        (note,) = report.notes
        assert "is not valid JSON" in note and note.count(". ") == 0
        assert mirror.database.find_run("count-to-1").status == "completed"
        assert mirror.sync().notes == []


def test_a_folder_that_is_not_burrs_is_one_sentence(tmp_path):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.png").write_bytes(b"\x89PNG")
    with pytest.raises(BurrFormatError, match=r"is not a folder of Burr tracker recordings"):
        BurrTraceMirror(tmp_path / "photos", tmp_path / "m.db")
    with pytest.raises(BurrFormatError, match=r"does not exist"):
        BurrTraceMirror(tmp_path / "nowhere", tmp_path / "m.db")


def test_a_broken_cache_file_is_rebuilt(tmp_path):
    cache = tmp_path / "mirror.db"
    cache.write_bytes(b"garbage" * 100)
    with BurrTraceMirror(DEMO_DATA / "demo_counter", cache, quiet_seconds=0) as mirror:
        read_all(mirror)
        apps = [d for d in (DEMO_DATA / "demo_counter").iterdir() if d.is_dir()]
        assert mirror.database.count_runs() == len(apps) > 1


def test_the_cache_lives_outside_the_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("BURRDESK_DATA_DIR", str(tmp_path / "data"))
    path = cache_path_for(Path("~/.burr"))
    assert path.parent == tmp_path / "data" / "cache" / "burr-traces"
    assert path.name.startswith("burr-") and path != cache_path_for(tmp_path)


# --- real Burr programs writing while the mirror reads ------------------------------------


@action(reads=["count"], writes=["count"])
def increment(state: State) -> State:
    return state.update(count=state["count"] + 1)


@streaming_action(reads=["count"], writes=["said"])
def say(state: State):
    words = [f"w{i}" for i in range(state["count"])]
    for word in words:
        yield {"delta": word}, None
    yield {"said": " ".join(words)}, state.update(said=" ".join(words))


def test_a_running_burr_program_is_followed_step_by_step(tmp_path):
    storage = tmp_path / "dot-burr"
    app = (
        ApplicationBuilder()
        .with_actions(increment=increment, say=say)
        .with_transitions(("increment", "say", default), ("say", "increment", default))
        .with_state(count=0)
        .with_entrypoint("increment")
        .with_tracker(LocalTrackingClient(project="live", storage_dir=str(storage)))
        .with_identifiers(app_id="live-app")
        .build()
    )
    app.step()
    with mirror_of(storage, tmp_path / "cache") as mirror:
        seen = []
        for _ in range(6):
            if app.get_next_action().name == "say":
                _, container = app.stream_result(halt_after=["say"])
                list(container)
            else:
                app.step()
            mirror.sync()
            run = mirror.database.find_run("live-app", project="live")
            seen.append(run.step_count)
            expected = {k: v for k, v in app.state.get_all().items() if not k.startswith("__")}
            assert mirror.database.state_at(run.run_id, run.last_sequence_id) == expected
        assert seen == [2, 3, 4, 5, 6, 7]
        streamed = [s for s in mirror.database.read_steps(run.run_id, 0, 100) if s.action == "say"]
        assert [s.item_count for s in streamed] == [1, 2, 3]


def test_forks_and_sub_applications_keep_their_links(tmp_path):
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

    @action(reads=["n"], writes=["n2"])
    def square(state: State) -> State:
        return state.update(n2=state["n"] ** 2)

    storage = tmp_path / "dot-burr"

    def build(app_id, **fork):
        builder = (
            ApplicationBuilder()
            .with_actions(increment=increment, squares=Squares())
            .with_transitions(("increment", "squares", default), ("squares", "increment"))
            .with_tracker(LocalTrackingClient(project="links", storage_dir=str(storage)))
            .with_identifiers(app_id=app_id)
        )
        if fork:
            tracker = LocalTrackingClient(project="links", storage_dir=str(storage))
            return builder.initialize_from(
                tracker,
                resume_at_next_action=True,
                default_state={},
                default_entrypoint="increment",
                **fork,
            ).build()
        return builder.with_state(count=0, ns=[1, 2]).with_entrypoint("increment").build()

    parent = build("parent")
    parent.run(halt_after=["squares"])
    parent.step()
    fork = build("fork", fork_from_app_id="parent", fork_from_sequence_id=1)
    fork.step()
    with mirror_of(storage, tmp_path / "cache") as mirror:
        read_all(mirror)
        database = mirror.database
        parent_run = database.find_run("parent", project="links")
        fork_run = database.find_run("fork", project="links")
        assert fork_run.parent_run_id == parent_run.run_id and fork_run.parent_sequence_id == 1
        children = database.child_runs(parent_run.run_id, sequence_id=1)
        assert sorted(database.state_at(c.run_id, 0)["n2"] for c in children) == [1, 4]
        assert database.initial_state(fork_run.run_id) == database.state_at(parent_run.run_id, 1)
        with RunDatabase(tmp_path / "imported.db") as imported:
            import_tracker_dir(storage, imported)
            same_runs(database, imported)


def test_an_app_created_before_its_first_step_learns_its_start(tmp_path):
    storage = tmp_path / "dot-burr"
    app = (
        ApplicationBuilder()
        .with_actions(increment=increment)
        .with_transitions(("increment", "increment", default))
        .with_state(count=10)
        .with_entrypoint("increment")
        .with_tracker(LocalTrackingClient(project="late", storage_dir=str(storage)))
        .with_identifiers(app_id="late-app")
        .build()
    )
    with mirror_of(storage, tmp_path / "cache") as mirror:
        mirror.sync()
        run = mirror.database.find_run("late-app", project="late")
        assert run.status == "created"
        app.step()
        mirror.sync()
        assert mirror.database.initial_state(run.run_id) == {}
        assert mirror.database.state_at(run.run_id, 0) == {"count": 11}
