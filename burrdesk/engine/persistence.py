"""State persistence for resume and fork, with Burr's persister interface.

`SQLitePersister` writes the same table layout as Burr's (`partition_key, app_id, sequence_id,
position, status, state, created_at`), so a persister file written by either can be loaded by
the other. It talks to `sqlite3` directly rather than through sqlite-utils because that layout,
its primary key and its queries are a compatibility contract, not a schema of ours. State is
stored as JSON (tagged reprs for values JSON cannot hold); nothing is pickled.

The run database (`burrdesk.model`) is a separate, richer store for the desktop timeline.
"""

from __future__ import annotations

import abc
import contextlib
import datetime
import json
import sqlite3
import threading
from typing import Any, TypedDict

from burrdesk.engine.lifecycle import PostRunStepHook, PostRunStepHookAsync
from burrdesk.engine.state import State
from burrdesk.model.state_codec import dumps


class PersistedStateData(TypedDict):
    partition_key: str
    app_id: str
    sequence_id: int
    position: str
    state: State
    created_at: str
    status: str


class BaseStateLoader(abc.ABC):
    """Loads a saved state: the latest of an app, or the one at a sequence id."""

    @abc.abstractmethod
    def load(
        self,
        partition_key: str | None,
        app_id: str | None,
        sequence_id: int | None = None,
        **kwargs: Any,
    ) -> PersistedStateData | None: ...

    @abc.abstractmethod
    def list_app_ids(self, partition_key: str | None, **kwargs: Any) -> list[str]: ...

    def is_async(self) -> bool:
        return False


class BaseStateSaver(abc.ABC):
    """Saves the state after a step."""

    def is_initialized(self) -> bool:
        return True

    @abc.abstractmethod
    def save(
        self,
        partition_key: str | None,
        app_id: str,
        sequence_id: int,
        position: str,
        state: State,
        status: str,
        **kwargs: Any,
    ) -> None: ...

    def is_async(self) -> bool:
        return False


class BaseStatePersister(BaseStateLoader, BaseStateSaver, abc.ABC):
    """Both halves: what `initialize_from` and `with_state_persister` take."""


class AsyncBaseStateLoader(abc.ABC):
    """Loads a saved state asynchronously (for applications built with `abuild()`)."""

    @abc.abstractmethod
    async def load(
        self,
        partition_key: str | None,
        app_id: str | None,
        sequence_id: int | None = None,
        **kwargs: Any,
    ) -> PersistedStateData | None: ...

    @abc.abstractmethod
    async def list_app_ids(self, partition_key: str | None, **kwargs: Any) -> list[str]: ...

    def is_async(self) -> bool:
        return True


class AsyncBaseStateSaver(abc.ABC):
    """Saves the state after a step, asynchronously."""

    async def initialize(self) -> None:  # noqa: B027 - optional, as in Burr
        """Creates what the saver needs (a table, say); override when there is something."""

    async def is_initialized(self) -> bool:
        return True

    @abc.abstractmethod
    async def save(
        self,
        partition_key: str | None,
        app_id: str,
        sequence_id: int,
        position: str,
        state: State,
        status: str,
        **kwargs: Any,
    ) -> None: ...

    def is_async(self) -> bool:
        return True


class AsyncBaseStatePersister(AsyncBaseStateLoader, AsyncBaseStateSaver, abc.ABC):
    """Both asynchronous halves: what an `abuild()` application persists with."""


class BaseCopyable(abc.ABC):
    """An adapter that can copy itself, so each sub-application of a parallel action gets its
    own (see `parallelism.py`)."""

    @abc.abstractmethod
    def copy(self) -> Any: ...


class PersisterHook(PostRunStepHook):
    """Saves the state after every step: `completed`, or `failed` when the action raised."""

    def __init__(self, persister: BaseStateSaver):
        self.persister = persister

    def post_run_step(
        self,
        *,
        app_id: str,
        partition_key: str | None,
        action: Any,
        state: State,
        result: dict | None,
        sequence_id: int,
        exception: Exception | None,
        **future_kwargs: Any,
    ) -> None:
        self.persister.save(
            partition_key,
            app_id,
            sequence_id,
            action.name,
            state,
            "completed" if exception is None else "failed",
        )


class PersisterHookAsync(PostRunStepHookAsync):
    """Awaits an asynchronous saver after every step."""

    def __init__(self, persister: AsyncBaseStateSaver):
        self.persister = persister

    async def post_run_step(
        self,
        *,
        app_id: str,
        partition_key: str | None,
        action: Any,
        state: State,
        result: dict | None,
        sequence_id: int,
        exception: Exception | None,
        **future_kwargs: Any,
    ) -> None:
        await self.persister.save(
            partition_key,
            app_id,
            sequence_id,
            action.name,
            state,
            "completed" if exception is None else "failed",
        )


