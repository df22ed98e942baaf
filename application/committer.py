"""Group commit: concurrent commands share one transaction.

The library's save takes the event table's lock and commits once per call, which caps the
service at about a thousand commands a second however many threads call it. Here each
command hands its stored events and receipt to one writer thread, which commits everything
that queued up while the previous transaction was in flight, in one transaction. When such a
batch fails (a version conflict or a repeated command id in one unit), each unit is written
again on its own, so only the unit at fault fails, and it fails as it would have alone.

Each command waits for its unit until its deadline. A unit still queued then is withdrawn
(nothing was sent: UNAVAILABLE); one already in a transaction may yet commit (OUTCOME_UNKNOWN).
While the database is away the writer tries a batch again until the latest of its units'
deadlines, and does not split it: that failure is no unit's fault.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from eventsourcing.persistence import StoredEvent

from application.deadline import TRANSIENT
from application.errors import (
    DatabaseUnavailableError,
    OutcomeUnknownError,
    ServiceUnavailableError,
)
from application.recorders import Receipt, ReceiptRecorder

log = logging.getLogger(__name__)

MAX_BATCH = 256
QUEUED, SENT, WITHDRAWN = "queued", "sent", "withdrawn"


@dataclass
class Unit:
    stored: Sequence[StoredEvent]
    receipt: Receipt
    deadline: float = float("inf")  # monotonic
    state: str = QUEUED
    done: threading.Event = field(default_factory=threading.Event)
    positions: list[int] = field(default_factory=list)
    error: BaseException | None = None


@dataclass
class CommitStats:
    transactions: int = 0
    units: int = 0


class GroupCommitter:
    def __init__(self, recorder: ReceiptRecorder, max_batch: int = MAX_BATCH) -> None:
        self.recorder = recorder
        self.max_batch = max_batch
        self.stats = CommitStats()
        self._queue: queue.SimpleQueue[Unit | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def commit(
        self, stored: Sequence[StoredEvent], receipt: Receipt, deadline: float = float("inf")
    ) -> list[int]:
        """Writes one command's events and receipt; returns their log positions."""
        self._ensure_started()
        unit = Unit(stored, receipt, deadline)
        self._queue.put(unit)
        if not unit.done.wait(None if deadline == float("inf") else deadline - time.monotonic()):
            self._give_up(unit)
        if unit.error is not None:
            raise unit.error
        return unit.positions

    def _give_up(self, unit: Unit) -> None:
        with self._lock:
            if unit.done.is_set():
                return  # answered just in time
            if unit.state == QUEUED:
                unit.state = WITHDRAWN
                raise DatabaseUnavailableError("the commit queue did not reach this command")
        raise OutcomeUnknownError()

    def _take(self, unit: Unit) -> bool:
        """Marks the unit sent, unless its command withdrew it."""
        with self._lock:
            if unit.state == WITHDRAWN:
                return False
            unit.state = SENT
            return True

    def close(self) -> None:
        with self._lock:
            if self._thread is not None:
                self._queue.put(None)
                self._thread.join(timeout=10)
                self._thread = None

    def _ensure_started(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True, name="group-commit")
                self._thread.start()

    def _run(self) -> None:
        while (first := self._queue.get()) is not None:
            batch = [first] if self._take(first) else []
            while len(batch) < self.max_batch:
                try:
                    unit = self._queue.get_nowait()
                except queue.Empty:
                    break
                if unit is None:
                    self._queue.put(None)
                    break
                if self._take(unit):
                    batch.append(unit)
            if batch:
                self._write(batch)

    def _write(self, batch: list[Unit]) -> None:
        try:
            positions = self.recorder.insert_events(
                [s for unit in batch for s in unit.stored],
                receipts=[u.receipt for u in batch],
                deadline=max(u.deadline for u in batch),
            )
        except BaseException as error:  # handed to the waiting command, never swallowed
            if len(batch) > 1 and not isinstance(error, (ServiceUnavailableError, *TRANSIENT)):
                for unit in batch:
                    self._write([unit])
                return
            for unit in batch:
                unit.error = _copy(error)
                unit.done.set()
            return
        self.stats.transactions += 1
        self.stats.units += len(batch)
        offset = 0
        for unit in batch:
            unit.positions = list(positions or [])[offset : offset + len(unit.stored)]
            offset += len(unit.stored)
            unit.done.set()


def _copy(error: BaseException) -> BaseException:
    """An error of its own for each waiting command (each raises it in its own thread)."""
    if isinstance(error, OutcomeUnknownError):
        return OutcomeUnknownError()
    if isinstance(error, DatabaseUnavailableError):
        return DatabaseUnavailableError(error.detail)
    return error
