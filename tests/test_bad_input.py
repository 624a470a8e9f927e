"""Bad input never hangs and never shows a traceback (issue #16).

Malformed and unusual flows, run databases and folders are generated here and put through the
`burrdesk` command as real processes (validate, run, inspect, import, export and the
`--screenshot` window), each with a timeout, because that is where a person meets them. Every
answer is held to the user-facing contract: exit code 2 with one `burrdesk: ` sentence on
stderr for bad input (0 for input that is valid after all), never a traceback, the input left
byte for byte as it was with nothing new beside it, and no process left running.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from burrdesk.model.flow_document import FORMAT, FORMAT_VERSION

ROOT = Path(__file__).resolve().parents[1]
COUNTER = ROOT / "resources" / "examples" / "counter.burrflow"

CLI_TIMEOUT = 30
GUI_TIMEOUT = 60

VALIDATE_FOUND_ERRORS = 1
"""The exit code of `validate` for a flow that reads but has errors, as a linter's: 1 means
"problems found, each printed with its place" (README, tests/test_cli_flows.py); 2 is for
input that cannot be read at all."""

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# --- running burrdesk -------------------------------------------------------------------------


@dataclasses.dataclass
class Outcome:
    """One finished `burrdesk` process."""

    argv: list[str]
    code: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return (
            f"$ burrdesk {' '.join(self.argv)}\nexit code {self.code}\n"
            f"--- stdout ---\n{_tail(self.stdout)}\n--- stderr ---\n{_tail(self.stderr)}"
        )


def _tail(text: str, limit: int = 3000) -> str:
    return text if len(text) <= limit else "…" + text[-limit:]


def burrdesk(
    *args: object, cwd: Path, timeout: float = CLI_TIMEOUT, env: dict[str, str] | None = None
) -> Outcome:
    """Runs `python -m burrdesk ARGS` in a session of its own; a process still running after
    `timeout` seconds, or one that leaves another behind, is killed and fails the test."""
    argv = [str(a) for a in args]
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})}
    assert environment.get("BURRDESK_DATA_DIR"), "never touch the real burrdesk data directory"
    process = subprocess.Popen(
        [sys.executable, "-m", "burrdesk", *argv],
        cwd=cwd,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process.pid)
        out, err = process.communicate()
        pytest.fail(
            f"burrdesk {' '.join(argv)} did not end within {timeout} s and was killed.\n"
            + str(Outcome(argv, -1, _text(out), _text(err)))
        )
    outcome = Outcome(argv, process.returncode, _text(out), _text(err))
    if _group_alive(process.pid):
        _kill_group(process.pid)
        pytest.fail(f"processes were left running after the command ended.\n{outcome}")
    return outcome


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="backslashreplace")


def _group_alive(group: int, grace: float = 2.0) -> bool:
    if not hasattr(os, "killpg"):
        return False
    deadline = time.monotonic() + grace
    while True:
        try:
            os.killpg(group, 0)
        except (ProcessLookupError, PermissionError):
            return False
        if time.monotonic() > deadline:
            return True
        time.sleep(0.05)


def _kill_group(group: int) -> None:
    if hasattr(os, "killpg"):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)


def run_flow(flow: Path, out: Path) -> Outcome:
    """`burrdesk run FLOW --no-input`, offline, recording into a fresh database in `out`."""
    return burrdesk("run", flow, "--no-input", "--echo", "--db", out / "runs.db", cwd=out)


def flow_command(command: str, flow: Path, out: Path) -> Outcome:
    """`validate FLOW`, or `run FLOW` as `run_flow` runs it."""
    return burrdesk("validate", flow, cwd=out) if command == "validate" else run_flow(flow, out)


def screenshot(target: Path, out: Path) -> tuple[Outcome, Path]:
    png = out / "window.png"
    return burrdesk("--screenshot", png, target, cwd=out, timeout=GUI_TIMEOUT), png


# --- the contract -----------------------------------------------------------------------------


def no_traceback(outcome: Outcome) -> None:
    for name, text in (("stdout", outcome.stdout), ("stderr", outcome.stderr)):
        assert "Traceback" not in text, f"a traceback on {name}\n{outcome}"
        assert "UnicodeEncodeError" not in text, f"UnicodeEncodeError on {name}\n{outcome}"


def refused(outcome: Outcome, *mentions: str) -> None:
    """Exit code 2 and exactly one line on stderr: a `burrdesk: ` sentence (with `mentions`)."""
    no_traceback(outcome)
    lines = outcome.stderr.splitlines()
    assert outcome.code == 2, f"expected exit code 2 for bad input\n{outcome}"
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}\n{outcome}"
    sentence = lines[0]
    assert sentence.startswith("burrdesk: "), f"not a `burrdesk: ` sentence\n{outcome}"
    assert sentence.rstrip().endswith("."), f"not one whole sentence\n{outcome}"
    for word in mentions:
        assert word.lower() in sentence.lower(), f"the sentence does not say {word!r}\n{outcome}"


def accepted(outcome: Outcome) -> None:
    no_traceback(outcome)
    assert outcome.code == 0, f"expected exit code 0 for valid input\n{outcome}"


def problem_reported(outcome: Outcome, *names: str) -> None:
    """`validate` of a flow that loads but has an error: exit code `VALIDATE_FOUND_ERRORS`, a
    line naming where the problem is (`names`), and at most one `burrdesk: ` line on stderr."""
    no_traceback(outcome)
    assert outcome.code == VALIDATE_FOUND_ERRORS, (
        f"expected exit {VALIDATE_FOUND_ERRORS}\n{outcome}"
    )
    lines = (outcome.stdout + "\n" + outcome.stderr).splitlines()
    assert any(all(n in line for n in names) for line in lines), (
        f"no line names {' and '.join(map(repr, names))}\n{outcome}"
    )
    errors = outcome.stderr.splitlines()
    assert len(errors) <= 1 and all(e.startswith("burrdesk: ") for e in errors), str(outcome)


def run_refused_for_problem(outcome: Outcome, *names: str) -> None:
    """`run` of such a flow: exit code 2, the problem on stderr naming where it is, the last
    line a `burrdesk: ` sentence, and every stderr line a sentence (no dumps, no traceback)."""
    no_traceback(outcome)
    assert outcome.code == 2, f"expected exit code 2\n{outcome}"
    lines = outcome.stderr.splitlines()
    assert lines and lines[-1].startswith("burrdesk: "), f"no closing sentence\n{outcome}"
    assert all(line.startswith(("burrdesk: ", "error: ", "warning: ")) for line in lines), (
        f"stderr holds more than sentences\n{outcome}"
    )
    assert any(all(n in line for n in names) for line in lines), (
        f"no stderr line names {' and '.join(map(repr, names))}\n{outcome}"
    )


def accepted_or_refused(outcome: Outcome, *names: str) -> None:
    """Either it works (exit 0), or it is refused in one sentence naming `names`."""
    if outcome.code == 0:
        accepted(outcome)
    elif outcome.stderr.startswith("burrdesk: "):
        refused(outcome, *names)
    else:
        problem_reported(outcome, *names)


def screenshot_written(outcome: Outcome, png: Path) -> None:
    accepted(outcome)
    assert png.is_file() and png.read_bytes().startswith(PNG_MAGIC), f"no PNG\n{outcome}"


def screenshot_refused(outcome: Outcome, png: Path) -> None:
    refused(outcome)
    assert not png.exists(), f"a refused file still produced a screenshot\n{outcome}"


# --- inputs: where they live and that they stay as they are -----------------------------------


def folders(tmp_path: Path) -> tuple[Path, Path]:
    """(input folder, output folder): outputs never land next to the input."""
    inputs, out = tmp_path / "input", tmp_path / "out"
    inputs.mkdir()
    out.mkdir()
    return inputs, out


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file under `folder` with its bytes (None for a folder)."""
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(folder.rglob("*"))
    }


