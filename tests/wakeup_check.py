"""Checks both the pooler and the multi-host tests make: the LISTEN wake-up of a follower is
woken by a commit's NOTIFY, not by its timeout; an API process's wake-ups hear a view's move."""

from __future__ import annotations

import asyncio
import threading
import time

from api.graphql.wakeups import Wakeups
from application.app import CareLedger
from projections.engine.runner import Runner
from projections.engine.store import ViewStore
from projections.engine.wakeup import ListenWakeup, wakeup_for
from projections.views.order_index import OrderIndexProjection
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


def heard_move(app: CareLedger, listening: ViewStore, moving: ViewStore) -> set[str]:
    """Which views an API process's wake-ups, over `listening`, heard moving when a runner on
    `moving` (another store: its moves reach the first only by NOTIFY) catches up order_index."""
    runner = Runner(app, moving, OrderIndexProjection())
    head = app.recorder.max_notification_id() or 0

    async def listen() -> set[str]:
        wakeups = Wakeups(listening, "events", listen=True)
        try:
            deadline = time.monotonic() + 10.0
            while not wakeups.listening:
                assert time.monotonic() < deadline, "no LISTEN"
                await asyncio.sleep(0.01)
            with wakeups.waiter([OrderIndexProjection.name], head) as waiter:
                await asyncio.to_thread(runner.catch_up)
                await asyncio.wait_for(waiter.sleep(10.0), 5.0)
                return waiter.heard
        finally:
            await wakeups.stop()

    return asyncio.run(listen())
