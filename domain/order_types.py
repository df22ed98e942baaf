from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from domain.errors import InvalidInputError, RuleViolationError
from domain.meta import Channel
from domain.values import aware, bounded_text, money

OrderChannel = Channel

QUANTITY_MAX = 99
ITEMS_MAX = 100


class OrderStatus(StrEnum):
    RECEIVED = "Received"
    CONFIRMED = "Confirmed"
    IN_PREPARATION = "InPreparation"
    PACKED = "Packed"
    COURIER_ASSIGNED = "CourierAssigned"
    PICKED_UP = "PickedUp"
    DELIVERED = "Delivered"
    REJECTED = "Rejected"
    EXPIRED = "Expired"
    CANCELLED = "Cancelled"
    DELIVERY_FAILED = "DeliveryFailed"
    RETURNED = "Returned"


S = OrderStatus
BEFORE_PICK_UP = frozenset({S.CONFIRMED, S.IN_PREPARATION, S.PACKED, S.COURIER_ASSIGNED})
UNDER_WAY = BEFORE_PICK_UP | {S.PICKED_UP}
TRACKED = UNDER_WAY | {S.DELIVERY_FAILED}
CLOSED = frozenset({S.DELIVERED, S.REJECTED, S.EXPIRED, S.CANCELLED, S.RETURNED})
OPEN = frozenset(S) - CLOSED
NEVER_ACCEPTED = frozenset({S.RECEIVED, S.REJECTED, S.EXPIRED})


class ConfirmationVia(StrEnum):
    SMS = "sms"
    EMAIL = "email"
    APP = "app"


NoticeVia = ConfirmationVia


class Department(StrEnum):
    KITCHEN = "kitchen"
    WAREHOUSE = "warehouse"
    DELIVERY = "delivery"


class FailureReason(StrEnum):
    UNREACHABLE = "unreachable"
    REFUSED = "refused"
    ADDRESS = "address"
    FORCE_MAJEURE = "force_majeure"


class CancellingParty(StrEnum):
    CUSTOMER = "customer"
    MERCHANT = "merchant"
    PLATFORM = "platform"
    COURIER = "courier"


class LateAttribution(StrEnum):
    MERCHANT = "merchant"
    COURIER = "courier"
    PLATFORM = "platform"
    FORCE_MAJEURE = "force_majeure"


class RefundOrigin(StrEnum):
    COMPLAINT = "complaint"
    GUARANTEE = "guarantee"
    CANCELLATION = "cancellation"


class DelayRisk(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    LATE = "late"


@dataclass(frozen=True)
class OrderItem:
    name: str
    quantity: int
    unit_price: Decimal

    def __post_init__(self) -> None:
        bounded_text("name", self.name)
        whole_number("quantity", self.quantity, 1, QUANTITY_MAX)
        object.__setattr__(self, "unit_price", money("unit_price", self.unit_price))


def order_items(rows: Iterable[Mapping[str, Any]]) -> list[OrderItem]:
    """Builds order items from input rows; a refusal names its row, as in `items[2].quantity`."""
    items = []
    for index, row in enumerate(rows):
        try:
            items.append(OrderItem(**row))
        except InvalidInputError as invalid:
            raise InvalidInputError(f"items[{index}].{invalid.field}", invalid.message) from None
        except TypeError:
            raise InvalidInputError(
                f"items[{index}]", "needs exactly name, quantity and unit_price"
            ) from None
    return items


def checked_items(items: Sequence[OrderItem]) -> list[OrderItem]:
    if not isinstance(items, list | tuple) or not 1 <= len(items) <= ITEMS_MAX:
        raise InvalidInputError("items", f"must list from 1 to {ITEMS_MAX} items")
    for index, item in enumerate(items):
        if not isinstance(item, OrderItem):
            raise InvalidInputError(f"items[{index}]", "must be an order item")
    return list(items)


def whole_number(field: str, value: int, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidInputError(field, f"must be a whole number from {low} to {high}")
    return value


def later_than(field: str, value: datetime, earliest: datetime) -> datetime:
    aware(field, value)
    if value <= earliest:
        raise InvalidInputError(field, f"must be after {earliest.isoformat()}")
    return value


class OrderNotDelayedError(RuleViolationError):
    code = "ORDER_NOT_DELAYED"

    def __init__(self) -> None:
        super().__init__("no delay was detected and the promise is not missed: nothing to notify")


class OrderNotLateError(RuleViolationError):
    code = "ORDER_NOT_LATE"

    def __init__(self, promise_due_at: str) -> None:
        super().__init__(f"the order has not missed its promise ({promise_due_at})")
        self.promise_due_at = promise_due_at


class OrderAlreadyLateError(RuleViolationError):
    code = "ORDER_ALREADY_LATE"

    def __init__(self, late_min: int) -> None:
        super().__init__(f"the order was already recorded late, by {late_min} min")
        self.late_min = late_min
