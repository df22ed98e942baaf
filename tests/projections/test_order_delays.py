from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from application.app import CareLedger
from domain.order_types import OrderItem
from projections.engine import tracking
from projections.engine.runner import Runner
from projections.engine.store import ViewStore
from projections.views.order_delays import (
    DelayPage,
    OrderDelaysProjection,
    delay_summary,
    order_delay,
    orders_at_risk,
)
from tests.application.builders import ADDRESS, customer
from tests.projections.batch_invariance import live_and_rebuilt
from tests.projections.catch_up import Project
from tests.support import CUSTOMER, SYSTEM, T0, hours, meta, minutes


def at(minute: int) -> datetime:
    return T0 + minutes(minute)


def ids(page: DelayPage) -> list[UUID]:
    return [UUID(row.order_id) for row in page.rows]


class Scenario:
    """Six orders received at 09:00 (T0) in two regions; phase two adds lateness and endings."""

    def __init__(self, app: CareLedger) -> None:
        self.app = app
        self.customer = customer(app)

    def receive(self, region: str, promised_minute: int) -> UUID:
        order_id = self.app.receive_order(
            meta(actor=CUSTOMER),
            customer_id=self.customer,
            restaurant=f"Kitchen {region}",
            region=region,
            items=[OrderItem("noodles", 1, Decimal("30.00"))],
            amount="30.00",
            promised_at=at(promised_minute),
            address=ADDRESS,
            channel="app",
        ).aggregate_id
        self.app.confirm_order(meta(minutes(1)), order_id)
        return order_id

    def to_pick_up(
        self, order_id: UUID, prepared: int, packed: int, courier: int, picked_up: int
    ) -> None:
        """Preparation, packing, a courier and the pick-up, at the given minutes."""
        app = self.app
        app.start_preparation(meta(minutes(prepared)), order_id)
        app.pack_order(meta(minutes(packed)), order_id)
        app.assign_courier(meta(minutes(courier)), order_id, "courier-3", "fleet")
        app.pick_up_order(meta(minutes(picked_up)), order_id)

    def phase_one(self) -> None:
        app = self.app
        # O1 chaoyang, promised 09:40: in preparation 09:05, 15 min late expected at 09:10
        self.o1 = self.receive("chaoyang", 40)
        app.start_preparation(meta(minutes(5)), self.o1)
        app.detect_delay(meta(minutes(10), actor=SYSTEM), self.o1, 15)
        # O2 haidian, promised 09:50: picked up 09:30, 10 min expected at 09:40, notice 09:41
        self.o2 = self.receive("haidian", 50)
        self.to_pick_up(self.o2, 5, 20, 25, 30)
        app.detect_delay(meta(minutes(40), actor=SYSTEM), self.o2, 10)
        app.send_delay_notice(meta(minutes(41)), self.o2, "sms")
        # O3 chaoyang, promised 10:30: 20 min expected while Confirmed at 09:20
        self.o3 = self.receive("chaoyang", 90)
        app.detect_delay(meta(minutes(20), actor=SYSTEM), self.o3, 20)
        # O4 haidian, promised 10:00: on track
        self.o4 = self.receive("haidian", 60)
        # O5 chaoyang, promised 09:45: 5 min expected while Confirmed at 09:30
        self.o5 = self.receive("chaoyang", 45)
        app.detect_delay(meta(minutes(30), actor=SYSTEM), self.o5, 5)
        # O6 haidian, promised 09:30: picked up 09:15, no detection
        self.o6 = self.receive("haidian", 30)
        self.to_pick_up(self.o6, 2, 10, 12, 15)

    def phase_two(self) -> None:
        app = self.app
        # O1: picked up 09:35, ETA 09:55, delivered 09:55, recorded late at 10:05 on the
        # merchant: 09:55 - 09:40 = 15 min
        app.pack_order(meta(minutes(30)), self.o1)
        app.assign_courier(meta(minutes(32)), self.o1, "courier-4", "fleet")
        app.pick_up_order(meta(minutes(35)), self.o1)
        app.update_eta(meta(minutes(36)), self.o1, at(55))
        app.deliver_order(meta(minutes(55)), self.o1)
        app.record_order_late(meta(minutes(65)), self.o1, "merchant")
        # O2: late at 09:53 on the courier (3 min), a new detection at 09:54 keeps it late
        app.record_order_late(meta(minutes(53)), self.o2, "courier")
        app.detect_delay(meta(minutes(54), actor=SYSTEM), self.o2, 8)
        # O5: cancelled by the customer at 09:35
        app.cancel_order(meta(minutes(35), actor=CUSTOMER), self.o5, "too slow", "customer")
        # O6: late at 09:40 on the platform (10 min), delivery failed 09:45
        app.record_order_late(meta(minutes(40)), self.o6, "platform")
        app.fail_delivery(meta(minutes(45)), self.o6, "address")


