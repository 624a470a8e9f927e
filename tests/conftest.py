"""Test-wide settings: Qt renders offscreen so the suite runs without a display."""

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# LLM nodes must never reach a real endpoint from a test: no key unless a test sets one.
os.environ.pop("OPENAI_API_KEY", None)

# pydantic, whole, before any test module imports PySide6: shiboken's import hook reads the
# source of every module imported after it, which touches pydantic's lazy attributes while
# pydantic is half imported (a circular ImportError when one CLI test file runs on its own).
import pydantic._internal._validators  # noqa: E402, F401
from hypothesis import HealthCheck, settings  # noqa: E402

# CI machines are small and noisy: judge properties by their examples, never by their speed.
settings.register_profile(
    "burrdesk", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=100
)
settings.load_profile("burrdesk")


@pytest.fixture
def openai_server():
    """An OpenAI-compatible server on 127.0.0.1 (see fake_openai_server.py)."""
    from fake_openai_server import FakeOpenAI

    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """Every test gets its own burrdesk data directory (settings, default run database), so
    nothing reads or writes the real one."""
    data = tmp_path / "data"
    monkeypatch.setenv("BURRDESK_DATA_DIR", str(data))
    return data


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server for the session (see postgres_server.py)."""
    from postgres_server import start_or_skip

    server = start_or_skip()
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server):
    """A fresh, empty database on that server, as a URL."""
    import uuid

    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server.url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield postgres_server.url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_target(request, tmp_path):
    """Where a test's run database is: a new file, and (the same test again) a new database
    on a real PostgreSQL server, so that both backends pass the same suite."""
    if request.param == "sqlite":
        return str(tmp_path / "runs.db")
    return request.getfixturevalue("postgres_url")
