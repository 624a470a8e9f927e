"""Recording runs: the run-database tracker, and Burr's `LocalTrackingClient` name for it."""

from burrdesk.engine.tracking.client import LocalTrackingClient
from burrdesk.engine.tracking.run_database_tracker import RunDatabaseTracker

__all__ = ["LocalTrackingClient", "RunDatabaseTracker"]
