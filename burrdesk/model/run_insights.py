"""Insights: what a run, or every run of a project, cost and how it behaved.

Adds up step latencies (percentiles overall and per action, the slowest steps, a latency series
for a chart), failures, and LLM calls with their tokens per model, from timings and traces only
(`RunDatabase.step_measures`): no state is ever rebuilt. LLM calls are found where programs put
them:

- attributes logged with `__tracer.log_attributes` / `span.log_attributes`, grouped by span:
  `model`, `prompt_tokens`/`input_tokens`, `completion_tokens`/`output_tokens`, `total_tokens`,
  under any prefix (`gen_ai.usage.*`, `gen_ai.request.model`, `llm.*`, OpenInference's
  `llm.token_count.*`), also inside a logged dict (`usage={"prompt_tokens": ...}`);
- a burrdesk LLM node's result (`model` and a `usage` object), when its step logged none.

Reading is bounded: at most `step_limit` steps (a run from its first step; a project from its
newest run back), and `Insights.note` says what was left out.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from burrdesk.model.price_table import PriceTable
from burrdesk.model.run_database import RunDatabase
from burrdesk.model.run_records import RunRecord, StepMeasure

RUN_STEP_LIMIT = 100_000
PROJECT_STEP_LIMIT = 20_000
PAGE = 2_000
SERIES_POINTS = 1_200
"""The latency series keeps at most this many points (the slowest step of each bucket)."""
FAILURES_KEPT = 200
UNKNOWN_MODEL = "(unknown model)"


class InsightsCancelled(Exception):
    """The computation was asked to stop (a newer one replaces it)."""


@dataclass(frozen=True)
class LlmCall:
    run_id: int
    sequence_id: int
    action: str
    model: str
    input_tokens: int
    output_tokens: int


@dataclass
class ModelUsage:
    model: str
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0

    def cost(self, prices: PriceTable) -> float | None:
        return prices.cost(self.model, self.input_tokens, self.output_tokens)


@dataclass(frozen=True)
class Percentiles:
    count: int
    p50: float
    p90: float
    p99: float
    mean: float
    maximum: float


@dataclass(frozen=True)
class ActionLatency:
    action: str
    latency: Percentiles
    failures: int


@dataclass(frozen=True)
class StepPoint:
    """One step on a chart or in a list: where it is, how long it took, how it ended."""

    run_id: int
    sequence_id: int
    action: str
    duration: float
    failed: bool


@dataclass(frozen=True)
class Failure:
    run_id: int
    sequence_id: int
    action: str
    error: str


@dataclass(frozen=True)
class Cost:
    total: float
    by_model: dict[str, float | None]
    unpriced: list[str]
    """Models with calls but no price: their tokens are not in `total`."""


@dataclass
class Insights:
    """The numbers the Insights panel shows, for one run or one project."""

    scope: Literal["run", "project"]
    title: str
    steps_total: int
    steps_read: int = 0
    runs_total: int = 1
    runs_read: int = 0
    failure_count: int = 0
    failures: list[Failure] = field(default_factory=list)
    failures_by_action: dict[str, int] = field(default_factory=dict)
    latency: Percentiles | None = None
    actions: list[ActionLatency] = field(default_factory=list)
    slowest: list[StepPoint] = field(default_factory=list)
    series: list[StepPoint] = field(default_factory=list)
    llm_calls: int = 0
    models: list[ModelUsage] = field(default_factory=list)
    time_to_first_item: Percentiles | None = None
    note: str | None = None

    @property
    def input_tokens(self) -> int:
        return sum(usage.input_tokens for usage in self.models)

    @property
    def output_tokens(self) -> int:
        return sum(usage.output_tokens for usage in self.models)

    def cost(self, prices: PriceTable) -> Cost:
        """What the calls cost at these prices (recomputed on each edit; reads nothing)."""
        by_model = {usage.model: usage.cost(prices) for usage in self.models}
        return Cost(
            total=sum(value for value in by_model.values() if value is not None),
            by_model=by_model,
            unpriced=[model for model, value in by_model.items() if value is None],
        )


def percentiles(values: list[float]) -> Percentiles | None:
    """p50/p90/p99 by linear interpolation between the closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    return Percentiles(
        count=len(ordered),
        p50=_quantile(ordered, 0.50),
        p90=_quantile(ordered, 0.90),
        p99=_quantile(ordered, 0.99),
        mean=math.fsum(ordered) / len(ordered),
        maximum=ordered[-1],
    )


