"""`burrdesk push` and `burrdesk pull` against a real PostgreSQL server, and their one-sentence
errors (the password in a URL is never printed)."""

from burrdesk.cli import main as burrdesk_main
from burrdesk.engine.demo_research import record_research_run
from burrdesk.model.run_database import RunDatabase


def main(argv):
    """`burrdesk` with its arguments as the shell passes them (paths as text)."""
    return burrdesk_main([str(a) for a in argv])


def test_push_then_pull_round_trips_and_says_what_it_did(capsys, tmp_path, postgres_url):
    local = tmp_path / "runs.db"
    record_research_run(local)
    assert main(["push", local, postgres_url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Pushed 4 new run(s) and ") and "0 were already there" in out
    assert main(["push", local, postgres_url]) == 0
    assert "Pushed 0 new run(s) and 0 step(s)" in capsys.readouterr().out
    pulled = tmp_path / "pulled.db"
    assert main(["pull", postgres_url, pulled]) == 0
    assert capsys.readouterr().out.startswith("Pulled 4 new run(s) and ")
    with RunDatabase(pulled, read_only=True) as db:
        assert sorted(r.project for r in db.list_runs(limit=10)) == ["research_assistant"] * 4


def test_bad_targets_are_one_sentence_without_the_password(capsys, tmp_path):
    assert main(["push", tmp_path / "none.db", "postgresql://u@127.0.0.1:1/x"]) == 2
    assert (
        capsys.readouterr().err
        == f"burrdesk: There is no run database at {tmp_path / 'none.db'}.\n"
    )
    local = tmp_path / "runs.db"
    record_research_run(local)
    assert main(["push", local, "postgresql://ann:hunter2@127.0.0.1:1/x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("burrdesk: Cannot connect to postgresql://ann@127.0.0.1:1/x: ")
    assert "hunter2" not in err and err.count("\n") == 1
