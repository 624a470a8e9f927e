"""`burrdesk run / export / graph / validate`: flows from the command line, recorded and exported."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from burrdesk.cli import main
from burrdesk.model.flow_document import load_flow, parse_flow
from burrdesk.model.run_database import RunDatabase

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"
COUNTER = EXAMPLES / "counter.burrflow"
CHATBOT = EXAMPLES / "chatbot.burrflow"
EMAIL = EXAMPLES / "email_assistant.burrflow"
STEP_LINE = re.compile(r"^\s*(\d+)\s+(\w+)\s+changed: (.*)$")
HANG_GUARD = 10.0  # seconds to wait for something that should happen at once


@pytest.fixture(autouse=True)
def _echo_llm(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def run_process(*argv, stdin: str = "", env: dict | None = None):
    return subprocess.run(
        [sys.executable, "-m", "burrdesk", *[str(a) for a in argv]],
        input=stdin,
        capture_output=True,
        text=True,
        env=env or _env(),
        timeout=60,
    )


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "PYTHONUNBUFFERED")}
    return env | extra


def final_state(out: str) -> dict:
    """The JSON block `run` prints after the steps (a terminal prompt may precede its brace)."""
    block = re.search(r"\{\n  \S.*?\n\}\n", out, re.S)
    assert block is not None, out
    return json.loads(block[0])


def step_lines(out: str) -> list[tuple[int, str, str]]:
    return [(int(m[1]), m[2], m[3]) for line in out.splitlines() if (m := STEP_LINE.match(line))]


@pytest.fixture
def open_run():
    """Opens a run database read-only and returns it with its only run; closes it afterwards."""
    opened: list[RunDatabase] = []

    def _open(db_path: Path):
        database = RunDatabase(db_path, read_only=True)
        opened.append(database)
        (run,) = database.list_runs()
        return database, run

    yield _open
    for database in opened:
        database.close()


def write_flow(path: Path, nodes: list[dict], edges: list[dict], state: dict, name: str) -> Path:
    document = {"format": "burrdesk.flow", "version": 1, "name": name, "state": state}
    document |= {"entrypoint": nodes[0]["id"], "nodes": nodes, "edges": edges}
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def _python(node_id: str, code: str, reads: list[str], writes: list[str]) -> dict:
    return {"id": node_id, "kind": "python", "reads": reads, "writes": writes, "code": code}


# --- run -----------------------------------------------------------------------------------


def test_run_prints_each_step_and_records_a_completed_run(open_run, tmp_path, capsys):
    """The counter runs to its end, printing a line per step, and lands in the run database."""
    db = tmp_path / "runs.db"
    code, out, err = run_cli(capsys, "run", COUNTER, "--db", db)
    assert code == 0, err
    steps = step_lines(out)
    assert [s[0] for s in steps] == list(range(12))
    assert [s[1] for s in steps] == ["increment"] * 10 + ["report", "done"]
    assert all(changed == "count" for _seq, name, changed in steps if name == "increment")
    assert final_state(out) == {"count": 10, "message": "counted to 10"}
    assert out.splitlines()[-1] == "Run 1: completed, 12 steps."
    database, run = open_run(db)
    assert (run.status, run.step_count, run.project) == ("completed", 12, "counter")
    assert run.flow["name"] == "counter"
    assert run.flow == load_flow(COUNTER).model_dump(mode="json")
    assert database.state_at(run.run_id, 11) == final_state(out)


def test_run_records_under_the_project_given(open_run, tmp_path, capsys):
    """--project overrides the flow's name as the run's project."""
    db = tmp_path / "runs.db"
    code, _out, _err = run_cli(capsys, "run", COUNTER, "--db", db, "--project", "demo")
    assert code == 0
    assert open_run(db)[1].project == "demo"


def test_run_with_no_input_stops_when_an_input_is_needed(open_run, tmp_path, capsys):
    """--input answers the first turn; the second turn needs 'prompt', so the run stops (3)."""
    db = tmp_path / "runs.db"
    code, out, err = run_cli(
        capsys, "run", CHATBOT, "--db", db, "--input", "prompt=hi", "--no-input"
    )
    assert code == 3
    assert "'prompt'" in err and "human_input" in err and "--input prompt=VALUE" in err
    assert [s[1] for s in step_lines(out)] == ["human_input", "ai_response"]
    assert final_state(out)["response"] == "echo: hi"
    _database, run = open_run(db)
    assert (run.status, run.step_count) == ("stopped", 2)


def test_run_asks_on_stdin_and_stops_at_its_end(open_run, tmp_path):
    """Answers typed on stdin drive the chat; end of input stops the run with exit code 3."""
    db = tmp_path / "runs.db"
    done = run_process("run", CHATBOT, "--db", db, stdin="hello\nbye\n")
    assert done.returncode == 3, done.stderr
    assert "'prompt'" in done.stderr and "Traceback" not in done.stderr
    history = final_state(done.stdout)["chat_history"]
    assert [m["content"] for m in history] == ["hello", "echo: hello", "bye", "echo: bye"]
    database, run = open_run(db)
    assert (run.status, run.step_count) == ("stopped", 4)
    assert [s.action for s in database.read_steps(run.run_id)] == ["human_input", "ai_response"] * 2


def test_run_halts_after_the_named_node(open_run, tmp_path, capsys):
    """--halt-after classify stops right after classify, with the inputs converted."""
    db = tmp_path / "runs.db"
    code, out, err = run_cli(
        capsys,
        "run",
        EMAIL,
        "--db",
        db,
        "--input",
        "email=Urgent: could you call me?",
        "--input",
        "sender_is_vip=yes",
        "--halt-after",
        "classify",
        "--no-input",
    )
    assert code == 0, err
    assert [s[1] for s in step_lines(out)] == ["receive_email", "classify"]
    state = final_state(out)
    assert (state["sender_is_vip"], state["category"], state["urgency"]) == (True, "question", 3)
    assert "reply" not in state and "escalated_to" not in state
    database, run = open_run(db)
    assert (run.status, run.step_count) == ("stopped", 2)
    assert database.get_step(run.run_id, 1).action == "classify"


def test_run_with_an_unconvertible_input_is_a_usage_error(tmp_path, capsys):
    """--input sender_is_vip=maybe is refused in one sentence naming the input and its type."""
    db = tmp_path / "runs.db"
    inputs = ["--input", "email=hi", "--input", "sender_is_vip=maybe"]
    code, _out, err = run_cli(capsys, "run", EMAIL, "--db", db, *inputs, "--no-input")
    assert code == 2
    assert (
        err.splitlines()[-1] == "burrdesk: Input 'sender_is_vip' must be yes or no; 'maybe' is not."
    )


def _failing_flow(tmp_path: Path, message: str) -> Path:
    bump = "def bump(state):\n    return state.update(count=state['count'] + 1)\n"
    explode = f"def explode(state):\n    raise ValueError({message!r})\n"
    return write_flow(
        tmp_path / "failing.burrflow",
        [
            _python("bump", bump, ["count"], ["count"]),
            _python("explode", explode, ["count"], ["count"]),
        ],
        [{"source": "bump", "target": "explode", "condition": "default"}],
        {"count": 0},
        "failing",
    )


def test_an_action_that_raises_fails_the_run_with_exit_1(open_run, tmp_path, capsys):
    """A raising node: exit 1, 'failed: ValueError: ...', the run and its step marked failed."""
    db = tmp_path / "runs.db"
    flow = _failing_flow(tmp_path, "the count went sideways")
    code, out, err = run_cli(capsys, "run", flow, "--db", db)
    assert code == 1
    assert "failed: ValueError: the count went sideways" in err
    assert "(explode)" in err and "Traceback" not in err
    assert final_state(out) == {"count": 1}
    database, run = open_run(db)
    assert (run.status, run.step_count) == ("failed", 2)
    first, failed = database.read_steps(run.run_id)
    assert (first.action, first.status) == ("bump", "completed")
    assert (failed.action, failed.status) == ("explode", "failed")
    assert failed.error == "ValueError: the count went sideways"
    assert "Traceback" in failed.traceback


def test_an_action_error_that_mentions_input_is_still_an_action_failure(tmp_path, capsys):
    """A node's own ValueError('Input must be ...') is a failed step (exit 1), not a usage error."""
    db = tmp_path / "runs.db"
    flow = _failing_flow(tmp_path, "Input must be a positive number")
    code, out, err = run_cli(capsys, "run", flow, "--db", db)
    assert "failed: ValueError: Input must be a positive number" in err, err
    assert code == 1
    assert final_state(out) == {"count": 1}


