from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from application.errors import CustomerErasedError, NotFoundError
from application.handling import Outcome, command, new_id
from application.ledgers import LedgerCommands
from application.vault import Vault
from domain.customer import Customer
from domain.meta import Meta
from domain.order import Order
from domain.order_ledger import OrderLedger
from domain.order_types import OrderItem
from domain.values import Sealed, bounded_text, money

ADDRESS_MAX = 500
REASON_MAX = 200  # a rejection's or a cancellation's reason, in words


class OrderCommands(LedgerCommands):
    vault: Vault

    @command(personal=("address",))
    def receive_order(
        self,
        meta: Meta,
        *,
        customer_id: UUID,
        restaurant: str,
        region: str,
        items: Sequence[OrderItem],
        amount: Decimal | str,
        promised_at: datetime,
        address: str,
        channel: str,
    ) -> Outcome:
        bounded_text("address", address, ADDRESS_MAX)
        self.registered(customer_id)
        return self.create(
            meta,
            Order,
            lambda: Order.receive(
                meta,
                id=new_id(meta, Order),
                customer_id=customer_id,
                restaurant=restaurant,
                region=region,
                items=items,
                amount=amount,
                promised_at=promised_at,
                channel=channel,
                address=self.vault.seal(customer_id, address),
            ),
        )

    @command()
    def confirm_order(self, meta: Meta, order_id: UUID) -> Outcome:
        return self.change(meta, Order, order_id, lambda o: o.confirm(meta))

    @command()
    def send_order_confirmation(self, meta: Meta, order_id: UUID, via: str) -> Outcome:
        return self.change(meta, Order, order_id, lambda o: o.send_confirmation(meta, via))

    @command(personal=("reason",))
    def reject_order(self, meta: Meta, order_id: UUID, reason: str) -> Outcome:
        bounded_text("reason", reason, REASON_MAX)
        return self.change(
            meta, Order, order_id, lambda o: o.reject(meta, self._sealed_reason(o, reason))
        )

    @command()
    def expire_order(self, meta: Meta, order_id: UUID) -> Outcome:
        return self.change(meta, Order, order_id, lambda o: o.expire(meta))

    @command()
    def assign_order_department(
        self, meta: Meta, order_id: UUID, department: str, assignee: str
    ) -> Outcome:
        return self.change(
            meta, Order, order_id, lambda o: o.assign_department(meta, department, assignee)
        )

    @command()
    def start_preparation(self, meta: Meta, order_id: UUID) -> Outcome:
        return self.change(meta, Order, order_id, lambda o: o.start_preparation(meta))

    @command()
    def pack_order(self, meta: Meta, order_id: UUID) -> Outcome:
        return self.change(meta, Order, order_id, lambda o: o.pack(meta))

    @command()
    def assign_courier(self, meta: Meta, order_id: UUID, courier: str, provider: str) -> Outcome:
        return self.change(
            meta, Order, order_id, lambda o: o.assign_courier(meta, courier, provider)
        )

    @command()
    def pick_up_order(self, meta: Meta, order_id: UUID) -> Outcome:
        return self.change(meta, Order, order_id, lambda o: o.pick_up(meta))

    @command()
    def deliver_order(self, meta: Meta, order_id: UUID) -> Outcome:
        """Delivers the order and counts its amount in its customer's spend (their tier
        follows it), in one transaction; a customer never registered counts nothing."""

        def deliver(order: Order) -> tuple[Customer, ...]:
            order.deliver(meta)
            try:
                customer = self.load(Customer, order.customer_id)
            except NotFoundError:
                return ()
            customer.record_spend(meta, order.id, order.amount)
            return (customer,) if customer.pending_events else ()

        return self.change_together(meta, Order, order_id, deliver)

    @command()
    def fail_delivery(self, meta: Meta, order_id: UUID, reason: str) -> Outcome:
        return self.change(meta, Order, order_id, lambda o: o.fail_delivery(meta, reason))

    @command()
    def mark_order_returned(self, meta: Meta, order_id: UUID) -> Outcome:
        return self.change(meta, Order, order_id, lambda o: o.mark_returned(meta))

    @command(personal=("reason",))
    def cancel_order(
        self, meta: Meta, order_id: UUID, reason: str, cancelling_party: str
    ) -> Outcome:
        bounded_text("reason", reason, REASON_MAX)

        def cancel(order: Order) -> None:
            order.cancel(meta, self._sealed_reason(order, reason), cancelling_party)

        return self.change(meta, Order, order_id, cancel)

    @command()
    def update_eta(self, meta: Meta, order_id: UUID, eta: datetime) -> Outcome:
        return self.change(meta, Order, order_id, lambda o: o.update_eta(meta, eta))

    @command()
    def detect_delay(self, meta: Meta, order_id: UUID, expected_late_min: int) -> Outcome:
        return self.change(meta, Order, order_id, lambda o: o.detect_delay(meta, expected_late_min))

    @command()
    def send_delay_notice(self, meta: Meta, order_id: UUID, via: str) -> Outcome:
        return self.change(meta, Order, order_id, lambda o: o.send_delay_notice(meta, via))

    @command()
    def record_order_late(self, meta: Meta, order_id: UUID, attributed_to: str) -> Outcome:
        return self.change(meta, Order, order_id, lambda o: o.record_late(meta, attributed_to))

    @command()
    def record_refund(
        self, meta: Meta, order_id: UUID, amount: Decimal | str, origin: str
    ) -> Outcome:
        """Records the refund and charges the order's ledger, in one transaction."""

        def refund(order: Order) -> tuple[OrderLedger]:
            ledger = self.ledger_of(meta, order)
            order.record_refund(meta, amount, origin, ledger.limit)
            ledger.charge_refund(meta, money("amount", amount), origin)
            return (ledger,)

        return self.change_together(meta, Order, order_id, refund)

    def _sealed_reason(self, order: Order, reason: str) -> Sealed | None:
        """The reason's words sealed under the customer's key; none once the customer was
        erased: the order still closes, and nothing may be kept of the words."""
        try:
            return self.vault.seal(order.customer_id, reason)
        except CustomerErasedError:
            return None
