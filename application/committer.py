"""Group commit: concurrent commands share one transaction.

The library's save takes the event table's lock and commits once per call, which caps the
service at about a thousand commands a second however many threads call it. Here each
command hands its stored events and receipt to one writer thread, which commits everything
that queued up while the previous transaction was in flight, in one transaction. When such a
batch fails (a version conflict or a repeated command id in one unit), each unit is written
again on its own, so only the unit at fault fails, and it fails as it would have alone.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from eventsourcing.persistence import StoredEvent

from application.recorders import Receipt, ReceiptRecorder

log = logging.getLogger(__name__)

MAX_BATCH = 256


@dataclass
class Unit:
    stored: Sequence[StoredEvent]
    receipt: Receipt
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

    def commit(self, stored: Sequence[StoredEvent], receipt: Receipt) -> list[int]:
        """Writes one command's events and receipt; returns their log positions."""
        self._ensure_started()
        unit = Unit(stored, receipt)
        self._queue.put(unit)
        unit.done.wait()
        if unit.error is not None:
            raise unit.error
        return unit.positions

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
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    unit = self._queue.get_nowait()
                except queue.Empty:
                    break
                if unit is None:
                    self._queue.put(None)
                    break
                batch.append(unit)
            self._write(batch)

    def _write(self, batch: list[Unit]) -> None:
        try:
            positions = self.recorder.insert_events(
                [s for unit in batch for s in unit.stored], receipts=[u.receipt for u in batch]
            )
        except BaseException as error:  # handed to the waiting command, never swallowed
            if len(batch) > 1:
                for unit in batch:
                    self._write([unit])
                return
            batch[0].error = error
            batch[0].done.set()
            return
        self.stats.transactions += 1
        self.stats.units += len(batch)
        offset = 0
        for unit in batch:
            unit.positions = list(positions or [])[offset : offset + len(unit.stored)]
            offset += len(unit.stored)
            unit.done.set()
