from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.utils import get_topic

from domain.errors import InvalidInputError, TransitionRefusedError
from domain.meta import Channel, Meta
from domain.order import Order
from domain.order_types import DelayRisk, Department, OrderItem, order_items
from domain.order_types import OrderStatus as S
from domain.values import Sealed
from tests.support import T0, meta, minutes
from tests.unit.order_paths import (
    CUSTOMER_ID,
    LATE,
    PROMISED_AT,
    RAMEN,
    TO_PICKED_UP,
    event_names,
    order_in,
    received_order,
    words,
)
from tests.unit.replay import assert_replays_equal

# --- the state machine, command by command --------------------------------------------------

UNDER_WAY = frozenset({S.CONFIRMED, S.IN_PREPARATION, S.PACKED, S.COURIER_ASSIGNED, S.PICKED_UP})
BEFORE_PICK_UP = UNDER_WAY - {S.PICKED_UP}
TRACKED = UNDER_WAY | {S.DELIVERY_FAILED}
OPEN = TRACKED | {S.RECEIVED}


@dataclass(frozen=True)
class Command:
    action: str
    event: str
    call: Callable[[Order, Meta], None]
    accepted_in: frozenset[S]
    leads_to: S | None = None  # None: the status stays


COMMANDS: dict[str, Command] = {
    "confirm": Command(
        "confirm", "OrderConfirmed", lambda o, m: o.confirm(m), frozenset({S.RECEIVED}), S.CONFIRMED
    ),
    "send_confirmation": Command(
        "send a confirmation",
        "ConfirmationSent",
        lambda o, m: o.send_confirmation(m, "sms"),
        UNDER_WAY,
    ),
    "reject": Command(
        "reject",
        "OrderRejected",
        lambda o, m: o.reject(m, words("busy")),
        frozenset({S.RECEIVED}),
        S.REJECTED,
    ),
    "expire": Command(
        "expire", "OrderExpired", lambda o, m: o.expire(m), frozenset({S.RECEIVED}), S.EXPIRED
    ),
    "assign_department": Command(
        "assign a department",
        "AssignedToDepartment",
        lambda o, m: o.assign_department(m, "kitchen", "chef-2"),
        BEFORE_PICK_UP,
    ),
    "start_preparation": Command(
        "start preparation",
        "PreparationStarted",
        lambda o, m: o.start_preparation(m),
        frozenset({S.CONFIRMED}),
        S.IN_PREPARATION,
    ),
    "pack": Command(
        "pack", "OrderPacked", lambda o, m: o.pack(m), frozenset({S.IN_PREPARATION}), S.PACKED
    ),
    "assign_courier": Command(
        "assign a courier",
        "CourierAssigned",
        lambda o, m: o.assign_courier(m, "courier-3", "fleetco"),
        frozenset({S.PACKED, S.COURIER_ASSIGNED}),
        S.COURIER_ASSIGNED,
    ),
    "pick_up": Command(
        "pick up",
        "OrderPickedUp",
        lambda o, m: o.pick_up(m),
        frozenset({S.COURIER_ASSIGNED, S.DELIVERY_FAILED}),
        S.PICKED_UP,
    ),
    "deliver": Command(
        "deliver",
        "OrderDelivered",
        lambda o, m: o.deliver(m),
        frozenset({S.PICKED_UP}),
        S.DELIVERED,
    ),
    "fail_delivery": Command(
        "fail delivery",
        "DeliveryFailed",
        lambda o, m: o.fail_delivery(m, "refused"),
        frozenset({S.PICKED_UP}),
        S.DELIVERY_FAILED,
    ),
    "mark_returned": Command(
        "mark returned",
        "OrderReturned",
        lambda o, m: o.mark_returned(m),
        frozenset({S.DELIVERY_FAILED}),
        S.RETURNED,
    ),
    "cancel": Command(
        "cancel",
        "OrderCancelled",
        lambda o, m: o.cancel(m, words("too_slow"), "customer"),
        BEFORE_PICK_UP,
        S.CANCELLED,
    ),
    "update_eta": Command(
        "update the ETA",
        "EtaUpdated",
        lambda o, m: o.update_eta(m, m.occurred_at + minutes(9)),
        TRACKED,
    ),
    "detect_delay": Command(
        "detect a delay", "DelayDetected", lambda o, m: o.detect_delay(m, 15), TRACKED
    ),
    "send_delay_notice": Command(
        "send a delay notice",
        "DelayNoticeSent",
        lambda o, m: o.send_delay_notice(m, "app"),
        OPEN | {S.DELIVERED},
    ),
    "record_late": Command(
        "record lateness",
        "OrderLate",
        lambda o, m: o.record_late(m, "courier"),
        TRACKED | {S.DELIVERED},
    ),
    "record_refund": Command(
        "record a refund",
        "RefundRecorded",
        lambda o, m: o.record_refund(m, "5.00", "complaint"),
        frozenset(S) - {S.RECEIVED, S.REJECTED, S.EXPIRED},
    ),
}

