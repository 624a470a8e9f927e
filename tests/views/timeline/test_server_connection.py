"""File → Connect to Server…: a person types where the team's PostgreSQL database is, sees its
runs, follows a run another program is writing, and is asked for a password only when the
server wants one, which is never written to the settings. Real servers, no stand-ins."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from burrdesk.model.run_database_opener import open_run_database
from burrdesk.views.app_settings import remembered_servers, settings

PASSWORD = "s3cret: pass/word"


@pytest.fixture(scope="module")
def password_server():
    """A second server that asks for a password (the session's trusts everyone)."""
    from postgres_server import start_or_skip

    server = start_or_skip(password=PASSWORD)
    yield server
    server.stop()


def record_counter(url: str, app_id: str, steps: int, status: str = "completed") -> int:
    with open_run_database(url) as database:
        run_id = database.create_run(project="team", app_id=app_id, initial_state={"count": 0})
        writer = database.writer(run_id)
        for seq in range(steps):
            writer.record_step(
                sequence_id=seq, action="increment", before={"count": seq}, after={"count": seq + 1}
            )
        writer.finish(status)
    return run_id


def open_dialog(window, qtbot):
    window.files.connect_action.trigger()
    dialog = window.timeline.server_dialog
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def type_server(qtbot, dialog, url: str) -> None:
    parts = urlsplit(url)
    for field, text in (
        (dialog.host, parts.hostname),
        (dialog.port, str(parts.port)),
        (dialog.database_name, parts.path.lstrip("/")),
        (dialog.user, parts.username),
    ):
        field.clear()
        qtbot.keyClicks(field, text)


def test_connecting_shows_the_servers_runs_and_remembers_it_without_a_password(
    window, qtbot, postgres_url
):
    record_counter(postgres_url, "nightly-eval", 30)
    dialog = open_dialog(window, qtbot)
    type_server(qtbot, dialog, postgres_url)
    assert dialog.shown_url.text() == postgres_url
    qtbot.mouseClick(dialog.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=15_000)
    timeline = window.timeline.panel
    name = urlsplit(postgres_url).path.lstrip("/")
    assert timeline.source_combo.currentText() == f"Server · {name} on 127.0.0.1"
    assert timeline.runs_model.run_at(0).app_id == "nightly-eval"
    assert timeline.current_run.step_count == 30
    assert "Connected to" in window.statusBar().currentMessage()
    assert timeline.select_step(29)
    assert timeline.state_view.top_level() == {"count": "30"}
    assert remembered_servers()[0] == postgres_url

    again = open_dialog(window, qtbot)  # the next time, the fields are filled in
    assert again.recent.currentText() == postgres_url
    assert again.shown_url.text() == postgres_url
    again.reject()


def test_a_run_another_program_writes_on_the_server_is_followed_live(window, qtbot, postgres_url):
    record_counter(postgres_url, "first", 3)
    window.timeline.connect_server(postgres_url)
    qtbot.waitUntil(lambda: window.timeline.panel.database is not None, timeout=15_000)
    timeline = window.timeline.panel
    with open_run_database(postgres_url) as other_program:
        run_id = other_program.create_run(project="team", app_id="live", initial_state={"n": 0})
        writer = other_program.writer(run_id)
        writer.record_step(sequence_id=0, action="tick", before={"n": 0}, after={"n": 1})
        qtbot.waitUntil(lambda: timeline.runs_model.run_at(0).app_id == "live", timeout=10_000)
        assert timeline.select_run(run_id)
        for seq in range(1, 5):
            writer.record_step(
                sequence_id=seq, action="tick", before={"n": seq}, after={"n": seq + 1}
            )
        qtbot.waitUntil(lambda: timeline.steps_model.rowCount() == 5, timeout=10_000)
        writer.finish("completed")


def test_the_password_is_asked_for_only_when_needed_and_never_stored(
    window, qtbot, password_server, monkeypatch
):
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", "/nonexistent/pgpass")
    url = password_server.url
    dialog = open_dialog(window, qtbot)
    assert not dialog._form.isRowVisible(dialog.password)
    type_server(qtbot, dialog, url)
    qtbot.mouseClick(dialog.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog._form.isRowVisible(dialog.password), timeout=15_000)
    assert "wants a password" in dialog.status.text()

    qtbot.keyClicks(dialog.password, "wrong")
    qtbot.mouseClick(dialog.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "refused that password" in dialog.status.text(), timeout=15_000)
    assert dialog.isVisible()

    dialog.password.clear()
    qtbot.keyClicks(dialog.password, PASSWORD)
    QTest.keyClick(dialog.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=15_000)
    assert window.timeline.panel.database is not None
    assert window.timeline.panel.database.location == url
    assert remembered_servers()[0] == url
    stored = Path(settings().fileName()).read_text(encoding="utf-8")
    assert "s3cret" not in stored and "pass%2Fword" not in stored


@pytest.mark.parametrize("source", ["PGPASSWORD", "pgpass"])
def test_a_password_from_pgpassword_or_pgpass_is_used_without_asking(
    window, qtbot, password_server, monkeypatch, tmp_path, source
):
    parts = urlsplit(password_server.url)
    if source == "PGPASSWORD":
        monkeypatch.setenv("PGPASSWORD", PASSWORD)
    else:
        monkeypatch.delenv("PGPASSWORD", raising=False)
        pgpass = tmp_path / "pgpass"
        escaped = PASSWORD.replace("\\", "\\\\").replace(":", "\\:")
        pgpass.write_text(f"{parts.hostname}:{parts.port}:*:burrdesk:{escaped}\n")
        pgpass.chmod(0o600)
        monkeypatch.setenv("PGPASSFILE", str(pgpass))
    window.timeline.connect_server(password_server.url)
    assert window.timeline.wait_for_server()
    assert window.timeline.panel.database is not None, window.statusBar().currentMessage()
    assert window.timeline.server_dialog is None


def test_a_server_that_does_not_answer_is_one_message_and_the_window_keeps_working(window, qtbot):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dialog = open_dialog(window, qtbot)
    type_server(qtbot, dialog, f"postgresql://someone@127.0.0.1:{port}/team")
    qtbot.mouseClick(dialog.connect_button, Qt.MouseButton.LeftButton)
    ticks = []
    started = time.monotonic()
    while dialog.connector.busy and time.monotonic() - started < 15:
        qtbot.wait(20)
        ticks.append(1)
    assert ticks, "the event loop kept running while connecting"
    assert dialog.status.text().startswith("Cannot connect to postgresql://someone@127.0.0.1")
    assert dialog.isVisible() and dialog.connect_button.isEnabled()
    dialog.port.clear()
    qtbot.keyClicks(dialog.port, "54x")
    qtbot.mouseClick(dialog.connect_button, Qt.MouseButton.LeftButton)
    assert dialog.status.text() == "The port must be a number, not '54x'."
    dialog.reject()