# --- Ctrl-C ----------------------------------------------------------------------------------


def _held_flow(tmp_path: Path) -> tuple[Path, Path]:
    """A flow looping forever on `tick` (0.05 s a step); step 1 waits until interrupted.

    `tick` writes the step it is on to a marker file, so the test knows when step 1 is inside
    the action.
    """
    marker = tmp_path / "ticking"
    code = (
        "import time\nfrom pathlib import Path\n\n\n"
        "def tick(state):\n"
        f"    Path({str(marker)!r}).write_text(str(state['ticks']))\n"
        "    time.sleep(0.05)\n"
        "    while state['ticks'] >= 1:\n"
        "        time.sleep(0.05)\n"
        "    return state.update(ticks=state['ticks'] + 1)\n"
    )
    flow = write_flow(
        tmp_path / "forever.burrflow",
        [_python("tick", code, ["ticks"], ["ticks"])],
        [{"source": "tick", "target": "tick", "condition": "default"}],
        {"ticks": 0},
        "forever",
    )
    return flow, marker


def _read_lines(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)


def _wait_for(predicate, what: str) -> None:
    deadline = time.monotonic() + HANG_GUARD
    while not predicate():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.01)


def _start_held_run(tmp_path: Path, env: dict[str, str]):
    flow, marker = _held_flow(tmp_path)
    db = tmp_path / "runs.db"
    process = subprocess.Popen(
        [sys.executable, "-m", "burrdesk", "run", str(flow), "--db", str(db), "--no-input"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: queue.Queue = queue.Queue()
    reader = threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True)
    reader.start()
    return process, lines, reader, marker, db


def _first_step_line(lines: queue.Queue) -> str | None:
    deadline = time.monotonic() + HANG_GUARD
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.05)
        except queue.Empty:
            continue
        if STEP_LINE.match(line):
            return line
    return None


