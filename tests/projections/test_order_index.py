from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

import pytest

from application.app import CareLedger
from domain.order_types import OrderItem
from projections.engine import tracking
from projections.engine.keyset import Page
from projections.engine.runner import Runner
from projections.engine.store import ViewStore
from projections.views.order_index import IndexedOrder, OrderIndexProjection, order_index
from tests.application.builders import ADDRESS, customer
from tests.projections.batch_invariance import dump, live_and_rebuilt
from tests.projections.catch_up import Project
from tests.projections.log_positions import last_positions
from tests.support import CUSTOMER, SYSTEM, T0, meta, minutes


def at(minute: int) -> datetime:
    return T0 + minutes(minute)


def ids(page: Page[IndexedOrder]) -> list[UUID]:
    return [UUID(row.order_id) for row in page.rows]


class Scenario:
    """Seven orders placed two minutes apart from 09:00 (T0) in three regions; O7 is another
    customer's."""

    def __init__(self, app: CareLedger) -> None:
        self.app = app
        self.customer = customer(app)
        self.other = customer(app)

    def place(self, minute: int, region: str, promised: int, confirm: bool = True) -> UUID:
        owner = self.other if region == "xicheng" else self.customer
        order_id = self.app.receive_order(
            meta(minutes(minute), actor=CUSTOMER),
            customer_id=owner,
            restaurant="Golden Dumpling",
            region=region,
            items=[OrderItem("noodles", 1, Decimal("30.00"))],
            amount="30.00",
            promised_at=at(promised),
            address=ADDRESS,
            channel="web" if region == "xicheng" else "app",
        ).aggregate_id
        if confirm:
            self.app.confirm_order(meta(minutes(minute + 1)), order_id)
        return order_id

    def to_pick_up(self, order_id: UUID, minute: int) -> None:
        """Preparation, packing, a courier and the pick-up, a minute apart to `minute`."""
        app = self.app
        app.start_preparation(meta(minutes(minute - 3)), order_id)
        app.pack_order(meta(minutes(minute - 2)), order_id)
        app.assign_courier(meta(minutes(minute - 1)), order_id, "courier-3", "fleet")
        app.pick_up_order(meta(minutes(minute)), order_id)

    def run(self) -> None:
        app = self.app
        # O1 chaoyang 09:00, promised 09:40: delay detected 09:10, delivered 09:55, recorded
        # late at 10:05 on the merchant: 15 min
        self.o1 = self.place(0, "chaoyang", 40)
        app.detect_delay(meta(minutes(10), actor=SYSTEM), self.o1, 15)
        self.to_pick_up(self.o1, 35)
        app.deliver_order(meta(minutes(55)), self.o1)
        app.record_order_late(meta(minutes(65)), self.o1, "merchant")
        # O2 haidian 09:02, promised 09:50: picked up 09:30, late at 09:53 on the courier: 3 min
        self.o2 = self.place(2, "haidian", 50)
        self.to_pick_up(self.o2, 30)
        app.record_order_late(meta(minutes(53)), self.o2, "courier")
        # O3 chaoyang 09:04, promised 10:30: at risk from 09:20
        self.o3 = self.place(4, "chaoyang", 90)
        app.detect_delay(meta(minutes(20), actor=SYSTEM), self.o3, 20)
        # O4 haidian 09:06, promised 10:00: on track
        self.o4 = self.place(6, "haidian", 60)
        # O5 chaoyang 09:08, promised 09:45: at risk 09:30, cancelled 09:35
        self.o5 = self.place(8, "chaoyang", 45)
        app.detect_delay(meta(minutes(30), actor=SYSTEM), self.o5, 5)
        app.cancel_order(meta(minutes(35), actor=CUSTOMER), self.o5, "too slow", "customer")
        # O6 haidian 09:10, promised 09:30: picked up 09:15, late at 09:40 on the platform
        # (10 min), delivery failed 09:45
        self.o6 = self.place(10, "haidian", 30)
        self.to_pick_up(self.o6, 15)
        app.record_order_late(meta(minutes(40)), self.o6, "platform")
        app.fail_delivery(meta(minutes(45)), self.o6, "address")
        # O7 xicheng 09:12, promised 09:55, another customer's: rejected 09:14
        self.o7 = self.place(12, "xicheng", 55, confirm=False)
        app.reject_order(meta(minutes(14)), self.o7, "kitchen closed")


def scenario(app: CareLedger, project: Project) -> Scenario:
    s = Scenario(app)
    s.run()
    project(OrderIndexProjection(), batch_size=1)
    return s


