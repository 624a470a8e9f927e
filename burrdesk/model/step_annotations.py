"""What people say about recorded steps: good or bad, tags, a note, the value that was expected.

Annotations are how a recorded run becomes an evaluation dataset: mark the steps worth keeping,
write down what the answer should have been, export them with the step's inputs, result and
state as JSONL or CSV. They live in a run database (schema version 4, table `annotations`),
keyed by the app's identity (project, partition key, app id, sequence id) rather than by run id,
so they can sit in another database than the steps they describe: a Burr trace folder is read
into a disposable cache, and its annotations go into the user's own run database instead.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from burrdesk.model.run_database import RunDatabase, RunDatabaseError
from burrdesk.model.run_records import RunRecord

Verdict = Literal["good", "bad"]
EXPORT_FORMATS = ("jsonl", "csv")


class Annotation(BaseModel):
    """One step's annotation."""

    model_config = ConfigDict(frozen=True)

    project: str
    partition_key: str = ""
    app_id: str
    sequence_id: int
    action: str | None = None
    verdict: Verdict | None = None
    tags: tuple[str, ...] = ()
    note: str = ""
    expected: Any = Field(default=None, description="the value the step should have produced")
    created_at: float | None = None
    updated_at: float | None = None

    @field_validator("tags", mode="before")
    @classmethod
    def _clean_tags(cls, value: Any) -> tuple[str, ...]:
        """Tags as a person types them: trimmed, no blanks, no repeats, in their order."""
        if isinstance(value, str):
            value = value.split(",")
        seen: dict[str, None] = {}
        for tag in value or ():
            tag = str(tag).strip()
            if tag:
                seen.setdefault(tag, None)
        return tuple(seen)

    @property
    def is_empty(self) -> bool:
        return self.verdict is None and not self.tags and not self.note and self.expected is None

    @classmethod
    def for_step(cls, run: RunRecord, sequence_id: int, action: str | None, **values: Any):
        return cls(
            project=run.project,
            partition_key=run.partition_key or "",
            app_id=run.app_id,
            sequence_id=sequence_id,
            action=action,
            **values,
        )


_COLUMNS = (
    "project, partition_key, app_id, sequence_id, action, verdict, tags, note, expected, "
    "created_at, updated_at"
)
_COLUMN_NAMES = _COLUMNS.split(", ")


def _from_row(row: tuple) -> Annotation:
    project, partition, app_id, seq, action, verdict, tags, note, expected, created, updated = row
    return Annotation(
        project=project,
        partition_key=partition or "",
        app_id=app_id,
        sequence_id=seq,
        action=action,
        verdict=verdict,
        tags=json.loads(tags or "[]"),
        note=note or "",
        expected=json.loads(expected) if expected is not None else None,
        created_at=created,
        updated_at=updated,
    )


class AnnotationStore:
    """The annotations of one run database (read-only databases read them, as they can)."""

    def __init__(self, database: RunDatabase):
        self.database = database

    @property
    def _available(self) -> bool:
        """An older file opened read-only has no annotations table: it reads as empty. (Asked
        of the file, not of the version read at opening: another connection may have just
        migrated it by saving the first annotation.)"""
        return self.database.has_table("annotations")

    def save(self, annotation: Annotation) -> Annotation | None:
        """Stores `annotation` over the step's previous one; an empty one removes it."""
        if self.database.read_only:
            raise RunDatabaseError(
                f"{self.database.location} is open read-only; annotations need a writable run database."
            )
        if annotation.is_empty:
            self.remove(annotation)
            return None
        now = time.time()
        previous = self.get(
            annotation.project, annotation.partition_key, annotation.app_id, annotation.sequence_id
        )
        stored = annotation.model_copy(
            update={
                "created_at": previous.created_at if previous else now,
                "updated_at": now,
            }
        )
        with self.database._transaction() as conn:
            conn.execute(
                f"INSERT INTO annotations ({_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (project, partition_key, app_id, sequence_id) DO UPDATE SET "
                + ", ".join(f"{c} = excluded.{c}" for c in _COLUMN_NAMES[4:]),
                (
                    stored.project,
                    stored.partition_key,
                    stored.app_id,
                    stored.sequence_id,
                    stored.action,
                    stored.verdict,
                    json.dumps(list(stored.tags), ensure_ascii=False),
                    stored.note,
                    None
                    if stored.expected is None
                    else json.dumps(stored.expected, ensure_ascii=False),
                    stored.created_at,
                    stored.updated_at,
                ),
            )
        return stored

    def remove(self, annotation: Annotation) -> None:
        with self.database._transaction() as conn:
            conn.execute(
                "DELETE FROM annotations WHERE project = ? AND partition_key = ? AND app_id = ? "
                "AND sequence_id = ?",
                (
                    annotation.project,
                    annotation.partition_key,
                    annotation.app_id,
                    annotation.sequence_id,
                ),
            )

    def get(
        self, project: str, partition_key: str | None, app_id: str, sequence_id: int
    ) -> Annotation | None:
        if not self._available:
            return None
        rows = self.database._query(
            f"SELECT {_COLUMNS} FROM annotations WHERE project = ? AND partition_key = ? "
            "AND app_id = ? AND sequence_id = ?",
            (project, partition_key or "", app_id, sequence_id),
        )
        return _from_row(rows[0]) if rows else None

    def for_run(self, run: RunRecord) -> dict[int, Annotation]:
        """The run's annotations by sequence id (a run has few; read them all)."""
        if not self._available:
            return {}
        rows = self.database._query(
            f"SELECT {_COLUMNS} FROM annotations WHERE project = ? AND partition_key = ? "
            "AND app_id = ? ORDER BY sequence_id",
            (run.project, run.partition_key or "", run.app_id),
        )
        return {row[3]: _from_row(row) for row in rows}

    def list(
        self,
        *,
        project: str | None = None,
        verdict: Verdict | None = None,
        tag: str | None = None,
    ) -> list[Annotation]:
        """Annotations matching every given filter, oldest first."""
        if not self._available:
            return []
        clauses, args = ["1 = 1"], []
        if project is not None:
            clauses.append("project = ?")
            args.append(project)
        if verdict is not None:
            clauses.append("verdict = ?")
            args.append(verdict)
        if tag is not None:
            clauses.append(self.database.json_array_has("tags"))
            args.append(tag)
        rows = self.database._query(
            f"SELECT {_COLUMNS} FROM annotations WHERE {' AND '.join(clauses)} "
            "ORDER BY created_at, project, app_id, sequence_id",
            tuple(args),
        )
        return [_from_row(row) for row in rows]

    def tags(self) -> list[str]:
        """Every tag in use, for completion."""
        if not self._available:
            return []
        tags = set()
        for (text,) in self.database._query("SELECT DISTINCT tags FROM annotations"):
            tags.update(json.loads(text))
        return sorted(tags)


