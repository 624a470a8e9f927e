"""Computes insights off the GUI thread: a whole project can mean tens of thousands of steps.

One job runs at a time on a pool of its own, with its own read-only connection (the timeline's
connection stays free for the window). A new request cancels the one before it at its next
page, and a stale answer is dropped by its request number; answers arrive as queued signals.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from burrdesk.model.run_database import RunDatabaseError
from burrdesk.model.run_database_opener import open_run_database
from burrdesk.model.run_insights import InsightsCancelled, project_insights, run_insights


@dataclass(frozen=True)
class InsightsRequest:
    """What to add up: one run, or the whole project of that run."""

    db_path: Path | str
    run_id: int
    project: str
    scope: str  # "run" or "project"


class _Signals(QObject):
    computed = Signal(int, object)
    failed = Signal(int, str)


class _Job(QRunnable):
    def __init__(
        self, number: int, request: InsightsRequest, stop: threading.Event, signals: _Signals
    ) -> None:
        super().__init__()
        self.number, self.request, self.stop, self.signals = number, request, stop, signals

    def run(self) -> None:
        request = self.request
        try:
            with open_run_database(request.db_path, read_only=True) as database:
                if request.scope == "project":
                    insights = project_insights(
                        database, request.project, should_stop=self.stop.is_set
                    )
                else:
                    insights = run_insights(database, request.run_id, should_stop=self.stop.is_set)
        except InsightsCancelled:
            return
        except RunDatabaseError as error:
            self.signals.failed.emit(self.number, str(error))
            return
        except Exception as error:  # noqa: BLE001 - the window must hear of any failure
            self.signals.failed.emit(self.number, f"Insights could not be computed: {error}.")
            return
        if not self.stop.is_set():
            self.signals.computed.emit(self.number, insights)


class InsightsComputer(QObject):
    """`compute` starts a job; `computed(insights)` or `failed(message)` answers the latest."""

    computed = Signal(object)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._signals = _Signals(self)
        self._signals.computed.connect(self._computed)
        self._signals.failed.connect(self._failed)
        self._number = 0
        self._stop = threading.Event()
        self.busy = False

    def compute(self, request: InsightsRequest) -> None:
        self._stop.set()
        self.pool.clear()
        self._number += 1
        self._stop = threading.Event()
        self.busy = True
        self.pool.start(_Job(self._number, request, self._stop, self._signals))

    def cancel(self) -> None:
        self._stop.set()
        self.pool.clear()
        self.busy = False

    def shut_down(self, timeout_ms: int = 5000) -> bool:
        """Stops the job at its next page and waits for it; False if it did not return."""
        self.cancel()
        return self.pool.waitForDone(timeout_ms)

    def _computed(self, number: int, insights: object) -> None:
        if number == self._number:
            self.busy = False
            self.computed.emit(insights)

    def _failed(self, number: int, message: str) -> None:
        if number == self._number:
            self.busy = False
            self.failed.emit(message)
