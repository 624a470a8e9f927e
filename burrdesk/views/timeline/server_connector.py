"""Connecting to a PostgreSQL run database off the GUI thread.

A server may be slow to answer or not answer at all (libpq waits up to its connect timeout),
so the window hands the connection to a pool thread and hears back through a queued signal:
the opened database, or one sentence and whether a password would help.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit, urlunsplit

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from burrdesk.model.run_database import RunDatabaseError
from burrdesk.model.run_database_opener import open_run_database


def server_url(host: str, port: int | str | None, database: str, user: str) -> str:
    """A postgresql:// URL from the parts a person types (no password in it)."""
    where = host.strip() or "localhost"
    if ":" in where and not where.startswith("["):
        where = f"[{where}]"  # an IPv6 address
    if port not in (None, "", 5432, "5432"):
        where = f"{where}:{port}"
    who = f"{quote(user.strip(), safe='')}@" if user.strip() else ""
    return f"postgresql://{who}{where}/{quote(database.strip() or 'postgres', safe='')}"


def url_parts(url: str) -> dict[str, str]:
    """The host, port, database and user a URL names (for filling the dialog back in)."""
    parts = urlsplit(url)
    return {
        "host": parts.hostname or "",
        "port": str(parts.port or 5432),
        "database": parts.path.lstrip("/") or "postgres",
        "user": parts.username or "",
    }


def with_password(url: str, password: str) -> str:
    """`url` with a password typed into the prompt: held in memory for this session only."""
    parts = urlsplit(url)
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def needs_password(message: str) -> bool:
    """Whether a failed connection asked for a password (none given, or a wrong one)."""
    text = message.lower()
    return "no password supplied" in text or "password authentication failed" in text


class ServerConnector(QObject):
    """Opens a server's run database in a pool thread; one connection attempt at a time."""

    connected = Signal(str, object)
    """The URL (as given) and its opened, read-only `RunDatabase`."""
    failed = Signal(str, str, bool)
    """The URL, one sentence, and whether a password is what is missing."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.busy = False

    def connect_to(self, url: str) -> None:
        self.busy = True
        QThreadPool.globalInstance().start(_Attempt(url, self))

    def _finish_connected(self, url: str, database: object) -> None:
        self.busy = False
        self.connected.emit(url, database)

    def _finish_failed(self, url: str, message: str, password: bool) -> None:
        self.busy = False
        self.failed.emit(url, message, password)


class _Signals(QObject):
    connected = Signal(str, object)
    failed = Signal(str, str, bool)


class _Attempt(QRunnable):
    def __init__(self, url: str, connector: ServerConnector) -> None:
        super().__init__()
        self.url = url
        self.signals = _Signals()
        self.signals.connected.connect(connector._finish_connected)
        self.signals.failed.connect(connector._finish_failed)

    def run(self) -> None:
        try:
            # Created when the database is empty (a new team database), then read-only: the
            # timeline only reads; annotations open their own writable connection.
            open_run_database(self.url).close()
            database = open_run_database(self.url, read_only=True)
        except RunDatabaseError as error:
            message = str(error)
            self.signals.failed.emit(self.url, message, needs_password(message))
            return
        self.signals.connected.emit(self.url, database)