# accepted states where a rule still refuses a late command: tested on their own below
RULED_OUT = {
    ("send_delay_notice", S.RECEIVED),  # no promise clock yet, so never late
    ("send_delay_notice", S.DELIVERED),  # delivered on time
    ("record_late", S.DELIVERED),  # delivered on time
}
ACCEPTED = [
    (name, status)
    for name, command in COMMANDS.items()
    for status in S
    if status in command.accepted_in and (name, status) not in RULED_OUT
]
REFUSED = [
    (name, status)
    for name, command in COMMANDS.items()
    for status in S
    if status not in command.accepted_in
]


@pytest.mark.parametrize(("name", "status"), ACCEPTED)
def test_each_command_is_accepted_in_its_states(name: str, status: S) -> None:
    # given an order in the state
    order = order_in(status)
    recorded = len(order.pending_events)
    command = COMMANDS[name]
    # when the command comes, after the promise
    command.call(order, meta(LATE))
    # then it records its one event and moves the order where it leads
    assert len(order.pending_events) == recorded + 1
    assert event_names(order)[-1] == command.event
    assert order.status == (command.leads_to or status)
    assert_replays_equal(order)


@pytest.mark.parametrize(("name", "status"), REFUSED)
def test_each_command_is_refused_outside_its_states(name: str, status: S) -> None:
    # given an order in a state the command does not apply to
    order = order_in(status)
    recorded = len(order.pending_events)
    # when the command comes, then it is refused naming the state and the action
    with pytest.raises(TransitionRefusedError) as refused:
        COMMANDS[name].call(order, meta(LATE))
    assert (refused.value.entity, refused.value.state) == ("Order", status.value)
    assert refused.value.action == COMMANDS[name].action
    # and nothing was recorded
    assert len(order.pending_events) == recorded
    assert order.status == status


@pytest.mark.parametrize(
    ("status", "is_open"),
    [(status, status in OPEN) for status in S],
)
def test_an_order_is_open_until_it_reaches_a_final_state(status: S, is_open: bool) -> None:
    assert order_in(status).is_open is is_open


# --- receiving ------------------------------------------------------------------------------


def test_a_received_order_records_what_was_ordered() -> None:
    # when an order comes in through the app
    order = received_order(amount="19")
    # then it is received with its items, its amount in cents and an idle promise clock
    assert event_names(order) == ["OrderReceived"]
    assert order.status == S.RECEIVED
    assert (order.customer_id, order.restaurant, order.region) == (
        CUSTOMER_ID,
        "Noodle Bar",
        "north",
    )
    assert order.items == [RAMEN]
    assert order.amount == Decimal("19.00")
    assert order.channel is Channel.APP
    assert order.promised_at == PROMISED_AT
    assert order.received_at == T0
    assert order.promise_due_at is None
    assert order.delay_risk is DelayRisk.ON_TRACK
    assert order.refunded_total == Decimal("0.00")
    assert_replays_equal(order)


def test_events_are_stored_under_stable_topics() -> None:
    order = received_order()
    order.confirm(meta(minutes(1)))
    assert [get_topic(type(event)) for event in order.pending_events] == [
        "careledger.OrderReceived",
        "careledger.OrderConfirmed",
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"restaurant": " "}, "restaurant"),
        ({"restaurant": "r" * 201}, "restaurant"),
        ({"region": "r" * 101}, "region"),
        ({"items": []}, "items"),
        ({"items": [RAMEN] * 101}, "items"),
        ({"items": [RAMEN, "ramen"]}, "items[1]"),
        ({"amount": "-1"}, "amount"),
        ({"amount": "1.001"}, "amount"),
        ({"amount": "lots"}, "amount"),
        ({"promised_at": datetime(2026, 11, 23, 10, 0)}, "promised_at"),
        ({"promised_at": T0}, "promised_at"),
        ({"promised_at": T0 - minutes(1)}, "promised_at"),
        ({"address": Sealed("someone-else", "token")}, "address"),
        ({"channel": "pigeon"}, "channel"),
    ],
)
def test_an_invalid_order_is_refused_naming_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInputError) as invalid:
        received_order(**changes)
    assert invalid.value.field == field