def test_the_monitor_lists_open_orders_at_risk_by_promise(
    app: CareLedger,
    views: ViewStore,
    project: Project,
) -> None:
    # given phase one, projected live one event at a time
    s = Scenario(app)
    s.phase_one()
    project(OrderDelaysProjection(), batch_size=1)
    # then the at-risk orders come by promise: O1 09:40, O5 09:45, O2 09:50, O3 10:30
    page = orders_at_risk(views)
    assert (ids(page), page.after) == ([s.o1, s.o5, s.o2, s.o3], None)
    assert [(r.stage, r.delay_risk, r.expected_late_min) for r in page.rows] == [
        ("InPreparation", "at_risk", 15),
        ("Confirmed", "at_risk", 5),
        ("PickedUp", "at_risk", 10),
        ("Confirmed", "at_risk", 20),
    ]
    assert [r.delay_notices for r in page.rows] == [0, 0, 1, 0]
    # and the open counts: at risk InPreparation 1, Confirmed 2, PickedUp 1; chaoyang 3,
    # haidian 1; none late yet
    summary = delay_summary(views, T0, T0 + hours(2))
    assert summary.open_at_risk_by_stage == {"InPreparation": 1, "Confirmed": 2, "PickedUp": 1}
    assert summary.open_at_risk_by_region == {"chaoyang": 3, "haidian": 1}
    assert (summary.open_late_by_stage, summary.late, summary.mean_late_min) == ({}, 0, None)


def test_late_orders_count_by_attribution_region_and_stage(
    app: CareLedger,
    views: ViewStore,
    project: Project,
) -> None:
    # given both phases, projected live after each
    s = Scenario(app)
    s.phase_one()
    project(OrderDelaysProjection(), batch_size=1)
    s.phase_two()
    project(OrderDelaysProjection(), batch_size=1)
    # then 09:00-11:00 holds three late orders: O6 platform 10 min (09:40), O2 courier 3 min
    # (09:53), O1 merchant 15 min (10:05); mean (10 + 3 + 15) / 3 = 28/3, max 15
    summary = delay_summary(views, T0, T0 + hours(2))
    assert summary.late == 3
    assert summary.late_by_attribution == {"merchant": 1, "courier": 1, "platform": 1}
    assert summary.late_by_region == {"chaoyang": 1, "haidian": 2}
    # O1 was detected in preparation; O2 detected and O6 recorded late while picked up
    assert summary.late_by_stage == {"InPreparation": 1, "PickedUp": 2}
    assert (summary.mean_late_min, summary.max_late_min) == (28 / 3, 15)
    # and five detections: O1 InPreparation, O3 and O5 Confirmed, O2 twice PickedUp
    assert summary.detections == 5
    assert summary.detections_by_stage == {"InPreparation": 1, "Confirmed": 2, "PickedUp": 2}
    assert summary.detections_by_region == {"chaoyang": 3, "haidian": 2}
    # and open now: O3 at risk (Confirmed, chaoyang), O2 and O6 late (PickedUp, haidian);
    # O1 delivered and O5 cancelled are gone
    assert (summary.open_at_risk_by_stage, summary.open_at_risk_by_region) == (
        {"Confirmed": 1},
        {"chaoyang": 1},
    )
    assert (summary.open_late_by_stage, summary.open_late_by_region) == (
        {"PickedUp": 2},
        {"haidian": 2},
    )
    # and 09:00-10:00 holds O6 and O2: mean (10 + 3) / 2 = 6.5; 10:00-11:00 only O1
    first_hour = delay_summary(views, T0, T0 + hours(1))
    assert (first_hour.late, first_hour.mean_late_min, first_hour.max_late_min) == (2, 6.5, 10)
    assert first_hour.late_by_attribution == {"courier": 1, "platform": 1}
    second_hour = delay_summary(views, T0 + hours(1), T0 + hours(2))
    assert (second_hour.late, second_hour.mean_late_min, second_hour.max_late_min) == (1, 15, 15)
    assert (second_hour.detections, second_hour.detections_by_stage) == (0, {})
    # and a window 09:30-10:15 resolves to the whole hours 09:00-11:00
    assert delay_summary(views, at(30), at(75)) == summary


