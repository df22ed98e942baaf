"""Runs the process policies: sweeps and watches, then sleeps until the next thing falls due."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from application.app import CareLedger
from policies.cluster_detector import ClusterDetector
from policies.delay_watchdog import DelayWatchdog
from policies.sla_sweeper import SlaSweeper
from projections.engine.runner import TRANSIENT
from projections.engine.store import ViewStore
from projections.views.complaint_clusters import ComplaintClustersProjection
from projections.views.promise_watch import PromiseWatchProjection
from projections.views.sla_schedule import SlaScheduleProjection

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


class PolicyLoop:
    # The views the loop's own runners keep current: in one process nothing else follows them.
    views = (
        SlaScheduleProjection.name,
        PromiseWatchProjection.name,
        ComplaintClustersProjection.name,
    )

    def __init__(
        self, app: CareLedger, store: ViewStore, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.clock = clock
        self.sweeper = SlaSweeper(app, store)
        self.watchdog = DelayWatchdog(app, store)
        self.detector = ClusterDetector(app, store)

    def run_once(self) -> int:
        """Catches the views up and acts on what is due now; the commands issued."""
        now = self.clock()
        return self.sweeper.sweep(now) + self.watchdog.watch(now) + self.detector.detect(now)

    def next_wake(self) -> datetime | None:
        times = [t for t in (self.sweeper.next_wake(), self.watchdog.next_wake()) if t is not None]
        return min(times, default=None)

    def run(self, stop: threading.Event, max_sleep: float = 1.0) -> None:
        """Until `stop` is set. Sleeps until the next due time, but at most `max_sleep`, so
        events recorded meanwhile (a new complaint, a moved ETA) are seen within it."""
        while not stop.is_set():
            try:
                issued = self.run_once()
            except TRANSIENT:
                log.warning("policy loop: the database failed; retrying", exc_info=True)
                stop.wait(max_sleep)
                continue
            stop.wait(self.sleep_s(issued, max_sleep))

    def sleep_s(self, issued: int, max_sleep: float) -> float:
        if issued:
            return 0.0  # more may be due than one page held
        wake = self.next_wake()
        if wake is None:
            return max_sleep
        wait = (wake - self.clock()).total_seconds()
        # due already and nothing issued: a refused or no-op check; do not spin on it
        return max_sleep if wait <= 0 else min(wait, max_sleep)
