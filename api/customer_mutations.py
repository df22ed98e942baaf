"""Every customer command as a mutation: input in, `CustomerResult` out.

Staff register customers (a sign-up front-end does it with a staff or integration token, then
issues the customer a token for the id it got back: the application chooses customer ids).
"""

from __future__ import annotations

from typing import Any

import strawberry

import api.enums  # noqa: F401  (gives the domain enums their GraphQL names)
from api.auth import Role
from api.context import CommandInput, Context, parse_id
from api.customers import STAFF, CustomerResult, changed
from api.outcomes import answer
from api.problems import ForbiddenError
from application.customers import ContactDetails
from domain.customer import Tier

Info = strawberry.Info[Context, None]


@strawberry.input(description="Personal data: stored sealed with the customer's own key")
class ContactInput:
    name: str
    phone: str
    email: str | None = None
    address: str | None = None


@strawberry.input
class RegisterCustomerInput(CommandInput):
    contact: ContactInput


@strawberry.input
class CustomerInput(CommandInput):
    customer_id: strawberry.ID


@strawberry.input
class ChangeContactInput(CustomerInput):
    contact: ContactInput


@strawberry.input
class AssignTierInput(CustomerInput):
    tier: Tier


def _details(contact: ContactInput) -> ContactDetails:
    return ContactDetails(
        name=contact.name, phone=contact.phone, email=contact.email, address=contact.address
    )


async def _change(info: Info, input: CustomerInput, role: Role, name: str, *args: object) -> Any:
    """The common shape: one role (and admins), one customer, the named application command."""

    async def attempt() -> object:
        context = info.context
        context.require(role)
        command = getattr(context.services.ledger, name)
        customer_id = parse_id("customerId", input.customer_id)
        outcome = await context.run(command, context.meta(input), customer_id, *args)
        return await changed(info, outcome)

    return await answer(attempt)


@strawberry.type
class CustomerMutations:
    @strawberry.mutation(description="Register a customer; staff only")
    async def register_customer(self, info: Info, input: RegisterCustomerInput) -> CustomerResult:
        async def attempt() -> object:
            context = info.context
            context.require(*STAFF)
            outcome = await context.run(
                context.services.ledger.register_customer,
                context.meta(input),
                _details(input.contact),
            )
            return await changed(info, outcome)

        return await answer(attempt)

    @strawberry.mutation(description="New contact details; the customer themself, or staff")
    async def change_contact(self, info: Info, input: ChangeContactInput) -> CustomerResult:
        async def attempt() -> object:
            context = info.context
            caller = context.require(Role.CUSTOMER, *STAFF)
            customer_id = parse_id("customerId", input.customer_id)
            if caller.role is Role.CUSTOMER and not caller.is_customer(customer_id):
                raise ForbiddenError("customers may change only their own contact details")
            outcome = await context.run(
                context.services.ledger.change_contact,
                context.meta(input),
                customer_id,
                _details(input.contact),
            )
            return await changed(info, outcome)

        return await answer(attempt)

    @strawberry.mutation(description="Supervisors only")
    async def assign_tier(self, info: Info, input: AssignTierInput) -> CustomerResult:
        return await _change(info, input, Role.SUPERVISOR, "assign_tier", input.tier)

    @strawberry.mutation(
        description="Destroy the customer's key: their personal data becomes unreadable"
        " everywhere; counts, states and scores stay. Compliance officers and admins only"
    )
    async def erase_customer(self, info: Info, input: CustomerInput) -> CustomerResult:
        return await _change(info, input, Role.COMPLIANCE_OFFICER, "erase_customer")