def test_a_region_filter_keeps_that_regions_orders_alone(
    app: CareLedger,
    views: ViewStore,
    project: Project,
) -> None:
    # given both phases: chaoyang has O1, O3, O5; haidian O2, O4, O6
    s = Scenario(app)
    s.phase_one()
    s.phase_two()
    project(OrderDelaysProjection(), batch_size=1)
    window = (T0, T0 + hours(2))
    # then haidian holds O6 (platform, 10 min) and O2 (courier, 3 min) late, O2's two
    # detections while picked up, and both open late
    haidian = delay_summary(views, *window, region="haidian")
    assert (haidian.late, haidian.mean_late_min, haidian.max_late_min) == (2, 6.5, 10)
    assert haidian.late_by_attribution == {"courier": 1, "platform": 1}
    assert haidian.late_by_region == {"haidian": 2}
    assert (haidian.detections, haidian.detections_by_stage) == (2, {"PickedUp": 2})
    assert (haidian.open_late_by_region, haidian.open_at_risk_by_stage) == ({"haidian": 2}, {})
    # and chaoyang O1 late (merchant, 15 min), three detections, O3 still at risk
    chaoyang = delay_summary(views, *window, region="chaoyang")
    assert (chaoyang.late, chaoyang.late_by_attribution) == (1, {"merchant": 1})
    assert chaoyang.detections_by_stage == {"InPreparation": 1, "Confirmed": 2}
    assert (chaoyang.open_at_risk_by_region, chaoyang.open_late_by_stage) == ({"chaoyang": 1}, {})
    # and a region no order was placed in has nothing, not an error
    nowhere = delay_summary(views, *window, region="pudong")
    assert (nowhere.late, nowhere.detections, nowhere.open_at_risk_by_stage) == (0, 0, {})
    assert nowhere.mean_late_min is None


