"""Late orders of one channel, restaurant or courier company, as orderDelays lists them
(projections/views/order_delays_by.py)."""

from __future__ import annotations

from collections.abc import Mapping

import strawberry

from domain.meta import Channel
from projections.views.order_delays_by import LateFigures


@strawberry.type(description="The late orders of one channel, restaurant or courier company")
class LateOrdersOf:
    label: str = strawberry.field(description="As the read model keeps it (app, Golden Dumpling)")
    key: str = strawberry.field(
        description="The schema's enum value for a channel (APP); the label itself otherwise"
    )
    orders: int = strawberry.field(description="Recorded late in the window")
    late_min: int = strawberry.field(
        description="Their minutes past the promise: at delivery for those delivered"
    )
    mean_late_min: float


def late_orders_of(
    by_label: Mapping[str, LateFigures], channels: bool = False
) -> list[LateOrdersOf]:
    """Sorted by label; a channel keyed by its GraphQL value."""
    return [
        LateOrdersOf(
            label=label,
            key=channel_key(label) if channels else label,
            orders=f.orders,
            late_min=f.late_min,
            mean_late_min=f.mean_late_min,
        )
        for label, f in sorted(by_label.items())
    ]


def channel_key(label: str) -> str:
    try:
        return Channel(label).name
    except ValueError:
        return label
