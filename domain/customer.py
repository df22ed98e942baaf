from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from domain.base import CareAggregate, Meta, recorded
from domain.errors import InvalidInputError
from domain.values import Sealed, one_of

LOCALES = ("zh-CN", "en")


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

    def set_notice_preferences(self, meta: Meta, locale: str | None, opt_out: bool) -> None:
        """The language notices are written in (None: the platform's), and whether the
        customer takes notices they need not have (survey invitations)."""
        if locale is not None and locale not in LOCALES:
            raise InvalidInputError("locale", f"{locale!r} is not one of: {', '.join(LOCALES)}")
        self.require("set notice preferences", {CustomerStatus.ACTIVE})
        self._notice_preferences_set(meta=meta, locale=locale, opt_out=bool(opt_out))

    @recorded("NoticePreferencesSet")
    def _notice_preferences_set(self, meta: Meta, locale: str | None, opt_out: bool) -> None:
        self._locale = locale
        self._notice_opt_out = opt_out

    # Read through the instance's dict: snapshots taken before preferences existed lack them.
    @property
    def locale(self) -> str | None:
        locale: str | None = self.__dict__.get("_locale")
        return locale

    @property
    def notice_opt_out(self) -> bool:
        return bool(self.__dict__.get("_notice_opt_out", False))

    def erase(self, meta: Meta) -> None:
        self.require("erase", {CustomerStatus.ACTIVE})
        self._erased(meta=meta)

    @recorded("CustomerErased")
    def _erased(self, meta: Meta) -> None:
        self.status = CustomerStatus.ERASED
        self.erased_at = meta.occurred_at