class DevNullPersister(BaseStatePersister):
    """Saves nothing and loads nothing: for wiring a persister in without storing anything."""

    def load(
        self,
        partition_key: str | None,
        app_id: str | None,
        sequence_id: int | None = None,
        **kwargs: Any,
    ) -> PersistedStateData | None:
        return None

    def list_app_ids(self, partition_key: str | None, **kwargs: Any) -> list[str]:
        return []

    def save(
        self,
        partition_key: str | None,
        app_id: str,
        sequence_id: int,
        position: str,
        state: State,
        status: str,
        **kwargs: Any,
    ) -> None:
        return None


class AsyncDevNullPersister(AsyncBaseStatePersister):
    """The asynchronous `DevNullPersister`."""

    async def load(
        self,
        partition_key: str | None,
        app_id: str | None,
        sequence_id: int | None = None,
        **kwargs: Any,
    ) -> PersistedStateData | None:
        return None

    async def list_app_ids(self, partition_key: str | None, **kwargs: Any) -> list[str]:
        return []

    async def save(
        self,
        partition_key: str | None,
        app_id: str,
        sequence_id: int,
        position: str,
        state: State,
        status: str,
        **kwargs: Any,
    ) -> None:
        return None


class InMemoryPersister(BaseStatePersister):
    """Keeps saved states in memory: for tests and short-lived tools."""

    def __init__(self) -> None:
        self._records: list[PersistedStateData] = []
        self._lock = threading.Lock()

    def save(
        self,
        partition_key: str | None,
        app_id: str,
        sequence_id: int,
        position: str,
        state: State,
        status: str,
        **kwargs: Any,
    ) -> None:
        record = PersistedStateData(
            partition_key=partition_key or "",
            app_id=app_id,
            sequence_id=sequence_id,
            position=position,
            state=state,
            created_at=datetime.datetime.now(datetime.UTC).isoformat(),
            status=status,
        )
        with self._lock:
            self._records.append(record)

    def load(
        self,
        partition_key: str | None,
        app_id: str | None,
        sequence_id: int | None = None,
        **kwargs: Any,
    ) -> PersistedStateData | None:
        partition = partition_key or ""
        with self._lock:
            candidates = [r for r in self._records if r["partition_key"] == partition]
        if app_id is None:
            return candidates[-1] if candidates else None
        candidates = [r for r in candidates if r["app_id"] == app_id]
        if sequence_id is not None:
            candidates = [r for r in candidates if r["sequence_id"] == sequence_id]
        if not candidates:
            return None
        return max(candidates, key=lambda r: r["sequence_id"])

    def list_app_ids(self, partition_key: str | None, **kwargs: Any) -> list[str]:
        partition = partition_key or ""
        with self._lock:
            ordered = [
                r["app_id"] for r in reversed(self._records) if r["partition_key"] == partition
            ]
        return list(dict.fromkeys(ordered))


class AsyncInMemoryPersister(AsyncBaseStatePersister):
    """The asynchronous `InMemoryPersister` (the same records, awaited)."""

    def __init__(self) -> None:
        self._memory = InMemoryPersister()

    async def save(
        self,
        partition_key: str | None,
        app_id: str,
        sequence_id: int,
        position: str,
        state: State,
        status: str,
        **kwargs: Any,
    ) -> None:
        self._memory.save(partition_key, app_id, sequence_id, position, state, status)

    async def load(
        self,
        partition_key: str | None,
        app_id: str | None,
        sequence_id: int | None = None,
        **kwargs: Any,
    ) -> PersistedStateData | None:
        return self._memory.load(partition_key, app_id, sequence_id)

    async def list_app_ids(self, partition_key: str | None, **kwargs: Any) -> list[str]:
        return self._memory.list_app_ids(partition_key)


