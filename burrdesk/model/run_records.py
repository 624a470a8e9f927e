"""Records read from a run database: runs, steps, and a step's spans and attributes (pydantic).

These are what the CLI prints and the timeline shows. They are built per page of rows, never for
a whole table, so their validation cost stays proportional to what is on screen.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from burrdesk.model.state_codec import dumps, loads
from burrdesk.model.state_delta import changed_keys

RunStatus = Literal["created", "running", "completed", "failed", "stopped", "interrupted"]
StepStatus = Literal["completed", "failed", "running"]


class RunRecord(BaseModel):
    """One run of an application: who it was, where it came from, how far it got."""

    model_config = ConfigDict(frozen=True)

    run_id: int
    project: str
    app_id: str
    partition_key: str | None = None
    status: RunStatus
    entrypoint: str | None = None
    created_at: float
    updated_at: float
    step_count: int = 0
    first_sequence_id: int | None = None
    last_sequence_id: int | None = None
    parent_run_id: int | None = None
    parent_sequence_id: int | None = None
    source: str = "burrdesk"
    graph_json: str | None = Field(default=None, repr=False, exclude=True)
    flow_json: str | None = Field(default=None, repr=False, exclude=True)
    next_action: str | None = None
    fork_count: int = Field(default=0, description="runs forked from this one")
    spawning_parent_run_id: int | None = Field(
        default=None, description="the run whose step started this one (a sub-application)"
    )
    spawning_parent_sequence_id: int | None = None
    child_count: int = Field(default=0, description="sub-applications its steps started")

    @model_validator(mode="before")
    @classmethod
    def _keep_documents_as_text(cls, data: Any) -> Any:
        """`graph=` and `flow=` are stored as JSON text and parsed on first use: a page of runs
        of a 500-node flow would otherwise parse megabytes nobody looks at."""
        if isinstance(data, dict) and ("graph" in data or "flow" in data):
            data = dict(data)
            for key in ("graph", "flow"):
                if key in data:
                    value = data.pop(key)
                    data[f"{key}_json"] = None if value is None else dumps(value)
        return data

    @computed_field(description="actions and transitions")  # type: ignore[prop-decorator]
    @cached_property
    def graph(self) -> dict[str, Any] | None:
        return _parse(self.graph_json)

    @computed_field(description="the flow document it ran")  # type: ignore[prop-decorator]
    @cached_property
    def flow(self) -> dict[str, Any] | None:
        return _parse(self.flow_json)


class LineageSegment(BaseModel):
    """A range of one run's steps within the timeline of a run (see `RunDatabase.lineage`)."""

    model_config = ConfigDict(frozen=True)

    run_id: int
    first_sequence_id: int
    last_sequence_id: int
    step_count: int
    inherited: bool = False

    @property
    def contiguous(self) -> bool:
        return self.last_sequence_id - self.first_sequence_id + 1 == self.step_count


def _parse(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    value = loads(text)
    return value if isinstance(value, dict) else None


class StepRecord(BaseModel):
    """One step: the action, its inputs, its result or error, and what it changed."""

    model_config = ConfigDict(frozen=True)

    run_id: int
    sequence_id: int
    action: str
    status: StepStatus
    started_at: float | None = None
    ended_at: float | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    result: Any = None
    error: str | None = None
    traceback: str | None = None
    delta: dict[str, Any] = Field(default_factory=dict)
    stream_started_at: float | None = Field(
        default=None, description="when a streaming step started streaming"
    )
    first_item_at: float | None = Field(default=None, description="when its first item came")
    item_count: int | None = Field(default=None, description="partial results it streamed")

    @property
    def duration(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return self.ended_at - self.started_at

    @property
    def changed_keys(self) -> list[str]:
        return changed_keys(self.delta)

    @property
    def streamed(self) -> bool:
        return self.item_count is not None

    @property
    def time_to_first_item(self) -> float | None:
        """Seconds from the start of the stream to its first item (time to first token)."""
        start = self.stream_started_at if self.stream_started_at is not None else self.started_at
        if start is None or self.first_item_at is None:
            return None
        return max(self.first_item_at - start, 0.0)

    @property
    def items_per_second(self) -> float | None:
        """Items a second from the first item to the end of the stream."""
        if not self.item_count or self.first_item_at is None or self.ended_at is None:
            return None
        elapsed = self.ended_at - self.first_item_at
        return self.item_count / elapsed if elapsed > 0 else None


class SpanRecord(BaseModel):
    """A span an action opened (`__tracer("name")` or `@trace()`), within one step."""

    model_config = ConfigDict(frozen=True)

    run_id: int
    sequence_id: int
    span_id: str = Field(description="'<step>:<index>.<index>': its place under its parents")
    parent_span_id: str | None = None
    name: str
    started_at: float | None = None
    ended_at: float | None = None
    dependencies: list[str] = Field(default_factory=list)

    @property
    def depth(self) -> int:
        return self.span_id.partition(":")[2].count(".")

    @property
    def duration(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return self.ended_at - self.started_at


class AttributeRecord(BaseModel):
    """A value an action logged (`log_attributes`), on a span or on the step itself."""

    model_config = ConfigDict(frozen=True)

    run_id: int
    sequence_id: int
    position: int = Field(description="order within the step")
    span_id: str | None = None
    key: str
    value: Any = None
    logged_at: float | None = None


class StepMeasure(NamedTuple):
    """What insights need of a step, without its state, inputs or full result: a plain tuple,
    so reading a hundred thousand of them costs no validation (see `RunDatabase.step_measures`).
    """

    run_id: int
    sequence_id: int
    action: str
    status: str
    started_at: float | None
    ended_at: float | None
    error: str | None
    stream_started_at: float | None
    first_item_at: float | None
    trace: dict[str, list]
    """The spans and attributes as stored: {"spans": [[id, parent, name, start, end, deps]],
    "attributes": [[span_id, key, value, logged_at]]}."""
    reply_model: Any
    """The result's `model`, when the result is an object with a `usage` object (an LLM node)."""
    reply_usage: dict[str, Any] | None

    @property
    def duration(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return self.ended_at - self.started_at
