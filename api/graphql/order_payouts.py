"""What an order's ledger says about its money (domain/order_ledger.py)."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

import strawberry

from api.graphql.context import Info
from application.errors import NotFoundError
from domain.order_ledger import OrderLedger, ledger_id


@strawberry.type(description="The order's payouts: compensation and refunds on all its complaints")
class OrderPayouts:
    paid: Decimal = strawberry.field(description="What the customer paid")
    paid_out: Decimal = strawberry.field(
        description="Compensation issued plus refunds that pay out no complaint's compensation"
    )
    exceptions: Decimal = strawberry.field(description="Approved by supervisors beyond `paid`")
    limit: Decimal = strawberry.field(description="`paid` plus `exceptions`")
    room: Decimal = strawberry.field(description="What can still be paid out")
    unsettled: Decimal = strawberry.field(
        description="Compensation issued that no refund of origin COMPLAINT has paid out yet"
    )

    @classmethod
    def of(cls, ledger: OrderLedger) -> OrderPayouts:
        return cls(
            paid=ledger.paid,
            paid_out=ledger.paid_out,
            exceptions=ledger.exceptions,
            limit=ledger.limit,
            room=ledger.room,
            unsettled=ledger.unsettled,
        )


async def payouts_of(info: Info, order_id: UUID) -> OrderPayouts | None:
    """The ledger now (None for an order older than ledgers that has paid nothing since)."""
    context = info.context
    try:
        ledger = await context.call(context.services.ledger.load, OrderLedger, ledger_id(order_id))
    except NotFoundError:
        return None
    return OrderPayouts.of(ledger)
