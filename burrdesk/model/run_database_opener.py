"""Opening a run database by where it is: a file path, or a PostgreSQL URL.

Everything that takes a database (the tracker, the CLI, the GUI) takes either, and gets the
same `RunDatabase` interface back.
"""

from __future__ import annotations

import os
from pathlib import Path

from burrdesk.model.data_location import default_database_path
from burrdesk.model.run_database import RunDatabase

SERVER_URL_SCHEMES = ("postgresql://", "postgres://")


def is_server_url(target: object) -> bool:
    """Whether `target` names a PostgreSQL database rather than a file."""
    return isinstance(target, str) and target.startswith(SERVER_URL_SCHEMES)


def open_run_database(
    target: str | os.PathLike[str], *, create: bool = True, read_only: bool = False
) -> RunDatabase:
    """The run database at `target`: a SQLite file, or a PostgreSQL database named by URL."""
    if is_server_url(target):
        from burrdesk.model.postgres_run_database import PostgresRunDatabase

        return PostgresRunDatabase(str(target), create=create, read_only=read_only)
    return RunDatabase(target, create=create, read_only=read_only)


def database_target(text: str | os.PathLike[str] | None) -> str | Path:
    """What a user named as a run database: a URL as given, a path as a Path, or the default
    database when nothing was named."""
    if text is None or text == "":
        return default_database_path()
    if is_server_url(text):
        return str(text)
    return Path(text)


def shown_target(target: str | os.PathLike[str]) -> str:
    """A database target as it may be printed (a URL without its password)."""
    if is_server_url(target):
        from burrdesk.model.postgres_schema import shown_url

        return shown_url(str(target))
    return str(target)