@pytest.mark.parametrize("batch_size", [1, 1000])
def test_a_late_order_counts_its_lateness_at_delivery(
    app: CareLedger,
    views: ViewStore,
    project: Project,
    batch_size: int,
) -> None:
    # given both phases, then O2 (promised 09:50, recorded 3 min late at 09:53) delivered at
    # 10:20:30, 30.5 min past its promise, and O6 (10 min late, its delivery failed) returned
    s = Scenario(app)
    s.phase_one()
    s.phase_two()
    project(OrderDelaysProjection(), batch_size=batch_size)
    app.deliver_order(meta(minutes(80) + timedelta(seconds=30)), s.o2)
    project(OrderDelaysProjection(), batch_size=batch_size)
    # then O2 counts late by 31 min, rounded up like OrderLate, still in the hour it was
    # recorded late: 09:00-10:00 holds O6 10 and O2 31, 10:00-11:00 O1 15 as before
    first_hour = delay_summary(views, T0, T0 + hours(1))
    assert (first_hour.late, first_hour.mean_late_min, first_hour.max_late_min) == (2, 20.5, 31)
    second_hour = delay_summary(views, T0 + hours(1), T0 + hours(2))
    assert (second_hour.late, second_hour.mean_late_min, second_hour.max_late_min) == (1, 15, 15)
    both = delay_summary(views, T0, T0 + hours(2))
    assert (both.late, both.mean_late_min, both.max_late_min) == (3, (10 + 31 + 15) / 3, 31)
    # and its row says so; O1, recorded late after it arrived, keeps the 15 min it arrived
    o2, o1 = order_delay(views, str(s.o2)), order_delay(views, str(s.o1))
    assert o2 is not None and o1 is not None
    assert (o2.status, o2.late_min, o2.delivered_at) == (
        "Delivered",
        31,
        at(80) + timedelta(seconds=30),
    )
    assert (o1.late_min, o1.delivered_at) == (15, at(55))
    # and a rebuild one event at a time holds the same rows
    live, rebuilt = live_and_rebuilt(app, views, OrderDelaysProjection(), batch_size=1)
    assert live == rebuilt


def test_rows_keep_status_stage_and_the_promise(
    app: CareLedger,
    views: ViewStore,
    project: Project,
) -> None:
    # given both phases
    s = Scenario(app)
    s.phase_one()
    s.phase_two()
    project(OrderDelaysProjection())
    # then the at-risk list is O6 (09:30), O2 (09:50), O3 (10:30)
    page = orders_at_risk(views)
    assert ids(page) == [s.o6, s.o2, s.o3]
    o6, o2, o3 = page.rows
    assert (o6.status, o6.stage, o6.delay_risk, o6.late_min, o6.attributed_to) == (
        "DeliveryFailed",
        "PickedUp",
        "late",
        10,
        "platform",
    )
    assert (o2.status, o2.expected_late_min, o2.late_min, o2.delay_notices) == ("PickedUp", 8, 3, 1)
    assert (o3.region, o3.restaurant, o3.promised_at, o3.eta, o3.is_open) == (
        "chaoyang",
        "Kitchen chaoyang",
        at(90),
        None,
        True,
    )
    # and the delivered O1 keeps its figures, out of the list
    o1 = order_delay(views, str(s.o1))
    assert o1 is not None
    assert (o1.status, o1.stage, o1.delay_risk, o1.late_min, o1.attributed_to) == (
        "Delivered",
        "InPreparation",
        "late",
        15,
        "merchant",
    )
    assert (o1.eta, o1.delivered_at, o1.is_open) == (at(55), at(55), False)
    # and O4 is on track, not yet flagged at any stage
    o4 = order_delay(views, str(s.o4))
    assert o4 is not None
    assert (o4.status, o4.stage, o4.delay_risk, o4.late_min) == (
        "Confirmed",
        None,
        "on_track",
        None,
    )
    assert order_delay(views, "no-such-order") is None


def test_filters_and_pages_of_the_at_risk_list(
    app: CareLedger,
    views: ViewStore,
    project: Project,
) -> None:
    # given both phases
    s = Scenario(app)
    s.phase_one()
    s.phase_two()
    project(OrderDelaysProjection())
    # then a region or a stage narrows the list, in promise order
    assert ids(orders_at_risk(views, region="chaoyang")) == [s.o3]
    assert ids(orders_at_risk(views, stage="PickedUp")) == [s.o6, s.o2]
    assert orders_at_risk(views, region="haidian", stage="Confirmed") == DelayPage([], None)
    # and pages of two follow the cursor: [O6, O2], then [O3]
    first = orders_at_risk(views, limit=2)
    assert (ids(first), first.after) == ([s.o6, s.o2], first.rows[1].sort_key)
    second = orders_at_risk(views, after=first.after, limit=2)
    assert (ids(second), second.after) == ([s.o3], None)
    # and a page of 0 or over 200 rows is refused
    for limit in (0, 201):
        with pytest.raises(ValueError, match="limit"):
            orders_at_risk(views, limit=limit)


