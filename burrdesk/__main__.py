"""`python -m burrdesk` is the `burrdesk` command."""

import sys

from burrdesk.cli import main

sys.exit(main())