def assert_untouched(folder: Path, before: dict[str, bytes | None]) -> None:
    after = snapshot(folder)
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
    assert not (added or removed or changed), (
        f"the input was touched: new {added}, removed {removed}, changed {changed}"
    )


def counter_document() -> dict:
    return json.loads(COUNTER.read_text(encoding="utf-8"))


def flow_bytes(document: dict, **raw: str) -> bytes:
    """The document as JSON (escaping non-ASCII, so a lone surrogate stays `\\ud800`); each
    `raw` value replaces the string "@key@" with JSON text too deep for `json.dumps`."""
    text = json.dumps(document, indent=2)
    for key, value in raw.items():
        text = text.replace(json.dumps(f"@{key}@"), value)
    return text.encode("utf-8")


def _counter_with(**changes: object) -> bytes:
    document = counter_document()
    for key, value in changes.items():
        if value is None:
            document.pop(key, None)
        else:
            document[key] = value
    return flow_bytes(document)


def _deep_state(opening: str, leaf: str, closing: str, depth: int = 1000) -> bytes:
    document = counter_document()
    document["state"]["deep"] = "@deep@"
    return flow_bytes(document, deep=opening * depth + leaf + closing * depth)


def _counter_condition(expression: str) -> bytes:
    document = counter_document()
    document["edges"][0]["condition"] = f"expr: {expression}"
    return flow_bytes(document)