def test_orders_never_accepted_are_never_at_risk(
    app: CareLedger,
    views: ViewStore,
    project: Project,
) -> None:
    # given one order rejected and one expired before confirmation
    s = Scenario(app)
    closes: tuple[Callable[[UUID], object], ...] = (
        lambda o: app.reject_order(meta(minutes(2)), o, "closed kitchen"),
        lambda o: app.expire_order(meta(minutes(20), actor=SYSTEM), o),
    )
    for close in closes:
        order_id = app.receive_order(
            meta(actor=CUSTOMER),
            customer_id=s.customer,
            restaurant="Kitchen",
            region="xicheng",
            items=[OrderItem("rice", 1, Decimal("9.00"))],
            amount="9.00",
            promised_at=at(40),
            address=ADDRESS,
            channel="web",
        ).aggregate_id
        close(order_id)
    project(OrderDelaysProjection())
    # then nothing is at risk, counted, or late
    assert orders_at_risk(views) == DelayPage([], None)
    empty = delay_summary(views, T0, T0 + timedelta(days=1))
    assert (empty.late, empty.detections, empty.max_late_min) == (0, 0, None)
    assert (empty.open_at_risk_by_region, empty.open_late_by_region) == ({}, {})


def dump(views: ViewStore, prefix: str, tables: tuple[str, ...]) -> list[list[tuple[Any, ...]]]:
    with views.transaction() as tx:
        return [tx.all(f"SELECT * FROM {prefix}{t} ORDER BY 1, 2, 3") for t in tables]


def test_tables_do_not_depend_on_batch_boundaries(app: CareLedger, views: ViewStore) -> None:
    # given both phases, built live one event at a time into generation 1
    s = Scenario(app)
    projection = OrderDelaysProjection()
    live = Runner(app, views, projection, batch_size=1)
    s.phase_one()
    live.catch_up()
    s.phase_two()
    live.catch_up()
    # when rebuilt in batches of 1000 into generation 2
    with views.transaction() as tx:
        tracking.start_generation(tx, projection, 2)
    Runner(app, views, projection, batch_size=1000, generation=2).catch_up()
    # then both generations hold the same rows; the open counts left no row at 0
    tables = projection.tables()
    one_by_one = dump(views, tracking.prefix(projection.name, 1), tables)
    assert one_by_one == dump(views, tracking.prefix(projection.name, 2), tables)
    assert len(one_by_one[0]) == 6
    assert sorted(row[3] for row in one_by_one[1]) == [1, 2]


D0 = datetime(2026, 11, 23, tzinfo=UTC)


def on(day: int, hh: int, mm: int) -> datetime:
    return D0 + timedelta(days=day, hours=hh, minutes=mm)


