from __future__ import annotations

from uuid import UUID

import pytest

from application.app import CareLedger
from domain.meta import Actor, ActorKind
from policies.delay_watchdog import DelayWatchdog
from projections.engine.store import ViewStore
from tests.application.builders import customer, order
from tests.policies.history import History, names
from tests.support import meta
from tests.unit.complaint_builders import at

WATCHDOG = Actor(ActorKind.SYSTEM, "delay-watchdog", "system")
LATENESS = ("OrderLate", "DelayNoticeSent", "DelayDetected")


def confirmed(app: CareLedger) -> UUID:
    """An order received at 09:00, promised for 09:40, confirmed at 09:01."""
    order_id = order(app, customer(app))
    app.confirm_order(meta(at("09:01")), order_id)
    return order_id


def picked_up(app: CareLedger) -> UUID:
    """As `confirmed`, then prepared, packed, and picked up at 09:20."""
    order_id = confirmed(app)
    app.start_preparation(meta(at("09:05")), order_id)
    app.pack_order(meta(at("09:15")), order_id)
    app.assign_courier(meta(at("09:16")), order_id, "rider-9", "fleet")
    app.pick_up_order(meta(at("09:20")), order_id)
    return order_id


def test_an_order_past_its_promise_is_recorded_late_and_notified_once(
    app: CareLedger,
    views: ViewStore,
) -> None:
    # given an order promised for 09:40, confirmed, still in the kitchen
    order_id = confirmed(app)
    history = History(app, order_id)
    watchdog = DelayWatchdog(app, views)
    # when watched at 09:40, the promise is not missed yet
    assert watchdog.watch(at("09:40")) == 0
    assert watchdog.next_wake() == at("09:40")
    # when watched at 09:41, then it is 1 min late, on the merchant, and the customer is told
    assert watchdog.watch(at("09:41")) == 2
    late, notice = history.new()
    assert (type(late).__name__, late.late_min, late.attributed_to) == ("OrderLate", 1, "merchant")
    assert (type(notice).__name__, notice.via) == ("DelayNoticeSent", "app")
    assert (late.meta.actor, late.meta.occurred_at) == (WATCHDOG, at("09:41"))
    # when watched again, by a restarted watchdog, and later, then nothing more
    assert watchdog.watch(at("09:41")) == 0
    assert DelayWatchdog(app, views).watch(at("09:41")) == 0
    assert watchdog.watch(at("10:30")) == 0
    assert history.new() == []
    assert watchdog.next_wake() is None


def test_lateness_after_the_pick_up_is_the_couriers(app: CareLedger, views: ViewStore) -> None:
    order_id = picked_up(app)
    history = History(app, order_id)
    # when watched at 09:45: 5 min past the promise
    assert DelayWatchdog(app, views).watch(at("09:45")) == 2
    late, _ = history.new()
    assert (late.late_min, late.attributed_to) == (5, "courier")


def test_an_order_delivered_on_time_is_never_touched(app: CareLedger, views: ViewStore) -> None:
    order_id = picked_up(app)
    app.deliver_order(meta(at("09:30")), order_id)
    watchdog = DelayWatchdog(app, views)
    assert watchdog.watch(at("09:41")) + watchdog.watch(at("12:00")) == 0
    assert not set(names(History(app, order_id).all())) & set(LATENESS)


def test_an_eta_beyond_the_promise_is_a_delay_and_a_notice_before_lateness(
    app: CareLedger,
    views: ViewStore,
) -> None:
    # given a picked-up order whose ETA moves at 09:21 to 09:47:30, 7.5 min past the promise
    order_id = picked_up(app)
    app.update_eta(meta(at("09:21")), order_id, at("09:47:30"))
    history = History(app, order_id)
    watchdog = DelayWatchdog(app, views)
    # when watched at 09:22, then a delay of 8 min (rounded up) at the pick-up stage, notified
    assert watchdog.watch(at("09:22")) == 2
    delay, notice = history.new()
    assert (type(delay).__name__, delay.expected_late_min, delay.stage) == (
        "DelayDetected",
        8,
        "PickedUp",
    )
    assert type(notice).__name__ == "DelayNoticeSent"
    assert watchdog.watch(at("09:23")) == 0
    # when the promise passes, then it is recorded late, without a second notice
    assert watchdog.watch(at("09:41")) == 1
    assert names(history.new()) == ["OrderLate"]
    assert (history.count("DelayNoticeSent"), history.count("OrderLate")) == (1, 1)


def test_what_a_person_already_recorded_is_not_recorded_again(
    app: CareLedger,
    views: ViewStore,
) -> None:
    # given an order an agent recorded late at 09:41, on the platform, without a notice
    order_id = confirmed(app)
    app.record_order_late(meta(at("09:41")), order_id, "platform")
    history = History(app, order_id)
    # when watched at 09:42, then only the notice is sent
    assert DelayWatchdog(app, views).watch(at("09:42")) == 1
    assert names(history.new()) == ["DelayNoticeSent"]
    assert history.all()[-2].attributed_to == "platform"


def test_refusals_on_a_view_overtaken_by_events_are_skipped(
    app: CareLedger,
    views: ViewStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a watchdog whose view was read at 09:30, when three orders were all still open
    cancelled, delivered, already_late = confirmed(app), picked_up(app), confirmed(app)
    watchdog = DelayWatchdog(app, views)
    assert watchdog.watch(at("09:30")) == 0
    # and since then: one cancelled, one delivered on time, one recorded late by an agent
    app.cancel_order(meta(at("09:35")), cancelled, "kitchen on fire", "merchant")
    app.deliver_order(meta(at("09:38")), delivered)
    app.record_order_late(meta(at("09:41")), already_late, "merchant")
    histories = [History(app, o) for o in (cancelled, delivered, already_late)]
    monkeypatch.setattr(watchdog.runner, "catch_up", lambda: 0)
    # when it acts on that stale view at 09:42, then the refusals are skipped
    assert watchdog.watch(at("09:42")) == 1
    assert [names(h.new()) for h in histories] == [[], [], ["DelayNoticeSent"]]