def _counter_code(line: str) -> bytes:
    document = counter_document()
    document["nodes"][0]["code"] = (
        "def increment(state: State) -> State:\n"
        f"    deep = {line}\n"
        '    return state.update(count=state["count"] + 1)\n'
    )
    return flow_bytes(document)


def _asking_flow(field: dict) -> bytes:
    return flow_bytes(
        {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "name": "asks",
            "state": {},
            "entrypoint": "ask",
            "nodes": [
                {"id": "ask", "kind": "input", "params": {"inputs": [field]}},
                {"id": "done", "kind": "end"},
            ],
            "edges": [{"source": "ask", "target": "done"}],
        }
    )


def _chat_flow(**params: object) -> bytes:
    return flow_bytes(
        {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "name": "chats",
            "state": {"prompt": "hello"},
            "entrypoint": "chat",
            "nodes": [
                {"id": "chat", "kind": "llm", "params": {"prompt_template": "{prompt}", **params}},
                {"id": "done", "kind": "end"},
            ],
            "edges": [{"source": "chat", "target": "done"}],
        }
    )


def _surrogate_state() -> bytes:
    document = counter_document()
    document["state"]["note"] = "\ud800"
    data = flow_bytes(document)
    assert b'"\\ud800"' in data
    return data


def _odd_names(first: str, last: str) -> bytes:
    return flow_bytes(
        {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "name": "odd names",
            "state": {"count": 0},
            "entrypoint": first,
            "nodes": [
                {
                    "id": first,
                    "kind": "python",
                    "label": 'Step 1: count — "once" {braces} \\ 100 % ✓',
                    "reads": ["count"],
                    "writes": ["count"],
                    "code": (
                        "def step(state: State) -> State:\n"
                        '    return state.update(count=state["count"] + 1)\n'
                    ),
                },
                {"id": last, "kind": "end", "label": "終わり — the end 🏁\nsecond line"},
            ],
            "edges": [
                {"source": first, "target": first, "condition": "expr: count < 3"},
                {"source": first, "target": last},
            ],
        }
    )


# --- flows that cannot be read as a flow at all -----------------------------------------------