def late_over_days(app: CareLedger) -> None:
    """Orders promised 30 minutes after receipt, recorded late from D0 21:05 to D3 02:10."""
    customer_id = customer(app)

    def receive(region: str, when: datetime) -> UUID:
        order_id = app.receive_order(
            meta(when, actor=CUSTOMER),
            customer_id=customer_id,
            restaurant=f"Kitchen {region}",
            region=region,
            items=[OrderItem("noodles", 1, Decimal("30.00"))],
            amount="30.00",
            promised_at=when + minutes(30),
            address=ADDRESS,
            channel="app",
        ).aggregate_id
        app.confirm_order(meta(when + minutes(1)), order_id)
        return order_id

    # U haidian D0 20:00, late 21:05 on the platform (35 min): before the window
    u = receive("haidian", on(0, 20, 0))
    app.record_order_late(meta(on(0, 21, 5)), u, "platform")
    # P chaoyang D0 22:00, detected 22:10, late 22:50 on the courier (20 min)
    p = receive("chaoyang", on(0, 22, 0))
    app.detect_delay(meta(on(0, 22, 10), actor=SYSTEM), p, 15)
    app.record_order_late(meta(on(0, 22, 50)), p, "courier")
    # Q and R haidian D1 10:00 and 20:00, late 11:00 (30 min) and 20:45 (15 min), merchant
    q, r = receive("haidian", on(1, 10, 0)), receive("haidian", on(1, 20, 0))
    app.record_order_late(meta(on(1, 11, 0)), q, "merchant")
    app.record_order_late(meta(on(1, 20, 45)), r, "merchant")
    # S chaoyang D2 23:00, detected 23:10, late D3 00:20 on the platform (50 min)
    s = receive("chaoyang", on(2, 23, 0))
    app.detect_delay(meta(on(2, 23, 10), actor=SYSTEM), s, 10)
    app.record_order_late(meta(on(3, 0, 20)), s, "platform")
    # T chaoyang D3 01:00, late 02:10 on the courier (40 min): after the window
    t = receive("chaoyang", on(3, 1, 0))
    app.record_order_late(meta(on(3, 2, 10)), t, "courier")


def test_a_window_of_days_reads_whole_days_and_the_hours_at_its_edges(
    app: CareLedger,
    views: ViewStore,
    project: Project,
) -> None:
    # given late orders over four days
    late_over_days(app)
    project(OrderDelaysProjection())
    # when the window is D0 22:00 to D3 01:00: 2 hours, the whole days D1 and D2, 1 hour
    summary = delay_summary(views, on(0, 22, 0), on(3, 1, 0))
    # then P (leading hours), Q and R (D1) and S (trailing hour) were late, all Confirmed:
    # mean (20 + 30 + 15 + 50) / 4 = 28.75, longest 50 (S)
    assert summary.late == 4
    assert summary.late_by_attribution == {"courier": 1, "merchant": 2, "platform": 1}
    assert summary.late_by_region == {"chaoyang": 2, "haidian": 2}
    assert summary.late_by_stage == {"Confirmed": 4}
    assert (summary.mean_late_min, summary.max_late_min) == (28.75, 50)
    # and P (D0 22:10) and S (D2 23:10) were detected
    assert (summary.detections, summary.detections_by_region) == (2, {"chaoyang": 2})
    # and the whole days D1-D2 alone hold Q and R (longest 30) and S's detection
    days = delay_summary(views, on(1, 0, 0), on(3, 0, 0))
    assert (days.late, days.mean_late_min, days.max_late_min) == (2, 22.5, 30)
    assert (days.detections, days.detections_by_stage) == (1, {"Confirmed": 1})


def test_daily_tables_are_the_hourly_ones_summed_by_day(
    app: CareLedger,
    views: ViewStore,
    project: Project,
) -> None:
    # given late orders over four days, projected in batches of 1000, rebuilt one event a batch
    late_over_days(app)
    project(OrderDelaysProjection())
    live, rebuilt = live_and_rebuilt(app, views, OrderDelaysProjection(), batch_size=1)
    # then both generations hold the same rows
    assert live == rebuilt
    # and the late orders by day add up their hours, keeping the longest: Q and R on D1
    day = [int(on(d, 0, 0).timestamp()) for d in range(4)]
    assert sorted(tuple(row) for row in live["late_daily"]) == [
        (day[0], "courier", "chaoyang", "Confirmed", 1, 20, 20),
        (day[0], "platform", "haidian", "Confirmed", 1, 35, 35),
        (day[1], "merchant", "haidian", "Confirmed", 2, 45, 30),
        (day[3], "courier", "chaoyang", "Confirmed", 1, 40, 40),
        (day[3], "platform", "chaoyang", "Confirmed", 1, 50, 50),
    ]
    assert sorted(tuple(row) for row in live["detections_daily"]) == [
        (day[0], "Confirmed", "chaoyang", 1),
        (day[2], "Confirmed", "chaoyang", 1),
    ]
