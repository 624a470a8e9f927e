"""Keeps a Burr tracker folder's cache current on a thread of its own.

The mirror (`burr_trace_mirror.py`) reads logs and writes the cache database; doing that on the
GUI thread would stall the window for every large log. The worker polls the folder, reads in
pieces (a huge log never holds the thread for long), and reports each piece through a queued
signal; the timeline reads the cache like any run database another process writes.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from burrdesk.model.burr_trace_mirror import BurrTraceMirror, SyncReport

POLL_MS = 500
"""How often a folder is looked at once everything in it has been read."""


class _FolderWorker(QObject):
    synced = Signal(object)

    def __init__(self, mirror: BurrTraceMirror, poll_ms: int) -> None:
        super().__init__()
        self.mirror = mirror
        self.poll_ms = poll_ms
        self._prefer: int | None = None
        self._timer: QTimer | None = None

    @Slot()
    def start(self) -> None:
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._sync)
        self._sync()

    @Slot(int)
    def prefer(self, run_id: int) -> None:
        self._prefer = run_id
        if self._timer is not None:
            self._timer.start(0)

    @Slot()
    def stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.mirror.close()

    def _sync(self) -> None:
        try:
            report = self.mirror.sync(prefer=self._prefer)
        except Exception as error:  # noqa: BLE001 - a bad folder must not end the thread quietly
            report = SyncReport(notes=[f"Reading {self.mirror.folder} failed: {error}"])
        self.synced.emit(report)
        if self._timer is not None:
            self._timer.start(0 if report.more else self.poll_ms)


class BurrFolderFollower(QObject):
    """Follows one folder until `close`; `synced` carries each `SyncReport`."""

    synced = Signal(object)
    _preferRequested = Signal(int)
    _stopRequested = Signal()

    def __init__(
        self, mirror: BurrTraceMirror, parent: QObject | None = None, poll_ms: int = POLL_MS
    ) -> None:
        super().__init__(parent)
        self.mirror = mirror
        self.thread = QThread()
        self.thread.setObjectName("burrdesk-burr-folder")
        self.worker = _FolderWorker(mirror, poll_ms)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.start)
        self.worker.synced.connect(self.synced)
        self._preferRequested.connect(self.worker.prefer)
        self._stopRequested.connect(self.worker.stop)
        self.thread.start()

    @property
    def cache_path(self) -> str:
        return str(self.mirror.cache_path)

    def prefer(self, run_id: int) -> None:
        """Reads this run's app before the others (the person is looking at it)."""
        self._preferRequested.emit(run_id)

    def close(self, timeout_ms: int = 5000) -> bool:
        """Stops polling, closes the cache, ends the thread; False if it did not return."""
        self._stopRequested.emit()
        self.thread.quit()
        return self.thread.wait(timeout_ms)
