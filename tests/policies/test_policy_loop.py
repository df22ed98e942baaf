from __future__ import annotations

import threading
from datetime import datetime, timedelta

from application.app import CareLedger
from policies.loop import PolicyLoop
from projections.engine.store import ViewStore
from tests.application.builders import customer, order
from tests.policies.history import History, names
from tests.support import T0, meta


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_one_run_sweeps_complaints_and_watches_orders(app: CareLedger, views: ViewStore) -> None:
    # given a complaint received at 09:00 (first response due 09:02) and an order confirmed
    # at 09:01 promised for 09:40
    customer_id = customer(app)
    cid = app.file_complaint(
        meta(T0), customer_id=customer_id, order_id=None, content="late again", channel="app"
    ).aggregate_id
    order_id = order(app, customer_id)
    app.confirm_order(meta(T0 + timedelta(minutes=1)), order_id)
    complaint, promise = History(app, cid), History(app, order_id)
    clock = FakeClock(T0 + timedelta(seconds=95.5))
    loop = PolicyLoop(app, views, clock)
    # when run at 09:01:35.5, nothing is due; it would sleep until the warning, 0.5 s away
    assert loop.run_once() == 0
    assert loop.sleep_s(0, max_sleep=1.0) == 0.5
    # when run at 09:01:36, then the warning; the breach is 24 s away: it sleeps max_sleep
    clock.now = T0 + timedelta(seconds=96)
    assert loop.run_once() == 1
    assert names(complaint.new()) == ["SlaWarning"]
    assert loop.run_once() == 0
    assert loop.sleep_s(0, max_sleep=1.0) == 1.0
    # when run at 09:41, then the breach (1 check) and the lateness (2 commands) are recorded
    clock.now = T0 + timedelta(minutes=41)
    assert loop.run_once() == 3
    assert names(complaint.new()) == ["SlaBreached", "ComplaintEscalated"]
    assert names(promise.new()) == ["OrderLate", "DelayNoticeSent"]
    assert loop.run_once() == 0
    # and with commands issued it runs again at once (more may be due than a page held)
    assert loop.sleep_s(3, max_sleep=1.0) == 0.0


def test_run_acts_until_stopped(app: CareLedger, views: ViewStore) -> None:
    # given a complaint whose first response is overdue, and a clock that stops the loop
    cid = app.file_complaint(
        meta(T0), customer_id=customer(app), order_id=None, content="late again", channel="app"
    ).aggregate_id
    stop = threading.Event()

    def clock() -> datetime:
        stop.set()
        return T0 + timedelta(minutes=5)

    # when the loop runs, then it records the breach before it stops
    PolicyLoop(app, views, clock).run(stop, max_sleep=0.0)
    assert "SlaBreached" in names(History(app, cid).all())
