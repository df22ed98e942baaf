"""What the plan knows of each customer and order while it writes their stories."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from demo.people import Person
from demo.world import Restaurant
from domain.meta import Actor
from domain.order_types import OrderItem


@dataclass
class CustomerFacts:
    index: int
    person: Person
    actor: Actor
    first_order_at: datetime

    @property
    def key(self) -> str:
        return f"customer:{self.index}"


class Fate(StrEnum):
    DELIVERED = "delivered"
    LATE = "late"
    REJECTED = "rejected"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    REDELIVERED = "redelivered"  # a delivery failed, the second attempt arrived
    RETURNED = "returned"  # a delivery failed and the food went back


@dataclass
class OrderFacts:
    index: int
    customer: CustomerFacts
    restaurant: Restaurant
    channel: str
    received_at: datetime
    items: list[OrderItem]
    amount: Decimal
    promised_at: datetime
    fate: Fate = Fate.DELIVERED
    cause: str | None = None  # why it was late, cancelled (by whom) or failed
    ended_at: datetime | None = None  # delivered, cancelled, rejected, expired or returned
    delivered_at: datetime | None = None
    late_by: timedelta = timedelta(0)
    refunded: Decimal = Decimal("0.00")
    paid_out: Decimal = Decimal("0.00")  # as the order's ledger counts it (domain/order_ledger.py)

    @property
    def key(self) -> str:
        return f"order:{self.index}"

    @property
    def refundable(self) -> Decimal:
        return self.amount - self.refunded

    @property
    def room(self) -> Decimal:
        """What the ledger lets the order's complaints and refunds still pay out."""
        return self.amount - self.paid_out

    @property
    def correlation(self) -> str:
        return f"order-{self.index}"
