"""Keeps projections current: catch up in batches, then follow the log as it grows."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from application.app import CareLedger
from projections.engine import tracking
from projections.engine.projection import Projection
from projections.engine.rebuild import rebuild
from projections.engine.runner import TRANSIENT, Runner
from projections.engine.store import ViewStore
from projections.engine.wakeup import wakeup_for

log = logging.getLogger(__name__)

MAX_BACKOFF = 5.0
DEFER_EMPTY_S = 0.05  # how long a follower may leave unrecorded that new events held nothing


class Follower:
    """One projection, on a thread of its own: a slow view never holds up the others."""

    def __init__(
        self,
        app: CareLedger,
        store: ViewStore,
        projection: Projection,
        *,
        batch_size: int = 1000,
        poll_interval: float = 0.05,
    ) -> None:
        self.app = app
        self.store = store
        self.projection = projection
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.thread: threading.Thread | None = None

    def run(self, stop: threading.Event) -> None:
        wakeup = wakeup_for(self.app.recorder, self.store, self.poll_interval)
        runner: Runner | None = None
        backoff = 0.1
        try:
            while not stop.is_set():
                try:
                    runner = runner or self._runner()
                    result = runner.run_batch()
                    backoff = 0.1
                except TRANSIENT as error:
                    # The database is away (restart, failover): wait and carry on where we were.
                    log.warning(
                        "%s: database unavailable (%s); retrying in %.1fs",
                        self.projection.name,
                        error,
                        backoff,
                    )
                    stop.wait(backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF)
                    continue
                if result.caught_up:
                    # With a skip not yet recorded, come back in time to record it.
                    wakeup.wait(stop, timeout=DEFER_EMPTY_S if runner.has_skipped else 1.0)
        finally:
            wakeup.close()

    def _runner(self) -> Runner:
        with self.store.transaction() as tx:
            stale = tracking.outdated(tx, self.projection)
        if stale:
            # Built by an older version of the view: build it again, as `project rebuild`
            # would, before following it (the new code cannot feed the old tables).
            log.warning("%s: the stored view predates its code; rebuilding", self.projection.name)
            rebuild(self.app, self.store, self.projection)
        return Runner(
            self.app,
            self.store,
            self.projection,
            batch_size=self.batch_size,
            defer_empty_s=DEFER_EMPTY_S,
        )

    def start(self, stop: threading.Event) -> threading.Thread:
        self.thread = threading.Thread(
            target=self.run, args=(stop,), daemon=True, name=f"projection-{self.projection.name}"
        )
        self.thread.start()
        return self.thread


class Followers:
    """Runs several projections in this process until stopped."""

    def __init__(
        self,
        app: CareLedger,
        store: ViewStore,
        projections: Sequence[Projection],
        *,
        batch_size: int = 1000,
        poll_interval: float = 0.05,
    ) -> None:
        self.stop_event = threading.Event()
        self.followers = [
            Follower(app, store, p, batch_size=batch_size, poll_interval=poll_interval)
            for p in projections
        ]

    def start(self) -> Followers:
        for follower in self.followers:
            follower.start(self.stop_event)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_event.set()
        for follower in self.followers:
            if follower.thread is not None:
                follower.thread.join(timeout)
