"""burrdesk: design, run and rewind Burr-style state-machine applications.

`import burrdesk` is cheap and never imports Qt: the engine API is re-exported lazily, so
`burrdesk.ApplicationBuilder` works without importing the desktop app.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    engine = importlib.import_module("burrdesk.engine")
    if name in engine.__all__:
        return getattr(engine, name)
    raise AttributeError(f"module 'burrdesk' has no attribute {name!r}")


def __dir__() -> list[str]:
    engine = importlib.import_module("burrdesk.engine")
    return sorted([*globals(), *engine.__all__])
