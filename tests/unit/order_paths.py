"""Builders for Order tests: an order received at T0, and the commands that lead to each state."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from domain.order import Order
from domain.order_types import OrderItem
from domain.order_types import OrderStatus as S
from domain.values import Sealed
from tests.support import T0, meta, minutes

CUSTOMER_ID = UUID("5a1c3a52-6c1e-4a52-9b7e-2f0c5e4b1d11")
PROMISED_AT = T0 + minutes(45)
LATE = minutes(180)  # well past the promise
RAMEN = OrderItem("ramen", 2, Decimal("9.50"))


def words(token: str = "v1.words", subject: UUID = CUSTOMER_ID) -> Sealed:
    """A reason in words as the application hands it over: sealed under the customer's key."""
    return Sealed(subject=str(subject), token=token)


def received_order(**changes: Any) -> Order:
    fields: dict[str, Any] = {
        "id": uuid4(),
        "customer_id": CUSTOMER_ID,
        "restaurant": "Noodle Bar",
        "region": "north",
        "items": [RAMEN],
        "amount": "19.00",
        "promised_at": PROMISED_AT,
        "address": Sealed(str(CUSTOMER_ID), "sealed-address"),
        "channel": "app",
    }
    fields.update(changes)
    return Order.receive(meta(), **fields)


def event_names(order: Order) -> list[str]:
    return [type(event).__name__ for event in order.pending_events]


Step = Callable[[Order], None]


def confirm(order: Order) -> None:
    order.confirm(meta(minutes(1)))


def prepare(order: Order) -> None:
    order.start_preparation(meta(minutes(2)))


def pack(order: Order) -> None:
    order.pack(meta(minutes(3)))


def assign_courier(order: Order) -> None:
    order.assign_courier(meta(minutes(4)), "courier-9", "inhouse")


def pick_up(order: Order) -> None:
    order.pick_up(meta(minutes(5)))


def deliver(order: Order) -> None:
    order.deliver(meta(minutes(30)))


def fail(order: Order) -> None:
    order.fail_delivery(meta(minutes(30)), "unreachable")


def mark_returned(order: Order) -> None:
    order.mark_returned(meta(minutes(50)))


def reject(order: Order) -> None:
    order.reject(meta(minutes(1)), words("kitchen_closed"))


def expire(order: Order) -> None:
    order.expire(meta(minutes(12)))


def cancel(order: Order) -> None:
    order.cancel(meta(minutes(2)), words("customer_called"), "customer")


TO_PICKED_UP: list[Step] = [confirm, prepare, pack, assign_courier, pick_up]

# Every state and the commands that reach it, all before the promise of T0 + 45 min.
PATHS: dict[S, list[Step]] = {
    S.RECEIVED: [],
    S.CONFIRMED: [confirm],
    S.IN_PREPARATION: [confirm, prepare],
    S.PACKED: [confirm, prepare, pack],
    S.COURIER_ASSIGNED: [confirm, prepare, pack, assign_courier],
    S.PICKED_UP: TO_PICKED_UP,
    S.DELIVERED: [*TO_PICKED_UP, deliver],
    S.DELIVERY_FAILED: [*TO_PICKED_UP, fail],
    S.RETURNED: [*TO_PICKED_UP, fail, mark_returned],
    S.REJECTED: [reject],
    S.EXPIRED: [expire],
    S.CANCELLED: [confirm, cancel],
}


def order_in(status: S) -> Order:
    order = received_order()
    for step in PATHS[status]:
        step(order)
    assert order.status == status
    return order
