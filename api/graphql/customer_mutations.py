"""Every customer command as a mutation: input in, `CustomerResult` out.

Staff register customers (a sign-up front-end does it with a staff or integration token, then
issues the customer a token for the id it got back: the application chooses customer ids).
"""

from __future__ import annotations

from uuid import UUID

import strawberry

import api.graphql.enums  # noqa: F401  (gives the domain enums their GraphQL names)
from api.auth import Principal
from api.graphql.context import CommandInput, Info
from api.graphql.customers import CustomerResult, changed
from api.graphql.outcomes import EntityCommands, answer, call
from api.graphql.problems import ForbiddenError
from api.permissions import OWN_DATA
from application.app import CareLedger
from application.customers import ContactDetails
from domain.customer import Tier


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
    tier: Tier | None = strawberry.field(
        description="Null: the tier follows the spend again. reasonText is required"
    )


@strawberry.input(
    description="Break the glass: give `reasonCode` and `reasonText`; the customer's personal"
    " data opens to you for `minutes` (1 to 240)"
)
class BreakGlassInput(CustomerInput):
    minutes: int = 30


def _details(contact: ContactInput) -> ContactDetails:
    return ContactDetails(
        name=contact.name, phone=contact.phone, email=contact.email, address=contact.address
    )


async def _themself(info: Info, caller: Principal, customer_id: UUID) -> None:
    if not OWN_DATA.allows(caller, customer_id):
        raise ForbiddenError("customers may change only their own contact details")


CUSTOMERS = EntityCommands("customer", changed, check=_themself)


@strawberry.type
class CustomerMutations:
    @strawberry.mutation(description="Register a customer; staff only")
    async def register_customer(self, info: Info, input: RegisterCustomerInput) -> CustomerResult:
        async def attempt() -> object:
            context = info.context
            context.authorize("registerCustomer")
            outcome = await context.run(
                context.services.ledger.register_customer,
                context.meta(input),
                _details(input.contact),
            )
            return await changed(info, outcome)

        return await answer(attempt)

    @strawberry.mutation(description="New contact details; the customer themself, or staff")
    async def change_contact(self, info: Info, input: ChangeContactInput) -> CustomerResult:
        return await CUSTOMERS.run(
            info,
            input,
            lambda: call(CareLedger.change_contact, _details(input.contact)),
        )

    @strawberry.mutation(
        description="Set a customer's tier by hand, with the reason (reasonText), or return it"
        " to their spend; supervisors only"
    )
    async def assign_tier(self, info: Info, input: AssignTierInput) -> CustomerResult:
        return await CUSTOMERS.run(info, input, call(CareLedger.assign_tier, input.tier))

    @strawberry.mutation(
        description="Destroy the customer's key: their personal data becomes unreadable"
        " everywhere; counts, states and scores stay. Compliance officers and admins only"
    )
    async def erase_customer(self, info: Info, input: CustomerInput) -> CustomerResult:
        return await CUSTOMERS.run(info, input, call(CareLedger.erase_customer))

    @strawberry.mutation(
        description="Open one customer's personal data to yourself for a while, with a reason"
        " (`reasonCode`, `reasonText`): recorded as GlassBroken, and the privacy officer is"
        " alerted. Agents, supervisors and admins"
    )
    async def break_glass(self, info: Info, input: BreakGlassInput) -> CustomerResult:
        return await CUSTOMERS.run(info, input, call(CareLedger.break_glass, input.minutes))

    @strawberry.mutation(
        description="Open a privacy case on a customer, with a reason (`reasonCode`,"
        " `reasonText`): while it is open their personal data opens to you. Compliance officers"
    )
    async def open_privacy_case(self, info: Info, input: CustomerInput) -> CustomerResult:
        return await CUSTOMERS.run(info, input, call(CareLedger.open_privacy_case))

    @strawberry.mutation(
        description="Close your privacy case on a customer, with a reason; compliance officers"
    )
    async def close_privacy_case(self, info: Info, input: CustomerInput) -> CustomerResult:
        return await CUSTOMERS.run(info, input, call(CareLedger.close_privacy_case))