# --- exporting a dataset -----------------------------------------------------------------------


def dataset_rows(annotations: Iterable[Annotation], steps: RunDatabase) -> Iterator[dict[str, Any]]:
    """Each annotation with the step it describes, read from `steps` (where the runs are).

    A row carries what an evaluation needs: the state before, the inputs, what the step
    returned and the state after, next to the verdict and the expected value. A step that is
    not in `steps` (its run was deleted, or lives elsewhere) still exports its annotation.
    """
    for annotation in annotations:
        row: dict[str, Any] = annotation.model_dump(exclude={"created_at", "updated_at"})
        row["tags"] = list(annotation.tags)
        row.update(run_id=None, inputs=None, result=None, error=None)
        row.update(state_before=None, state_after=None)
        run = steps.find_run(
            annotation.app_id, project=annotation.project, partition_key=annotation.partition_key
        )
        if run is not None:
            try:
                step = steps.get_step(run.run_id, annotation.sequence_id)
            except RunDatabaseError:
                step = None
            if step is not None:
                row.update(
                    run_id=run.run_id,
                    action=step.action,
                    inputs=step.inputs,
                    result=step.result,
                    error=step.error,
                    state_after=steps.state_at(run.run_id, step.sequence_id),
                    state_before=_state_before(steps, run.run_id, step.sequence_id),
                )
        yield row


def _state_before(steps: RunDatabase, run_id: int, sequence_id: int) -> dict[str, Any] | None:
    try:
        return steps.state_at(run_id, sequence_id - 1)
    except RunDatabaseError:
        return None


def export_dataset(annotations: Iterable[Annotation], steps: RunDatabase, path: str | Path) -> int:
    """Writes the annotations as JSONL or CSV (by `path`'s suffix); returns how many rows.

    CSV cells holding structures (inputs, result, states, expected, tags) are JSON text, so
    a spreadsheet shows them and a script reads them back.
    """
    path = Path(path)
    kind = path.suffix.lower().lstrip(".")
    if kind not in EXPORT_FORMATS:
        raise RunDatabaseError(
            f"{path.name} must end in .jsonl or .csv to say which format to export."
        )
    rows = list(dataset_rows(annotations, steps))
    try:
        with path.open("w", encoding="utf-8", newline="") as handle:
            if kind == "jsonl":
                for row in rows:
                    handle.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
            else:
                fields = list(rows[0]) if rows else list(Annotation.model_fields)
                writer = csv.DictWriter(handle, fieldnames=fields)
                writer.writeheader()
                for row in rows:
                    writer.writerow(
                        {
                            key: value
                            if isinstance(value, str | int | float) or value is None
                            else json.dumps(value, ensure_ascii=False, default=str)
                            for key, value in row.items()
                        }
                    )
    except OSError as exc:
        raise RunDatabaseError(f"{path} cannot be written: {exc.strerror or exc}.") from None
    return len(rows)
