"""The layers hold: model <- engine <- views <- command line, Qt only in views, no import circles.

The contracts live in pyproject.toml ([tool.importlinter]); this runs import-linter on them with
the tests, so a change that makes a layer import upwards, or two files import each other, fails
here with the chain of imports that breaks it.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _lint_imports() -> str:
    found = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail("lint-imports is not installed: it comes with the test extra (import-linter)")
    return found


def _check(root: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_lint_imports(), "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_import_contracts_are_kept():
    result = _check(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 kept, 0 broken" in result.stdout


def test_an_upward_import_breaks_the_layers(tmp_path):
    """The contracts catch what they are for: a copy of the package where model/ imports the
    engine, and engine/ imports Qt, fails."""
    copy = tmp_path / "checkout"
    shutil.copytree(
        ROOT / "burrdesk", copy / "burrdesk", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    (copy / "burrdesk" / "model" / "upward.py").write_text("import burrdesk.engine.state\n")
    (copy / "burrdesk" / "engine" / "with_qt.py").write_text("import PySide6.QtCore\n")
    (copy / "burrdesk" / "engine" / "with_burr.py").write_text("import burr.core\n")
    result = _check(copy, env={"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin"})
    assert result.returncode != 0
    assert "burrdesk.model.upward -> burrdesk.engine.state" in result.stdout
    assert "burrdesk.engine.with_qt -> PySide6" in result.stdout
    assert "burrdesk.engine.with_burr -> burr" in result.stdout