def _interrupt_in_step_1(tmp_path: Path):
    """Starts the held flow, waits for step 0's line and for step 1 to be inside `tick`,
    then sends SIGINT; returns (exit code, stdout after the first step, stderr, db path)."""
    process, lines, reader, marker, db = _start_held_run(tmp_path, _env(PYTHONUNBUFFERED="1"))
    try:
        first = _first_step_line(lines)
        assert first is not None and STEP_LINE.match(first)[2] == "tick"
        _wait_for(lambda: marker.exists() and marker.read_text() == "1", "step 1 to start")
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    stderr = process.stderr.read()
    process.stderr.close()
    reader.join(timeout=30)
    rest = []
    while not lines.empty():
        rest.append(lines.get())
    return code, "".join(rest), stderr, db


def test_ctrl_c_stops_the_run_with_exit_130(open_run, tmp_path):
    """SIGINT mid-run: exit 130, a note on stderr, the run stopped with its steps readable."""
    code, out, err, db = _interrupt_in_step_1(tmp_path)
    assert code == 130
    assert "Interrupted" in err and "stopped" in err and "Traceback" not in err
    database, run = open_run(db)
    assert run.status == "stopped"
    assert database.get_step(run.run_id, 0).status == "completed"
    assert database.state_at(run.run_id, 0) == {"ticks": 1}
    assert database.state_at(run.run_id, run.last_sequence_id) == final_state(out)


