"""Find the customer on the line: by phone, e-mail, customer, order or complaint number.

Phones and e-mails are looked up through the keyed blind index (application/contact_index.py),
so no contact detail is read or stored in the clear to find them.
"""

from __future__ import annotations

from enum import Enum
from uuid import UUID

import strawberry

from api.graphql.context import Info
from api.graphql.customers import CustomerView
from application.app import CareLedger
from application.errors import NotFoundError
from domain.base import CareAggregate
from domain.complaint import Complaint
from domain.customer import Customer
from domain.errors import InvalidInputError
from domain.order import Order

TEXT_MAX = 254
MATCHES_MAX = 20


@strawberry.enum
class MatchedBy(Enum):
    PHONE = "phone"
    EMAIL = "email"
    CUSTOMER = "customer"
    ORDER = "order"
    COMPLAINT = "complaint"


@strawberry.type(description="A customer found, and what the typed text matched")
class CustomerMatch:
    matched_by: MatchedBy
    customer: CustomerView
    order_id: strawberry.ID | None = None
    complaint_id: strawberry.ID | None = None


def _by_number(ledger: CareLedger, number: UUID) -> list[CustomerMatch]:
    """The customer, order or complaint with this id, as the customer it belongs to."""
    try:
        found = ledger.load(CareAggregate, number)
    except NotFoundError:
        return []
    if isinstance(found, Customer):
        return [CustomerMatch(matched_by=MatchedBy.CUSTOMER, customer=CustomerView.of(found))]
    if not isinstance(found, Order | Complaint):
        return []
    owner = CustomerView.of(ledger.load(Customer, found.customer_id))
    if isinstance(found, Order):
        order_id = strawberry.ID(str(found.id))
        return [CustomerMatch(matched_by=MatchedBy.ORDER, customer=owner, order_id=order_id)]
    complaint_id = strawberry.ID(str(found.id))
    return [
        CustomerMatch(matched_by=MatchedBy.COMPLAINT, customer=owner, complaint_id=complaint_id)
    ]


def find_customers(ledger: CareLedger, text: str) -> list[CustomerMatch]:
    typed = text.strip()
    if not typed or len(typed) > TEXT_MAX:
        raise InvalidInputError("text", f"must be 1 to {TEXT_MAX} characters")
    try:
        return _by_number(ledger, UUID(typed))
    except ValueError:
        pass
    by = MatchedBy.EMAIL if "@" in typed else MatchedBy.PHONE
    found = ledger.contact_index.find(typed)[:MATCHES_MAX]
    customers = [ledger.load(Customer, customer_id) for customer_id in found]
    return [CustomerMatch(matched_by=by, customer=CustomerView.of(c)) for c in customers]


@strawberry.type
class FindCustomerQueries:
    @strawberry.field(
        description="The customer on the line: type their phone (spaces, dashes, +86 ignored),"
        f" e-mail, or a customer, order or complaint number; at most {MATCHES_MAX} matches"
    )
    async def find_customer(self, info: Info, text: str) -> list[CustomerMatch]:
        context = info.context
        context.authorize("findCustomer")
        return await context.call(find_customers, context.services.ledger, text)
