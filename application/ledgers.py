"""The order ledgers: every payout is charged to its order's ledger in the payout's own
transaction, so the ledger's version guards the order's money against concurrent payouts.

An order's ledger opens at its first payout. The first ledger ever opened marks the era of
ledgers: every payout since has been charged to one, so an order without a ledger paid out, if
anything, only before it. Its ledger opens carrying that over, read from the order's own events
and its complaints' (found among the complaint events between the order and the era: none for
an order received since).
"""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from application.errors import NotFoundError
from application.handling import CommandHandling, Outcome, command
from domain.complaint import Complaint
from domain.meta import Meta
from domain.order import Order
from domain.order_ledger import ZERO, OrderLedger, ledger_id
from domain.order_types import RefundOrigin

PAGE = 500
COMPLAINT_TOPICS = ("careledger.ComplaintReceived", "careledger.ComplaintLinked")
OPENED = "careledger.OrderLedgerOpened"


class LedgerCommands(CommandHandling):
    _ledger_era: int | None = None

    @command()
    def approve_payout_exception(
        self, meta: Meta, order_id: UUID, amount: Decimal | str, reason: str
    ) -> Outcome:
        """A supervisor lets the order's payouts go `amount` beyond what the customer paid."""

        def approve(order: Order) -> tuple[OrderLedger]:
            ledger = self.ledger_of(meta, order)
            ledger.approve_exception(meta, amount, reason)
            return (ledger,)

        return self.change_together(meta, Order, order_id, approve)

    def ledger_of(self, meta: Meta, order: Order) -> OrderLedger:
        """The order's ledger, or one opened now (with what was paid before ledgers)."""
        try:
            return self.load(OrderLedger, ledger_id(order.id))
        except NotFoundError:
            out, unsettled = self._paid_before_ledgers(order)
            return OrderLedger.open(meta, order.id, order.amount, out, unsettled)

    def ledger_era(self) -> int | None:
        """The position of the first ledger ever opened (None before there is one)."""
        if self._ledger_era is None:
            first = self.recorder.select_notifications(1, 1, topics=(OPENED,))
            self._ledger_era = first[0].id if first else None
        return self._ledger_era

    def _paid_before_ledgers(self, order: Order) -> tuple[Decimal, Decimal]:
        """Money out and compensation not yet refunded, from the order's own history."""
        compensated = sum((c.compensated_total for c in self._complaints_on(order.id)), start=ZERO)
        by_complaint = other = ZERO
        for event in self.events.get(order.id):
            if hasattr(event, "origin") and hasattr(event, "amount"):
                if RefundOrigin(event.origin) == RefundOrigin.COMPLAINT:
                    by_complaint += event.amount
                else:
                    other += event.amount
        return compensated + other, max(ZERO, compensated - by_complaint)

    def _complaints_on(self, order_id: UUID) -> list[Complaint]:
        """The complaints about the order: filed or linked after it was received."""
        start = self.receipts.position_of(order_id, 1) or 1
        ids: set[UUID] = set()
        while notes := self.recorder.select_notifications(start, PAGE, topics=COMPLAINT_TOPICS):
            for note in notes:
                event = self.mapper.to_domain_event(note)
                if getattr(event, "order_id", None) == order_id:
                    ids.add(event.originator_id)
            start = notes[-1].id + 1
        complaints = [self.load(Complaint, i) for i in sorted(ids)]
        return [c for c in complaints if c.order_id == order_id]
