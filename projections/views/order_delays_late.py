"""The late orders of the delay monitor, one row each: where the order was counted late (the
hour of OrderLate, attribution, region, stage; its channel, restaurant and courier company)
and the minutes counted there, so that when a late order is delivered its lateness at delivery
replaces the lateness it had when it was recorded late (the watchdog records it a minute past
the promise; the order may arrive much later). The count stays at the hour of OrderLate: only
its minutes grow, and a courier assigned after it was late takes it to that courier's company
(`late_by`: the company that carried it last, `none` while no courier had it)."""

from __future__ import annotations

import math
from typing import NamedTuple

from projections.engine.tables import Table


class LateOrderRecord(NamedTuple):
    order_id: str
    hour: int  # of OrderLate, where the order is counted
    attributed_to: str
    region: str
    stage: str
    late_min: int  # as counted: when recorded late, then at delivery
    channel: str
    restaurant: str
    courier_company: str  # NO_COURIER until a courier is assigned

    @property
    def counted_under(self) -> tuple[int, str, str, str]:
        """The key of the late table it is counted under: hour, attribution, region, stage."""
        return (self.hour, self.attributed_to, self.region, self.stage)

    @property
    def sliced_under(self) -> list[tuple[int, str, str, str]]:
        """The keys of `late_by` it is counted under: hour, region, slice, value."""
        return [
            (self.hour, self.region, "channel", self.channel),
            (self.hour, self.region, "restaurant", self.restaurant),
            (self.hour, self.region, "courier_company", self.courier_company),
        ]


class LateByRecord(NamedTuple):
    """Late orders of one channel, restaurant or courier company (`slice_by`) in one hour."""

    hour: int
    region: str  # keyed by region as every table of the view, for orderDelays(region:)
    slice_by: str
    slice_value: str
    n: int
    late_min: int


class DailyLateByRecord(NamedTuple):
    day: int
    region: str
    slice_by: str
    slice_value: str
    n: int
    late_min: int


NO_COURIER = "none"
LATE_SLICES = ("channel", "restaurant", "courier_company")
# late_orders took the channel, restaurant and courier company with late_by: the new tables
# make an older generation rebuild before it is followed
LATE_ORDERS = Table("late_orders", LateOrderRecord, primary_key=("order_id",))
LATE_BY = Table("late_by", LateByRecord, primary_key=("hour", "region", "slice_by", "slice_value"))
LATE_BY_DAILY = Table(
    "late_by_daily", DailyLateByRecord, primary_key=("day", "region", "slice_by", "slice_value")
)


def minutes_late(promised_at: float, delivered_at: float) -> int:
    """Whole minutes past the promise, rounded up as OrderLate rounds them."""
    return max(0, math.ceil((delivered_at - promised_at) / 60))