def _quantile(ordered: list[float], q: float) -> float:
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def llm_calls(measure: StepMeasure) -> list[LlmCall]:
    """The LLM calls a step made, from its logged attributes, else from its LLM node result."""
    calls = [
        LlmCall(
            measure.run_id,
            measure.sequence_id,
            measure.action,
            found.get("model") or UNKNOWN_MODEL,
            *_tokens(found),
        )
        for found in _attribute_calls(measure.trace.get("attributes") or [])
    ]
    if not calls and isinstance(measure.reply_usage, dict):
        found = {role: value for key, value in measure.reply_usage.items() if (role := _role(key))}
        found = {k: v for k, v in found.items() if k != "model" and _number(v) is not None}
        model = measure.reply_model if isinstance(measure.reply_model, str) else None
        calls.append(
            LlmCall(
                measure.run_id,
                measure.sequence_id,
                measure.action,
                model or UNKNOWN_MODEL,
                *_tokens(found),
            )
        )
    return calls


def _attribute_calls(attributes: Iterable[list]) -> list[dict[str, Any]]:
    """Groups a step's attributes into calls: by span, and a token count logged again in the
    same span starts the next call."""
    by_span: dict[Any, list[dict[str, Any]]] = {}
    for row in attributes:
        if len(row) < 3:
            continue
        span_id, key, value = row[0], str(row[1]), row[2]
        for name, item in _flatten(key, value):
            role = _role(name)
            if role is None:
                continue
            calls = by_span.setdefault(span_id, [])
            if role == "model":
                if not isinstance(item, str) or not item:
                    continue
                if not calls:
                    calls.append({})
                current = calls[-1]
                if "model" not in current or "response" in name.lower():
                    current["model"] = item
                if "." in name:
                    current["namespaced"] = True
                continue
            number = _number(item)
            if number is None:
                continue
            if not calls or role in calls[-1]:
                calls.append({})
            calls[-1][role] = number
    return [
        call
        for calls in by_span.values()
        for call in calls
        if {"input", "output", "total"} & call.keys() or call.get("namespaced")
    ]


