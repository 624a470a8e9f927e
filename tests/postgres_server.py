"""A throwaway PostgreSQL server for the tests: initdb in a temporary folder, on a free port.

PostgreSQL refuses to run as root, and CI runs as root: the server then runs as `nobody`,
its data folder handed over to that user. Without `initdb` on the machine the tests that need
a server are skipped with a message; `.ci/run` installs Debian's `postgresql` and sets
BURRDESK_REQUIRE_POSTGRES=1, so there a missing server fails instead of skipping.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest


def _binary(name: str) -> str | None:
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else shutil.which(name)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """`password`: the server asks user burrdesk for it (scram-sha-256) instead of trusting
    every local connection."""

    def __init__(self, password: str | None = None) -> None:
        self.password = password
        self.initdb, self.pg_ctl = _binary("initdb"), _binary("pg_ctl")
        self.root = Path(tempfile.mkdtemp(prefix="burrdesk-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.as_root = os.geteuid() == 0

    @property
    def url(self) -> str:
        return f"postgresql://burrdesk@127.0.0.1:{self.port}/postgres"

    def _run(self, *argv: str) -> None:
        command = list(argv)
        if self.as_root:
            command = ["runuser", "-u", "nobody", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120, cwd=self.root)

    def start(self) -> PostgresServer:
        if self.as_root:
            shutil.chown(self.root, "nobody")
        auth = ["--auth=trust"]
        if self.password is not None:
            secret = self.root / "password"
            secret.write_text(self.password + "\n")
            if self.as_root:
                shutil.chown(secret, "nobody")
            auth = ["--auth=scram-sha-256", f"--pwfile={secret}"]
        self._run(self.initdb, "-D", str(self.data), "-U", "burrdesk", *auth, "-E", "UTF8")
        return self.resume()

    def resume(self) -> PostgresServer:
        """Starts the server on its existing data folder (after `halt`)."""
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            self.pg_ctl, "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w",
            "start",
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.1)
        raise RuntimeError(f"PostgreSQL did not start on port {self.port}")

    def halt(self) -> None:
        """Stops the server at once, as a crash or an outage would, keeping its data."""
        self._run(self.pg_ctl, "-D", str(self.data), "-m", "immediate", "stop")

    def stop(self) -> None:
        try:
            with contextlib.suppress(subprocess.CalledProcessError):  # halted already
                self.halt()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start_or_skip(password: str | None = None) -> PostgresServer:
    server = PostgresServer(password)
    if server.initdb is None or server.pg_ctl is None:
        message = "no PostgreSQL server binaries (initdb, pg_ctl): install Debian's postgresql"
        if os.environ.get("BURRDESK_REQUIRE_POSTGRES"):
            pytest.fail(message + " (BURRDESK_REQUIRE_POSTGRES is set)")
        pytest.skip(message)
    return server.start()
