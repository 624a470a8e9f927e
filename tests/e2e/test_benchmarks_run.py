"""The benchmarks stay runnable (their numbers are printed, never asserted)."""

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def run_benchmark(script: str, *arguments: str) -> str:
    """What the benchmark printed (a failure to run fails the test)."""
    return subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *arguments],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout


def test_engine_overhead_benchmark_prints_three_ratios():
    pytest.importorskip("burr.core")
    out = run_benchmark("engine_overhead.py", "--quick")
    rows = [ln for ln in out.splitlines() if ln.startswith("(") and "blocks" not in ln]
    assert [row.split()[0] for row in rows] == ["(a)", "(b)", "(c)"]
    assert all(float(row.split()[-1]) > 0 for row in rows)
    assert "last/first" in out


def test_runs_of_large_flows_benchmark_prints_its_timings():
    out = run_benchmark("runs_of_large_flows.py", "--runs", "5")
    assert "list a page of 5 runs" in out and "read one run and its flow" in out


def test_canvas_open_benchmark_prints_its_timings():
    out = run_benchmark("canvas_open.py", "--repeat", "1")
    assert "500-node flow" in out and "open and first paint" in out


def test_burr_features_benchmark_prints_four_ratios():
    pytest.importorskip("burr.core")
    out = run_benchmark("burr_features.py", "--quick")
    rows = [ln for ln in out.splitlines() if ln.startswith("(")]
    assert [row.split()[0] for row in rows] == ["(a)", "(b)", "(c)", "(c)"]
    assert all(float(row.split()[-1]) > 0 for row in rows)


def test_burr_trace_folder_benchmark_prints_four_ratios():
    pytest.importorskip("burr.core")
    out = run_benchmark("burr_trace_folder.py", "--steps", "1500")
    rows = [ln for ln in out.splitlines() if ln.startswith("(")]
    assert [row.split()[0] for row in rows] == ["(a)", "(b)", "(c)", "(d)"]
    assert "1,500 steps" in out


def test_tracking_overhead_benchmark_prints_sizes_during_and_after():
    pytest.importorskip("burr.core")
    out = run_benchmark("tracking_overhead.py", "--quick")
    rows = [ln.split() for ln in out.splitlines() if ln.startswith(("counter", "growing"))]
    assert [(row[0], row[1]) for row in rows] == [
        ("counter", "1,000"),
        ("growing", "300"),
        ("growing", "1,000"),
    ]
    assert rows[0][-1] == "MB" and float(rows[0][-2]) < 64
    assert "goals:" in out
