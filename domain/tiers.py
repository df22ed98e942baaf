"""Customer tiers from spend: the thresholds as versioned data, and the one aggregate that
records them (docs/architecture.md#customer-tiers).

A customer's tier follows what they spent on completed (delivered) orders over the window the
thresholds in force name, counted back from the moment asked about: the highest tier whose
minimum that spend reaches. A version takes effect at its command's business time and is never
changed; the built-in version 1 holds until an admin defines another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID, uuid5

from domain.base import CareAggregate, Meta, recorded
from domain.errors import InvalidInputError
from domain.values import money

TIER_CATALOG_ID = uuid5(UUID("5d0c8a3e-7f41-5b2c-9a6e-1c3b5d7f9e20"), "tier-catalog")
MAX_WINDOW_DAYS = 366


class Tier(StrEnum):
    STANDARD = "standard"
    SILVER = "silver"
    GOLD = "gold"
    PLATINUM = "platinum"


TIER_RANK = {tier: rank for rank, tier in enumerate(Tier)}
"""A tier's place in the order of service: standard 0 up to platinum 3."""


@dataclass(frozen=True)
class TierThresholds:
    """The least spend over `window_days` for each tier above standard, in the order's
    currency; `effective_at` None: from the beginning."""

    version: int
    window_days: int
    silver: Decimal
    gold: Decimal
    platinum: Decimal
    effective_at: datetime | None = None

    def tier_for(self, spend: Decimal) -> Tier:
        reached = [
            tier
            for tier, minimum in (
                (Tier.SILVER, self.silver),
                (Tier.GOLD, self.gold),
                (Tier.PLATINUM, self.platinum),
            )
            if spend >= Decimal(minimum)
        ]
        return reached[-1] if reached else Tier.STANDARD


BUILT_IN_THRESHOLDS = TierThresholds(
    version=1, window_days=90, silver=Decimal(300), gold=Decimal(1000), platinum=Decimal(3000)
)


def checked_thresholds(thresholds: TierThresholds) -> TierThresholds:
    if not 1 <= thresholds.window_days <= MAX_WINDOW_DAYS:
        raise InvalidInputError("windowDays", f"must be from 1 to {MAX_WINDOW_DAYS}")
    amounts = [
        money(name, value)
        for name, value in (
            ("silver", thresholds.silver),
            ("gold", thresholds.gold),
            ("platinum", thresholds.platinum),
        )
    ]
    if not 0 < amounts[0] < amounts[1] < amounts[2]:
        raise InvalidInputError("silver", "silver, gold and platinum must rise from above 0")
    return thresholds


class TierCatalog(CareAggregate):
    """Every version of the tier thresholds an admin defined, after the built-in one."""

    TOPIC = "careledger.TierCatalog"

    class Created(CareAggregate.Created):
        TOPIC = "careledger.TierCatalog.Created"

    @recorded("TierCatalogOpened")
    def __init__(self, meta: Meta, *, id: UUID) -> None:
        self.versions = [BUILT_IN_THRESHOLDS]

    @classmethod
    def open(cls, meta: Meta) -> TierCatalog:
        return cls(meta=meta, id=TIER_CATALOG_ID)

    def define(
        self, meta: Meta, window_days: int, silver: Decimal, gold: Decimal, platinum: Decimal
    ) -> None:
        latest = max((v.effective_at for v in self.versions if v.effective_at), default=None)
        if latest is not None and meta.occurred_at < latest:
            raise InvalidInputError(
                "occurredAt", f"before the version in force from {latest.isoformat()}"
            )
        version = TierThresholds(
            len(self.versions) + 1, window_days, silver, gold, platinum, meta.occurred_at
        )
        self._defined(meta=meta, thresholds=checked_thresholds(version))

    @recorded("TierThresholdsDefined")
    def _defined(self, meta: Meta, thresholds: TierThresholds) -> None:
        self.versions.append(thresholds)


def thresholds_at(versions: list[TierThresholds], at: datetime) -> TierThresholds:
    """The latest version in force at `at`."""
    current = versions[0]
    for version in versions:
        if version.effective_at is None or version.effective_at <= at:
            current = version
    return current
