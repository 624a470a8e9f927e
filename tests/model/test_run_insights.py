"""Insights of recorded runs: LLM calls and tokens from traces and LLM nodes, latency
percentiles, failures, the slowest steps, and bounded reading of big projects."""

from __future__ import annotations

import pytest

from burrdesk.engine import ApplicationBuilder, State, action
from burrdesk.engine.llm_action import LlmAction
from burrdesk.model.price_table import PriceTable
from burrdesk.model.run_database import RunDatabase
from burrdesk.model.run_insights import (
    UNKNOWN_MODEL,
    InsightsCancelled,
    downsample,
    percentiles,
    project_insights,
    run_insights,
)


@action(reads=[], writes=["draft"])
def draft(state: State, __tracer) -> State:
    __tracer.log_attributes(model="gpt-4o-mini", prompt_tokens=100, completion_tokens=20)
    return state.update(draft="a draft")


@action(reads=["draft"], writes=["review"])
def review(state: State, __tracer) -> State:
    with __tracer("openai.chat") as span:
        span.log_attributes(
            **{
                "gen_ai.request.model": "gpt-4o",
                "gen_ai.response.model": "gpt-4o-2024-08-06",
                "gen_ai.usage.input_tokens": 1000,
                "gen_ai.usage.output_tokens": 500,
            }
        )
    with __tracer("openai.chat") as span:
        span.log_attributes(**{"llm.model_name": "gpt-4o", "llm.usage": {"total_tokens": 300}})
    return state.update(review="fine")


@action(reads=["review"], writes=["sent"])
def send(state: State) -> State:
    raise ConnectionError("the mail server refused the message")


def record_llm_app(db_path, app_id="writer-1"):
    app = (
        ApplicationBuilder()
        .with_actions(
            draft=draft,
            review=review,
            summarize=LlmAction(
                model="echo",
                system_prompt="be brief",
                prompt_template="summarize {review}",
                output_key="summary",
                history_key=None,
                reads=["review"],
            ),
            send=send,
        )
        .with_transitions(("draft", "review"), ("review", "summarize"), ("summarize", "send"))
        .with_entrypoint("draft")
        .with_identifiers(app_id=app_id)
        .with_tracker("sqlite", project="writer", params={"db_path": str(db_path)})
        .build()
    )
    for _ in range(3):
        app.step()
    with pytest.raises(ConnectionError):
        app.step()
    app.builder.tracker.close()


def test_llm_calls_tokens_and_failures_of_a_recorded_burr_program(tmp_path):
    db_path = tmp_path / "runs.db"
    record_llm_app(db_path)
    with RunDatabase(db_path, read_only=True) as database:
        (run,) = database.list_runs()
        insights = run_insights(database, run.run_id)
    assert (insights.steps_read, insights.steps_total, insights.note) == (4, 4, None)
    assert insights.llm_calls == 4
    usage = {u.model: (u.calls, u.input_tokens, u.output_tokens) for u in insights.models}
    # echo: system "be brief" (2 words) + "summarize fine" (2); reply "echo: summarize fine" (3)
    assert usage == {
        "gpt-4o-2024-08-06": (1, 1000, 500),
        "gpt-4o": (1, 300, 0),
        "gpt-4o-mini": (1, 100, 20),
        "echo": (1, 4, 3),
    }
    assert (insights.input_tokens, insights.output_tokens) == (1404, 523)
    assert insights.failure_count == 1 and insights.failures_by_action == {"send": 1}
    (failure,) = insights.failures
    assert (failure.sequence_id, failure.action) == (3, "send")
    assert "the mail server refused the message" in failure.error
    assert {a.action for a in insights.actions} == {"draft", "review", "summarize", "send"}

    cost = insights.cost(PriceTable())
    # 1000 × 2.50 + 500 × 10 (gpt-4o) + 300 × 2.50 + 100 × 0.15 + 20 × 0.60, per million
    assert cost.total == pytest.approx((2500 + 5000 + 750 + 15 + 12) / 1e6)
    assert cost.unpriced == [] and cost.by_model["echo"] == 0.0


def _write_timed_run(database, app_id, durations, *, project="timed", fail_at=()):
    """A run whose step i took durations[i] seconds exactly ("fast" and "slow" alternate)."""
    run_id = database.create_run(project=project, app_id=app_id, initial_state={})
    writer = database.writer(run_id)
    clock = 1_000.0
    for seq, seconds in enumerate(durations):
        failed = seq in fail_at
        writer.record_step(
            sequence_id=seq,
            action="slow" if seq % 2 else "fast",
            before={},
            after={},
            result=None
            if failed
            else {"model": "gpt-4o-mini", "usage": {"prompt_tokens": 10, "completion_tokens": 5}},
            error=f"timeout at {seq}" if failed else None,
            started_at=clock,
            ended_at=clock + seconds,
        )
        clock += seconds
    writer.finish("failed" if fail_at else "completed")
    return run_id


def test_latency_percentiles_slowest_steps_and_series_are_exact(tmp_path):
    with RunDatabase(tmp_path / "runs.db") as database:
        durations = [0.5, 1.0, 0.25, 4.0, 0.75, 2.0, 0.5, 8.0, 1.0, 3.0]
        run_id = _write_timed_run(database, "timed-1", durations, fail_at=(7,))
        insights = run_insights(database, run_id, slowest=3)
    overall = insights.latency
    assert overall.count == 10 and overall.maximum == 8.0
    assert overall.p50 == pytest.approx(1.0)
    assert overall.p90 == pytest.approx(4.4)  # 4.0 + 0.1 × (8.0 − 4.0)
    assert overall.p99 == pytest.approx(7.64)
    assert overall.mean == pytest.approx(2.1)
    by_action = {a.action: a for a in insights.actions}
    assert [a.action for a in insights.actions] == ["slow", "fast"]  # by p50, slowest first
    assert by_action["slow"].latency.p50 == pytest.approx(3.0)  # 1, 2, 3, 4, 8
    assert by_action["fast"].latency.p90 == pytest.approx(0.9)  # 0.25 0.5 0.5 0.75 1.0
    assert by_action["slow"].failures == 1
    assert [(p.sequence_id, p.duration, p.failed) for p in insights.slowest] == [
        (7, 8.0, True),
        (3, 4.0, False),
        (9, 3.0, False),
    ]
    assert [p.duration for p in insights.series] == durations
    assert insights.llm_calls == 9
    assert (insights.input_tokens, insights.output_tokens) == (90, 45)
    assert insights.failures[0].error == "timeout at 7"


