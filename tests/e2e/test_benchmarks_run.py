"""The benchmarks stay runnable (their numbers are printed, never asserted)."""

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def test_engine_overhead_benchmark_prints_three_ratios():
    pytest.importorskip("burr.core")
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / "engine_overhead.py"), "--quick"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    rows = [ln for ln in out.splitlines() if ln.startswith("(") and "blocks" not in ln]
    assert [row.split()[0] for row in rows] == ["(a)", "(b)", "(c)"]
    assert all(float(row.split()[-1]) > 0 for row in rows)
    assert "last/first" in out


def test_runs_of_large_flows_benchmark_prints_its_timings():
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / "runs_of_large_flows.py"), "--runs", "5"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    assert "list a page of 5 runs" in out and "read one run and its flow" in out


def test_canvas_open_benchmark_prints_its_timings():
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / "canvas_open.py"), "--repeat", "1"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    assert "500-node flow" in out and "open and first paint" in out
