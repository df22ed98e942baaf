"""The delay watchdog: an order past its promise is recorded late and its customer told; an
order whose ETA moved past its promise gets a detected delay and a notice.

It reads the promise watch view (caught up first). Command ids are derived from the order and
what is recorded, so a repeat after a restart is recognised by the application's receipts. A
refusal because a person (or the order itself) got there first is expected and skipped.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from application.app import CareLedger
from application.handling import Outcome
from domain.errors import TransitionRefusedError
from domain.meta import Meta
from domain.order import DELAY_MAX_MIN
from domain.order_types import OrderAlreadyLateError, OrderNotDelayedError, OrderNotLateError
from policies.system import Issued, system_meta
from projections.engine.runner import Runner
from projections.engine.store import ViewStore
from projections.views.promise_watch import (
    PromiseWatchProjection,
    WatchedOrder,
    eta_beyond_promise,
    next_promise_due,
    overdue_orders,
)

log = logging.getLogger(__name__)

ACTOR = "delay-watchdog"
NOTICE_VIA = "app"
# the order was delivered, cancelled, already recorded late or on time again since the view read
EXPECTED = (TransitionRefusedError, OrderAlreadyLateError, OrderNotLateError, OrderNotDelayedError)


def expected_late_min(order: WatchedOrder) -> int:
    """Whole minutes from the promise to the ETA, rounded up, within what the order accepts."""
    assert order.eta is not None
    late_s = (order.eta - order.promise_due).total_seconds()
    return min(DELAY_MAX_MIN, max(1, math.ceil(late_s / 60)))


def late_attribution(order: WatchedOrder) -> str:
    return "courier" if order.picked_up else "merchant"


class DelayWatchdog:
    def __init__(self, app: CareLedger, store: ViewStore, *, page: int = 500) -> None:
        self.app = app
        self.store = store
        self.page = page
        self.runner = Runner(app, store, PromiseWatchProjection())
        self.issued = Issued()

    def watch(self, now: datetime) -> int:
        """Acts on every overdue or visibly delayed order at `now`; the commands issued."""
        self.runner.catch_up()
        issued = sum(
            self._overdue(order, now) for order in overdue_orders(self.store, now, self.page)
        )
        for order in eta_beyond_promise(self.store, self.page):
            if order.promise_due >= now:  # past its promise, it is the overdue path's
                issued += self._delayed(order, now)
        return issued

    def next_wake(self) -> datetime | None:
        """When the next promise falls due (or one already passed still needs its late record
        or notice)."""
        self.runner.catch_up()
        return next_promise_due(self.store)

    def _overdue(self, order: WatchedOrder, now: datetime) -> int:
        issued = 0
        if not order.late:
            to = late_attribution(order)
            issued += self._issue(
                f"late:{order.order_id}:{to}",
                now,
                "promise_missed",
                lambda meta: self.app.record_order_late(meta, order.order_id, to),
            )
        if not order.notice_sent:
            issued += self._notify(order.order_id, now, "promise_missed")
        return issued

    def _delayed(self, order: WatchedOrder, now: datetime) -> int:
        issued = 0
        if not order.delay_detected:
            minutes = expected_late_min(order)
            issued += self._issue(
                f"delay:{order.order_id}:{minutes}",
                now,
                "eta_beyond_promise",
                lambda meta: self.app.detect_delay(meta, order.order_id, minutes),
            )
        if not order.notice_sent:
            issued += self._notify(order.order_id, now, "eta_beyond_promise")
        return issued

    def _notify(self, order_id: UUID, now: datetime, reason: str) -> int:
        # one notice per order from the watchdog, whichever path sends it
        return self._issue(
            f"notice:{order_id}",
            now,
            reason,
            lambda meta: self.app.send_delay_notice(meta, order_id, via=NOTICE_VIA),
        )

    def _issue(
        self, key: str, now: datetime, reason: str, command: Callable[[Meta], Outcome]
    ) -> int:
        command_id = f"{ACTOR}:{key}"
        if command_id in self.issued:
            return 0
        try:
            outcome = command(system_meta(ACTOR, command_id, now, reason))
        except EXPECTED as refused:
            log.info("%s: %s refused: %s", ACTOR, command_id, refused)
            return 0
        self.issued.add(command_id)
        return 0 if outcome.replayed else 1
