"""Every order command as a mutation: input in, `OrderResult` out."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from api.graphql.context import CommandInput, Info, parse_id
from api.graphql.enums import (
    CancellingParty,
    Channel,
    ConfirmationVia,
    FailureReason,
    LateAttribution,
    OrderDepartment,
    RefundOrigin,
)
from api.graphql.orders import ORDER, OrderResult, changed
from api.graphql.outcomes import EntityCommands, answer, call
from api.graphql.problems import ForbiddenError
from api.permissions import OWN_DATA
from application.app import CareLedger
from domain.order_types import OrderItem


@strawberry.input
class OrderItemInput:
    name: str
    quantity: int
    unit_price: Decimal


@strawberry.input
class PlaceOrderInput(CommandInput):
    customer_id: strawberry.ID
    restaurant: str
    region: str
    items: list[OrderItemInput]
    amount: Decimal
    promised_at: datetime
    address: str = strawberry.field(description="Personal data: stored sealed")
    channel: Channel


@strawberry.input
class OrderInput(CommandInput):
    order_id: strawberry.ID


@strawberry.input
class ViaInput(OrderInput):
    via: ConfirmationVia


@strawberry.input
class RejectOrderInput(OrderInput):
    reason: str = strawberry.field(
        description="Personal data: why, in words, sealed under the customer's key (erased with"
        " them)"
    )


@strawberry.input
class AssignDepartmentInput(OrderInput):
    department: OrderDepartment
    assignee: str


@strawberry.input
class AssignCourierInput(OrderInput):
    courier: str
    provider: str


@strawberry.input
class FailDeliveryInput(OrderInput):
    reason: FailureReason


@strawberry.input
class CancelOrderInput(OrderInput):
    reason: str = strawberry.field(
        description="Personal data: why, in words, sealed under the customer's key (erased with"
        " them)"
    )
    cancelling_party: CancellingParty


@strawberry.input
class UpdateEtaInput(OrderInput):
    eta: datetime


@strawberry.input
class DetectDelayInput(OrderInput):
    expected_late_min: int


@strawberry.input
class RecordLateInput(OrderInput):
    attributed_to: LateAttribution


@strawberry.input
class RecordRefundInput(OrderInput):
    amount: Decimal
    origin: RefundOrigin


@strawberry.input
class ApprovePayoutExceptionInput(OrderInput):
    amount: Decimal = strawberry.field(description="How far beyond what was paid payouts may go")
    reason: str = strawberry.field(description="A code for why, e.g. food_safety_goodwill")


ORDERS = EntityCommands(
    "order", changed, check=ORDER.own_data("customers may act only on their own orders")
)


@strawberry.type
class OrderMutations:
    @strawberry.mutation(description="Take an order from any channel; customers for themselves")
    async def place_order(self, info: Info, input: PlaceOrderInput) -> OrderResult:
        async def attempt() -> object:
            context = info.context
            caller = context.authorize("placeOrder")
            customer_id = parse_id("customerId", input.customer_id)
            if not OWN_DATA.allows(caller, customer_id):
                raise ForbiddenError("customers may place orders only for themselves")
            items = [OrderItem(i.name, i.quantity, i.unit_price) for i in input.items]
            outcome = await context.run(
                context.services.ledger.receive_order,
                context.meta(input, input.channel),
                customer_id=customer_id,
                restaurant=input.restaurant,
                region=input.region,
                items=items,
                amount=input.amount,
                promised_at=input.promised_at,
                address=input.address,
                channel=input.channel,
            )
            return await changed(info, outcome)

        return await answer(attempt)

    @strawberry.mutation
    async def confirm_order(self, info: Info, input: OrderInput) -> OrderResult:
        return await ORDERS.run(info, input, call(CareLedger.confirm_order))

    @strawberry.mutation
    async def send_order_confirmation(self, info: Info, input: ViaInput) -> OrderResult:
        return await ORDERS.run(info, input, call(CareLedger.send_order_confirmation, input.via))

    @strawberry.mutation
    async def reject_order(self, info: Info, input: RejectOrderInput) -> OrderResult:
        return await ORDERS.run(info, input, call(CareLedger.reject_order, input.reason))

    @strawberry.mutation
    async def expire_order(self, info: Info, input: OrderInput) -> OrderResult:
        return await ORDERS.run(info, input, call(CareLedger.expire_order))

    @strawberry.mutation
    async def assign_order_department(
        self, info: Info, input: AssignDepartmentInput
    ) -> OrderResult:
        return await ORDERS.run(
            info, input, call(CareLedger.assign_order_department, input.department, input.assignee)
        )

    @strawberry.mutation
    async def start_preparation(self, info: Info, input: OrderInput) -> OrderResult:
        return await ORDERS.run(info, input, call(CareLedger.start_preparation))

    @strawberry.mutation
    async def pack_order(self, info: Info, input: OrderInput) -> OrderResult:
        return await ORDERS.run(info, input, call(CareLedger.pack_order))

    @strawberry.mutation
    async def assign_courier(self, info: Info, input: AssignCourierInput) -> OrderResult:
        return await ORDERS.run(
            info, input, call(CareLedger.assign_courier, input.courier, input.provider)
        )

    @strawberry.mutation
    async def pick_up_order(self, info: Info, input: OrderInput) -> OrderResult:
        return await ORDERS.run(info, input, call(CareLedger.pick_up_order))

    @strawberry.mutation
    async def deliver_order(self, info: Info, input: OrderInput) -> OrderResult:
        return await ORDERS.run(info, input, call(CareLedger.deliver_order))

    @strawberry.mutation
    async def fail_delivery(self, info: Info, input: FailDeliveryInput) -> OrderResult:
        return await ORDERS.run(info, input, call(CareLedger.fail_delivery, input.reason))

    @strawberry.mutation
    async def mark_order_returned(self, info: Info, input: OrderInput) -> OrderResult:
        return await ORDERS.run(info, input, call(CareLedger.mark_order_returned))

    @strawberry.mutation(description="Customers may cancel their own orders")
    async def cancel_order(self, info: Info, input: CancelOrderInput) -> OrderResult:
        return await ORDERS.run(
            info,
            input,
            call(CareLedger.cancel_order, input.reason, input.cancelling_party),
        )

    @strawberry.mutation
    async def update_eta(self, info: Info, input: UpdateEtaInput) -> OrderResult:
        return await ORDERS.run(info, input, call(CareLedger.update_eta, input.eta))

    @strawberry.mutation
    async def detect_delay(self, info: Info, input: DetectDelayInput) -> OrderResult:
        return await ORDERS.run(info, input, call(CareLedger.detect_delay, input.expected_late_min))

    @strawberry.mutation
    async def send_delay_notice(self, info: Info, input: ViaInput) -> OrderResult:
        return await ORDERS.run(info, input, call(CareLedger.send_delay_notice, input.via))

    @strawberry.mutation
    async def record_order_late(self, info: Info, input: RecordLateInput) -> OrderResult:
        return await ORDERS.run(
            info, input, call(CareLedger.record_order_late, input.attributed_to)
        )

    @strawberry.mutation
    async def record_refund(self, info: Info, input: RecordRefundInput) -> OrderResult:
        return await ORDERS.run(
            info, input, call(CareLedger.record_refund, input.amount, input.origin)
        )

    @strawberry.mutation(
        description="A supervisor lets this order's compensation and refunds together exceed"
        " what the customer paid, by an amount and for a reason"
    )
    async def approve_payout_exception(
        self, info: Info, input: ApprovePayoutExceptionInput
    ) -> OrderResult:
        return await ORDERS.run(
            info,
            input,
            call(CareLedger.approve_payout_exception, input.amount, input.reason),
        )
