"""One ledger per order: payouts across all its complaints never exceed what the customer paid."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from application.app import CareLedger
from application.errors import ConcurrencyConflictError, NotFoundError
from domain.complaint import Complaint
from domain.complaint_types import NothingRefundedError, Resolution
from domain.errors import CompensationExceedsOrderAmountError, DomainError
from domain.order import Order
from domain.order_ledger import (
    OrderLedger,
    PayoutExceedsOrderAmountError,
    RefundExceedsCompensationError,
    ledger_id,
)
from domain.order_types import OrderItem
from tests.application.builders import ADDRESS, customer, order
from tests.support import CUSTOMER, SYSTEM, T0, meta

THREADS = 8


def proposed(app: CareLedger, customer_id: UUID, order_id: UUID, amount: str) -> UUID:
    """A complaint about the order with a partial refund of `amount` proposed."""
    complaint_id = app.file_complaint(
        meta(actor=CUSTOMER),
        customer_id=customer_id,
        order_id=order_id,
        content="cold soup",
        channel="app",
    ).aggregate_id
    app.classify_complaint(meta(), complaint_id, "logistics", "late_delivery", "general")
    app.assign_responsibility(meta(), complaint_id, "logistics", "agent-7")
    app.start_work(meta(), complaint_id)
    app.propose_solution(meta(), complaint_id, "partial_refund", amount)
    return complaint_id


def confirmed(app: CareLedger, customer_id: UUID, amount: str) -> UUID:
    order_id = order(app, customer_id, amount)
    app.confirm_order(meta(), order_id)
    return order_id


def ledger(app: CareLedger, order_id: UUID) -> OrderLedger:
    return app.load(OrderLedger, ledger_id(order_id))


def test_two_complaints_on_one_order_share_its_amount(app: CareLedger) -> None:
    # given a 20.00 order with two complaints, the first paid 20.00
    customer_id = customer(app)
    order_id = order(app, customer_id, "20.00")
    first = proposed(app, customer_id, order_id, "20.00")
    second = proposed(app, customer_id, order_id, "20.00")
    app.issue_compensation(meta(), first, "20.00", "platform")
    # when the second asks for anything more, it is refused and nothing is recorded
    before = app.load(Complaint, second).version
    with pytest.raises(PayoutExceedsOrderAmountError) as refused:
        app.issue_compensation(meta(), second, "0.01", "platform")
    assert refused.value.code == "PAYOUT_EXCEEDS_ORDER_AMOUNT"
    assert app.load(Complaint, second).version == before
    assert (ledger(app, order_id).paid_out, ledger(app, order_id).room) == (
        Decimal("20.00"),
        Decimal("0.00"),
    )


def test_a_refund_beyond_compensation_already_paid_is_refused(app: CareLedger) -> None:
    # given a 56.00 order compensated 56.00 through a complaint
    customer_id = customer(app)
    order_id = confirmed(app, customer_id, "56.00")
    complaint_id = proposed(app, customer_id, order_id, "56.00")
    app.issue_compensation(meta(), complaint_id, "56.00", "merchant")
    # when a guarantee refund of 56.00 follows, it is refused: the money is gone already
    with pytest.raises(PayoutExceedsOrderAmountError):
        app.record_refund(meta(actor=SYSTEM), order_id, "56.00", "guarantee")
    # and the refund that pays out that compensation is recorded, counted once
    app.record_refund(meta(actor=SYSTEM), order_id, "56.00", "complaint")
    assert app.load(Order, order_id).refunded_total == Decimal("56.00")
    assert (ledger(app, order_id).paid_out, ledger(app, order_id).unsettled) == (
        Decimal("56.00"),
        Decimal("0.00"),
    )


def test_a_complaint_refund_pays_no_more_than_the_compensation_issued(app: CareLedger) -> None:
    # given a 56.00 order compensated 30.00
    customer_id = customer(app)
    order_id = confirmed(app, customer_id, "56.00")
    complaint_id = proposed(app, customer_id, order_id, "30.00")
    app.issue_compensation(meta(), complaint_id, "30.00", "merchant")
    # then refunds of origin complaint pay out those 30.00 and no more
    with pytest.raises(RefundExceedsCompensationError) as refused:
        app.record_refund(meta(actor=SYSTEM), order_id, "30.01", "complaint")
    assert refused.value.code == "REFUND_EXCEEDS_COMPENSATION"
    app.record_refund(meta(actor=SYSTEM), order_id, "20.00", "complaint")
    app.record_refund(meta(actor=SYSTEM), order_id, "10.00", "complaint")
    with pytest.raises(RefundExceedsCompensationError):
        app.record_refund(meta(actor=SYSTEM), order_id, "0.01", "complaint")
    assert ledger(app, order_id).paid_out == Decimal("30.00")


def test_compensation_after_a_cancellation_refund_gets_only_what_is_left(app: CareLedger) -> None:
    # given a 30.00 order refunded 25.00 on cancellation
    customer_id = customer(app)
    order_id = confirmed(app, customer_id, "30.00")
    complaint_id = proposed(app, customer_id, order_id, "10.00")
    app.record_refund(meta(actor=SYSTEM), order_id, "25.00", "cancellation")
    # then a complaint gets 5.00 and not a cent more
    with pytest.raises(PayoutExceedsOrderAmountError):
        app.issue_compensation(meta(), complaint_id, "5.01", "platform")
    app.issue_compensation(meta(), complaint_id, "5.00", "platform")


def test_a_supervisor_exception_raises_the_limit_by_its_amount(app: CareLedger) -> None:
    # given a 20.00 order fully compensated on one complaint, and a second complaint
    customer_id = customer(app)
    order_id = order(app, customer_id, "20.00")
    first, second = (proposed(app, customer_id, order_id, "20.00") for _ in range(2))
    app.issue_compensation(meta(), first, "20.00", "platform")
    # when a supervisor approves 15.00 beyond the order, with a reason
    app.approve_payout_exception(meta(), order_id, "15.00", "food_safety_goodwill")
    # then 15.00 more can be paid, and no more
    with pytest.raises(PayoutExceedsOrderAmountError):
        app.issue_compensation(meta(), second, "15.01", "platform")
    app.issue_compensation(meta(), second, "15.00", "platform")
    assert (ledger(app, order_id).limit, ledger(app, order_id).paid_out) == (
        Decimal("35.00"),
        Decimal("35.00"),
    )


def test_an_exception_needs_an_amount_and_a_reason_code(app: CareLedger) -> None:
    order_id = order(app, customer(app), "20.00")
    free_text = "Zhang San was upset"  # the reason is a code: words belong in reasonText
    for amount, reason in (("0", "goodwill"), ("5.00", ""), ("-1", "goodwill"), ("5", free_text)):
        with pytest.raises(DomainError):
            app.approve_payout_exception(meta(), order_id, amount, reason)
    # nothing was recorded: not even the ledger's opening
    with pytest.raises(NotFoundError):
        ledger(app, order_id)


def test_resolving_as_refunded_with_nothing_paid_is_refused(app: CareLedger) -> None:
    # given a complaint with a refund proposed and nothing issued
    customer_id = customer(app)
    complaint_id = proposed(app, customer_id, order(app, customer_id), "10.00")
    # then it cannot resolve as refunded, but can once compensation is issued
    with pytest.raises(NothingRefundedError) as refused:
        app.resolve_complaint(meta(), complaint_id, "refunded")
    assert refused.value.code == "NOTHING_REFUNDED"
    app.issue_compensation(meta(), complaint_id, "10.00", "platform")
    assert app.resolve_complaint(meta(), complaint_id, "refunded").version > 0


def test_concurrent_payouts_on_one_order_never_exceed_its_amount(app: CareLedger) -> None:
    # given a 20.00 order with eight complaints, each proposing 5.00
    customer_id = customer(app)
    order_id = order(app, customer_id, "20.00")
    app.confirm_order(meta(), order_id)
    complaints = [proposed(app, customer_id, order_id, "5.00") for _ in range(THREADS)]
    start = threading.Barrier(THREADS)
    results: Counter[str] = Counter()
    lock = threading.Lock()

    def pay(n: int) -> None:
        # eight threads pay 5.00 each at once, half as compensation, half as refunds
        start.wait()
        try:
            if n % 2:
                app.issue_compensation(meta(), complaints[n], "5.00", "platform")
            else:
                app.record_refund(meta(actor=SYSTEM), order_id, "5.00", "guarantee")
            outcome = "paid"
        except (PayoutExceedsOrderAmountError, CompensationExceedsOrderAmountError):
            outcome = "refused"
        except ConcurrencyConflictError:
            outcome = "conflict"
        with lock:
            results[outcome] += 1

    threads = [threading.Thread(target=pay, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then exactly what was paid is on the ledger, and it is at most the order's amount
    paid_out = ledger(app, order_id).paid_out
    compensated = sum((app.load(Complaint, c).compensated_total for c in complaints), Decimal(0))
    refunded = app.load(Order, order_id).refunded_total
    assert results["paid"] * Decimal("5.00") == paid_out == compensated + refunded
    assert paid_out <= Decimal("20.00")
    assert results["paid"] + results["refused"] + results["conflict"] == THREADS
    # (four payouts fit; any fewer only where a thread gave up on conflicts)
    assert results["paid"] + results["conflict"] >= 4, results


def test_an_order_recorded_before_ledgers_carries_its_payouts_over(app: CareLedger) -> None:
    # given an order, a complaint and their payouts as recorded before ledgers existed
    customer_id = customer(app)
    legacy = Order.receive(
        meta(actor=CUSTOMER),
        id=UUID(int=7),
        customer_id=customer_id,
        restaurant="Golden Dumpling",
        region="chaoyang",
        items=[OrderItem("dumplings", 1, Decimal("20.00"))],
        amount="20.00",
        promised_at=T0 + timedelta(minutes=40),
        channel="app",
        address=app.vault.seal(customer_id, ADDRESS),
    )
    legacy.confirm(meta())
    legacy.record_refund(meta(actor=SYSTEM), "4.00", "guarantee")
    app.save(legacy)
    first = proposed(app, customer_id, legacy.id, "12.00")
    old = app.load(Complaint, first)
    old.issue_compensation(meta(), "12.00", "platform", Decimal("20.00"))
    app.save(old)
    second = proposed(app, customer_id, legacy.id, "10.00")
    # when the second complaint is paid now, the ledger opens with 16.00 already out
    with pytest.raises(PayoutExceedsOrderAmountError):
        app.issue_compensation(meta(), second, "4.01", "platform")
    app.issue_compensation(meta(), second, "4.00", "platform")
    assert ledger(app, legacy.id).paid_out == Decimal("20.00")
    # and the old complaint's compensation can still be refunded to the customer
    app.record_refund(meta(actor=SYSTEM), legacy.id, "12.00", "complaint")
    assert ledger(app, legacy.id).unsettled == Decimal("4.00")


def test_a_repeated_payout_is_charged_once(app: CareLedger) -> None:
    customer_id = customer(app)
    order_id = order(app, customer_id, "20.00")
    complaint_id = proposed(app, customer_id, order_id, "10.00")
    once = meta(command_id="pay-once")
    first = app.issue_compensation(once, complaint_id, "10.00", "platform")
    again = app.issue_compensation(once, complaint_id, "10.00", "platform")
    assert again.replayed and again.aggregate_id == first.aggregate_id == complaint_id
    assert ledger(app, order_id).paid_out == Decimal("10.00")


def test_a_refunded_resolution_recorded_with_nothing_paid_still_loads(app: CareLedger) -> None:
    # given a complaint resolved as refunded with nothing paid, as the rules once allowed
    customer_id = customer(app)
    complaint_id = proposed(app, customer_id, order(app, customer_id), "10.00")
    old = app.load(Complaint, complaint_id)
    old._resolved(meta=meta(), outcome=Resolution.REFUNDED)
    app.save(old)
    # then it loads as recorded, and later commands work on it
    assert app.load(Complaint, complaint_id).outcome == "refunded"
    app.confirm_satisfied(meta(actor=CUSTOMER), complaint_id)
