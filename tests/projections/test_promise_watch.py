from __future__ import annotations

from uuid import UUID

import pytest

from application.app import CareLedger
from projections.engine import reading
from projections.engine.store import ViewStore
from projections.views.promise_watch import (
    PromiseWatchProjection,
    WatchedOrder,
    eta_beyond_promise,
    next_promise_due,
    overdue_orders,
)
from tests.application.builders import customer, order
from tests.projections.batch_invariance import live_and_rebuilt
from tests.projections.catch_up import Project
from tests.support import meta
from tests.unit.complaint_builders import at


def picked_up(app: CareLedger, order_id: UUID) -> None:
    """Confirmed at 09:01, prepared, packed, and picked up at 09:20."""
    app.confirm_order(meta(at("09:01")), order_id)
    app.start_preparation(meta(at("09:05")), order_id)
    app.pack_order(meta(at("09:15")), order_id)
    app.assign_courier(meta(at("09:16")), order_id, "rider-9", "fleet")
    app.pick_up_order(meta(at("09:20")), order_id)


def ids(orders: list[WatchedOrder]) -> list[UUID]:
    return [o.order_id for o in orders]


def test_the_watch_holds_each_open_order_against_its_promise(
    app: CareLedger,
    views: ViewStore,
    project: Project,
) -> None:
    view = PromiseWatchProjection()

    def step() -> None:  # the live view, one event per batch
        project(view, batch_size=1)

    # given seven orders received at 09:00, each promised for 09:40
    customer_id = customer(app)
    waiting, riding, rejected, unconfirmed, delivered, cancelled, back_on_time = (
        order(app, customer_id) for _ in range(7)
    )
    # and: one confirmed at 09:01 and left waiting; one picked up at 09:20 whose ETA moves to
    # 09:47:30; one rejected; one never confirmed; one delivered at 09:30; one cancelled;
    # one whose ETA moves to 09:50 and back to 09:35
    app.confirm_order(meta(at("09:01")), waiting)
    picked_up(app, riding)
    app.update_eta(meta(at("09:21")), riding, at("09:47:30"))
    app.reject_order(meta(at("09:02")), rejected, "closed kitchen")
    picked_up(app, delivered)
    app.deliver_order(meta(at("09:30")), delivered)
    app.confirm_order(meta(at("09:01")), cancelled)
    app.cancel_order(meta(at("09:10")), cancelled, "changed my mind", "customer")
    picked_up(app, back_on_time)
    app.update_eta(meta(at("09:21")), back_on_time, at("09:50"))
    app.update_eta(meta(at("09:25")), back_on_time, at("09:35"))
    step()
    # then the promise is overdue only after 09:40, for the three confirmed open orders
    assert next_promise_due(views) == at("09:40")
    assert overdue_orders(views, at("09:40")) == []
    overdue = overdue_orders(views, at("09:40:01"))
    assert sorted(ids(overdue), key=str) == sorted([waiting, riding, back_on_time], key=str)
    # and only the ridden order's ETA is beyond its promise, by 7.5 min
    assert eta_beyond_promise(views) == [
        WatchedOrder(
            riding,
            at("09:40"),
            picked_up=True,
            delay_detected=False,
            late=False,
            notice_sent=False,
            eta=at("09:47:30"),
        )
    ]
    # when its delay is detected, it waits for its notice; once notified it leaves that list
    app.detect_delay(meta(at("09:22")), riding, 8)
    step()
    assert ids(eta_beyond_promise(views)) == [riding]
    app.send_delay_notice(meta(at("09:23")), riding, "app")
    step()
    assert eta_beyond_promise(views) == []
    # when it is recorded late (already notified) it is no longer overdue
    app.record_order_late(meta(at("09:41")), riding, "courier")
    step()
    assert riding not in ids(overdue_orders(views, at("09:42")))
    # and the waiting order, recorded late, stays overdue until its customer is told
    app.record_order_late(meta(at("09:42")), waiting, "merchant")
    step()
    [still] = [o for o in overdue_orders(views, at("09:43")) if o.order_id == waiting]
    assert (still.late, still.notice_sent, still.picked_up) == (True, False, False)
    app.send_delay_notice(meta(at("09:43")), waiting, "sms")
    app.deliver_order(meta(at("09:44")), back_on_time)
    step()
    # then nothing is left to act on: the unconfirmed order has no promise running, the two
    # late ones are recorded late and notified (they stay in the view until delivered)
    assert overdue_orders(views, at("23:00")) == []
    assert next_promise_due(views) is None
    # and a rebuild in batches of 1000 (ids loaded 2 at a time) gives the same tables
    live, rebuilt = live_and_rebuilt(app, views, view)
    assert live == rebuilt
    assert [row[0] for row in live["orders"]] == sorted(map(str, [unconfirmed, waiting, riding]))


def test_events_after_delivery_do_not_bring_an_order_back(
    app: CareLedger,
    views: ViewStore,
    project: Project,
) -> None:
    # given an order delivered late at 09:45
    order_id = order(app, customer(app))
    picked_up(app, order_id)
    app.deliver_order(meta(at("09:45")), order_id)
    # when it is recorded late and notified after its delivery
    app.record_order_late(meta(at("09:50")), order_id, "courier")
    app.send_delay_notice(meta(at("09:51")), order_id, "app")
    project(PromiseWatchProjection())
    # then it is not watched
    assert overdue_orders(views, at("10:00")) == []
    assert next_promise_due(views) is None


def test_a_page_is_bounded(views: ViewStore, project: Project) -> None:
    project(PromiseWatchProjection())
    with pytest.raises(ValueError):
        overdue_orders(views, at("09:00"), limit=0)
    with pytest.raises(ValueError):
        eta_beyond_promise(views, limit=1001)


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "IDS_PER_QUERY", 2)
