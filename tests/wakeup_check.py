"""A check both the pooler and the multi-host tests make: the LISTEN wake-up of a follower is
woken by a commit's NOTIFY, not by its timeout."""

from __future__ import annotations

import threading
import time

from application.app import CareLedger
from projections.engine.store import ViewStore
from projections.engine.wakeup import ListenWakeup, wakeup_for
from tests.application.builders import customer


def seconds_to_wake(app: CareLedger, store: ViewStore) -> float:
    """How long a LISTEN wake-up waits when a customer is registered 0.2 s into its wait."""
    wakeup = wakeup_for(app.recorder, store, 0.1)
    assert isinstance(wakeup, ListenWakeup)
    try:
        stop = threading.Event()
        wakeup.wait(stop, 0.01)  # LISTEN in place
        commit = threading.Timer(0.2, lambda: customer(app))
        commit.start()
        started = time.monotonic()
        wakeup.wait(stop, 10.0)
        waited = time.monotonic() - started
        commit.join()
    finally:
        wakeup.close()
    return waited
