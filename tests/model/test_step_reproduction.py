"""A recorded step as a pytest test case and as a fork script, for burrdesk's engine and Burr's.

Each test writes a small user module, runs an application from it with a tracker, turns a
step into code, and runs that code in a fresh interpreter: the test case passes against the
action as recorded and fails once the action changes; the fork script records a fork.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from burrdesk.model.run_database import RunDatabase, RunDatabaseError
from burrdesk.model.step_reproduction import (
    ReproductionError,
    render_fork_script,
    render_test_case,
)

BURRDESK_ACTIONS = """\
import asyncio

from burrdesk.engine import State, action


@action(reads=["count"], writes=["count", "history"])
def increment(state: State, by: int = 1) -> tuple[dict, State]:
    count = state["count"] + by
    return {"count": count}, state.update(count=count).append(history=count)


@action(reads=["count"], writes=["summary"])
async def summarize(state: State, __context) -> State:
    await asyncio.sleep(0)
    return state.update(summary=f"{state['count']} after {__context.sequence_id} steps")


@action(reads=["count"], writes=["count"])
def explode(state: State) -> State:
    raise RuntimeError("no more counting")
"""

BURR_ACTIONS = """\
from burr.core import State, action


@action(reads=["question"], writes=["answer", "tries"])
def answer(state: State, shout: bool = False) -> tuple[dict, State]:
    reply = state["question"].upper() if shout else state["question"]
    tries = state.get("tries", 0) + 1
    return {"answer": reply}, state.update(answer=reply, tries=tries)


@action(reads=[], writes=["question"])
def ask(state: State, question: str) -> State:
    return state.update(question=question)
"""


def _user_module(folder: Path, source: str, monkeypatch) -> object:
    """A module of the user's, importable here and in the subprocesses (a fresh name each)."""
    name = f"user_actions_{uuid.uuid4().hex[:8]}"
    (folder / f"{name}.py").write_text(source)
    monkeypatch.syspath_prepend(str(folder))
    return importlib.import_module(name)


def _run(args: list[str], folder: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(folder), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, *args], cwd=folder, env=env, capture_output=True, text=True, timeout=120
    )


