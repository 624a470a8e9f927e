"""Resources are found in a checkout, an installed package and a PyInstaller bundle."""

import subprocess
import sys
from pathlib import Path

import pytest

from burrdesk.model import resource_location

ROOT = Path(__file__).resolve().parents[2]


def make_resources(folder: Path) -> Path:
    for part in ("icons", "themes", "examples"):
        (folder / part).mkdir(parents=True)
    return folder


@pytest.fixture
def not_frozen(monkeypatch):
    monkeypatch.delattr(sys, "frozen", raising=False)
    monkeypatch.delattr(sys, "_MEIPASS", raising=False)


def test_a_checkout_uses_the_resources_beside_the_package(not_frozen):
    assert resource_location.resources_dir() == ROOT / "resources"
    assert resource_location.examples_dir() == ROOT / "resources" / "examples"
    assert (resource_location.examples_dir() / "chatbot.burrflow").is_file()


def test_a_bundle_uses_the_resources_in_its_data_folder(monkeypatch, tmp_path):
    bundled = make_resources(tmp_path / "_internal" / "resources")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "_internal"), raising=False)
    assert resource_location.resources_dir() == bundled
    assert resource_location.examples_dir() == bundled / "examples"


def test_meipass_counts_only_in_a_frozen_program(monkeypatch, tmp_path):
    make_resources(tmp_path / "resources")
    monkeypatch.delattr(sys, "frozen", raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resource_location.resources_dir() == ROOT / "resources"


def test_an_installed_package_uses_the_resources_inside_it(monkeypatch, tmp_path, not_frozen):
    package = tmp_path / "site-packages" / "burrdesk"
    inside = make_resources(package / "resources")
    # Another distribution's top-level `resources` folder, without our themes and icons.
    (tmp_path / "site-packages" / "resources" / "images").mkdir(parents=True)
    monkeypatch.setattr(
        resource_location, "__file__", str(package / "model" / "resource_location.py")
    )
    assert resource_location.resources_dir() == inside


def test_missing_resources_say_where_they_were_looked_for(monkeypatch, tmp_path, not_frozen):
    package = tmp_path / "site-packages" / "burrdesk"
    package.mkdir(parents=True)
    monkeypatch.setattr(
        resource_location, "__file__", str(package / "model" / "resource_location.py")
    )
    with pytest.raises(FileNotFoundError, match="cannot find its resources") as raised:
        resource_location.resources_dir()
    assert str(package / "resources") in str(raised.value)
    assert str(tmp_path / "site-packages" / "resources") in str(raised.value)


def test_the_module_does_not_import_qt():
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, burrdesk.model.resource_location as r; r.examples_dir(); "
            "print(sorted(m for m in sys.modules if m.startswith('PySide6')))",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert loaded.stdout.strip() == "[]"
