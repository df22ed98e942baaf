"""Commands that put aggregates into a known state, shared by the application tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

from application.app import CareLedger
from application.customers import ContactDetails
from domain.customer import Customer
from domain.order_types import OrderItem
from tests.support import CUSTOMER, T0, meta

PHONE = "+86 138 0013 8000"
ADDRESS = "88 Jianguo Road, Chaoyang, Beijing"
CONTACT = ContactDetails(name="Li Wei", phone=PHONE, email="li.wei@example.com", address=ADDRESS)


def customer(app: CareLedger) -> UUID:
    return app.register_customer(meta(actor=CUSTOMER), CONTACT).aggregate_id


def registered(app: CareLedger, customer_id: UUID | str, contact: ContactDetails = CONTACT) -> UUID:
    """Given: the customer `customer_id` registered, for tests that name a customer by a fixed
    id (registerCustomer derives a new id from its command id, so the given records the event
    the registration records, under the id the test names)."""
    known = UUID(str(customer_id))
    sealed = app.vault.seal(known, contact.to_json())
    app.save(Customer.register(meta(actor=CUSTOMER), id=known, contact=sealed))
    return known


def order_survey(app: CareLedger, customer_id: UUID, at: datetime = T0, via: str = "sms") -> UUID:
    """A survey about an order of the customer's, placed for it (one survey per order)."""
    about = order(app, customer_id)
    return app.send_survey(meta(at), customer_id, "order", about, via).aggregate_id


def order(app: CareLedger, customer_id: UUID, amount: str = "58.00") -> UUID:
    return app.receive_order(
        meta(actor=CUSTOMER),
        customer_id=customer_id,
        restaurant="Golden Dumpling",
        region="chaoyang",
        items=[OrderItem("dumplings", 2, Decimal(amount) / 2)],
        amount=amount,
        promised_at=T0 + timedelta(minutes=40),
        address=ADDRESS,
        channel="app",
    ).aggregate_id
