"""Customer tiers over GraphQL: the spend thresholds admins define and staff list
(docs/architecture.md#customer-tiers)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

import strawberry

from api.graphql.context import CommandInput, Info
from api.graphql.outcomes import Written, answer
from api.graphql.problems import Conflict, Forbidden, ValidationFailed
from domain.tiers import TierThresholds


@strawberry.type(description="The least completed-order spend over the window for each tier")
class TierThresholdsVersion:
    version: int
    window_days: int
    silver: Decimal
    gold: Decimal
    platinum: Decimal
    effective_at: datetime | None = strawberry.field(description="Null: from the beginning")

    @classmethod
    def of(cls, t: TierThresholds) -> TierThresholdsVersion:
        return cls(
            version=t.version,
            window_days=t.window_days,
            silver=Decimal(t.silver),
            gold=Decimal(t.gold),
            platinum=Decimal(t.platinum),
            effective_at=t.effective_at,
        )


@strawberry.type
class TierThresholdsChanged:
    versions: list[TierThresholdsVersion]
    written: Written


TierThresholdsResult = Annotated[
    TierThresholdsChanged | ValidationFailed | Conflict | Forbidden,
    strawberry.union("TierThresholdsResult"),
]


@strawberry.input
class DefineTierThresholdsInput(CommandInput):
    window_days: int = strawberry.field(description="1 to 366 days back from the moment asked")
    silver: Decimal
    gold: Decimal
    platinum: Decimal = strawberry.field(description="Each above the one before, above 0")


async def _versions(info: Info) -> list[TierThresholdsVersion]:
    versions = await info.context.call(info.context.services.ledger.tier_thresholds)
    return [TierThresholdsVersion.of(v) for v in versions]


@strawberry.type
class TierMutations:
    @strawberry.mutation(
        description="Record new tier thresholds, in force from the command's business time"
    )
    async def define_tier_thresholds(
        self, info: Info, input: DefineTierThresholdsInput
    ) -> TierThresholdsResult:
        async def attempt() -> object:
            context = info.context
            context.authorize("defineTierThresholds")
            outcome = await context.run(
                context.services.ledger.define_tier_thresholds,
                context.meta(input),
                input.window_days,
                input.silver,
                input.gold,
                input.platinum,
            )
            return TierThresholdsChanged(
                versions=await _versions(info), written=Written.of(outcome)
            )

        return await answer(attempt)


@strawberry.type
class TierQueries:
    @strawberry.field(description="Every version of the tier thresholds, the built-in one first")
    async def tier_thresholds(self, info: Info) -> list[TierThresholdsVersion]:
        info.context.authorize("tierThresholds")
        return await _versions(info)
