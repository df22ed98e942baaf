from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from domain.base import CareAggregate, Meta, recorded
from domain.customer_access import (
    Grants,
    NoOpenPrivacyCaseError,
    PrivacyCaseAlreadyOpenError,
    glass_until,
    require_reason,
)
from domain.errors import InvalidInputError
from domain.tiers import MAX_WINDOW_DAYS, Tier, TierThresholds
from domain.values import Sealed, one_of

__all__ = ["Customer", "CustomerStatus", "Spend", "Tier"]

LOCALES = ("zh-CN", "en")


class CustomerStatus(StrEnum):
    ACTIVE = "Active"
    ERASED = "Erased"


@dataclass(frozen=True)
class Spend:
    """What one completed order cost the customer, and when it was delivered."""

    order_id: UUID
    at: datetime
    amount: Decimal


def _own_contact(customer_id: UUID, contact: Sealed) -> Sealed:
    if not isinstance(contact, Sealed):
        raise InvalidInputError("contact", "must be sealed")
    if contact.subject != str(customer_id):
        raise InvalidInputError("contact", "must be sealed with the customer's own key")
    return contact


class Customer(CareAggregate):
    """A customer's sealed contact details and tier; erasure leaves only the fact it happened.

    The tier follows the customer's completed-order spend (docs/architecture.md#customer-tiers)
    unless a supervisor set one by hand, with a reason, until they return it to the spend."""

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

    def assign_tier(self, meta: Meta, tier: str | None) -> None:
        """Sets the tier by hand (None: it follows the spend again); the reason is required."""
        valid = None if tier is None else one_of("tier", tier, Tier)
        if meta.reason is None or not meta.reason.has_words:
            raise InvalidInputError("reasonText", "a tier set by hand needs a reason")
        self.require("assign a tier", {CustomerStatus.ACTIVE})
        if valid is None:
            if self.tier_set_by_hand is not None:
                self._tier_follows_spend(meta=meta)
            return
        self._tier_assigned(meta=meta, tier=valid)

    @recorded("TierAssigned")
    def _tier_assigned(self, meta: Meta, tier: Tier) -> None:
        self.tier = Tier(tier)
        self._manual_tier: Tier | None = Tier(tier)

    @recorded("TierFollowsSpend")
    def _tier_follows_spend(self, meta: Meta) -> None:
        self.tier = Tier.STANDARD
        self._manual_tier = None

    @property
    def tier_set_by_hand(self) -> Tier | None:
        """The tier a supervisor set; a customer recorded before tiers followed spend, whose
        every tier was set by hand, has their non-standard tier read as set by hand."""
        if "_manual_tier" in self.__dict__:
            manual: Tier | None = self.__dict__["_manual_tier"]
            return None if manual is None else Tier(manual)
        return None if self.tier == Tier.STANDARD else Tier(self.tier)

    def record_spend(self, meta: Meta, order_id: UUID, amount: Decimal) -> None:
        """A completed order's amount; nothing for an erased customer or an order counted."""
        if self.status != CustomerStatus.ACTIVE or any(s.order_id == order_id for s in self.spends):
            return
        self._spend_recorded(meta=meta, order_id=order_id, amount=amount)

    @recorded("OrderSpendRecorded")
    def _spend_recorded(self, meta: Meta, order_id: UUID, amount: Decimal) -> None:
        # spend older than the longest window any thresholds may name can count no more
        horizon = meta.occurred_at - timedelta(days=MAX_WINDOW_DAYS)
        kept = [s for s in self.spends if s.at >= horizon]
        self._spends = [*kept, Spend(order_id, meta.occurred_at, Decimal(amount))]

    @property
    def spends(self) -> list[Spend]:
        spends: list[Spend] = self.__dict__.get("_spends", [])
        return spends

    def spend_within(self, at: datetime, window_days: int) -> Decimal:
        """Completed-order spend in the `window_days` up to `at`."""
        start = at - timedelta(days=window_days)
        return sum((s.amount for s in self.spends if start < s.at <= at), Decimal(0))

    def tier_at(self, at: datetime, thresholds: TierThresholds) -> Tier:
        """The tier at `at`: set by hand, or what the spend over the window reaches."""
        manual = self.tier_set_by_hand
        if manual is not None:
            return manual
        return thresholds.tier_for(self.spend_within(at, thresholds.window_days))

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

    def break_glass(self, meta: Meta, minutes: int) -> None:
        """Open the customer's data to the actor for `minutes`, with a reason (recorded, and
        the privacy officer alerted)."""
        until = glass_until(meta, minutes)
        self.require("break the glass", {CustomerStatus.ACTIVE})
        self._glass_broken(meta=meta, until=until, role=meta.actor.role)

    @recorded("GlassBroken")
    def _glass_broken(self, meta: Meta, until: datetime, role: str) -> None:
        self._glass = {**self.grants.glass, meta.actor.id: until}

    def open_privacy_case(self, meta: Meta) -> None:
        require_reason(meta, "a privacy case")
        if meta.actor.id in self.grants.cases:
            raise PrivacyCaseAlreadyOpenError(meta.actor.id)
        self._privacy_case_opened(meta=meta, officer=meta.actor.id)

    @recorded("PrivacyCaseOpened")
    def _privacy_case_opened(self, meta: Meta, officer: str) -> None:
        self._cases = sorted(self.grants.cases | {officer})

    def close_privacy_case(self, meta: Meta) -> None:
        require_reason(meta, "closing a privacy case")
        if meta.actor.id not in self.grants.cases:
            raise NoOpenPrivacyCaseError(meta.actor.id)
        self._privacy_case_closed(meta=meta, officer=meta.actor.id)

    @recorded("PrivacyCaseClosed")
    def _privacy_case_closed(self, meta: Meta, officer: str) -> None:
        self._cases = sorted(self.grants.cases - {officer})

    # Read through the instance's dict: customers and snapshots from before grants have none.
    @property
    def grants(self) -> Grants:
        glass, cases = self.__dict__.get("_glass", {}), self.__dict__.get("_cases", ())
        return Grants(dict(glass), frozenset(cases))

    def erase(self, meta: Meta) -> None:
        self.require("erase", {CustomerStatus.ACTIVE})
        self._erased(meta=meta)

    @recorded("CustomerErased")
    def _erased(self, meta: Meta) -> None:
        self.status = CustomerStatus.ERASED
        self.erased_at = meta.occurred_at
