"""The app's remembered settings: window layout, theme, recent files, the welcome page.

They live in `settings.ini` in burrdesk's data directory (not the platform's registry), so tests
and portable installs isolate them by pointing the data directory elsewhere.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from burrdesk.model.data_location import user_data_dir

MAX_RECENT = 10


def settings() -> QSettings:
    """User settings in the burrdesk data directory."""
    return QSettings(str(user_data_dir() / "settings.ini"), QSettings.Format.IniFormat)


def recent_files() -> list[str]:
    """The files opened most recently, newest first."""
    value = settings().value("recent", [])
    if isinstance(value, str):
        value = [value]
    return [str(v) for v in (value or [])]


def remember_recent(path: Path) -> list[str]:
    """Puts `path` first in the recent files (once) and returns the new list."""
    resolved = str(path.resolve())
    recent = [resolved] + [p for p in recent_files() if p != resolved]
    store = settings()
    store.setValue("recent", recent[:MAX_RECENT])
    store.sync()
    return recent[:MAX_RECENT]


def remembered_servers() -> list[str]:
    """PostgreSQL servers connected to before, newest first, as URLs without a password."""
    value = settings().value("servers", [])
    if isinstance(value, str):
        value = [value]
    return [str(v) for v in (value or [])]


def remember_server(url: str) -> list[str]:
    """Puts `url` first among the remembered servers, its password (if any) taken out: a
    password is never written to the settings (libpq finds it in PGPASSWORD or ~/.pgpass)."""
    from burrdesk.model.postgres_schema import shown_url

    shown = shown_url(url)
    servers = [shown] + [s for s in remembered_servers() if s != shown]
    store = settings()
    store.setValue("servers", servers[:MAX_RECENT])
    store.sync()
    return servers[:MAX_RECENT]
