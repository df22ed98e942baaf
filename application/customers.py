from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from uuid import UUID

from application.contact_index import ContactIndex
from application.handling import CommandHandling, Outcome, command, new_id
from application.keystore import KeyStore
from application.vault import ERASED, Vault
from domain.customer import Customer
from domain.meta import Meta
from domain.values import bounded_text, optional_text


@dataclass(frozen=True)
class ContactDetails:
    """A customer's personal contact data; stored only sealed with the customer's own key."""

    name: str
    phone: str
    email: str | None = None
    address: str | None = None

    def __post_init__(self) -> None:
        bounded_text("contact.name", self.name, 200)
        bounded_text("contact.phone", self.phone, 32)
        optional_text("contact.email", self.email, 254)
        optional_text("contact.address", self.address, 500)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


ERASED_CONTACT = ContactDetails(name=ERASED, phone=ERASED, email=ERASED, address=ERASED)


class CustomerCommands(CommandHandling):
    vault: Vault
    keys: KeyStore
    contact_index: ContactIndex

    def _index_contact(self, outcome: Outcome) -> None:
        """The contact index as the customer's contact is now (not as a repeated command gave
        it: a later change may have come in between); entries of an erased customer are gone."""
        customer = outcome.aggregate
        if not isinstance(customer, Customer):
            customer = self.load(Customer, outcome.aggregate_id)
        contact = self.contact_from(customer)
        if contact == ERASED_CONTACT:
            self.contact_index.remove(outcome.aggregate_id)
            return
        self.contact_index.index(outcome.aggregate_id, contact.phone, contact.email)

    @command(
        personal=("contact",),
        about=lambda meta: new_id(meta, Customer),
        then=lambda app, outcome: app._index_contact(outcome),
    )
    def register_customer(self, meta: Meta, contact: ContactDetails) -> Outcome:
        customer_id = new_id(meta, Customer)
        return self.create(
            meta,
            Customer,
            lambda: Customer.register(
                meta,
                id=customer_id,
                contact=self.vault.seal(customer_id, contact.to_json()),
            ),
        )

    @command(personal=("contact",), then=lambda app, outcome: app._index_contact(outcome))
    def change_contact(self, meta: Meta, customer_id: UUID, contact: ContactDetails) -> Outcome:
        return self.change(
            meta,
            Customer,
            customer_id,
            lambda customer: customer.change_contact(
                meta,
                self.vault.seal(customer_id, contact.to_json()),
            ),
        )

    @command()
    def assign_tier(self, meta: Meta, customer_id: UUID, tier: str | None) -> Outcome:
        """A tier set by hand, with the reason (None: the tier follows the spend again)."""
        return self.change(meta, Customer, customer_id, lambda c: c.assign_tier(meta, tier))

    @command()
    def set_notice_preferences(
        self, meta: Meta, customer_id: UUID, locale: str | None, opt_out: bool
    ) -> Outcome:
        return self.change(
            meta,
            Customer,
            customer_id,
            lambda c: c.set_notice_preferences(meta, locale, opt_out),
        )

    @command()
    def break_glass(self, meta: Meta, customer_id: UUID, minutes: int) -> Outcome:
        return self.change(meta, Customer, customer_id, lambda c: c.break_glass(meta, minutes))

    @command()
    def open_privacy_case(self, meta: Meta, customer_id: UUID) -> Outcome:
        return self.change(meta, Customer, customer_id, lambda c: c.open_privacy_case(meta))

    @command()
    def close_privacy_case(self, meta: Meta, customer_id: UUID) -> Outcome:
        return self.change(meta, Customer, customer_id, lambda c: c.close_privacy_case(meta))

    @command()
    def erase_customer(self, meta: Meta, customer_id: UUID) -> Outcome:
        # The index entries and the key go first: if recording the erasure then fails, the
        # customer can no longer be found or read, and a retry records the event.
        self.load(Customer, customer_id)
        self.contact_index.remove(customer_id)
        self.keys.destroy(str(customer_id))
        return self.change(meta, Customer, customer_id, lambda c: c.erase(meta))

    def contact_of(self, customer_id: UUID) -> ContactDetails:
        return self.contact_from(self.load(Customer, customer_id))

    def contact_from(self, customer: Customer) -> ContactDetails:
        """The contact of a customer already loaded, opened now."""
        plaintext = self.vault.open(customer.contact)
        if plaintext == ERASED:
            return ERASED_CONTACT
        return ContactDetails(**json.loads(plaintext))
