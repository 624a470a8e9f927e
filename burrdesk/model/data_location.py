"""Where burrdesk keeps its user data: the default run database lives here.

Follows each platform's convention (the same rules as platformdirs' user data dir) without the
dependency; `BURRDESK_DATA_DIR` overrides it, which tests and portable installs use.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DEFAULT_DATABASE_NAME = "runs.db"


def user_data_dir() -> Path:
    override = os.environ.get("BURRDESK_DATA_DIR")
    if override:
        return Path(override).expanduser()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "burrdesk"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "burrdesk"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "burrdesk"


def user_cache_dir() -> Path:
    """Where burrdesk keeps what it can rebuild (the run databases it reads Burr folders into)."""
    override = os.environ.get("BURRDESK_DATA_DIR")
    if override:
        return Path(override).expanduser() / "cache"
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "burrdesk" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "burrdesk"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "burrdesk"


def default_database_path() -> Path:
    """The run database used when no path is given (created on first use by RunDatabase)."""
    return user_data_dir() / DEFAULT_DATABASE_NAME
