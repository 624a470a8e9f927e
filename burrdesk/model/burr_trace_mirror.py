"""A Burr tracker folder (`~/.burr`) followed in place: its apps as runs, kept current.

burrdesk's timeline reads run databases, so the folder is read into one: a cache outside the
folder (nothing is ever written into it) that is brought up to date from the bytes each log
gained since the last look. A folder therefore opens at the first page of its apps without
reading whole logs, a log a Burr program is still writing is followed line by line (a
half-written last line waits for the rest), and reopening the folder later reads only what
is new. The cache can always be rebuilt from the folder, so a cache that no longer matches
the logs (one was rewritten, not appended to) is thrown away and read again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from burrdesk.model.burr_tracker_format import (
    TRACKER_SOURCE,
    BurrFormatError,
    LoggedStep,
    StepAssembler,
    TrackerApp,
    check_entry,
    find_app_dirs,
    fork_point,
    looks_like_tracker_folder,
    parents_first,
    read_app_folder,
    start_sequence,
    start_state,
    timestamp,
)
from burrdesk.model.data_location import user_cache_dir
from burrdesk.model.run_database import RunDatabase, RunDatabaseError, RunWriter

QUIET_SECONDS = 1.0
"""How long a log must be unchanged before its last step counts as complete (Burr may still
append that step's stream end, which follows its end entry by microseconds)."""

RUNNING_SECONDS = 300.0
"""How long a step that began and has not ended counts as running, not as interrupted."""

ACTIVE_SECONDS = 30.0
"""How long after its log last changed an app still counts as running: Burr logs no end of a
run, and a run shown as running keeps being refreshed in the runs list."""

STEP_BUDGET = 2000
"""Steps read per `sync` call, so a huge log is read in pieces between looks at the others."""

FIRST_PIECE = 20
"""Steps read of an app the first time it is seen, whatever the budget: every app is listed
at once, and only the one a person looks at is read further first."""

_TABLE = "burr_trace_logs"
_HEAD_BYTES = 1 << 16


@dataclasses.dataclass
class SyncReport:
    """What one `sync` did: the runs it added, the steps it read, and whether more is waiting."""

    new_runs: list[int] = dataclasses.field(default_factory=list)
    new_steps: int = 0
    more: bool = False
    notes: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class _Followed:
    """One app folder and how far its log has been read."""

    app: TrackerApp
    run_id: int | None = None
    offset: int = 0
    head: str | None = None
    last_sequence_id: int | None = None
    last_failed: bool = False
    unfinished: tuple[int, str] | None = None
    status: str = "created"
    current: dict[str, Any] | None = None
    writer: RunWriter | None = None
    broken: str | None = None
    repeated_noted: bool = False


class BurrTraceMirror:
    """Reads a Burr tracker folder (storage, project or app folder) into a cache run database.

    Call `sync` repeatedly, from one thread; readers open `cache_path` read-only, as they
    would any run database another process writes.
    """

    def __init__(
        self,
        folder: str | Path,
        cache_path: str | Path | None = None,
        *,
        quiet_seconds: float = QUIET_SECONDS,
        running_seconds: float = RUNNING_SECONDS,
        active_seconds: float = ACTIVE_SECONDS,
    ) -> None:
        self.folder = Path(folder).expanduser()
        if not self.folder.exists():
            raise BurrFormatError(f"{self.folder} does not exist.")
        if not looks_like_tracker_folder(self.folder):
            raise BurrFormatError(
                f"{self.folder} is not a folder of Burr tracker recordings (no app folder "
                "with a log.jsonl or graph.json in it or in its subfolders)."
            )
        self.cache_path = Path(cache_path) if cache_path else cache_path_for(self.folder)
        self.quiet_seconds = quiet_seconds
        self.running_seconds = running_seconds
        self.active_seconds = active_seconds
        self._followed: dict[str, _Followed] = {}
        self._known: dict[str, tuple[int, int, str | None]] = {}
        self._unreadable: dict[str, str] = {}
        self.database = self._open_cache()

    # --- the cache ---------------------------------------------------------------------------

    def _open_cache(self) -> RunDatabase:
        """The cache database, rebuilt when it is unreadable or no longer matches the logs."""
        try:
            database = RunDatabase(self.cache_path)
            self._prepare_table(database)
            self._known = self._read_bookkeeping(database)
            if not self._still_matches():
                database.close()
                raise RunDatabaseError("stale")
            return database
        except (RunDatabaseError, sqlite3.DatabaseError):
            self._remove_cache()
            database = RunDatabase(self.cache_path)
            self._prepare_table(database)
            self._known = {}
            return database

    def _remove_cache(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{self.cache_path}{suffix}").unlink()

    @staticmethod
    def _prepare_table(database: RunDatabase) -> None:
        with database.conn:
            database.conn.execute(
                f"CREATE TABLE IF NOT EXISTS {_TABLE} (run_id INTEGER PRIMARY KEY "
                "REFERENCES runs(run_id), directory TEXT NOT NULL UNIQUE, "
                "read_to INTEGER NOT NULL, head TEXT)"
            )

    @staticmethod
    def _read_bookkeeping(database: RunDatabase) -> dict[str, tuple[int, int, str | None]]:
        rows = database.conn.execute(f"SELECT directory, run_id, read_to, head FROM {_TABLE}")
        return {directory: (run_id, read_to, head) for directory, run_id, read_to, head in rows}

    def _still_matches(self) -> bool:
        """Whether every log read before still starts as it did and is no shorter."""
        for directory, (_run_id, read_to, head) in self._known.items():
            log = self.folder / directory / "log.jsonl"
            try:
                size = log.stat().st_size
            except OSError:
                continue  # the app folder is gone: its run stays as it was read
            if size < read_to or (head is not None and _head_of(log) != head):
                return False
        return True

    def close(self) -> None:
        self.database.close()

    def __enter__(self) -> BurrTraceMirror:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- following --------------------------------------------------------------------------

    def sync(self, *, step_budget: int = STEP_BUDGET, prefer: int | None = None) -> SyncReport:
        """Reads what the folder gained: new apps, and new steps of every app's log.

        At most `step_budget` steps are read (`more` says when the budget ran out); the app
        whose run is `prefer` (the one a person is looking at) is read first.
        """
        report = SyncReport()
        self._discover(report)
        budget = step_budget
        for followed in list(self._followed.values()):
            if followed.run_id is None:
                budget -= self._sync_app(followed, min(FIRST_PIECE, max(budget, 1)), report)
        order = sorted(
            self._followed.values(),
            key=lambda f: f.run_id != prefer if prefer is not None else False,
        )
        for followed in order:
            if budget <= 0:
                report.more = True
                break
            budget -= self._sync_app(followed, budget, report)
        if budget <= 0:
            report.more = True
        return report

    def run_of(self, directory: str | Path) -> int | None:
        """The run an app folder is shown as (None until its log is first read)."""
        followed = self._followed.get(self._relative(Path(directory)))
        return followed.run_id if followed else None

    def _relative(self, directory: Path) -> str:
        try:
            return directory.relative_to(self.folder).as_posix() or "."
        except ValueError:
            return directory.as_posix()

    def _discover(self, report: SyncReport) -> None:
        try:
            found = find_app_dirs(self.folder)
        except BurrFormatError as error:
            self._note_once(str(self.folder), str(error), report)
            return
        fresh: list[TrackerApp] = []
        for project, directory in found:
            key = self._relative(directory)
            if key in self._followed or key in self._unreadable:
                continue
            try:
                fresh.append(read_app_folder(directory, project))
            except BurrFormatError as error:
                self._note_once(key, f"{error} The app is not shown.", report)
        for app in parents_first(fresh):
            followed = _Followed(app)
            known = self._known.get(self._relative(app.directory))
            if known is not None:
                followed.run_id, followed.offset, followed.head = known
                run = self.database.get_run(followed.run_id)
                followed.last_sequence_id = run.last_sequence_id
                followed.status = run.status
            self._followed[self._relative(app.directory)] = followed

    def _note_once(self, key: str, sentence: str, report: SyncReport) -> None:
        if key not in self._unreadable:
            self._unreadable[key] = sentence
            report.notes.append(sentence)

    def _sync_app(self, followed: _Followed, budget: int, report: SyncReport) -> int:
        """Reads up to `budget` new steps of one app; returns how many."""
        if followed.broken is not None:
            return 0
        log = followed.app.log_path
        try:
            stat = log.stat()
            size, changed_at = stat.st_size, stat.st_mtime
        except OSError:
            size, changed_at = 0, followed.app.created_at or time.time()
        now = time.time()
        quiet = now - changed_at >= self.quiet_seconds
        if followed.run_id is not None and size == followed.offset:
            self._settle(followed, self._status(followed, holding=False, changed_at=changed_at))
            return 0
        if size < followed.offset:
            followed.broken = (
                f"{log} became shorter than when it was read; reopen the folder to read it again."
            )
            report.notes.append(followed.broken)
            return 0
        steps, assembler, read_to = self._read(followed, log, budget, quiet, report)
        if followed.broken is not None:
            return 0
        if followed.run_id is None:
            self._create_run(followed, steps[0] if steps else None, assembler.unfinished, report)
        elif steps and followed.last_sequence_id is None:
            self._restart(followed, steps[0], assembler.unfinished)
        if assembler.repeated and not followed.repeated_noted:
            followed.repeated_noted = True
            report.notes.append(
                f"{followed.app.label}: {len(assembler.repeated)} logged step(s) reuse an "
                f"earlier sequence id (the first is {assembler.repeated[0]}); only steps that "
                "follow the last one read are shown."
            )
        followed.unfinished = assembler.unfinished
        self._record(followed, steps, read_to)
        report.new_steps += len(steps)
        status = self._status(followed, holding=assembler.holding_step, changed_at=changed_at)
        self._settle(followed, status, force=bool(steps))
        return len(steps)

    def _read(
        self, followed: _Followed, log: Path, budget: int, quiet: bool, report: SyncReport
    ) -> tuple[list[LoggedStep], StepAssembler, int]:
        """The complete steps after the app's read offset, and the offset to read from next."""
        assembler = StepAssembler(followed.last_sequence_id)
        steps: list[LoggedStep] = []
        position = followed.offset
        if not log.is_file():
            return steps, assembler, position
        try:
            handle = log.open("rb")
        except OSError as exc:
            followed.broken = f"{log} cannot be read: {exc.strerror or exc}."
            report.notes.append(followed.broken)
            return steps, assembler, position
        with handle:
            handle.seek(position)
            for line in iter(handle.readline, b""):
                if not line.endswith(b"\n"):
                    break  # half-written: the rest is on its way
                start, position = position, position + len(line)
                if not line.strip():
                    continue
                where = f"{log} at byte {start}"
                try:
                    entry = json.loads(line)
                    check_entry(entry, where)
                except ValueError:
                    followed.broken = f"{where} is not valid JSON, so burrdesk stopped reading it."
                except BurrFormatError as error:
                    followed.broken = f"{error} burrdesk stopped reading the log there."
                if followed.broken is not None:
                    report.notes.append(followed.broken)
                    return [], assembler, followed.offset
                if start == 0:
                    followed.head = _hash(line)
                done = assembler.add(entry, start)
                steps += done
                if done and len(steps) >= budget:
                    return steps, assembler, _held(assembler, position)
        if quiet:
            steps += assembler.flush()
        return steps, assembler, _held(assembler, position)

    def _create_run(
        self,
        followed: _Followed,
        first: LoggedStep | None,
        unfinished: tuple[int, str] | None,
        report: SyncReport,
    ) -> None:
        app = followed.app
        database = self.database
        parent = self._followed_by_key(app.parent_key)
        spawner = self._followed_by_key(app.spawner_key)
        parent_run_id = parent.run_id if parent is not None else None
        if parent is not None and parent_run_id is not None and app.parent_sequence_id is None:
            app.parent_sequence_id = fork_point(first, unfinished, parent.last_sequence_id)
        initial = start_state(app, first)
        if parent is not None and parent_run_id is not None and app.parent_sequence_id is not None:
            self._read_through(parent, app.parent_sequence_id, report)
            with contextlib.suppress(RunDatabaseError):
                initial = database.state_at(parent_run_id, app.parent_sequence_id)
        spawner_run_id = spawner.run_id if spawner is not None else None
        created_at = app.created_at
        if first is not None:
            created_at = timestamp(first.begin.get("start_time")) or created_at
        followed.run_id = database.create_run(
            project=app.project,
            app_id=app.app_id,
            initial_state=initial,
            start_sequence_id=start_sequence(app, first, unfinished),
            partition_key=app.partition_key,
            graph=app.graph,
            entrypoint=app.graph.get("entrypoint") if app.graph else None,
            parent_run_id=parent_run_id,
            parent_sequence_id=app.parent_sequence_id if parent_run_id is not None else None,
            status="created",
            source=TRACKER_SOURCE,
            created_at=created_at,
            spawning_parent_run_id=spawner_run_id,
            spawning_parent_sequence_id=app.spawner_sequence_id if spawner_run_id else None,
        )
        followed.current = initial
        with database.conn:
            database.conn.execute(
                f"INSERT INTO {_TABLE} (run_id, directory, read_to, head) VALUES (?, ?, 0, NULL)",
                (followed.run_id, self._relative(app.directory)),
            )
        report.new_runs.append(followed.run_id)

    def _restart(
        self, followed: _Followed, first: LoggedStep, unfinished: tuple[int, str] | None
    ) -> None:
        """A run created before its log had a step learns what it started from."""
        app = followed.app
        parent = self._followed_by_key(app.parent_key)
        initial = start_state(app, first)
        parent_sequence_id = None
        if parent is not None and parent.run_id is not None:
            if app.parent_sequence_id is None:
                parent_sequence_id = fork_point(first, unfinished, parent.last_sequence_id)
                app.parent_sequence_id = parent_sequence_id
            with contextlib.suppress(RunDatabaseError):
                initial = self.database.state_at(parent.run_id, app.parent_sequence_id)
        assert followed.run_id is not None
        self.database.set_start(
            followed.run_id,
            initial,
            start_sequence(app, first, unfinished),
            parent_sequence_id=parent_sequence_id,
        )
        followed.current = initial

    def _read_through(self, followed: _Followed, sequence_id: int, report: SyncReport) -> None:
        """Reads a fork's parent at least as far as the fork point, for the fork's first state."""
        while (
            followed.broken is None
            and (followed.last_sequence_id is None or followed.last_sequence_id < sequence_id)
            and self._sync_app(followed, STEP_BUDGET, report)
        ):
            pass

    def _followed_by_key(self, key: tuple[str, str, str] | None) -> _Followed | None:
        if key is None:
            return None
        for followed in self._followed.values():
            if followed.app.key == key:
                return followed
        return None

    def _record(self, followed: _Followed, steps: list[LoggedStep], read_to: int) -> None:
        """Writes the steps and the new read offset in one transaction."""
        assert followed.run_id is not None
        database = self.database
        if followed.current is None:
            run_id, last = followed.run_id, followed.last_sequence_id
            followed.current = (
                database.state_at(run_id, last)
                if last is not None
                else database.initial_state(run_id)
            )
        if followed.writer is None:
            followed.writer = database.writer(followed.run_id)
        writes = followed.app.writes or {}
        with followed.writer.batched() as writer:
            for step in steps:
                fields = step.record_fields()
                writer.record_step(
                    before=followed.current, writes=writes.get(fields["action"], ()), **fields
                )
                if not step.failed:
                    followed.current = fields["after"]
                followed.last_sequence_id = step.sequence_id
                followed.last_failed = step.failed
            database.conn.execute(
                f"UPDATE {_TABLE} SET read_to = ?, head = ? WHERE run_id = ?",
                (read_to, followed.head, followed.run_id),
            )
        followed.offset = read_to

    def _status(self, followed: _Followed, *, holding: bool, changed_at: float) -> str:
        quiet_for = time.time() - changed_at
        if followed.unfinished is not None:
            return "running" if quiet_for < self.running_seconds else "interrupted"
        if followed.last_sequence_id is None:
            return "created"
        if holding or quiet_for < self.active_seconds:
            return "running"
        return "failed" if followed.last_failed else "completed"

    def _settle(self, followed: _Followed, status: str, *, force: bool = False) -> None:
        """Stores the run's status when it changed (`force`: a batch of steps rewrote it)."""
        if (status == followed.status and not force) or followed.run_id is None:
            return
        if followed.writer is None:
            followed.writer = self.database.writer(followed.run_id)
        followed.writer.finish(status)
        followed.status = status


def cache_path_for(folder: Path) -> Path:
    """The cache database of a Burr folder: one per folder, named so a person can tell."""
    resolved = folder.expanduser().resolve()
    digest = hashlib.sha1(str(resolved).encode("utf-8")).hexdigest()[:12]
    name = resolved.name.lstrip(".") or "burr"
    return user_cache_dir() / "burr-traces" / f"{name}-{digest}.db"


def _held(assembler: StepAssembler, position: int) -> int:
    held = assembler.held_from
    return position if held is None else held


def _hash(first_line: bytes) -> str:
    return hashlib.sha1(first_line[:_HEAD_BYTES]).hexdigest()


def _head_of(log: Path) -> str | None:
    try:
        with log.open("rb") as handle:
            line = handle.readline()
    except OSError:
        return None
    return _hash(line) if line.endswith(b"\n") else None
