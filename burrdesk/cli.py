"""The `burrdesk` command: opens the desktop app, or runs a subcommand headless.

Every failure a user can cause (a missing file, a file that is not a run database, a newer
schema, a bad run id) ends with one sentence on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from burrdesk import __version__
from burrdesk.cli_error import EXIT_USAGE, CliError

_CAPABILITIES = """\
burrdesk {version}: a workbench for Burr-style state-machine applications.

Available now:
  * the engine, burrdesk.engine: code written for burr.core runs after changing the import
  * run databases: record runs with ApplicationBuilder().with_tracker("sqlite", project=...)
      burrdesk import PATH [--into RUNS.db]     import Burr tracker output or a persister db
      burrdesk inspect [RUNS.db]                list runs (add --run ID, --step N, --json)
      burrdesk test-case RUNS.db --run ID --step N [-o test_step.py]
                                                a pytest file replaying a recorded step
      burrdesk fork-script RUNS.db --run ID --step N [-o fork.py]
                                                a script forking the run after that step
      burrdesk annotations [RUNS.db] [-o evals.jsonl|evals.csv]
                                                annotated steps, listed or as a dataset
      burrdesk push RUNS.db postgresql://…      upload runs to a shared PostgreSQL server
      burrdesk pull postgresql://… RUNS.db      and bring them back into a local file
  * Burr programs: with_tracker(burrdesk.burr_tracking.RunDatabaseTracker(project=...));
      burrdesk ~/.burr opens Burr's trace folder in place and follows it live
  * flows (.burrflow): burrdesk run FLOW, burrdesk validate FLOW,
      burrdesk export FLOW -o app.py|flow.mmd|flow.dot, burrdesk graph app.py[:attr]
  * default run database: {database}

  * LLM nodes: OpenAI or any compatible server (Ollama, vLLM, LM Studio, llama.cpp), set in
      the app's Settings or OPENAI_API_KEY; echo mode offline (burrdesk run --echo)
  * the desktop app: burrdesk [FLOW.burrflow | RUNS.db | BURR_DIR], burrdesk --screenshot OUT.png [PATH]
      design flows, run them live, browse, diff and rewind (fork) every recorded step
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="burrdesk",
        description="Design, run and rewind Burr-style state-machine applications.",
    )
    parser.add_argument("--version", action="version", version=f"burrdesk {__version__}")
    commands = parser.add_subparsers(dest="command")

    importer = commands.add_parser(
        "import", help="import Burr tracker output or a Burr persister database"
    )
    importer.add_argument("path", help="a Burr storage dir, project dir, app dir or persister .db")
    importer.add_argument(
        "--into", metavar="RUNS.db", help="run database file or postgresql:// URL (default: yours)"
    )
    importer.add_argument("--project", help="project name for persister imports")

    run = commands.add_parser("run", help="run a .burrflow headless, recording every step")
    run.add_argument("flow", help="the .burrflow file")
    run.add_argument(
        "--db", metavar="RUNS.db", help="run database file or postgresql:// URL (default: yours)"
    )
    run.add_argument("--project", help="project to record under (default: the flow's name)")
    run.add_argument(
        "--input", action="append", default=[], metavar="KEY=VALUE", help="a value for an input"
    )
    run.add_argument("--halt-after", metavar="NODE", help="stop after this node runs")
    run.add_argument(
        "--echo",
        action="store_true",
        help="run LLM nodes in echo mode (offline), whatever the settings say",
    )
    run.add_argument(
        "--no-input",
        action="store_true",
        help="never ask on the terminal; stop when input is needed",
    )

    export = commands.add_parser("export", help="export a flow as Python, Mermaid or DOT")
    export.add_argument("flow", help="the .burrflow file")
    export.add_argument("-o", "--output", help="file to write (default: standard output)")
    export.add_argument("--format", choices=["python", "mermaid", "dot"], help="default: from -o")
    export.add_argument(
        "--target", choices=["burr", "burrdesk"], default="burr", help="API the Python uses"
    )

    graph = commands.add_parser("graph", help="make a flow from a code-first application")
    graph.add_argument("module", help="path/to/app.py or path/to/app.py:ATTRIBUTE")
    graph.add_argument("-o", "--output", help=".burrflow file to write (default: standard output)")

    validate = commands.add_parser("validate", help="list the problems in a flow")
    validate.add_argument("flow", help="the .burrflow file")

    inspect = commands.add_parser("inspect", help="list the runs, steps or state in a run database")
    inspect.add_argument(
        "database", nargs="?", help="run database file or postgresql:// URL (default: yours)"
    )
    inspect.add_argument("--run", metavar="RUN", help="a run id or app id: list its steps")
    inspect.add_argument("--step", metavar="N", type=int, help="print the full state after step N")
    inspect.add_argument("--json", action="store_true", help="print JSON instead of a table")
    inspect.add_argument("--project", help="only runs of this project")
    inspect.add_argument("--status", help="only runs with this status")
    inspect.add_argument("--from", dest="start", type=int, metavar="SEQ", help="first step to list")
    inspect.add_argument("--limit", type=int, default=100, help="how many rows (default 100)")

    for name, help_text, what in (
        ("test-case", "write a pytest test case that replays a recorded step", "the test"),
        ("fork-script", "write a script that forks a recorded run after a step", "the script"),
    ):
        reproduce = commands.add_parser(name, help=help_text)
        reproduce.add_argument(
            "database", nargs="?", help="run database file or postgresql:// URL (default: yours)"
        )
        reproduce.add_argument("--run", metavar="RUN", required=True, help="a run id or app id")
        reproduce.add_argument("--step", metavar="N", type=int, required=True, help="its step")
        reproduce.add_argument("-o", "--output", help=f"file for {what} (default: standard output)")

    push = commands.add_parser("push", help="upload a run database's runs to a PostgreSQL server")
    push.add_argument("database", help="the run database file")
    push.add_argument("url", help="postgresql://user@host/db (password: PGPASSWORD or ~/.pgpass)")
    pull = commands.add_parser("pull", help="bring a PostgreSQL server's runs into a local file")
    pull.add_argument("url", help="postgresql://user@host/db (password: PGPASSWORD or ~/.pgpass)")
    pull.add_argument("database", help="the run database file (created when missing)")

    annotations = commands.add_parser(
        "annotations", help="list annotated steps, or export them as a JSONL/CSV dataset"
    )
    annotations.add_argument(
        "database", nargs="?", help="run database file or postgresql:// URL (default: yours)"
    )
    annotations.add_argument("--project", help="only this project's annotations")
    annotations.add_argument("--verdict", choices=("good", "bad"), help="only good or bad steps")
    annotations.add_argument("--tag", help="only steps with this tag")
    annotations.add_argument(
        "--steps-from",
        metavar="RUNS.db",
        help="run database holding the steps, when the annotations are kept apart from them",
    )
    annotations.add_argument(
        "-o", "--output", metavar="FILE", help="write a dataset (.jsonl or .csv) instead of a list"
    )
    return parser


