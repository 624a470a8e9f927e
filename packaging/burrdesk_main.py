"""Entry point of the desktop build: the same `main` as the `burrdesk` console script.

PyInstaller needs a script to freeze; `burrdesk.spec` points at this file. Subcommands
(`burrdesk run FLOW`, `burrdesk inspect RUNS.db`, ...) work in the bundle too.
"""

import sys

from burrdesk.cli import main

if __name__ == "__main__":
    sys.exit(main())
