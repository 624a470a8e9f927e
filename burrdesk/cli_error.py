"""The error a `burrdesk` subcommand raises for a failure the user caused.

It has a module of its own so that `cli.py` (which parses arguments and prints the error) and
the modules that carry out the subcommands can both take it without importing each other.
"""

from __future__ import annotations

EXIT_USAGE = 2
"""The exit code of a failure the user caused: one sentence on stderr, never a traceback."""


class CliError(Exception):
    """A user-facing failure: printed as one sentence, exit code 2."""
