"""Burr's `burr.tracking.client.LocalTrackingClient`, recording into a run database.

A Burr program that tracks with `LocalTrackingClient(project=...)` keeps doing so after its
import changes to `burrdesk.engine.tracking`: its runs land in burrdesk's default run database
(or the file `db_path=` names), where the desktop app shows them.
"""

from __future__ import annotations

import os
from typing import Any

from burrdesk.engine.tracking.run_database_tracker import RunDatabaseTracker


class LocalTrackingClient(RunDatabaseTracker):
    """`LocalTrackingClient(project, storage_dir=..., ...)` as in Burr.

    `storage_dir` is where Burr writes its folders of JSON logs; burrdesk records into a run
    database instead (the default one, or `db_path`), so it is accepted and not used, and
    nothing is written into a Burr folder. Burr's other options are accepted the same way.
    """

    def __init__(
        self,
        project: str,
        storage_dir: str | os.PathLike[str] | None = None,
        *,
        db_path: str | os.PathLike[str] | None = None,
        **_burr_options: Any,
    ):
        super().__init__(db_path, project=project)