def test_every_order_is_indexed_with_its_labels_and_times(
    app: CareLedger, views: ViewStore, project: Project
) -> None:
    # given the scenario, projected one event at a time
    s = scenario(app, project)
    positions = last_positions(app, OrderIndexProjection())

    def row(
        order: UUID,
        status: str,
        region: str,
        placed: int,
        promised: int,
        risk: str,
        late: tuple[int, str] | None,
    ) -> IndexedOrder:
        owner = s.other if region == "xicheng" else s.customer
        return IndexedOrder(
            str(order),
            str(owner),
            status,
            region,
            "web" if region == "xicheng" else "app",
            at(placed),
            at(promised),
            risk,
            None if late is None else late[0],
            None if late is None else late[1],
            positions[str(order)],
            (at(placed).timestamp(), str(order)),
        )

    # when the index is read in the order the orders were placed
    page = order_index(views)
    # then all seven are there, ended or not, with the position of each one's last event
    assert page == Page(
        [
            row(s.o1, "Delivered", "chaoyang", 0, 40, "late", (15, "merchant")),
            row(s.o2, "PickedUp", "haidian", 2, 50, "late", (3, "courier")),
            row(s.o3, "Confirmed", "chaoyang", 4, 90, "at_risk", None),
            row(s.o4, "Confirmed", "haidian", 6, 60, "on_track", None),
            row(s.o5, "Cancelled", "chaoyang", 8, 45, "at_risk", None),
            row(s.o6, "DeliveryFailed", "haidian", 10, 30, "late", (10, "platform")),
            row(s.o7, "Rejected", "xicheng", 12, 55, "on_track", None),
        ],
        None,
    )


def test_orders_sort_by_promise_and_by_minutes_late(
    app: CareLedger, views: ViewStore, project: Project
) -> None:
    s = scenario(app, project)
    # by promise: O6 09:30, O1 09:40, O5 09:45, O2 09:50, O7 09:55, O4 10:00, O3 10:30
    by_promise = order_index(views, order_by="promised")
    assert ids(by_promise) == [s.o6, s.o1, s.o5, s.o2, s.o7, s.o4, s.o3]
    assert by_promise.rows[0].sort_key == (at(30).timestamp(), str(s.o6))
    # by minutes late: O1 15, O6 10, O2 3, then those not late in id order
    by_lateness = order_index(views, order_by="minutes_late")
    on_time = sorted([s.o3, s.o4, s.o5, s.o7], key=str)
    assert ids(by_lateness) == [s.o1, s.o6, s.o2, *on_time]
    assert [row.sort_key[0] for row in by_lateness.rows] == [-15, -10, -3, 0, 0, 0, 0]


def test_filters_keep_their_order(app: CareLedger, views: ViewStore, project: Project) -> None:
    s = scenario(app, project)
    assert ids(order_index(views, late=True)) == [s.o1, s.o2, s.o6]
    assert ids(order_index(views, late=False)) == [s.o3, s.o4, s.o5, s.o7]
    assert ids(order_index(views, late=True, order_by="minutes_late")) == [s.o1, s.o6, s.o2]
    assert ids(order_index(views, region="haidian")) == [s.o2, s.o4, s.o6]
    assert ids(order_index(views, region="haidian", order_by="promised")) == [s.o6, s.o2, s.o4]
    assert ids(order_index(views, status="Confirmed")) == [s.o3, s.o4]
    assert ids(order_index(views, region="chaoyang", late=True)) == [s.o1]
    assert ids(order_index(views, status="Returned")) == []
    # and the customer filter keeps one customer's own
    assert ids(order_index(views, customer_id=str(s.other))) == [s.o7]
    mine = order_index(views, customer_id=str(s.customer))
    assert ids(mine) == [s.o1, s.o2, s.o3, s.o4, s.o5, s.o6]


def test_pages_follow_the_keyset_cursor(
    app: CareLedger, views: ViewStore, project: Project
) -> None:
    s = scenario(app, project)
    on_time = sorted([s.o3, s.o4, s.o5, s.o7], key=str)
    # when read by minutes late three at a time, then [O1, O6, O2], the first three on time,
    # and the last
    found, after = [], None
    for _ in range(3):
        page = order_index(views, order_by="minutes_late", after=after, limit=3)
        found.append(ids(page))
        after = page.after
    assert (found, after) == ([[s.o1, s.o6, s.o2], on_time[:3], on_time[3:]], None)
    # and a page's cursor is its last row's key
    first = order_index(views, order_by="promised", limit=2)
    assert first.after == (at(40).timestamp(), str(s.o1))


def test_reads_refuse_bad_arguments(app: CareLedger, views: ViewStore, project: Project) -> None:
    project(OrderIndexProjection())
    assert order_index(views, limit=200) == Page([], None)
    for bad in ({"limit": 0}, {"limit": 201}, {"order_by": "region"}, {"after": (1.0, "x", 2)}):
        with pytest.raises(ValueError):
            order_index(views, **bad)


def test_tables_do_not_depend_on_batch_boundaries(
    app: CareLedger, views: ViewStore, project: Project
) -> None:
    # given the scenario, built live one event at a time
    scenario(app, project)
    # when rebuilt in batches of 1000 into generation 2, and of 4 into generation 3
    projection = OrderIndexProjection()
    live, rebuilt = live_and_rebuilt(app, views, projection)
    with views.transaction() as tx:
        tracking.start_generation(tx, projection, 3)
    Runner(app, views, projection, batch_size=4, generation=3).catch_up()
    # then all hold the same seven rows
    assert live == rebuilt == dump(views, projection, 3)
    assert len(live["orders"]) == 7
