"""Writer processes for the log race test: each opens its own CareLedger on the same database
and commits events from several threads, some through the recorder as the service does,
some holding their transaction open a while after claiming their ids (so that commits land
out of id order as often as possible)."""

from __future__ import annotations

import os
import random
import threading
from uuid import uuid4

from eventsourcing.persistence import StoredEvent

from application import recorders
from application.app import CareLedger
from application.recorders import PostgresReceiptRecorder, Receipt
from application.settings import Settings

TOPIC = "tests.Raced"
THREADS = 3


def write(settings: Settings, seed: int, transactions: int, slow: bool) -> None:
    """Commits `transactions` transactions of 1 to 4 events from each of THREADS threads."""
    app = CareLedger(settings)
    try:
        recorder = app.recorder
        assert isinstance(recorder, PostgresReceiptRecorder)
        threads = [
            threading.Thread(target=_commits, args=(recorder, seed * 100 + i, transactions, slow))
            for i in range(THREADS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        app.close()


def events_written(transactions: int, seed: int) -> int:
    """How many events `write` with this seed commits (the same random draws)."""
    return sum(sum(_sizes(random.Random(seed * 100 + i), transactions)) for i in range(THREADS))


def _sizes(rnd: random.Random, transactions: int) -> list[int]:
    return [rnd.randint(1, 4) for _ in range(transactions)]


def _commits(recorder: PostgresReceiptRecorder, seed: int, transactions: int, slow: bool) -> None:
    rnd = random.Random(seed)
    for size in _sizes(rnd, transactions):
        first = uuid4()
        stored = [StoredEvent(first, 1, TOPIC, os.urandom(24))]
        stored += [StoredEvent(uuid4(), 1, TOPIC, os.urandom(24)) for _ in range(size - 1)]
        if slow:
            _slow_commit(recorder, stored, rnd.uniform(0, 0.01))
        else:
            receipt = Receipt(uuid4().hex, "race", "f", first, 1)
            recorder.insert_events(stored, receipts=[receipt])


def _slow_commit(
    recorder: PostgresReceiptRecorder, stored: list[StoredEvent], hold_s: float
) -> None:
    with recorder.datastore.get_connection() as conn, conn.transaction():
        conn.execute(recorder.log_order.claim, (len(stored),))
        conn.execute(recorder.log_order.insert, recorders._columns(stored))
        conn.execute("SELECT pg_sleep(%s)", (hold_s,))
