"""Entry point of the desktop build: the same `main` as the `burrdesk` console script.

PyInstaller needs a script to freeze; `burrdesk.spec` points at this file. Subcommands
(`burrdesk run FLOW`, `burrdesk inspect RUNS.db`, ...) work in the bundle too.

In the bundle PySide6's support code is loaded before this script runs, and its import hook
asks every newly imported module whether it has a `__wrapped__` attribute. For
`pydantic.errors`, imported half-way through `pydantic._internal._validators`, the answer runs
pydantic's migration lookup, which needs `_validators` finished: importing `pydantic.errors`
first, on its own, lets both complete in an order that works.
"""

import sys

import pydantic.errors  # noqa: F401 - see the docstring

from burrdesk.cli import main

if __name__ == "__main__":
    sys.exit(main())
