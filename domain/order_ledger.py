"""One ledger per order: every payout on the order, so that together they never exceed what the
customer paid (plus what a supervisor approved beyond it).

Money out is the compensation issued on the order's complaints plus the refunds that do not
pay out a complaint's compensation (guarantee, cancellation). A refund of origin `complaint`
is the payment of compensation already counted: it settles it and adds nothing, and it may not
exceed the compensation still unsettled.
"""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID, uuid5

from domain.base import CareAggregate, Meta, recorded
from domain.errors import InvalidInputError, RuleViolationError
from domain.order_types import RefundOrigin
from domain.values import coded, money, one_of

ZERO = Decimal("0.00")
LEDGER_NAMESPACE = UUID("3b1f6c52-8e0d-5a47-9c2e-71d4a0b8f6e3")
REASON_MAX = 64


def ledger_id(order_id: UUID) -> UUID:
    """The ledger's id, derived from its order's: every command finds the same one."""
    return uuid5(LEDGER_NAMESPACE, f"OrderLedger/{order_id}")


class PayoutExceedsOrderAmountError(RuleViolationError):
    code = "PAYOUT_EXCEEDS_ORDER_AMOUNT"

    def __init__(self, requested: str, limit: str) -> None:
        super().__init__(
            f"payouts on this order would come to {requested}, above the {limit} it allows"
            " (what the customer paid plus approved exceptions)"
        )
        self.requested = requested
        self.limit = limit


class RefundExceedsCompensationError(RuleViolationError):
    code = "REFUND_EXCEEDS_COMPENSATION"

    def __init__(self, requested: str, unsettled: str) -> None:
        super().__init__(
            f"a complaint refund of {requested} pays more than the {unsettled} of compensation"
            " issued on this order and not yet refunded"
        )
        self.requested = requested
        self.unsettled = unsettled


class OrderLedger(CareAggregate):
    TOPIC = "careledger.OrderLedger"

    class Created(CareAggregate.Created):
        TOPIC = "careledger.OrderLedger.Created"

    @recorded("OrderLedgerOpened")
    def __init__(
        self,
        meta: Meta,
        order_id: UUID,
        paid: Decimal,
        carried_out: Decimal,
        carried_unsettled: Decimal,
        *,
        id: UUID,
    ) -> None:
        self.order_id = order_id
        self.paid = paid
        self.paid_out = carried_out
        self.unsettled = carried_unsettled
        self.exceptions = ZERO

    @classmethod
    def open(
        cls,
        meta: Meta,
        order_id: UUID,
        paid: Decimal,
        carried_out: Decimal = ZERO,
        carried_unsettled: Decimal = ZERO,
    ) -> OrderLedger:
        """A new order's ledger, or (carried) an order's whose payouts predate ledgers."""
        return cls(
            meta=meta,
            order_id=order_id,
            paid=money("paid", paid),
            carried_out=money("carried_out", carried_out),
            carried_unsettled=money("carried_unsettled", carried_unsettled),
            id=ledger_id(order_id),
        )

    @property
    def limit(self) -> Decimal:
        return self.paid + self.exceptions

    @property
    def room(self) -> Decimal:
        return max(ZERO, self.limit - self.paid_out)

    def charge_compensation(self, meta: Meta, complaint_id: UUID, amount: Decimal) -> None:
        self._check_room(amount)
        self._compensation_charged(meta=meta, complaint_id=complaint_id, amount=amount)

    @recorded("CompensationCharged")
    def _compensation_charged(self, meta: Meta, complaint_id: UUID, amount: Decimal) -> None:
        self.paid_out += amount
        self.unsettled += amount

    def charge_refund(self, meta: Meta, amount: Decimal, origin: str) -> None:
        checked = one_of("origin", origin, RefundOrigin)
        if checked == RefundOrigin.COMPLAINT and amount > self.unsettled:
            raise RefundExceedsCompensationError(str(amount), str(self.unsettled))
        if checked != RefundOrigin.COMPLAINT:
            self._check_room(amount)
        self._refund_charged(meta=meta, amount=amount, origin=checked)

    @recorded("RefundCharged")
    def _refund_charged(self, meta: Meta, amount: Decimal, origin: RefundOrigin) -> None:
        if RefundOrigin(origin) == RefundOrigin.COMPLAINT:
            self.unsettled -= amount
        else:
            self.paid_out += amount

    def approve_exception(self, meta: Meta, amount: Decimal | str, reason: str) -> None:
        checked = money("amount", amount)
        if checked == ZERO:
            raise InvalidInputError("amount", "must be above 0")
        code = coded("reason", reason, REASON_MAX)
        self._exception_approved(meta=meta, amount=checked, reason=code)

    @recorded("PayoutExceptionApproved")
    def _exception_approved(self, meta: Meta, amount: Decimal, reason: str) -> None:
        self.exceptions += amount

    def _check_room(self, amount: Decimal) -> None:
        if self.paid_out + amount > self.limit:
            raise PayoutExceedsOrderAmountError(str(self.paid_out + amount), str(self.limit))
