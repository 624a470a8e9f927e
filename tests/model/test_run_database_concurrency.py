"""Several programs tracking into one run database file at once: every run completes, none is
half-written, even when they all start on a file that does not exist yet."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from burrdesk.model.run_database import RunDatabase

PROGRAM = textwrap.dedent(
    """
    import sys
    from burrdesk.engine import ApplicationBuilder, State, action, expr

    @action(reads=["count"], writes=["count"])
    def increment(state: State) -> State:
        return state.update(count=state["count"] + 1)

    db_path, steps, app_id = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    app = (
        ApplicationBuilder()
        .with_actions(increment=increment)
        .with_transitions(("increment", "increment", expr(f"count < {steps}")))
        .with_state(count=0)
        .with_entrypoint("increment")
        .with_identifiers(app_id=app_id)
        .with_tracker("sqlite", project="together", params={"db_path": db_path})
        .build()
    )
    app.run(halt_after=[])
    """
)


def test_four_programs_start_together_on_a_new_file_and_all_complete(tmp_path):
    script = tmp_path / "count.py"
    script.write_text(PROGRAM)
    for attempt in range(6):  # the race is at creation: a fresh file each time
        target = tmp_path / f"runs-{attempt}.db"
        processes = [
            subprocess.Popen(
                [sys.executable, str(script), str(target), "200", f"app-{n}"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in range(4)
        ]
        outcomes = [(p.wait(timeout=120), p.stderr.read()) for p in processes]
        assert [code for code, _ in outcomes] == [0, 0, 0, 0], outcomes
        with RunDatabase(target, read_only=True) as db:
            runs = db.list_runs(limit=10)
            assert sorted(r.app_id for r in runs) == [f"app-{n}" for n in range(4)]
            assert {(r.status, r.step_count) for r in runs} == {("completed", 200)}
            assert db.integrity_check() == "ok"
