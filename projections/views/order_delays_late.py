"""The late orders of the delay monitor, one row each: where the order was counted late (the
hour of OrderLate, attribution, region, stage) and the minutes counted there, so that when a
late order is delivered its lateness at delivery replaces the lateness it had when it was
recorded late (the watchdog records it a minute past the promise; the order may arrive much
later). The count stays at the hour of OrderLate: only its minutes grow."""

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

    @property
    def counted_under(self) -> tuple[int, str, str, str]:
        """The key of the late table it is counted under: hour, attribution, region, stage."""
        return (self.hour, self.attributed_to, self.region, self.stage)


LATE_ORDERS = Table("late_orders", LateOrderRecord, primary_key=("order_id",))


def minutes_late(promised_at: float, delivered_at: float) -> int:
    """Whole minutes past the promise, rounded up as OrderLate rounds them."""
    return max(0, math.ceil((delivered_at - promised_at) / 60))
