"""The `burrdesk` command and the import boundaries it relies on."""

import subprocess
import sys

from burrdesk import __version__
from burrdesk.cli import main


def test_version_flag(capsys):
    try:
        main(["--version"])
    except SystemExit as stop:
        assert stop.code == 0
    assert capsys.readouterr().out.strip() == f"burrdesk {__version__}"


def test_console_script_is_installed_and_runs():
    out = subprocess.run(
        [sys.executable, "-m", "burrdesk", "--about"], capture_output=True, text=True, check=True
    ).stdout
    assert "burrdesk.engine" in out


def test_importing_the_engine_pulls_in_neither_qt_nor_openai():
    code = (
        "import sys, burrdesk, burrdesk.engine, burrdesk.engine.persistence;"
        "burrdesk.ApplicationBuilder;"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'openai'))];"
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_lazy_reexport_exposes_the_engine_api():
    import burrdesk

    assert burrdesk.ApplicationBuilder is __import__("burrdesk.engine").engine.ApplicationBuilder
    assert "State" in dir(burrdesk)
