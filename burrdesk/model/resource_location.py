"""Where the app's resources (icons, themes, example flows) are, however burrdesk was installed.

Three layouts are supported, tried in this order:

1. a PyInstaller bundle: the spec copies `resources/` into the bundle's data folder, which the
   bootloader publishes as `sys._MEIPASS` (and sets `sys.frozen`);
2. a source checkout (also `pip install -e .`): `resources/` sits beside the `burrdesk` package;
3. an installed package that ships its resources inside it: `burrdesk/resources/`.

A folder counts only when it holds both `themes/` and `icons/`, so an unrelated top-level
`resources` folder in site-packages is never mistaken for ours. No Qt here: the CLI, the build
spec and the tests use this module without starting Qt.
"""

from __future__ import annotations

import sys
from pathlib import Path

_MARKERS = ("themes", "icons")


def candidate_dirs() -> list[Path]:
    """The folders that may hold the resources, most specific first."""
    candidates = []
    bundle = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and bundle:
        candidates.append(Path(bundle) / "resources")
    package = Path(__file__).resolve().parents[1]  # the burrdesk package; this file is in model/
    candidates.append(package.parent / "resources")
    candidates.append(package / "resources")
    return candidates


def _holds_resources(folder: Path) -> bool:
    return all((folder / marker).is_dir() for marker in _MARKERS)


def resources_dir() -> Path:
    """The resources folder; FileNotFoundError naming the places looked in when there is none."""
    candidates = candidate_dirs()
    for folder in candidates:
        if _holds_resources(folder):
            return folder
    looked = ", ".join(str(folder) for folder in candidates)
    raise FileNotFoundError(
        f"burrdesk cannot find its resources (icons and themes); looked in {looked}. "
        "Install it from a source checkout with `pip install -e .`, or use the desktop build."
    )


def examples_dir() -> Path:
    """The folder of example flows (`*.burrflow`) the palette lists."""
    return resources_dir() / "examples"


def example_flows() -> list[Path]:
    """The example flow files, by name: what the palette and the welcome page offer."""
    return sorted(examples_dir().glob("*.burrflow"))