def test_a_project_reads_its_newest_runs_up_to_the_limit_and_says_so(tmp_path):
    with RunDatabase(tmp_path / "runs.db") as database:
        for index in range(3):
            _write_timed_run(database, f"run-{index}", [1.0] * 100)
        _write_timed_run(database, "elsewhere", [9.0] * 5, project="other")
        whole = project_insights(database, "timed")
        capped = project_insights(database, "timed", step_limit=150)
        run = run_insights(database, database.list_runs(project="timed")[0].run_id, step_limit=40)
    assert (whole.steps_read, whole.steps_total, whole.runs_read, whole.note) == (300, 300, 3, None)
    assert whole.latency.maximum == 1.0 and whole.llm_calls == 300
    assert (capped.steps_read, capped.steps_total, capped.runs_read) == (150, 300, 2)
    assert capped.note == "Only the newest 150 of 300 steps are counted (2 of 3 runs)."
    assert run.note == "Only the first 40 of 100 steps are counted."


def test_a_computation_stops_when_asked(tmp_path):
    with RunDatabase(tmp_path / "runs.db") as database:
        run_id = _write_timed_run(database, "r", [1.0] * 10)
        with pytest.raises(InsightsCancelled):
            run_insights(database, run_id, should_stop=lambda: True)


def test_step_measures_page_through_timings_without_states(tmp_path):
    with RunDatabase(tmp_path / "runs.db") as database:
        run_id = _write_timed_run(database, "r", [1.0, 2.0, 3.0], fail_at=(1,))
        first = database.step_measures(run_id, limit=2)
        rest = database.step_measures(run_id, first[-1].sequence_id)
    assert [m.sequence_id for m in first] == [0, 1] and [m.sequence_id for m in rest] == [2]
    assert first[1].status == "failed" and first[1].error == "timeout at 1"
    assert first[1].reply_usage is None and first[0].duration == 1.0
    assert first[0].reply_model == "gpt-4o-mini"
    assert first[0].reply_usage == {"prompt_tokens": 10, "completion_tokens": 5}


def test_calls_without_a_model_and_odd_values(tmp_path):
    with RunDatabase(tmp_path / "runs.db") as database:
        run_id = database.create_run(project="p", app_id="a", initial_state={})
        writer = database.writer(run_id)
        writer.record_step(
            sequence_id=0,
            action="chat",
            before={},
            after={},
            started_at=0.0,
            ended_at=1.0,
            attributes=[
                {"key": "prompt_tokens", "value": 7},
                {"key": "completion_tokens", "value": "3"},
                {"key": "prompt_tokens", "value": 2},  # a second call in the same span
                {"key": "completion_tokens", "value": True},  # not a number
                {"span_id": "0:0", "key": "model", "value": "not a call on its own"},
            ],
            result={"model": "ignored: the step logged its calls", "usage": {"prompt_tokens": 1}},
        )
        insights = run_insights(database, run_id)
    assert insights.llm_calls == 2
    assert [(u.model, u.calls, u.input_tokens, u.output_tokens) for u in insights.models] == [
        (UNKNOWN_MODEL, 2, 9, 3)
    ]
    assert insights.cost(PriceTable()).unpriced == [UNKNOWN_MODEL]


def test_percentiles_and_downsampling_keep_the_extremes():
    assert percentiles([]) is None
    single = percentiles([2.0])
    assert (single.p50, single.p99) == (2.0, 2.0)
    values = [float(v) for v in range(1, 11)]
    spread = percentiles(values)
    assert (spread.p50, spread.p90) == pytest.approx((5.5, 9.1))
    assert spread.p99 == pytest.approx(9.91)

    from burrdesk.model.run_insights import StepPoint

    points = [StepPoint(1, i, "a", 1.0, False) for i in range(10_000)]
    points[4321] = StepPoint(1, 4321, "a", 50.0, False)
    points[8000] = StepPoint(1, 8000, "a", 0.1, True)
    kept = downsample(points, 100)
    assert len(kept) == 100
    assert any(p.duration == 50.0 for p in kept) and any(p.failed for p in kept)


def test_streamed_steps_give_the_time_to_their_first_item(tmp_path):
    with RunDatabase(tmp_path / "runs.db") as database:
        run_id = database.create_run(project="p", app_id="a", initial_state={})
        writer = database.writer(run_id)
        for seq, first in enumerate((0.25, 0.75)):
            writer.record_step(
                sequence_id=seq,
                action="stream",
                before={},
                after={},
                started_at=10.0,
                ended_at=12.0,
                stream={"started_at": 10.0, "first_item_at": 10.0 + first, "item_count": 3},
            )
        writer.record_step(
            sequence_id=2, action="plain", before={}, after={}, started_at=0.0, ended_at=None
        )
        insights = run_insights(database, run_id)
    assert insights.time_to_first_item.count == 2
    assert insights.time_to_first_item.p50 == pytest.approx(0.5)
    assert insights.latency.count == 2 and insights.steps_read == 3  # step 2 has no end time
