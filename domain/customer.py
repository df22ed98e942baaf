from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from domain.base import CareAggregate, Meta, recorded
from domain.errors import InvalidInputError
from domain.values import Sealed, one_of


class CustomerStatus(StrEnum):
    ACTIVE = "Active"
    ERASED = "Erased"


class Tier(StrEnum):
    STANDARD = "standard"
    SILVER = "silver"
    GOLD = "gold"
    PLATINUM = "platinum"


def _own_contact(customer_id: UUID, contact: Sealed) -> Sealed:
    if not isinstance(contact, Sealed):
        raise InvalidInputError("contact", "must be sealed")
    if contact.subject != str(customer_id):
        raise InvalidInputError("contact", "must be sealed with the customer's own key")
    return contact


class Customer(CareAggregate):
    """A customer's sealed contact details and tier; erasure leaves only the fact it happened."""

    TOPIC = "careledger.Customer"

    class Created(CareAggregate.Created):
        TOPIC = "careledger.Customer.Created"

    @recorded("CustomerRegistered")
    def __init__(self, meta: Meta, contact: Sealed, *, id: UUID) -> None:
        self.contact = contact
        self.tier = Tier.STANDARD
        self.status = CustomerStatus.ACTIVE
        self.registered_at = meta.occurred_at
        self.erased_at: datetime | None = None

    @classmethod
    def register(cls, meta: Meta, *, id: UUID, contact: Sealed) -> Customer:
        return cls(meta=meta, contact=_own_contact(id, contact), id=id)

    def change_contact(self, meta: Meta, contact: Sealed) -> None:
        _own_contact(self.id, contact)
        self.require("change the contact", {CustomerStatus.ACTIVE})
        self._contact_changed(meta=meta, contact=contact)

    @recorded("ContactChanged")
    def _contact_changed(self, meta: Meta, contact: Sealed) -> None:
        self.contact = contact

    def assign_tier(self, meta: Meta, tier: str) -> None:
        valid = one_of("tier", tier, Tier)
        self.require("assign a tier", {CustomerStatus.ACTIVE})
        self._tier_assigned(meta=meta, tier=valid)

    @recorded("TierAssigned")
    def _tier_assigned(self, meta: Meta, tier: Tier) -> None:
        self.tier = Tier(tier)

    def erase(self, meta: Meta) -> None:
        self.require("erase", {CustomerStatus.ACTIVE})
        self._erased(meta=meta)

    @recorded("CustomerErased")
    def _erased(self, meta: Meta) -> None:
        self.status = CustomerStatus.ERASED
        self.erased_at = meta.occurred_at