def _pytest(test_file: Path, folder: Path) -> subprocess.CompletedProcess:
    return _run(["-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)], folder)


def _change(module: object, old: str, new: str) -> None:
    path = Path(module.__file__)
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@pytest.fixture
def burrdesk_run(tmp_path, monkeypatch):
    """Counts 1, 3, 5 (increment by 2, twice, ...), summarizes, then fails in `explode`."""
    from burrdesk.engine import ApplicationBuilder, default, expr
    from burrdesk.engine.tracking import RunDatabaseTracker

    user = _user_module(tmp_path, BURRDESK_ACTIONS, monkeypatch)
    db_path = tmp_path / "runs.db"
    tracker = RunDatabaseTracker(db_path, project="counter")
    app = (
        ApplicationBuilder()
        .with_actions(increment=user.increment, summarize=user.summarize, explode=user.explode)
        .with_transitions(
            ("increment", "increment", expr("count < 5")),
            ("increment", "summarize", default),
            ("summarize", "explode"),
        )
        .with_state(count=1, history=[])
        .with_entrypoint("increment")
        .with_tracker(tracker)
        .build()
    )

    async def run() -> None:
        await app.arun(halt_after=["summarize"], inputs={"by": 2})
        with pytest.raises(RuntimeError):
            await app.astep()

    asyncio.run(run())
    run_id = tracker.run_id_for(app.uid)
    tracker.close()
    return user, db_path, run_id


def test_a_burrdesk_step_becomes_a_test_that_passes_until_the_action_changes(
    burrdesk_run, tmp_path
):
    user, db_path, run_id = burrdesk_run
    with RunDatabase(db_path, read_only=True) as database:
        assert [s.action for s in database.read_steps(run_id)][:2] == ["increment", "increment"]
        source = render_test_case(database, run_id, 1)
    test_file = tmp_path / "test_replayed_increment.py"
    test_file.write_text(source)
    assert f"from {user.__name__} import increment" in source
    assert 'STATE_BEFORE = json.loads(\'{"count": 3, "history": [3]}\')' in source

    passed = _pytest(test_file, tmp_path)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "1 passed" in passed.stdout

    _change(user, 'state["count"] + by', 'state["count"] + by * 10')
    failed = _pytest(test_file, tmp_path)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "1 failed" in failed.stdout
    assert "assert {'count': 23} == {'count': 5}" in failed.stdout


def test_an_async_action_is_replayed_with_its_context(burrdesk_run, tmp_path):
    user, db_path, run_id = burrdesk_run
    with RunDatabase(db_path, read_only=True) as database:
        step = database.get_step(run_id, 2)
        assert step.action == "summarize"
        source = render_test_case(database, run_id, 2)
    assert "asyncio.run(app.astep(inputs=INPUTS))" in source
    assert '"summary": "5 after 2 steps"' in source
    test_file = tmp_path / "test_replayed_summary.py"
    # The replay runs the step first in its one-action application, so its sequence id is 0.
    test_file.write_text(source.replace("5 after 2 steps", "5 after 0 steps"))
    passed = _pytest(test_file, tmp_path)
    assert passed.returncode == 0, passed.stdout + passed.stderr


def test_steps_without_a_test_case_say_why_in_one_sentence(burrdesk_run):
    _user, db_path, run_id = burrdesk_run
    with RunDatabase(db_path, read_only=True) as database:
        with pytest.raises(ReproductionError, match=r"^Step 3 of run \d+ failed \(RuntimeError"):
            render_test_case(database, run_id, 3)
        with pytest.raises(RunDatabaseError, match=r"has no step 40\.$"):
            render_test_case(database, run_id, 40)
        with pytest.raises(RunDatabaseError, match=r"has no run 99\.$"):
            render_test_case(database, 99, 0)


def test_an_action_defined_in_a_script_cannot_be_imported(tmp_path):
    graph = {
        "actions": [
            {"name": "greet", "module": "__main__", "qualname": "greet", "kind": "function"}
        ],
        "transitions": [],
        "entrypoint": "greet",
        "engine": "burrdesk",
    }
    with RunDatabase(tmp_path / "runs.db") as database:
        run_id = database.create_run(
            project="p", app_id="a", initial_state={}, graph=graph, entrypoint="greet"
        )
        database.writer(run_id).record_step(
            sequence_id=0, action="greet", before={}, after={"hi": 1}, writes=["hi"]
        )
        with pytest.raises(ReproductionError) as raised:
            render_test_case(database, run_id, 0)
    message = str(raised.value)
    assert message == (
        f"Action 'greet' of run {run_id} cannot be imported: it is defined in a script run as "
        "__main__; move it into a module."
    )


def test_the_fork_script_records_a_fork_after_the_step(burrdesk_run, tmp_path):
    _user, db_path, run_id = burrdesk_run
    with RunDatabase(db_path, read_only=True) as database:
        source = render_fork_script(database, run_id, 0)
    script = tmp_path / "fork_counter.py"
    script.write_text(source)
    done = _run([str(script), "--steps", "2", "--inputs", '{"by": 100}'], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("Forked app ")
    with RunDatabase(db_path, read_only=True) as database:
        fork = database.list_runs(project="counter", limit=1)[0]
        assert (fork.parent_run_id, fork.parent_sequence_id) == (run_id, 0)
        assert [s.action for s in database.read_steps(fork.run_id)] == ["increment", "summarize"]
        assert database.state_at(fork.run_id, 2)["summary"] == "103 after 2 steps"
        assert database.state_at(run_id, 1)["count"] == 5  # the original is untouched


# --- Apache Burr -----------------------------------------------------------------------------


@pytest.fixture
def burr_run(tmp_path, monkeypatch):
    pytest.importorskip("burr.core", reason="apache-burr is in the test extra")
    from burr.core import ApplicationBuilder

    from burrdesk.burr_tracking import RunDatabaseTracker

    user = _user_module(tmp_path, BURR_ACTIONS, monkeypatch)
    db_path = tmp_path / "burr_runs.db"
    tracker = RunDatabaseTracker(project="qa", db_path=db_path)
    app = (
        ApplicationBuilder()
        .with_actions(ask=user.ask, answer=user.answer)
        .with_transitions(("ask", "answer"), ("answer", "ask"))
        .with_state(tries=0)
        .with_entrypoint("ask")
        .with_tracker(tracker)
        .build()
    )
    app.run(halt_after=["answer"], inputs={"question": "why", "shout": True})
    run_id = tracker.run_id_for(app.uid, app.partition_key)
    tracker.close()
    return user, db_path, run_id


def test_a_burr_step_becomes_a_test_that_passes_until_the_action_changes(burr_run, tmp_path):
    user, db_path, run_id = burr_run
    with RunDatabase(db_path, read_only=True) as database:
        source = render_test_case(database, run_id, 1)
    assert "from burr.core import ApplicationBuilder, State, serde" in source
    assert "INPUTS = json.loads('{\"shout\": true}')" in source
    test_file = tmp_path / "test_replayed_answer.py"
    test_file.write_text(source)

    passed = _pytest(test_file, tmp_path)
    assert passed.returncode == 0, passed.stdout + passed.stderr

    _change(user, 'state["question"].upper()', 'state["question"].title()')
    failed = _pytest(test_file, tmp_path)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "{'answer': 'Why'} == {'answer': 'WHY'}" in failed.stdout


def test_the_burr_fork_script_forks_with_initialize_from(burr_run, tmp_path):
    _user, db_path, run_id = burr_run
    with RunDatabase(db_path, read_only=True) as database:
        source = render_fork_script(database, run_id, 1)
    assert "from burrdesk.burr_tracking import RunDatabaseTracker" in source
    script = tmp_path / "fork_qa.py"
    script.write_text(source)
    done = _run([str(script), "--steps", "2", "--inputs", '{"question": "how"}'], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    with RunDatabase(db_path, read_only=True) as database:
        fork = database.list_runs(project="qa", limit=1)[0]
        assert (fork.parent_run_id, fork.parent_sequence_id) == (run_id, 1)
        assert database.state_at(fork.run_id, 3) == {"question": "how", "answer": "how", "tries": 2}


CLASS_AND_BOUND_ACTIONS = """\
from burrdesk.engine import State, action
from burrdesk.engine.action import Action


class Greet(Action):
    @property
    def reads(self):
        return ["name"]

    @property
    def writes(self):
        return ["greeting"]

    def run(self, state, punctuation="!"):
        return {"text": "Hello " + state["name"] + punctuation}

    def update(self, result, state):
        return state.update(greeting=result["text"])


@action(reads=["greeting"], writes=["greeting"])
def decorate(state: State, left: str, right: str) -> State:
    return state.update(greeting=left + state["greeting"] + right)
"""


def test_class_based_and_bound_actions_are_replayed(tmp_path, monkeypatch):
    from burrdesk.engine import ApplicationBuilder
    from burrdesk.engine.tracking import RunDatabaseTracker

    user = _user_module(tmp_path, CLASS_AND_BOUND_ACTIONS, monkeypatch)
    tracker = RunDatabaseTracker(tmp_path / "runs.db", project="greetings")
    app = (
        ApplicationBuilder()
        .with_actions(greet=user.Greet(), decorate=user.decorate.bind(left="<", right=">"))
        .with_transitions(("greet", "decorate"))
        .with_state(name="Ada")
        .with_entrypoint("greet")
        .with_tracker(tracker)
        .build()
    )
    app.run(halt_after=["decorate"], inputs={"punctuation": "?"})
    run_id = tracker.run_id_for(app.uid)
    tracker.close()
    with RunDatabase(tmp_path / "runs.db", read_only=True) as database:
        greet, decorate = (
            render_test_case(database, run_id, 0),
            render_test_case(database, run_id, 1),
        )
    assert f"from {user.__name__} import Greet" in greet and "Greet()" in greet
    assert """decorate.bind(**json.loads('{"left": "<", "right": ">"}'))""" in decorate
    for name, source in (("test_greet.py", greet), ("test_decorate.py", decorate)):
        (tmp_path / name).write_text(source)
    passed = _pytest(tmp_path / "test_greet.py", tmp_path)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    passed = _pytest(tmp_path / "test_decorate.py", tmp_path)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    _change(user, "left + state", "right + state")
    assert _pytest(tmp_path / "test_decorate.py", tmp_path).returncode == 1


def test_generated_code_is_lint_clean_and_formatted(burrdesk_run, tmp_path):
    """People keep these files in their test suites: they read like hand-written code."""
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (it is in the test extra)")
    _user, db_path, run_id = burrdesk_run
    with RunDatabase(db_path, read_only=True) as database:
        (tmp_path / "test_generated.py").write_text(render_test_case(database, run_id, 0))
        (tmp_path / "fork_generated.py").write_text(render_fork_script(database, run_id, 0))
    files = ["test_generated.py", "fork_generated.py"]
    options = ["--isolated", "--line-length", "120"]
    lint = [ruff, "check", *options, "--select", "E,F,W,I,UP,B", *files]
    checked = subprocess.run(lint, cwd=tmp_path, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout
    format_check = [ruff, "format", *options, "--check", *files]
    formatted = subprocess.run(format_check, cwd=tmp_path, capture_output=True, text=True)
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