def test_an_item_turns_its_price_into_money() -> None:
    assert OrderItem("tea", 1, "2.5").unit_price == Decimal("2.50")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "quantity", "unit_price", "field"),
    [
        ("", 1, "1.00", "name"),
        ("n" * 201, 1, "1.00", "name"),
        ("tea", 0, "1.00", "quantity"),
        ("tea", 100, "1.00", "quantity"),
        ("tea", True, "1.00", "quantity"),
        ("tea", 1.5, "1.00", "quantity"),
        ("tea", 1, "-0.01", "unit_price"),
        ("tea", 1, "0.001", "unit_price"),
        ("tea", 1, "free", "unit_price"),
    ],
)
def test_an_invalid_item_is_refused_naming_the_field(
    name: Any, quantity: Any, unit_price: Any, field: str
) -> None:
    with pytest.raises(InvalidInputError) as invalid:
        OrderItem(name, quantity, unit_price)
    assert invalid.value.field == field


def test_items_built_from_input_rows_name_the_row_at_fault() -> None:
    rows = [{"name": "tea", "quantity": 1, "unit_price": "2.00"}]
    assert order_items(rows) == [OrderItem("tea", 1, Decimal("2.00"))]
    with pytest.raises(InvalidInputError) as invalid:
        order_items([*rows, {"name": "tea", "quantity": 0, "unit_price": "2.00"}])
    assert invalid.value.field == "items[1].quantity"
    with pytest.raises(InvalidInputError) as invalid:
        order_items([{"name": "tea"}])
    assert invalid.value.field == "items[0]"


# --- the way to the door --------------------------------------------------------------------


def test_an_order_delivered_keeps_the_time_of_each_stage() -> None:
    # given a received order
    order = received_order()
    # when it goes through every stage
    order.confirm(meta(minutes(1)))
    order.start_preparation(meta(minutes(2)))
    order.pack(meta(minutes(10)))
    order.assign_courier(meta(minutes(11)), "courier-9", "inhouse")
    order.pick_up(meta(minutes(15)))
    order.deliver(meta(minutes(40)))
    # then it is delivered, closed, and each stage kept its business time
    assert order.status == S.DELIVERED
    assert event_names(order) == [
        "OrderReceived",
        "OrderConfirmed",
        "PreparationStarted",
        "OrderPacked",
        "CourierAssigned",
        "OrderPickedUp",
        "OrderDelivered",
    ]
    assert [
        order.received_at,
        order.confirmed_at,
        order.preparation_started_at,
        order.packed_at,
        order.courier_assigned_at,
        order.picked_up_at,
        order.delivered_at,
        order.closed_at,
    ] == [
        T0,
        T0 + minutes(1),
        T0 + minutes(2),
        T0 + minutes(10),
        T0 + minutes(11),
        T0 + minutes(15),
        T0 + minutes(40),
        T0 + minutes(40),
    ]
    assert (order.courier, order.courier_provider) == ("courier-9", "inhouse")
    assert order.is_open is False
    assert_replays_equal(order)


def test_a_failed_delivery_is_picked_up_again_and_delivered() -> None:
    # given a delivery that failed: the customer was unreachable
    order = order_in(S.DELIVERY_FAILED)
    assert order.failure_reason == "unreachable"
    assert order.delivery_failed_at == T0 + minutes(30)
    # when the courier takes it out again and hands it over
    order.pick_up(meta(minutes(35)))
    order.deliver(meta(minutes(44)))
    # then it is delivered, and picked_up_at is the second pick-up
    assert order.status == S.DELIVERED
    assert order.picked_up_at == T0 + minutes(35)
    assert order.delivered_at == T0 + minutes(44)
    assert_replays_equal(order)


def test_a_failed_delivery_can_go_back_to_the_merchant() -> None:
    order = order_in(S.DELIVERY_FAILED)
    order.mark_returned(meta(minutes(50)))
    assert order.status == S.RETURNED
    assert order.closed_at == T0 + minutes(50)
    assert order.delivered_at is None


def test_a_cancelled_order_keeps_who_cancelled_and_why() -> None:
    order = order_in(S.PACKED)
    order.cancel(meta(minutes(8)), words("restaurant_too_busy"), "merchant")
    assert order.status == S.CANCELLED
    assert (order.closing_reason, order.cancelling_party) == (
        words("restaurant_too_busy"),
        "merchant",
    )
    assert order.closed_at == T0 + minutes(8)
    assert_replays_equal(order)


