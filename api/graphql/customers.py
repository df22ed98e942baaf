"""Customers over GraphQL: status and tier for staff, contact details behind a guard."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

import strawberry
from strawberry import relay

import api.graphql.enums  # noqa: F401  (gives the domain enums their GraphQL names)
from api.graphql.access import PersonalDataAccess, need_to_know
from api.graphql.context import Info
from api.graphql.entity import Changed, Entity, Loaded
from api.graphql.problems import ForbiddenError, Problems
from api.need_to_know import SEALED
from api.permissions import OWN_DATA
from application.app import CareLedger
from application.customers import ERASED_CONTACT, ContactDetails
from application.vault import ERASED
from domain.customer import Customer, CustomerStatus, Tier


@strawberry.type
class Contact:
    name: str
    phone: str
    email: str | None
    address: str | None


@strawberry.type(name="Customer")
class CustomerView(Loaded, relay.Node):
    key: relay.NodeID[str]
    customer_id: str = strawberry.field(description="The customer's own id (a UUID)")
    version: int
    status: CustomerStatus
    tier_set_by_hand: Tier | None = strawberry.field(
        description="The tier a supervisor set (with a reason); null: it follows the spend"
    )
    registered_at: datetime
    erased_at: datetime | None
    _customer: strawberry.Private[Customer]

    @strawberry.field(
        description='Personal data: "[sealed]" in every field unless the caller needs to know'
        ' it (`contactAccess` says why); "[erased]" after erasure'
    )
    async def contact(self, info: Info) -> Contact:
        context = info.context
        found = await context.call(need_to_know(info).customer, self._customer.id)
        if not found.opened:
            return Contact(name=SEALED, phone=SEALED, email=SEALED, address=SEALED)
        details = await context.call(contact_of, context.services.ledger, self._customer)
        if details != ERASED_CONTACT and found.basis is not None:
            need_to_know(info).note(
                str(self._customer.id), "Customer", self._customer.id, "contact", found.basis
            )
        return Contact(
            name=details.name, phone=details.phone, email=details.email, address=details.address
        )

    @strawberry.field(
        description="The tier now: set by hand, or the one the completed-order spend over the"
        " window of the thresholds in force reaches"
    )
    async def tier(self, info: Info) -> Tier:
        ledger = info.context.services.ledger
        tier: Tier = await info.context.call(
            ledger.customer_tier, self._customer, datetime.now(UTC)
        )
        return tier

    @strawberry.field(
        description="Whether `contact` opened for the caller, and why: for the customer, for"
        " who handles any complaint or order of theirs, through broken glass or a privacy case"
    )
    async def contact_access(self, info: Info) -> PersonalDataAccess:
        found = await info.context.call(need_to_know(info).customer, self._customer.id)
        return PersonalDataAccess.of(found)

    @classmethod
    def of(cls, customer: Customer) -> CustomerView:
        return cls(
            key=str(customer.id),
            customer_id=str(customer.id),
            version=customer.version,
            status=CustomerStatus(customer.status),
            tier_set_by_hand=customer.tier_set_by_hand,
            registered_at=customer.registered_at,
            erased_at=customer.erased_at,
            _customer=customer,
        )


def contact_of(ledger: CareLedger, customer: Customer) -> ContactDetails:
    """The contact details of this version of the customer (all "[erased]" after erasure)."""
    plaintext = ledger.vault.open(customer.contact)
    if plaintext == ERASED:
        return ERASED_CONTACT
    return ContactDetails(**json.loads(plaintext))


async def load_customer(info: Info, customer_id: UUID, version: int | None = None) -> CustomerView:
    context = info.context
    caller = context.authorize("customer")
    if not OWN_DATA.allows(caller, customer_id):
        raise ForbiddenError("customers see only themselves")
    customer = await context.call(context.services.ledger.load, Customer, customer_id, version)
    return CustomerView.of(customer)


CUSTOMER = Entity("customer", Customer, CustomerView, reader=load_customer)
CustomerResult = Annotated[Changed[CustomerView] | Problems, strawberry.union("CustomerResult")]
changed = CUSTOMER.changed
CustomerQueries = CUSTOMER.queries("in order; contact details sealed unless the caller needs them")
