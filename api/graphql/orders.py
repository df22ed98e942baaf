"""Orders over GraphQL: the order, its history, and every order command."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Annotated, TypeVar

import strawberry
from strawberry import relay

from api.graphql.access import (
    Field,
    PersonalDataAccess,
    access_of,
    open_if_allowed,
    open_recorded,
)
from api.graphql.context import Info
from api.graphql.entity import Changed, Entity, Loaded
from api.graphql.enums import (
    CancellingParty,
    Channel,
    ConfirmationVia,
    DelayRisk,
    FailureReason,
    LateAttribution,
    OrderDepartment,
    OrderStatus,
)
from api.graphql.order_payouts import OrderPayouts, payouts_of
from api.graphql.problems import Problems
from api.need_to_know import order_handling
from domain.order import Order

E = TypeVar("E")


@strawberry.type(name="OrderItem")
class OrderItemView:
    name: str
    quantity: int
    unit_price: Decimal


@strawberry.type
class DepartmentAssignment:
    department: OrderDepartment
    assignee: str


@strawberry.type(name="Order")
class OrderView(Loaded, relay.Node):
    key: relay.NodeID[str]
    order_id: str = strawberry.field(description="The order's own id (a UUID)")
    version: int
    status: OrderStatus
    customer_id: str
    restaurant: str
    region: str
    channel: Channel
    items: list[OrderItemView]
    amount: Decimal
    promised_at: datetime
    eta: datetime | None
    confirmations_sent: list[ConfirmationVia]
    departments: list[DepartmentAssignment]
    courier: str | None
    courier_provider: str | None
    failure_reason: FailureReason | None
    cancelling_party: CancellingParty | None
    delay_risk: DelayRisk
    expected_late_min: int | None
    delay_notices_sent: list[ConfirmationVia]
    late_min: int | None
    late_attributed_to: LateAttribution | None
    refunded_total: Decimal
    linked_incident_ids: list[str] = strawberry.field(
        description="The incidents that linked this order (the reverse of Incident.orderIds)"
    )
    received_at: datetime
    confirmed_at: datetime | None
    picked_up_at: datetime | None
    delivered_at: datetime | None
    _order: strawberry.Private[Order]

    @strawberry.field(
        description='Personal data: the delivery address, or "[sealed]" unless the caller needs'
        " to know it (`addressAccess` says why)"
    )
    async def address(self, info: Info) -> str | None:
        where = Field("Order", self._order.id, "address")
        opened = await open_if_allowed(
            info, order_handling(self._order), self._order.address, where
        )
        return opened

    @strawberry.field(
        description='Personal data: why it was rejected or cancelled, in words; "[sealed]"'
        ' unless the caller needs to know the order\'s personal data (as `address`), "[erased]"'
        " once the customer was erased; null until it is rejected or cancelled"
    )
    async def closing_reason(self, info: Info) -> str | None:
        where = Field("Order", self._order.id, "closing_reason")
        handling = order_handling(self._order)
        return await open_recorded(info, handling, self._order.closing_reason, where)

    @strawberry.field(description="Whether `address` opened for the caller, and why")
    async def address_access(self, info: Info) -> PersonalDataAccess:
        return PersonalDataAccess.of(await access_of(info, order_handling(self._order)))

    @strawberry.field(description="The order's ledger as it is now, whatever the version asked")
    async def payouts(self, info: Info) -> OrderPayouts | None:
        return await payouts_of(info, self._order.id)

    @classmethod
    def of(cls, order: Order) -> OrderView:
        return cls(
            key=str(order.id),
            order_id=str(order.id),
            version=order.version,
            status=OrderStatus(order.status),
            customer_id=str(order.customer_id),
            restaurant=order.restaurant,
            region=order.region,
            channel=Channel(order.channel),
            items=[
                OrderItemView(name=i.name, quantity=i.quantity, unit_price=i.unit_price)
                for i in order.items
            ],
            amount=order.amount,
            promised_at=order.promised_at,
            eta=order.eta,
            confirmations_sent=[ConfirmationVia(v) for v in order.confirmations_sent],
            departments=[
                DepartmentAssignment(department=OrderDepartment(d), assignee=a)
                for d, a in order.departments.items()
            ],
            courier=order.courier,
            courier_provider=order.courier_provider,
            failure_reason=_maybe(FailureReason, order.failure_reason),
            cancelling_party=_maybe(CancellingParty, order.cancelling_party),
            delay_risk=DelayRisk(order.delay_risk),
            expected_late_min=order.expected_late_min,
            delay_notices_sent=[ConfirmationVia(v) for v in order.delay_notices_sent],
            late_min=order.late_min,
            late_attributed_to=_maybe(LateAttribution, order.late_attributed_to),
            refunded_total=order.refunded_total,
            linked_incident_ids=[str(i) for i in order.linked_incident_ids],
            received_at=order.received_at,
            confirmed_at=order.confirmed_at,
            picked_up_at=order.picked_up_at,
            delivered_at=order.delivered_at,
            _order=order,
        )


def _maybe(kind: Callable[[str], E], value: str | None) -> E | None:
    return None if value is None else kind(value)


ORDER = Entity("order", Order, OrderView, owner=lambda order: order.customer_id)
OrderResult = Annotated[Changed[OrderView] | Problems, strawberry.union("OrderResult")]
changed, load_order = ORDER.changed, ORDER.load
OrderQueries = ORDER.queries()