def _flatten(key: str, value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [(f"{key}.{sub}", item) for sub, item in value.items()]
    return [(key, value)]


def _role(key: str) -> str | None:
    name = key.lower()
    last = name.rsplit(".", 1)[-1]
    if last in ("prompt_tokens", "input_tokens") or name.endswith("token_count.prompt"):
        return "input"
    if last in ("completion_tokens", "output_tokens") or name.endswith("token_count.completion"):
        return "output"
    if last == "total_tokens" or name.endswith("token_count.total"):
        return "total"
    if last in ("model", "model_name"):
        return "model"
    return None


def _number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and math.isfinite(value) and value >= 0:
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _tokens(found: dict[str, Any]) -> tuple[int, int]:
    """(input, output); a call that logged only a total counts it as input."""
    given_in, given_out, total = found.get("input"), found.get("output"), found.get("total")
    if given_in is None and total is not None:
        given_in = max(total - (given_out or 0), 0)
    if given_out is None and total is not None:
        given_out = max(total - (given_in or 0), 0)
    return given_in or 0, given_out or 0


class _Totals:
    """Adds up steps as they are read, page by page."""

    def __init__(self, slowest: int) -> None:
        self.top = slowest
        self.read = 0
        self.durations: list[float] = []
        self.by_action: dict[str, list[float]] = {}
        self.failures_by_action: dict[str, int] = {}
        self.failures: list[Failure] = []
        self.failure_count = 0
        self.slowest: list[tuple[float, int, StepPoint]] = []
        self.points: list[StepPoint] = []
        self.ttfi: list[float] = []
        self.models: dict[str, ModelUsage] = {}
        self.calls = 0

    def add(self, measure: StepMeasure) -> None:
        self.read += 1
        failed = measure.status == "failed"
        if failed:
            self.failure_count += 1
            action = measure.action
            self.failures_by_action[action] = self.failures_by_action.get(action, 0) + 1
            if len(self.failures) < FAILURES_KEPT:
                self.failures.append(
                    Failure(measure.run_id, measure.sequence_id, action, measure.error or "")
                )
        duration = measure.duration
        if duration is not None:
            duration = max(duration, 0.0)
            self.durations.append(duration)
            self.by_action.setdefault(measure.action, []).append(duration)
            point = StepPoint(measure.run_id, measure.sequence_id, measure.action, duration, failed)
            self.points.append(point)
            entry = (duration, -self.read, point)
            if len(self.slowest) < self.top:
                heapq.heappush(self.slowest, entry)
            elif self.top:
                heapq.heappushpop(self.slowest, entry)
        if measure.first_item_at is not None:
            start = measure.stream_started_at or measure.started_at
            if start is not None:
                self.ttfi.append(max(measure.first_item_at - start, 0.0))
        for call in llm_calls(measure):
            self.calls += 1
            usage = self.models.setdefault(call.model, ModelUsage(call.model))
            usage.calls += 1
            usage.input_tokens += call.input_tokens
            usage.output_tokens += call.output_tokens

    def fill(self, insights: Insights) -> Insights:
        insights.steps_read = self.read
        insights.failure_count = self.failure_count
        insights.failures = self.failures
        insights.failures_by_action = dict(
            sorted(self.failures_by_action.items(), key=lambda item: (-item[1], item[0]))
        )
        insights.latency = percentiles(self.durations)
        insights.actions = sorted(
            (
                ActionLatency(action, latency, self.failures_by_action.get(action, 0))
                for action, values in self.by_action.items()
                if (latency := percentiles(values)) is not None
            ),
            key=lambda item: (-item.latency.p50, item.action),
        )
        insights.slowest = [point for _, _, point in sorted(self.slowest, reverse=True)]
        insights.series = downsample(self.points, SERIES_POINTS)
        insights.time_to_first_item = percentiles(self.ttfi)
        insights.llm_calls = self.calls
        insights.models = sorted(
            self.models.values(), key=lambda usage: -usage.input_tokens - usage.output_tokens
        )
        return insights


def downsample(points: list[StepPoint], limit: int) -> list[StepPoint]:
    """At most `limit` points, each the slowest of its stretch (a failure, if any, wins), so a
    spike or a failure never disappears from the chart."""
    if len(points) <= limit:
        return list(points)
    size = len(points) / limit
    kept = []
    for bucket in range(limit):
        stretch = points[int(bucket * size) : int((bucket + 1) * size)]
        if stretch:
            kept.append(max(stretch, key=lambda point: (point.failed, point.duration)))
    return kept


def _read_run(
    database: RunDatabase,
    run_id: int,
    totals: _Totals,
    budget: int,
    should_stop: Callable[[], bool] | None,
) -> None:
    after: int | None = None
    while budget > 0:
        if should_stop is not None and should_stop():
            raise InsightsCancelled
        page = database.step_measures(run_id, after, min(PAGE, budget))
        for measure in page:
            totals.add(measure)
        budget -= len(page)
        if len(page) < PAGE:
            return
        after = page[-1].sequence_id


def run_insights(
    database: RunDatabase,
    run_id: int,
    *,
    step_limit: int = RUN_STEP_LIMIT,
    slowest: int = 10,
    should_stop: Callable[[], bool] | None = None,
) -> Insights:
    """Insights of one run's own steps (a fork's inherited steps belong to its parent)."""
    run = database.get_run(run_id)
    totals = _Totals(slowest)
    _read_run(database, run_id, totals, step_limit, should_stop)
    insights = totals.fill(
        Insights(
            scope="run",
            title=f"Run {run.run_id} · {run.app_id}",
            steps_total=max(run.step_count, totals.read),
            runs_read=1,
        )
    )
    if insights.steps_read < insights.steps_total:
        insights.note = (
            f"Only the first {insights.steps_read:,} of {insights.steps_total:,} steps are counted."
        )
    return insights


def project_insights(
    database: RunDatabase,
    project: str,
    *,
    step_limit: int = PROJECT_STEP_LIMIT,
    slowest: int = 10,
    should_stop: Callable[[], bool] | None = None,
) -> Insights:
    """Insights of every run of a project (forks and sub-applications included), newest run
    first, until `step_limit` steps are read."""
    runs: list[RunRecord] = []
    while True:
        page = database.list_runs(project=project, limit=500, offset=len(runs))
        runs.extend(page)
        if len(page) < 500:
            break
    totals = _Totals(slowest)
    runs_read = 0
    for run in runs:
        budget = step_limit - totals.read
        if budget <= 0:
            break
        _read_run(database, run.run_id, totals, budget, should_stop)
        runs_read += 1
    steps_total = sum(run.step_count for run in runs)
    insights = Insights(
        scope="project",
        title=f"Project {project}",
        steps_total=max(steps_total, totals.read),
        runs_total=len(runs),
        runs_read=runs_read,
    )
    totals.points.sort(key=lambda point: (point.run_id, point.sequence_id))
    totals.fill(insights)
    if insights.steps_read < insights.steps_total:
        insights.note = (
            f"Only the newest {insights.steps_read:,} of {insights.steps_total:,} steps are "
            f"counted ({runs_read:,} of {len(runs):,} runs)."
        )
    return insights