class SQLitePersister(BaseStatePersister, BaseCopyable):
    """Saves each step's state as a row in a SQLite table (Burr-compatible layout)."""

    PARTITION_KEY_DEFAULT = ""

    def __init__(
        self,
        db_path: str,
        table_name: str = "burr_state",
        connect_kwargs: dict[str, Any] | None = None,
        connection: sqlite3.Connection | None = None,
    ):
        if not table_name.replace("_", "").isalnum():
            raise ValueError(f"Table name {table_name!r} must be letters, digits and underscores.")
        self.db_path = db_path
        self.table_name = table_name
        self.connection = connection or sqlite3.connect(
            db_path, check_same_thread=False, **(connect_kwargs or {})
        )
        self._lock = threading.Lock()
        self._initialized = False

    @classmethod
    def from_values(
        cls, db_path: str, table_name: str = "burr_state", **kwargs: Any
    ) -> SQLitePersister:
        return cls(db_path=db_path, table_name=table_name, **kwargs)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SQLitePersister:
        return cls.from_values(**config)

    def copy(self) -> SQLitePersister:
        """A persister on the same file with its own connection (one per sub-application)."""
        twin = SQLitePersister(self.db_path, table_name=self.table_name)
        twin._initialized = self._initialized
        return twin

    def initialize(self) -> None:
        """Creates the table and its index (idempotent)."""
        with self._lock, self.connection:
            self.connection.execute(
                f"""CREATE TABLE IF NOT EXISTS {self.table_name} (
                    partition_key TEXT DEFAULT '{self.PARTITION_KEY_DEFAULT}',
                    app_id TEXT NOT NULL,
                    sequence_id INTEGER NOT NULL,
                    position TEXT NOT NULL,
                    status TEXT NOT NULL,
                    state TEXT NOT NULL,
                    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
                    PRIMARY KEY (partition_key, app_id, sequence_id, position))"""
            )
            self.connection.execute(
                f"CREATE INDEX IF NOT EXISTS {self.table_name}_created_at_index "
                f"ON {self.table_name} (created_at)"
            )
        self._initialized = True

    def is_initialized(self) -> bool:
        if self._initialized:
            return True
        with self._lock:
            row = self.connection.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name=?", (self.table_name,)
            ).fetchone()
        self._initialized = row is not None
        return self._initialized

    def save(
        self,
        partition_key: str | None,
        app_id: str,
        sequence_id: int,
        position: str,
        state: State,
        status: str,
        **kwargs: Any,
    ) -> None:
        if status not in ("completed", "failed"):
            raise ValueError(f"Status must be 'completed' or 'failed', not {status!r}.")
        text = dumps(state.serialize())
        with self._lock, self.connection:
            self.connection.execute(
                f"INSERT INTO {self.table_name} "
                "(partition_key, app_id, sequence_id, position, state, status) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    partition_key or self.PARTITION_KEY_DEFAULT,
                    app_id,
                    sequence_id,
                    position,
                    text,
                    status,
                ),
            )

    def load(
        self,
        partition_key: str | None,
        app_id: str | None,
        sequence_id: int | None = None,
        **kwargs: Any,
    ) -> PersistedStateData | None:
        partition = partition_key or self.PARTITION_KEY_DEFAULT
        columns = "position, state, sequence_id, app_id, created_at, status"
        if app_id is None:
            query, args = (
                f"SELECT {columns} FROM {self.table_name} WHERE partition_key = ? "
                "ORDER BY created_at DESC, rowid DESC LIMIT 1",
                (partition,),
            )
        elif sequence_id is None:
            query, args = (
                f"SELECT {columns} FROM {self.table_name} WHERE partition_key = ? AND app_id = ? "
                "ORDER BY sequence_id DESC, rowid DESC LIMIT 1",
                (partition, app_id),
            )
        else:
            query, args = (
                f"SELECT {columns} FROM {self.table_name} WHERE partition_key = ? AND app_id = ? "
                "AND sequence_id = ? ORDER BY rowid DESC LIMIT 1",
                (partition, app_id, sequence_id),
            )
        with self._lock:
            row = self.connection.execute(query, args).fetchone()
        if row is None:
            return None
        position, text, seq, found_app_id, created_at, status = row
        try:
            state = State.deserialize(json.loads(text))
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"The state saved for app {found_app_id!r} at sequence {seq} in "
                f"{self.db_path!r} is not valid JSON ({exc})."
            ) from exc
        return PersistedStateData(
            partition_key=partition,
            app_id=found_app_id,
            sequence_id=seq,
            position=position,
            state=state,
            created_at=str(created_at),
            status=status,
        )

    def list_app_ids(self, partition_key: str | None, **kwargs: Any) -> list[str]:
        with self._lock:
            rows = self.connection.execute(
                f"SELECT app_id FROM {self.table_name} WHERE partition_key = ? "
                "GROUP BY app_id ORDER BY MAX(created_at) DESC, MAX(rowid) DESC",
                (partition_key or self.PARTITION_KEY_DEFAULT,),
            ).fetchall()
        return [row[0] for row in rows]

    def cleanup(self) -> None:
        """Closes the connection."""
        self.connection.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # interpreter shutdown may have torn sqlite3 down
            self.connection.close()


SQLLitePersister = SQLitePersister
"""Burr's historical spelling, kept so `from burr.core.persistence import SQLLitePersister` ports."""
