"""Late orders by channel, restaurant and courier company, checked against a recomputation from
the stories the commands below are driven by (not from the view's code), in batches of one and
of many, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

import pytest

from application.app import CareLedger
from domain.order_types import OrderItem
from projections.engine.store import ViewStore
from projections.views.order_delays import OrderDelaysProjection, delay_summary
from projections.views.order_delays_by import LateFigures
from tests.application.builders import ADDRESS, customer
from tests.projections.batch_invariance import live_and_rebuilt
from tests.projections.catch_up import Project
from tests.support import CUSTOMER, SYSTEM, T0, hours, meta, minutes


@dataclass(frozen=True)
class Story:
    """One order, in minutes after 09:00 (T0)."""

    channel: str
    restaurant: str
    promised: int
    couriers: tuple[tuple[int, str], ...] = ()  # (minute, courier company), after packing
    late: int | None = None  # recorded late then
    delivered: int | None = None
    region: str = "chaoyang"


STORIES = {
    # A: fleet's courier from 09:20, recorded late at 09:35 (5 min), delivered 09:50 (20 min)
    "a": Story("app", "Golden Dumpling", 30, ((20, "fleet"),), late=35, delivered=50),
    # B: late at 09:45 before any courier (5 min); crowd's courier at 09:50, delivered 10:10
    "b": Story("web", "Golden Dumpling", 40, ((50, "crowd"),), late=45, delivered=70),
    # C: fleet's courier 09:30, crowd's instead at 09:45, late at 10:05 (15 min), not delivered
    "c": Story("app", "Noodle Bar", 50, ((30, "fleet"), (45, "crowd")), late=65),
    # D: in haidian, late at 10:25 (5 min) with no courier yet
    "d": Story("phone", "Noodle Bar", 80, late=85, region="haidian"),
    # E: delivered on time
    "e": Story("app", "Noodle Bar", 60, ((20, "fleet"),), delivered=40),
}


def record(app: CareLedger, story: Story) -> UUID:
    order_id = app.receive_order(
        meta(T0, actor=CUSTOMER),
        customer_id=customer(app),
        restaurant=story.restaurant,
        region=story.region,
        items=[OrderItem("noodles", 1, Decimal("30.00"))],
        amount="30.00",
        promised_at=T0 + minutes(story.promised),
        address=ADDRESS,
        channel=story.channel,
    ).aggregate_id
    app.confirm_order(meta(minutes(1)), order_id)
    app.start_preparation(meta(minutes(2)), order_id)
    # every step in the order of its minute: packing just before the first courier
    steps: list[tuple[int, str, str]] = [(m, "courier", company) for m, company in story.couriers]
    if story.couriers:
        steps.append((story.couriers[0][0] - 1, "pack", ""))
    if story.late is not None:
        steps.append((story.late, "late", ""))
    if story.delivered is not None:
        steps.append((story.delivered - 1, "pick_up", ""))
        steps.append((story.delivered, "deliver", ""))
    for minute, step, company in sorted(steps):
        when = meta(minutes(minute))
        if step == "pack":
            app.pack_order(when, order_id)
        elif step == "courier":
            app.assign_courier(when, order_id, f"courier-{minute}", company)
        elif step == "late":
            app.record_order_late(meta(minutes(minute), actor=SYSTEM), order_id, "platform")
        elif step == "pick_up":
            app.pick_up_order(when, order_id)
        else:
            app.deliver_order(when, order_id)
    return order_id


def expected(
    start: datetime, end: datetime, region: str | None = None
) -> dict[str, dict[str, LateFigures]]:
    """From the stories: each order recorded late in the window (in `region` if given), under
    its channel, its restaurant and the company of its last courier (none without one), late by
    its minutes at delivery if delivered after, else as recorded."""
    totals: dict[str, dict[str, list[int]]] = {"channel": {}, "restaurant": {}}
    totals["courier_company"] = {}
    for story in STORIES.values():
        if story.late is None or not start <= T0 + minutes(story.late) < end:
            continue
        if region is not None and story.region != region:
            continue
        ended = story.delivered if story.delivered and story.delivered > story.late else None
        late_min = (ended or story.late) - story.promised
        company = story.couriers[-1][1] if story.couriers else "none"
        for by, value in (
            ("channel", story.channel),
            ("restaurant", story.restaurant),
            ("courier_company", company),
        ):
            entry = totals[by].setdefault(value, [0, 0])
            entry[0] += 1
            entry[1] += late_min
    return {
        by: {v: LateFigures(n, m) for v, (n, m) in values.items()} for by, values in totals.items()
    }


WINDOWS = [
    (T0, T0 + hours(1)),
    (T0 + hours(1), T0 + hours(2)),
    (T0, T0 + hours(2)),
    (T0 - hours(9), T0 + hours(39)),  # whole days, read from the daily rows
]


@pytest.mark.parametrize("batch_size", [1, 500])
def test_late_orders_count_by_channel_restaurant_and_courier_company(
    app: CareLedger, views: ViewStore, project: Project, batch_size: int
) -> None:
    # given the five orders' stories through the commands
    for story in STORIES.values():
        record(app, story)
    project(OrderDelaysProjection(), batch_size=batch_size)
    for (start, end), region in itertools.product(WINDOWS, (None, "chaoyang", "haidian")):
        # when the window's late orders are read by slice, of all regions or of one
        summary = delay_summary(views, start, end, region)
        found = {
            "channel": summary.late_by_channel,
            "restaurant": summary.late_by_restaurant,
            "courier_company": summary.late_by_courier_company,
        }
        # then each slice has the late orders of its stories, B under crowd's company (its
        # courier came after it was late), C under crowd's (its second courier)
        assert found == expected(start, end, region), (start, end, region)
        # and each slice adds up to the window's late orders
        assert all(sum(f.orders for f in v.values()) == summary.late for v in found.values())
    first_hour = delay_summary(views, T0, T0 + hours(1))
    assert first_hour.late_by_courier_company == {
        "fleet": LateFigures(1, 20),
        "crowd": LateFigures(1, 30),
    }
    assert first_hour.late_by_channel["web"].mean_late_min == 30
    # and a rebuild one event at a time holds the same rows, none left at 0
    live, rebuilt = live_and_rebuilt(app, views, OrderDelaysProjection(), batch_size=1)
    assert live == rebuilt
    assert all(row[4] > 0 for table in ("late_by", "late_by_daily") for row in live[table])