@pytest.mark.parametrize(
    ("status", "reason"), [(S.REJECTED, words("kitchen_closed")), (S.EXPIRED, None)]
)
def test_an_order_never_accepted_starts_no_promise_clock(status: S, reason: Sealed | None) -> None:
    order = order_in(status)
    assert order.closing_reason == reason
    assert order.promise_due_at is None
    assert order.is_late(T0 + LATE) is False


def test_departments_and_couriers_can_be_reassigned() -> None:
    # given a confirmed order handed to the kitchen
    order = order_in(S.CONFIRMED)
    order.assign_department(meta(minutes(2)), "kitchen", "chef-1")
    order.assign_department(meta(minutes(3)), "delivery", "dispatch-4")
    # when the kitchen work goes to another chef
    order.assign_department(meta(minutes(4)), "kitchen", "chef-2")
    # then each department has its latest assignee and the order did not move
    assert order.departments == {Department.KITCHEN: "chef-2", Department.DELIVERY: "dispatch-4"}
    assert order.status == S.CONFIRMED
    # and a second courier replaces the first
    for step in TO_PICKED_UP[1:4]:
        step(order)
    order.assign_courier(meta(minutes(6)), "courier-5", "fleetco")
    assert (order.courier, order.courier_provider) == ("courier-5", "fleetco")
    assert_replays_equal(order)


def test_each_confirmation_sent_is_kept() -> None:
    order = order_in(S.CONFIRMED)
    order.send_confirmation(meta(minutes(1)), "sms")
    order.send_confirmation(meta(minutes(2)), "email")
    assert order.confirmations_sent == ["sms", "email"]


@pytest.mark.parametrize(
    ("status", "command", "field"),
    [
        (S.CONFIRMED, lambda o, m: o.send_confirmation(m, "fax"), "via"),
        (S.RECEIVED, lambda o, m: o.reject(m, "plain words"), "reason"),
        (S.RECEIVED, lambda o, m: o.reject(m, words(subject=uuid4())), "reason"),
        (S.CONFIRMED, lambda o, m: o.assign_department(m, "bakery", "chef-1"), "department"),
        (S.CONFIRMED, lambda o, m: o.assign_department(m, "kitchen", " "), "assignee"),
        (S.PACKED, lambda o, m: o.assign_courier(m, "", "fleetco"), "courier"),
        (S.PACKED, lambda o, m: o.assign_courier(m, "courier-1", "p" * 101), "provider"),
        (S.PICKED_UP, lambda o, m: o.fail_delivery(m, "lost"), "reason"),
        (S.CONFIRMED, lambda o, m: o.cancel(m, words(subject=uuid4()), "customer"), "reason"),
        (S.CONFIRMED, lambda o, m: o.cancel(m, words(), "alien"), "cancelling_party"),
        (S.CONFIRMED, lambda o, m: o.update_eta(m, datetime(2026, 11, 23, 10)), "eta"),
        (S.CONFIRMED, lambda o, m: o.update_eta(m, m.occurred_at - minutes(1)), "eta"),
        (S.CONFIRMED, lambda o, m: o.detect_delay(m, 0), "expected_late_min"),
        (S.CONFIRMED, lambda o, m: o.detect_delay(m, 1441), "expected_late_min"),
        (S.CONFIRMED, lambda o, m: o.detect_delay(m, True), "expected_late_min"),
        (S.CONFIRMED, lambda o, m: o.send_delay_notice(m, "fax"), "via"),
        (S.CONFIRMED, lambda o, m: o.record_late(m, "weather"), "attributed_to"),
        (S.CONFIRMED, lambda o, m: o.record_refund(m, "0", "complaint"), "amount"),
        (S.CONFIRMED, lambda o, m: o.record_refund(m, "-5", "complaint"), "amount"),
        (S.CONFIRMED, lambda o, m: o.record_refund(m, "five", "complaint"), "amount"),
        (S.CONFIRMED, lambda o, m: o.record_refund(m, "5", "gift"), "origin"),
    ],
)
def test_invalid_command_input_is_refused_naming_the_field(
    status: S, command: Callable[[Order, Meta], None], field: str
) -> None:
    order = order_in(status)
    recorded = len(order.pending_events)
    with pytest.raises(InvalidInputError) as invalid:
        command(order, meta(LATE))
    assert invalid.value.field == field
    assert len(order.pending_events) == recorded


def test_invalid_input_is_reported_before_the_state() -> None:
    with pytest.raises(InvalidInputError):
        order_in(S.DELIVERED).cancel(meta(LATE), words(), "alien")
