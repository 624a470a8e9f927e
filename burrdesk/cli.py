"""The `burrdesk` command: opens the desktop app, or runs a subcommand headless."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from burrdesk import __version__

_CAPABILITIES = """\
burrdesk {version}: a workbench for Burr-style state-machine applications.

Available now:
  * the engine, burrdesk.engine: code written for burr.core runs after changing the import
      from burrdesk.engine import action, State, ApplicationBuilder, default, expr, when
  * state persistence for resume and fork: burrdesk.engine.persistence.SQLitePersister

Coming next (see the issues): the run database and its CLI, .burrflow flow documents,
and the desktop app (canvas, live runs, timeline and rewind).
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="burrdesk",
        description="Design, run and rewind Burr-style state-machine applications.",
    )
    parser.add_argument("--version", action="version", version=f"burrdesk {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `burrdesk` console script; returns the process exit code."""
    parser = build_parser()
    parser.parse_args(argv)
    sys.stdout.write(_CAPABILITIES.format(version=__version__))
    return 0