UNREADABLE_FLOWS: dict[str, Callable[[], bytes]] = {
    "invalid-json": lambda: b'{"format": "burrdesk.flow", "version": 1,, "nodes": []}\n',
    "truncated-json": lambda: COUNTER.read_bytes()[: len(COUNTER.read_bytes()) // 2],
    "empty-file": lambda: b"",
    "whitespace-only": lambda: b"  \n\t\r\n   \n",
    "binary-bytes": lambda: bytes(range(256)) * 16,
    "utf16-with-bom": lambda: COUNTER.read_text(encoding="utf-8").encode("utf-16"),
    "top-level-array": lambda: b'[{"format": "burrdesk.flow"}]\n',
    "top-level-null": lambda: b"null\n",
    "top-level-string": lambda: b'"burrdesk.flow"\n',
    "top-level-number": lambda: b"42\n",
    "missing-format": lambda: _counter_with(format=None),
    "wrong-format": lambda: _counter_with(format="burr.application"),
    "newer-version": lambda: _counter_with(version=FORMAT_VERSION + 1),
    # Assumed refused, not supported: Python's json stops at its recursion limit (1,000).
    "state-nested-1000-objects": lambda: _deep_state('{"a": ', "0", "}"),
    "state-nested-1000-lists": lambda: _deep_state("[", "", "]"),
}

SCREENSHOT_FLOWS = [
    "invalid-json",
    "truncated-json",
    "empty-file",
    "whitespace-only",
    "binary-bytes",
    "utf16-with-bom",
    "top-level-array",
    "top-level-null",
    "top-level-string",
    "missing-format",
    "wrong-format",
    "newer-version",
]


def _write_flow(tmp_path: Path, name: str, data: bytes) -> tuple[Path, Path, Path]:
    inputs, out = folders(tmp_path)
    flow = inputs / f"{name}.burrflow"
    flow.write_bytes(data)
    return inputs, out, flow


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("case", list(UNREADABLE_FLOWS))
def test_a_file_that_is_not_a_flow_is_refused_in_one_sentence(tmp_path, case, command):
    inputs, out, flow = _write_flow(tmp_path, case, UNREADABLE_FLOWS[case]())
    before = snapshot(inputs)
    outcome = flow_command(command, flow, out)
    refused(outcome)
    assert_untouched(inputs, before)


@pytest.mark.parametrize("case", SCREENSHOT_FLOWS)
def test_the_window_refuses_a_file_that_is_not_a_flow_at_once(tmp_path, case):
    inputs, out, flow = _write_flow(tmp_path, case, UNREADABLE_FLOWS[case]())
    before = snapshot(inputs)
    screenshot_refused(*screenshot(flow, out))
    assert_untouched(inputs, before)


# --- flows that load but hold an error validate must name -------------------------------------


@dataclasses.dataclass
class FlowProblem:
    build: Callable[[], bytes]
    names: tuple[str, ...]
    """What the problem's sentence must name: the node (or edge) and the field."""


FLOW_PROBLEMS: dict[str, FlowProblem] = {
    "expr-1000-nested-not": FlowProblem(
        lambda: _counter_condition("not " * 1000 + "count < 10"), ("edge #1", "condition")
    ),
    "expr-1000-unary-minus": FlowProblem(
        lambda: _counter_condition("count < " + "- " * 1000 + "10"), ("edge #1", "condition")
    ),
    "code-1000-nested-lists": FlowProblem(
        lambda: _counter_code("[" * 1000 + "]" * 1000), ("increment", "code")
    ),
    "code-1000-nested-parentheses": FlowProblem(
        lambda: _counter_code("(" * 1000 + "1" + ")" * 1000), ("increment", "code")
    ),
    # Python itself gives up on these: RecursionError and MemoryError while parsing.
    "code-sum-of-100000-terms": FlowProblem(
        lambda: _counter_code(" + ".join(["1"] * 100_000)), ("increment", "code")
    ),
    "code-10000-unary-minus": FlowProblem(
        lambda: _counter_code("- " * 10_000 + "1"), ("increment", "code")
    ),
    "input-int-default-text": FlowProblem(
        lambda: _asking_flow({"name": "how_many", "type": "int", "default": "many"}),
        ("ask", "how_many"),
    ),
    "input-bool-default-text": FlowProblem(
        lambda: _asking_flow({"name": "sure", "type": "bool", "default": "maybe"}),
        ("ask", "sure"),
    ),
    "llm-temperature-text": FlowProblem(
        lambda: _chat_flow(temperature="hot"), ("chat", "temperature")
    ),
    "llm-max-tokens-text": FlowProblem(
        lambda: _chat_flow(max_tokens="many"), ("chat", "max_tokens")
    ),
}


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("case", list(FLOW_PROBLEMS))
def test_a_flow_problem_is_one_sentence_naming_the_node_and_field(tmp_path, case, command):
    problem = FLOW_PROBLEMS[case]
    inputs, out, flow = _write_flow(tmp_path, case, problem.build())
    before = snapshot(inputs)
    if command == "validate":
        problem_reported(burrdesk("validate", flow, cwd=out), *problem.names)
    else:
        run_refused_for_problem(run_flow(flow, out), *problem.names)
    assert_untouched(inputs, before)


# --- unusual flows that may work: they either do, or say why not in one sentence --------------

MAYBE_VALID_FLOWS: dict[str, FlowProblem] = {
    "state-lone-surrogate": FlowProblem(_surrogate_state, ("note",)),
    # Legal Python 3.11: it parses 200 nested parentheses (its limit) and compiles this.
    "code-200-nested-parentheses": FlowProblem(
        lambda: _counter_code("(" * 200 + "1" + ")" * 200), ("increment", "code")
    ),
    "code-1000-unary-minus": FlowProblem(
        lambda: _counter_code("- " * 1000 + "1"), ("increment", "code")
    ),
}


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("case", list(MAYBE_VALID_FLOWS))
def test_an_unusual_flow_runs_or_is_refused_in_one_sentence(tmp_path, case, command):
    flow_case = MAYBE_VALID_FLOWS[case]
    inputs, out, flow = _write_flow(tmp_path, case, flow_case.build())
    before = snapshot(inputs)
    outcome = flow_command(command, flow, out)
    accepted_or_refused(outcome, *flow_case.names)
    assert_untouched(inputs, before)


# --- node ids that are not Python names: Burr takes any string as an action name --------------

ODD_NAMES = {
    "unicode-and-dash": lambda: _odd_names("step-1", "終わり🏁"),
    "spaces-and-quotes": lambda: _odd_names("count it", 'it\'s "done" \\ now'),
}


@pytest.mark.parametrize("command", ["validate", "run", "export", "screenshot"])
@pytest.mark.parametrize("case", list(ODD_NAMES))
def test_node_ids_that_are_free_text_work_everywhere(tmp_path, case, command):
    inputs, out, flow = _write_flow(tmp_path, case, ODD_NAMES[case]())
    before = snapshot(inputs)
    if command == "validate":
        accepted(burrdesk("validate", flow, cwd=out))
    elif command == "run":
        outcome = run_flow(flow, out)
        accepted(outcome)
        assert "completed" in outcome.stdout, str(outcome)
    elif command == "export":
        script = out / "odd_names.py"
        accepted(burrdesk("export", flow, "--format", "python", "-o", script, cwd=out))
        compile(script.read_text(encoding="utf-8"), str(script), "exec")
    else:
        screenshot_written(*screenshot(flow, out))
    assert_untouched(inputs, before)


# --- run databases ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def recorded_runs(tmp_path_factory) -> bytes:
    """The bytes of a real run database holding three runs of the counter example."""
    folder = tmp_path_factory.mktemp("recorded")
    database = folder / "runs.db"
    env = {"BURRDESK_DATA_DIR": str(folder / "data")}
    for _ in range(3):
        accepted(burrdesk("run", COUNTER, "--no-input", "--db", database, cwd=folder, env=env))
    beside = sorted(p.name for p in folder.glob("runs.db?*"))
    assert not beside, f"the finished runs left {beside} next to the database"
    return database.read_bytes()


def _sqlite(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    try:
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


def _newer_schema(path: Path, recorded: bytes) -> None:
    path.write_bytes(recorded)
    _sqlite(path, "UPDATE meta SET value = '99' WHERE key = 'schema_version'")


def _folder(path: Path, _recorded: bytes) -> None:
    path.mkdir()


DATABASES: dict[str, Callable[[Path, bytes], None]] = {
    "empty-file": lambda path, _: path.write_bytes(b""),
    "text-file": lambda path, _: path.write_bytes(b"these are not the runs you want\n" * 40),
    "truncated": lambda path, recorded: path.write_bytes(recorded[: len(recorded) // 2]),
    "another-programs-sqlite": lambda path, _: _sqlite(
        path,
        "CREATE TABLE invoices (id INTEGER PRIMARY KEY, customer TEXT, total REAL)",
        "INSERT INTO invoices (customer, total) VALUES ('ACME', 12.5), ('Initech', 99)",
    ),
    "newer-schema": _newer_schema,
    "burr-persister": lambda path, _: _sqlite(
        path,
        "CREATE TABLE burr_state (partition_key TEXT DEFAULT '', app_id TEXT NOT NULL, "
        "sequence_id INTEGER NOT NULL, position TEXT NOT NULL, status TEXT NOT NULL, "
        "state TEXT NOT NULL, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, "
        "PRIMARY KEY (partition_key, app_id, sequence_id, position))",
        "INSERT INTO burr_state (partition_key, app_id, sequence_id, position, status, state) "
        """VALUES ('', 'app-1', 0, 'counter', 'completed', '{"counter": 1}')""",
    ),
    "folder-named-x.db": _folder,
}
DATABASE_MENTIONS = {"burr-persister": ("burrdesk import",)}
NOT_A_FLOW = ["truncated", "another-programs-sqlite", "folder-named-x.db"]


def _write_database(tmp_path: Path, case: str, recorded: bytes) -> tuple[Path, Path, Path]:
    inputs, out = folders(tmp_path)
    database = inputs / ("x.db" if case.startswith("folder") else "runs.db")
    DATABASES[case](database, recorded)
    assert [p.name for p in inputs.iterdir()] == [database.name], "a stray file was made"
    return inputs, out, database


@pytest.mark.parametrize("command", ["inspect", "screenshot"])
@pytest.mark.parametrize("case", list(DATABASES))
def test_a_bad_run_database_is_refused_and_left_alone(tmp_path, recorded_runs, case, command):
    inputs, out, database = _write_database(tmp_path, case, recorded_runs)
    before = snapshot(inputs)
    if command == "inspect":
        refused(burrdesk("inspect", database, cwd=out), *DATABASE_MENTIONS.get(case, ()))
    else:
        screenshot_refused(*screenshot(database, out))
    assert_untouched(inputs, before)


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("case", NOT_A_FLOW)
def test_a_run_database_given_as_a_flow_is_not_a_flow(tmp_path, recorded_runs, case, command):
    inputs, out, database = _write_database(tmp_path, case, recorded_runs)
    before = snapshot(inputs)
    outcome = flow_command(command, database, out)
    refused(outcome, "flow")
    assert_untouched(inputs, before)


@pytest.mark.parametrize("command", ["inspect", "screenshot"])
def test_a_good_run_database_opens_and_is_left_alone(tmp_path, recorded_runs, command):
    inputs, out = folders(tmp_path)
    database = inputs / "runs.db"
    database.write_bytes(recorded_runs)
    before = snapshot(inputs)
    if command == "inspect":
        outcome = burrdesk("inspect", database, cwd=out)
        accepted(outcome)
        assert outcome.stdout.count("counter") == 3, str(outcome)
    else:
        screenshot_written(*screenshot(database, out))
    assert_untouched(inputs, before)


# --- folders: Burr tracker output -------------------------------------------------------------


def _demo_app() -> Path:
    spec = importlib.util.find_spec("burr")
    if spec is None or spec.origin is None:
        pytest.skip("apache-burr (the reference implementation) is not installed")
    app = Path(spec.origin).parent / "tracking/server/demo_data/demo_counter/count-to-10"
    if not (app / "log.jsonl").is_file():
        pytest.skip(f"Burr's demo data is not at {app}")
    return app


def _empty_folder(inputs: Path) -> Path:
    folder = inputs / "empty"
    folder.mkdir()
    return folder


def _garbage_log(inputs: Path) -> Path:
    folder = inputs / "garbage"
    folder.mkdir()
    (folder / "log.jsonl").write_bytes(
        b'this is not JSON\n{"type": "begin_entry", "sequence_id":\n\x00\xff\xfe garbage\n'
    )
    return folder


def _truncated_burr_log(inputs: Path) -> Path:
    folder = inputs / "count-to-10"
    shutil.copytree(_demo_app(), folder)
    log = folder / "log.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    half = len(lines) // 2
    cut = lines[half][: len(lines[half]) // 2]
    assert b"\n" not in cut
    log.write_bytes(b"".join(lines[:half]) + cut)
    return folder


FOLDERS: dict[str, tuple[Callable[[Path], Path], bool]] = {
    "empty-folder": (_empty_folder, False),
    "garbage-log": (_garbage_log, False),
    "truncated-burr-log": (_truncated_burr_log, True),
}


@pytest.mark.parametrize("command", ["import", "screenshot"])
@pytest.mark.parametrize("case", list(FOLDERS))
def test_a_folder_opens_or_is_refused_and_is_left_alone(tmp_path, case, command):
    make, valid = FOLDERS[case]
    inputs, out = folders(tmp_path)
    folder = make(inputs)
    before = snapshot(inputs)
    if command == "import":
        outcome = burrdesk("import", folder, "--into", out / "imported.db", cwd=out)
        if valid:
            accepted(outcome)
            assert "Imported 1 run(s)" in outcome.stdout, str(outcome)
        else:
            refused(outcome)
    else:
        outcome, png = screenshot(folder, out)
        if valid:
            screenshot_written(outcome, png)
        else:
            screenshot_refused(outcome, png)
    assert_untouched(inputs, before)
