"""Customer tiers from spend: the thresholds admins define, and a customer's tier at a business
time (docs/architecture.md#customer-tiers)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from application.errors import NotFoundError
from application.handling import CommandHandling, Outcome, command
from domain.customer import Customer
from domain.meta import Meta
from domain.tiers import (
    BUILT_IN_THRESHOLDS,
    TIER_CATALOG_ID,
    Tier,
    TierCatalog,
    TierThresholds,
    thresholds_at,
)


class TierCommands(CommandHandling):
    def tier_thresholds(self) -> list[TierThresholds]:
        """Every version, the built-in one first."""
        try:
            return list(self.load(TierCatalog, TIER_CATALOG_ID, shared=True).versions)
        except NotFoundError:
            return [BUILT_IN_THRESHOLDS]

    def tier_of(self, customer_id: UUID, at: datetime) -> Tier | None:
        """The customer's tier at `at` (None: no such customer)."""
        try:
            customer = self.load(Customer, customer_id, shared=True)
        except NotFoundError:
            return None
        return self.customer_tier(customer, at)

    def customer_tier(self, customer: Customer, at: datetime) -> Tier:
        return customer.tier_at(at, thresholds_at(self.tier_thresholds(), at))

    @command()
    def define_tier_thresholds(
        self, meta: Meta, window_days: int, silver: Decimal, gold: Decimal, platinum: Decimal
    ) -> Outcome:
        def attempt() -> tuple[TierCatalog]:
            try:
                catalog = self.load(TierCatalog, TIER_CATALOG_ID)
            except NotFoundError:
                catalog = TierCatalog.open(meta)
            catalog.define(meta, window_days, silver, gold, platinum)
            return (catalog,)

        return self._execute(meta, TierCatalog.__name__, attempt, TIER_CATALOG_ID)