SUBCOMMANDS = (
    "import",
    "inspect",
    "run",
    "export",
    "graph",
    "validate",
    "test-case",
    "fork-script",
    "annotations",
    "push",
    "pull",
)


def build_app_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="burrdesk",
        description=(
            "Open the burrdesk desktop app (optionally with a flow or run database), or run a "
            f"subcommand: {', '.join(SUBCOMMANDS)} (burrdesk SUBCOMMAND --help)."
        ),
    )
    parser.add_argument("--version", action="version", version=f"burrdesk {__version__}")
    parser.add_argument(
        "path",
        nargs="?",
        help="a .burrflow file, a run database, a Burr folder or a postgresql:// URL to open",
    )
    parser.add_argument(
        "--screenshot", metavar="OUT.png", help="render the window to a PNG and exit"
    )
    parser.add_argument("--theme", choices=["light", "dark"], help="colour theme for this session")
    parser.add_argument("--about", action="store_true", help="print what burrdesk can do and exit")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `burrdesk` console script; returns the process exit code."""
    for stream in (sys.stdout, sys.stderr):
        # A state may hold text that is not valid Unicode (a lone surrogate): print it escaped.
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="backslashreplace")
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments or arguments[0] not in SUBCOMMANDS:
        options = build_app_parser().parse_args(arguments)
        if options.about:
            from burrdesk.model.data_location import default_database_path

            sys.stdout.write(
                _CAPABILITIES.format(version=__version__, database=default_database_path())
            )
            return 0
        from burrdesk.model.run_database_opener import database_target

        path = database_target(options.path) if options.path else None
        if isinstance(path, Path) and not path.exists():
            print(f"burrdesk: there is no file at {path}.", file=sys.stderr)
            return EXIT_USAGE
        from burrdesk.views.app import run_app

        return run_app(
            path, Path(options.screenshot) if options.screenshot else None, options.theme
        )
    args = build_parser().parse_args(arguments)
    try:
        if args.command == "import":
            return _import(args)
        if args.command == "inspect":
            return _inspect(args)
        if args.command in ("test-case", "fork-script"):
            return _reproduce(args)
        if args.command == "annotations":
            return _annotations(args)
        if args.command in ("push", "pull"):
            return _transfer(args)
        if args.command in ("run", "export", "graph", "validate"):
            from burrdesk import flow_commands

            return getattr(flow_commands, f"{args.command}_command")(args)
    except CliError as error:
        print(f"burrdesk: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    return 0


def _open_database(path: str | None, *, create: bool) -> Any:
    """The run database at `path`, a file or a postgresql:// URL (the default one when None,
    created on first use)."""
    from burrdesk.model.run_database import RunDatabaseError
    from burrdesk.model.run_database_opener import database_target, open_run_database

    target = database_target(path)
    try:
        if not create and (isinstance(target, str) or target.exists()):
            return open_run_database(target, read_only=True)
        return open_run_database(target, create=create or path is None)
    except RunDatabaseError as error:
        raise CliError(str(error)) from None


def _import(args: argparse.Namespace) -> int:
    from burrdesk.model.burr_import import BurrImportError, import_path
    from burrdesk.model.run_database import RunDatabaseError

    database = _open_database(args.into, create=True)
    try:
        options = {"project": args.project} if args.project else {}
        result = import_path(Path(args.path), database, **options)
    except (BurrImportError, RunDatabaseError) as error:
        raise CliError(str(error)) from None
    finally:
        database.close()
    print(f"Imported {len(result.run_ids)} run(s) into {database.location}.")
    if result.skipped:
        print(f"Skipped {len(result.skipped)} already imported: {', '.join(result.skipped)}.")
    return 0


def _inspect(args: argparse.Namespace) -> int:
    from burrdesk.model.run_database import RunDatabaseError

    if args.step is not None and args.run is None:
        raise CliError("--step needs --run: say which run the step belongs to.")
    database = _open_database(args.database, create=False)
    try:
        if args.run is None:
            _print_runs(database, args)
        elif args.step is None:
            _print_steps(database, _resolve_run(database, args.run), args)
        else:
            _print_state(database, _resolve_run(database, args.run), args.step, args.json)
    except RunDatabaseError as error:
        raise CliError(str(error)) from None
    finally:
        database.close()
    return 0


def _reproduce(args: argparse.Namespace) -> int:
    """`test-case` and `fork-script`: a recorded step as code, on stdout or in a file."""
    from burrdesk.model.run_database import RunDatabaseError
    from burrdesk.model.step_reproduction import render_fork_script, render_test_case

    database = _open_database(args.database, create=False)
    try:
        run_id = _resolve_run(database, args.run)
        if args.command == "test-case":
            source = render_test_case(database, run_id, args.step)
        else:
            path = str(database.path.resolve()) if database.path else database.location
            source = render_fork_script(database, run_id, args.step, db_path=path)
    except RunDatabaseError as error:
        raise CliError(str(error)) from None
    finally:
        database.close()
    if args.output is None:
        sys.stdout.write(source)
        return 0
    try:
        Path(args.output).write_text(source, encoding="utf-8")
    except OSError as error:
        raise CliError(f"Cannot write {args.output}: {error.strerror or error}.") from None
    what = "test case" if args.command == "test-case" else "fork script"
    print(f"Wrote a {what} for step {args.step} of run {run_id} to {args.output}.")
    return 0


def _resolve_run(database: Any, run: str) -> int:
    if run.isdigit():
        database.get_run(int(run))
        return int(run)
    found = database.find_run(run)
    if found is None:
        raise CliError(f"{database.location} has no run with id or app id {run!r}.")
    return found.run_id


def _time(value: float | None) -> str:
    if value is None:
        return ""
    return datetime.datetime.fromtimestamp(value).strftime("%Y-%m-%d %H:%M:%S")


def _print_table(headers: list[str], rows: list[list[Any]]) -> None:
    cells = [[str(c) for c in row] for row in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)
    ]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def _dump_json(value: Any) -> None:
    from burrdesk.model.state_codec import to_jsonable

    print(json.dumps(to_jsonable(value), indent=2, ensure_ascii=False))


def _print_runs(database: Any, args: argparse.Namespace) -> None:
    runs = database.list_runs(project=args.project, status=args.status, limit=args.limit)
    if args.json:
        _dump_json([run.model_dump(exclude={"graph", "flow"}) for run in runs])
        return
    if not runs:
        print(f"{database.location} has no runs yet.")
        return
    _print_table(
        ["run", "project", "app_id", "partition", "status", "steps", "started", "parent"],
        [
            [
                r.run_id,
                r.project,
                r.app_id,
                r.partition_key or "",
                r.status,
                r.step_count,
                _time(r.created_at),
                f"{r.parent_run_id}@{r.parent_sequence_id}" if r.parent_run_id else "",
            ]
            for r in runs
        ],
    )


def _print_steps(database: Any, run_id: int, args: argparse.Namespace) -> None:
    steps = database.read_steps(run_id, args.start, limit=args.limit)
    if args.json:
        _dump_json([step.model_dump() for step in steps])
        return
    if not steps:
        print(f"Run {run_id} has no steps.")
        return
    _print_table(
        ["seq", "action", "status", "ms", "changed", "error"],
        [
            [
                s.sequence_id,
                s.action,
                s.status,
                f"{s.duration * 1000:.1f}" if s.duration is not None else "",
                ", ".join(s.changed_keys),
                (s.error or "")[:60],
            ]
            for s in steps
        ],
    )


def _print_state(database: Any, run_id: int, sequence_id: int, as_json: bool) -> None:
    state = database.state_at(run_id, sequence_id)
    if as_json:
        _dump_json(state)
        return
    print(f"State of run {run_id} after step {sequence_id}:")
    for key, value in state.items():
        text = json.dumps(_jsonable(value), ensure_ascii=False)
        print(f"  {key} = {text if len(text) <= 200 else text[:200] + '…'}")


def _jsonable(value: Any) -> Any:
    from burrdesk.model.state_codec import to_jsonable

    return to_jsonable(value)


def _annotations(args: argparse.Namespace) -> int:
    """Annotated steps: a table on stdout, or a dataset file with each step's data."""
    from burrdesk.model.run_database import RunDatabaseError
    from burrdesk.model.step_annotations import AnnotationStore, export_dataset

    database = _open_database(args.database, create=False)
    steps = _open_database(args.steps_from, create=False) if args.steps_from else database
    try:
        found = AnnotationStore(database).list(
            project=args.project, verdict=args.verdict, tag=args.tag
        )
        if args.output is None:
            for a in found:
                where = f"{a.project}/{a.app_id}" + (
                    f" [{a.partition_key}]" if a.partition_key else ""
                )
                tags = ", ".join(a.tags)
                print(
                    f"{where} step {a.sequence_id} {a.action or ''}: {a.verdict or '-'}"
                    + (f" [{tags}]" if tags else "")
                    + (f" {a.note}" if a.note else "")
                )
            print(f"{len(found)} annotated step{'s' * (len(found) != 1)}.")
            return 0
        count = export_dataset(found, steps, args.output)
    except RunDatabaseError as error:
        raise CliError(str(error)) from None
    finally:
        database.close()
        if steps is not database:
            steps.close()
    print(f"Exported {count} annotated step{'s' * (count != 1)} to {args.output}.")
    return 0


def _transfer(args: argparse.Namespace) -> int:
    """`push` and `pull`: runs copied by identity, so doing it twice adds nothing."""
    from burrdesk.model.postgres_schema import shown_url
    from burrdesk.model.run_database import RunDatabaseError
    from burrdesk.model.run_transfer import pull, push

    if args.command == "push" and not Path(args.database).is_file():
        raise CliError(f"There is no run database at {args.database}.")
    try:
        if args.command == "push":
            result = push(args.database, args.url)
            print(result.summary("Pushed", f"to {shown_url(args.url)}"))
        else:
            result = pull(args.url, args.database)
            print(result.summary("Pulled", f"into {args.database}"))
    except RunDatabaseError as error:
        raise CliError(str(error)) from None
    return 0
