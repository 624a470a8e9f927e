"""The run database's two backends side by side: SQLite file and PostgreSQL server.

Both hold the same tables behind the same `RunDatabase` interface, so a user choosing between
them needs to know what the server costs per tracked step, and whether reading a long run
stays as fast, in one process run on one machine:
  1. tracked µs/step of a counter app: burrdesk into SQLite, into PostgreSQL, Apache Burr
     into its local tracker (the reference), and burrdesk untracked (the floor);
  2. read latencies (median, p95) on a 1,000,000-step run written once into each backend,
     for the calls the timeline makes. Each is meant to be an indexed, bounded query, so
     none should depend on the run's length.
Without --url a throwaway server is started (tests/postgres_server.py, fsync=off).

    python benchmarks/run_database_backends.py [--steps N] [--big-steps N] [--url URL]
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

from engine_overhead import _engine, counter_builder  # noqa: E402

from burrdesk.model.run_database_opener import is_server_url, open_run_database  # noqa: E402

CHUNK = 20_000
"""Steps per `batched()` block (one transaction) when writing the big run."""


# --- 1. tracked steps ---------------------------------------------------------------------


def tracked_us(engine: str, tracker: str | None, target: str, steps: int, repeats: int) -> float:
    """Best µs/step over `repeats` runs of the counter app, tracker built before timing."""
    best = float("inf")
    for _ in range(repeats):
        builder = counter_builder(_engine(engine), steps)
        if tracker == "local":
            builder = builder.with_tracker("local", project="bench", params={"storage_dir": target})
        elif tracker == "sqlite":
            builder = builder.with_tracker("sqlite", project="bench", params={"db_path": target})
        elif tracker == "postgresql":
            builder = builder.with_tracker("postgresql", project="bench", params={"db_url": target})
        app = builder.build()
        gc.collect()
        start = time.perf_counter()
        app.run(halt_after=[])
        elapsed = time.perf_counter() - start
        if engine == "burrdesk" and tracker is not None:
            app.builder.tracker.close()
        del app
        best = min(best, elapsed / steps * 1e6)
    return best


# --- 2. a big run, written once, then read ----------------------------------------------


def write_big_run(target: str, steps: int) -> tuple[int, float]:
    """Writes a counter run of `steps` steps through the model API; (run id, seconds)."""
    start = time.perf_counter()
    db = open_run_database(target)
    try:
        run_id = db.create_run(project="big", app_id=f"big-{steps}", initial_state={"count": 0})
        writer = db.writer(run_id)
        began = time.time()
        for first in range(0, steps, CHUNK):
            with writer.batched():
                for i in range(first, min(first + CHUNK, steps)):
                    writer.record_step(
                        sequence_id=i,
                        action="increment",
                        before={"count": i},
                        after={"count": i + 1},
                        started_at=began + i * 1e-3,
                        ended_at=began + i * 1e-3,
                    )
        writer.finish("completed")
    finally:
        db.close()
    return run_id, time.perf_counter() - start


def size_on_disk(target: str) -> int:
    if is_server_url(target):
        import psycopg

        with psycopg.connect(target) as conn:
            return conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    return sum(f.stat().st_size for f in Path(target).parent.glob(Path(target).name + "*"))


def read_latencies(target: str, run_id: int, steps: int, repeats: int) -> dict[str, list[float]]:
    """ms per call, `repeats` calls each, on a fresh read-only connection."""
    rng = random.Random(7)
    db = open_run_database(target, read_only=True)
    calls = {
        "first page (100 steps)": lambda: db.read_step_page(run_id, 0, 100),
        "last page (read_last_steps)": lambda: db.read_last_steps(run_id, 100),
        "random middle page": lambda: db.read_step_page(run_id, rng.randrange(steps - 100), 100),
        "state_at a random step": lambda: db.state_at(run_id, rng.randrange(steps)),
        "get_run": lambda: db.get_run(run_id),
        "list_runs(limit=50)": lambda: db.list_runs(limit=50),
    }
    samples: dict[str, list[float]] = {}
    try:
        for label, call in calls.items():
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                call()
                times.append((time.perf_counter() - start) * 1000)
            samples[label] = times
    finally:
        db.close()
    return samples


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


# --- the PostgreSQL server ----------------------------------------------------------------


def start_server():
    """A throwaway server and the URL of a fresh database on it, or (None, None)."""
    sys.path.insert(0, str(REPO / "tests"))
    from postgres_server import PostgresServer

    server = PostgresServer()
    if server.initdb is None or server.pg_ctl is None:
        print(
            "No PostgreSQL server binaries (initdb, pg_ctl) here: the PostgreSQL columns are skipped."
        )
        return None, None
    import psycopg

    server.start()
    with psycopg.connect(server.url, autocommit=True) as conn:
        conn.execute("CREATE DATABASE bench")
    return server, server.url.rsplit("/", 1)[0] + "/bench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10_000, help="steps of each tracked run")
    parser.add_argument("--big-steps", type=int, default=1_000_000, help="steps of the read run")
    parser.add_argument("--repeats", type=int, default=200, help="calls per read measurement")
    parser.add_argument("--url", help="an existing, empty PostgreSQL database (postgresql://...)")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # Burr warns about unbounded runs on every run() call
    os.environ.setdefault("BURR_TELEMETRY_ENABLED", "false")

    workdir = Path(tempfile.mkdtemp(prefix="backends-"))
    server = None
    try:
        if args.url:
            url = args.url
            print("PostgreSQL: the database given with --url.")
        else:
            server, url = start_server()
            if server is not None:
                print(
                    "PostgreSQL: a throwaway local server started with fsync=off "
                    "(commits never wait for the disk, which flatters its write timings)."
                )
        backends = {"sqlite": str(workdir / "runs.db")}
        if url:
            backends["postgresql"] = url

        # 1. tracked µs/step
        print(f"\n1. counter app, {args.steps:,} steps, µs/step (best of 3):")
        baseline = tracked_us("burrdesk", None, "", args.steps, 3)
        burr = tracked_us("burr", "local", str(workdir / "burr"), args.steps, 3)
        rows = [("burrdesk untracked (baseline)", baseline), ("Apache Burr, local tracker", burr)]
        for name, target in backends.items():
            rows.append((f"burrdesk + {name}", tracked_us("burrdesk", name, target, args.steps, 3)))
        for label, us in rows:
            print(f"  {label:<32}{us:>9.1f}")
        for name in backends:
            label = f"ratio burrdesk-{name} / Burr"
            print(f"  {label:<32}{dict(rows)[f'burrdesk + {name}'] / burr:>9.3f}")

        # 2. reads on a big run
        print(f"\n2. a {args.big_steps:,}-step run, written in batches of {CHUNK:,} steps:")
        samples = {}
        for name, target in backends.items():
            run_id, seconds = write_big_run(target, args.big_steps)
            size = size_on_disk(target)
            print(
                f"  {name:<11} written in {seconds:6.1f} s ({seconds / args.big_steps * 1e6:5.1f}"
                f" µs/step), {size / 1e6:7.1f} MB on disk ({size / args.big_steps:.0f} B/step)"
                + (" [fsync=off]" if name == "postgresql" and server is not None else "")
            )
            samples[name] = read_latencies(target, run_id, args.big_steps, args.repeats)

        print(
            f"\n  read latency, ms (median and p95 of {args.repeats} calls, read-only connection):"
        )
        header = f"  {'call':<30}{'sqlite med':>11}{'p95':>8}"
        if "postgresql" in samples:
            header += f"{'pg med':>9}{'p95':>8}{'pg/sqlite':>11}"
        print(header)
        for label, sqlite_times in samples["sqlite"].items():
            med = statistics.median(sqlite_times)
            row = f"  {label:<30}{med:>11.3f}{p95(sqlite_times):>8.3f}"
            if "postgresql" in samples:
                pg_times = samples["postgresql"][label]
                pg_med = statistics.median(pg_times)
                row += f"{pg_med:>9.3f}{p95(pg_times):>8.3f}{pg_med / med:>11.2f}"
            print(row)
        print("  pg/sqlite = ratio of the medians (higher: the server is slower).")
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
