"""The Order's promise: the clock, delays, lateness, and refunds within the order amount."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from domain.errors import CompensationExceedsOrderAmountError
from domain.order_types import (
    DelayRisk,
    OrderAlreadyLateError,
    OrderNotDelayedError,
    OrderNotLateError,
)
from domain.order_types import OrderStatus as S
from tests.support import T0, meta, minutes
from tests.unit.order_paths import LATE, PROMISED_AT, event_names, fail, order_in
from tests.unit.replay import assert_replays_equal

# --- the promise, delays and lateness -------------------------------------------------------


def test_confirmation_starts_the_promise_clock_and_an_eta_does_not_move_it() -> None:
    # given a confirmed order
    order = order_in(S.CONFIRMED)
    assert order.promise_due_at == PROMISED_AT
    # when the ETA slips past the promise
    order.update_eta(meta(minutes(20)), T0 + minutes(70))
    # then the ETA is kept, and the promise still falls due at the promised time
    assert order.eta == T0 + minutes(70)
    assert order.promise_due_at == PROMISED_AT


def test_an_undelivered_order_is_late_once_the_promise_has_passed() -> None:
    order = order_in(S.PICKED_UP)
    assert order.is_late(PROMISED_AT) is False
    assert order.is_late(PROMISED_AT + minutes(1) / 60) is True


def test_a_delivered_order_is_late_only_if_delivered_after_the_promise() -> None:
    # an order delivered on time (T0 + 30 min) stays on time for ever
    assert order_in(S.DELIVERED).is_late(T0 + LATE) is False
    # an order delivered 5 minutes late was late from the promise on
    order = order_in(S.PICKED_UP)
    order.deliver(meta(PROMISED_AT + minutes(5)))
    assert order.is_late(PROMISED_AT) is False
    assert order.is_late(PROMISED_AT + minutes(2)) is True
    assert order.is_late(T0 + LATE) is True


def test_a_detected_delay_records_the_stage_and_puts_the_order_at_risk() -> None:
    order = order_in(S.PACKED)
    order.detect_delay(meta(minutes(20)), 12)
    event = order.pending_events[-1]
    assert (event.expected_late_min, event.stage) == (12, "Packed")  # type: ignore[attr-defined]
    assert order.delay_risk is DelayRisk.AT_RISK
    assert order.expected_late_min == 12


def test_no_delay_notice_for_an_order_on_time() -> None:
    # given an order on time and no delay detected
    order = order_in(S.COURIER_ASSIGNED)
    recorded = len(order.pending_events)
    # when a delay notice is asked for before the promise, then it is refused
    with pytest.raises(OrderNotDelayedError):
        order.send_delay_notice(meta(minutes(20)), "sms")
    assert len(order.pending_events) == recorded
    # and so it is for an order delivered on time, or one not yet confirmed
    with pytest.raises(OrderNotDelayedError):
        order_in(S.DELIVERED).send_delay_notice(meta(LATE), "sms")
    with pytest.raises(OrderNotDelayedError):
        order_in(S.RECEIVED).send_delay_notice(meta(LATE), "sms")


def test_a_delay_notice_follows_a_detected_delay_or_a_missed_promise() -> None:
    # given an order found at risk before the promise
    order = order_in(S.PACKED)
    order.detect_delay(meta(minutes(20)), 10)
    # when the customer is told, then the notice is recorded
    order.send_delay_notice(meta(minutes(21)), "sms")
    # and an order delivered late can be told too, without a detected delay
    late = order_in(S.PICKED_UP)
    late.deliver(meta(PROMISED_AT + minutes(5)))
    late.send_delay_notice(meta(LATE), "email")
    assert order.delay_notices_sent == ["sms"]
    assert late.delay_notices_sent == ["email"]


@pytest.mark.parametrize(
    ("past_promise", "late_min"),
    [(minutes(1) / 6, 1), (minutes(1), 1), (minutes(1) + minutes(1) / 60, 2), (LATE, 180)],
)
def test_lateness_is_counted_in_whole_minutes_rounded_up(past_promise: Any, late_min: int) -> None:
    # given an order on its way
    order = order_in(S.PICKED_UP)
    # when it is recorded late some time past the promise
    order.record_late(meta(PROMISED_AT + past_promise), "courier")
    # then it is late by whole minutes, attributed, and marked late
    assert order.late_min == late_min
    assert order.late_attributed_to == "courier"
    assert order.delay_risk is DelayRisk.LATE
    assert event_names(order)[-1] == "OrderLate"


def test_a_delivered_order_is_late_by_its_delivery_time() -> None:
    order = order_in(S.PICKED_UP)
    order.deliver(meta(PROMISED_AT + minutes(25) + minutes(1) / 2))
    order.record_late(meta(LATE), "merchant")
    assert order.late_min == 26


@pytest.mark.parametrize(
    ("status", "at"),
    [(S.PICKED_UP, PROMISED_AT), (S.DELIVERY_FAILED, T0 + minutes(44)), (S.DELIVERED, T0 + LATE)],
)
def test_an_order_that_kept_its_promise_is_not_late(status: S, at: datetime) -> None:
    order = order_in(status)
    recorded = len(order.pending_events)
    with pytest.raises(OrderNotLateError):
        order.record_late(meta(at), "platform")
    assert len(order.pending_events) == recorded
    assert order.delay_risk is DelayRisk.ON_TRACK


def test_an_order_is_recorded_late_once() -> None:
    order = order_in(S.DELIVERY_FAILED)
    order.record_late(meta(LATE), "force_majeure")
    recorded = len(order.pending_events)
    with pytest.raises(OrderAlreadyLateError) as again:
        order.record_late(meta(LATE + minutes(30)), "courier")
    assert again.value.late_min == 135
    assert len(order.pending_events) == recorded
    assert order.late_attributed_to == "force_majeure"


def test_a_delay_detected_after_lateness_keeps_the_order_late() -> None:
    order = order_in(S.PICKED_UP)
    order.record_late(meta(LATE), "courier")
    order.detect_delay(meta(LATE), 30)
    assert order.delay_risk is DelayRisk.LATE


# --- refunds --------------------------------------------------------------------------------


def test_refunds_add_up_to_at_most_the_order_amount() -> None:
    # given a delivered order of 19.00, refunded 5.00 after a complaint
    order = order_in(S.DELIVERED)
    order.record_refund(meta(LATE), "5.00", "complaint")
    recorded = len(order.pending_events)
    # when a further 14.01 is asked, then it is refused with the total and the limit
    with pytest.raises(CompensationExceedsOrderAmountError) as refused:
        order.record_refund(meta(LATE), "14.01", "guarantee")
    assert (refused.value.requested, refused.value.limit) == ("19.01", "19.00")
    assert len(order.pending_events) == recorded
    # and the rest of the amount, exactly, is accepted
    order.record_refund(meta(LATE), Decimal("14"), "guarantee")
    assert order.refunded_total == Decimal("19.00")
    assert_replays_equal(order)


def test_a_cancelled_order_can_be_refunded() -> None:
    order = order_in(S.CANCELLED)
    order.record_refund(meta(minutes(3)), "19.00", "cancellation")
    assert order.refunded_total == Decimal("19.00")


def test_a_failed_delivery_path_replays_equal() -> None:
    order = order_in(S.PICKED_UP)
    fail(order)
    order.update_eta(meta(minutes(31)), T0 + minutes(60))
    order.detect_delay(meta(minutes(31)), 15)
    order.send_delay_notice(meta(minutes(32)), "app")
    assert_replays_equal(order)