def test_ctrl_c_inside_a_step_does_not_record_that_step_as_completed(open_run, tmp_path):
    """The step Ctrl-C cut short never finished, so the database must not call it completed."""
    _code, _out, _err, db = _interrupt_in_step_1(tmp_path)
    database, run = open_run(db)
    completed = [s.sequence_id for s in database.read_steps(run.run_id) if s.status == "completed"]
    assert completed == [0], [s.model_dump() for s in database.read_steps(run.run_id)]


def test_step_lines_reach_a_pipe_as_they_happen(tmp_path):
    """Piped stdout (tee, a GUI) sees step 0's line while step 1 is still running."""
    process, lines, reader, _marker, _db = _start_held_run(tmp_path, _env())
    try:
        first = _first_step_line(lines)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        process.stderr.close()
        reader.join(timeout=30)
    assert first is not None, "no step line arrived while the run was still going"


# --- bad flow files --------------------------------------------------------------------------


def _bad_flow(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / f"{kind}.burrflow"
    if kind == "not-json":
        path.write_text('{"format": "burrdesk.flow", nodes: []}')
    elif kind == "json-array":
        path.write_text("[1, 2, 3]")
    elif kind == "wrong-format":
        path.write_text('{"format": "mermaid", "nodes": []}')
    elif kind == "newer-version":
        path.write_text('{"format": "burrdesk.flow", "version": 9, "nodes": []}')
    elif kind == "directory":
        path.mkdir()
    elif kind == "binary":
        path.write_bytes(b"\xff\xfe\x00\x01 not text")
    elif kind == "bad-field":
        path.write_text('{"format": "burrdesk.flow", "nodes": [{"id": "x"}]}')
    return path


BAD_FLOWS = {
    "not-json": "is not valid JSON (line 1, column",
    "json-array": "must hold a JSON object",
    "wrong-format": "is not a burrdesk flow: its \"format\" is 'mermaid'",
    "newer-version": "uses flow format version 9",
    "missing": "There is no flow file at",
    "directory": "is a folder, not a flow file",
    "binary": "is not a text file",
    "bad-field": 'node "x" field "kind" field required',
}


@pytest.mark.parametrize("command", ["run", "validate", "export"])
@pytest.mark.parametrize("kind", list(BAD_FLOWS))
def test_a_bad_flow_file_is_one_sentence_and_exit_2(tmp_path, capsys, kind, command):
    """Unreadable flows end with exactly one line on stderr, exit 2, and no traceback."""
    path = _bad_flow(tmp_path, kind)
    extra = ["--db", tmp_path / "runs.db"] if command == "run" else []
    code, out, err = run_cli(capsys, command, path, *extra)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("burrdesk: ")
    assert BAD_FLOWS[kind] in err and "Traceback" not in err
    assert not (tmp_path / "runs.db").exists()


def test_a_bad_flow_file_has_no_traceback_in_a_real_process(tmp_path):
    """The same holds for the installed command: one line, exit 2."""
    done = run_process("run", _bad_flow(tmp_path, "json-array"), "--db", tmp_path / "r.db")
    assert done.returncode == 2 and done.stderr.count("\n") == 1


def _flow_with_errors(tmp_path: Path) -> Path:
    return write_flow(
        tmp_path / "broken.burrflow",
        [
            _python("start", "def start(state):\n    return state\n", ["missing_key"], []),
            {"id": "think", "kind": "wizard"},
        ],
        [{"source": "start", "target": "nowhere", "condition": "default"}],
        {},
        "broken",
    )


def test_run_refuses_a_flow_with_errors_and_lists_them(tmp_path, capsys):
    """Validation errors: exit 2, each error on stderr, nothing recorded."""
    db = tmp_path / "runs.db"
    code, _out, err = run_cli(capsys, "run", _flow_with_errors(tmp_path), "--db", db)
    assert code == 2 and "Traceback" not in err
    lines = err.splitlines()
    assert 'error: node "think", field "kind": unknown kind \'wizard\'' in err
    assert any("'nowhere' is not a node" in line for line in lines)
    assert any("reads 'missing_key'" in line for line in lines)
    assert lines[-1].startswith("burrdesk: ") and "error(s) and cannot run" in lines[-1]
    assert not db.exists()


def test_validate_exits_1_for_errors_and_0_for_warnings(tmp_path, capsys):
    """validate prints every problem; errors make it exit 1, warnings alone exit 0."""
    code, out, _err = run_cli(capsys, "validate", _flow_with_errors(tmp_path))
    assert code == 1
    assert "unknown kind 'wizard'" in out and all(
        line.startswith(("error:", "warning:")) for line in out.splitlines()
    )
    code, out, _err = run_cli(capsys, "validate", COUNTER)
    assert (code, out.strip()) == (0, f"{COUNTER}: no problems.")
    only_warnings = write_flow(
        tmp_path / "warned.burrflow",
        [
            _python("start", "def start(state):\n    return state\n", [], []),
            _python("orphan", "def orphan(state):\n    return state\n", [], []),
        ],
        [],
        {},
        "warned",
    )
    code, out, _err = run_cli(capsys, "validate", only_warnings)
    assert code == 0
    assert out.splitlines() == [
        'warning: node "orphan": unreachable: no path leads here from the entrypoint.'
    ]


@pytest.mark.parametrize("value", ["foo", "=bar"])
def test_an_input_without_key_and_value_is_a_usage_error(tmp_path, capsys, value):
    """--input must look like key=value."""
    code, _out, err = run_cli(capsys, "run", COUNTER, "--db", tmp_path / "r.db", "--input", value)
    assert code == 2 and err == f"burrdesk: --input {value!r} must look like key=value.\n"


def test_halt_after_an_unknown_node_is_a_usage_error(tmp_path, capsys):
    """--halt-after must name a node of the flow."""
    code, _out, err = run_cli(
        capsys, "run", COUNTER, "--db", tmp_path / "r.db", "--halt-after", "nope"
    )
    assert code == 2 and "'nope', which is not a node" in err


# --- export ----------------------------------------------------------------------------------


def test_export_infers_the_format_from_the_suffix(tmp_path, capsys):
    """-o app.py writes Python, flow.mmd Mermaid, flow.dot DOT."""
    for name, start in (
        ("app.py", '"""counter: '),
        ("flow.mmd", "flowchart LR\n"),
        ("flow.dot", 'digraph "counter" {\n'),
    ):
        target = tmp_path / name
        code, out, _err = run_cli(capsys, "export", COUNTER, "-o", target)
        assert (code, out) == (0, f"Wrote {target}.\n")
        assert target.read_text().startswith(start)
    python = (tmp_path / "app.py").read_text()
    compile(python, "app.py", "exec")
    assert "from burr.core import ApplicationBuilder, State, action, expr" in python


def test_export_needs_a_format_for_an_unknown_suffix(tmp_path, capsys):
    """An unknown suffix without --format is a usage error; with --format it works."""
    target = tmp_path / "flow.txt"
    code, _out, err = run_cli(capsys, "export", COUNTER, "-o", target)
    assert code == 2 and "pass --format" in err and err.count("\n") == 1
    assert not target.exists()
    code, _out, _err = run_cli(capsys, "export", COUNTER, "-o", target, "--format", "dot")
    assert code == 0 and target.read_text().startswith("digraph")


def test_export_to_stdout_and_for_the_burrdesk_engine(capsys):
    """Without -o the module goes to stdout; --target burrdesk imports burrdesk.engine."""
    code, out, _err = run_cli(capsys, "export", COUNTER, "--target", "burrdesk")
    assert code == 0
    assert "from burrdesk.engine import ApplicationBuilder, State, action, expr" in out
    assert "burr.core" not in out


def test_export_as_python_refuses_a_flow_with_errors(tmp_path, capsys):
    """A flow that cannot run is not exported as Python (it still draws as Mermaid)."""
    flow = _flow_with_errors(tmp_path)
    code, _out, err = run_cli(capsys, "export", flow, "-o", tmp_path / "app.py")
    assert code == 2 and "fix them before exporting" in err
    assert not (tmp_path / "app.py").exists()
    code, _out, _err = run_cli(capsys, "export", flow, "-o", tmp_path / "flow.mmd")
    assert code == 0


@pytest.mark.parametrize("command", ["export", "graph"])
def test_writing_into_a_missing_folder_is_one_sentence(tmp_path, command):
    """-o into a folder that does not exist: one sentence on stderr and exit 2, no traceback."""
    source = COUNTER if command == "export" else _app_module(tmp_path)
    suffix = "app.py" if command == "export" else "out.burrflow"
    done = run_process(command, source, "-o", tmp_path / "no" / "such" / suffix)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 2 and done.stderr.count("\n") == 1


# --- graph -----------------------------------------------------------------------------------


_APP = """
from burr.core import ApplicationBuilder, State, action, default, expr


@action(reads=["count"], writes=["count"])
def increment(state: State) -> State:
    return state.update(count=state["count"] + 1)


@action(reads=["count"], writes=["message"])
def report(state: State) -> State:
    return state.update(message=f"counted to {state['count']}")


def build_application():
    return (
        ApplicationBuilder()
        .with_actions(increment=increment, report=report)
        .with_transitions(
            ("increment", "increment", expr("count < 3")),
            ("increment", "report", default),
        )
        .with_state(count=0)
        .with_entrypoint("increment")
        .build()
    )
"""


def _app_module(tmp_path: Path) -> Path:
    path = tmp_path / "counter_app.py"
    path.write_text(_APP.lstrip(), encoding="utf-8")
    return path


def test_graph_writes_a_loadable_flow(tmp_path, capsys):
    """graph app.py -o out.burrflow writes a document that loads, validates and runs."""
    out_path = tmp_path / "out.burrflow"
    code, out, err = run_cli(capsys, "graph", _app_module(tmp_path), "-o", out_path)
    assert code == 0, err
    assert out == f"Wrote {out_path} (2 nodes, 2 edges).\n"
    document = load_flow(out_path)
    assert document.name == "counter_app" and document.entrypoint == "increment"
    assert [e.condition for e in document.edges] == ["expr: count < 3", "default"]
    code, out, _err = run_cli(capsys, "run", out_path, "--db", tmp_path / "runs.db")
    assert code == 0 and final_state(out) == {"count": 3, "message": "counted to 3"}


def test_graph_with_an_attribute_prints_the_flow(tmp_path, capsys):
    """graph app.py:build_application without -o prints the flow JSON."""
    code, out, _err = run_cli(capsys, "graph", f"{_app_module(tmp_path)}:build_application")
    assert code == 0
    assert [n.id for n in parse_flow(out).nodes] == ["increment", "report"]


@pytest.mark.parametrize(
    ("module", "message"),
    [
        ("missing.py", "There is no Python file at"),
        ("missing.py:app", "There is no Python file at"),
        ("counter_app.py:nope", "has no attribute 'nope'"),
    ],
)
def test_graph_of_a_bad_module_is_one_sentence(tmp_path, capsys, module, message):
    """A missing module or attribute: exit 2 with one sentence."""
    _app_module(tmp_path)
    code, out, err = run_cli(capsys, "graph", tmp_path / module)
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1
