"""Need-to-know over GraphQL: a personal field opens or reads "[sealed]", and its
`<field>Access` says why (api/need_to_know.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import strawberry

from api.graphql.context import Info
from api.need_to_know import SEALED, Access, AccessBasis, Handling, SealedReason, access
from domain.values import Sealed

strawberry.enum(AccessBasis, description="Why personal data opened for the caller")
strawberry.enum(SealedReason, description="Why personal data stayed sealed for the caller")


@strawberry.type(description="Whether a personal field opened for the caller, and why")
class PersonalDataAccess:
    opened: bool
    basis: AccessBasis | None = strawberry.field(description="Set when it opened")
    sealed_reason: SealedReason | None = strawberry.field(description="Set when it stayed sealed")

    @classmethod
    def of(cls, found: Access) -> PersonalDataAccess:
        return cls(opened=found.opened, basis=found.basis, sealed_reason=found.reason)


def access_of(info: Info, handling: Handling) -> Access:
    grace = timedelta(seconds=info.context.services.settings.access_grace_s)
    return access(info.context.caller, handling, datetime.now(UTC), grace)


async def open_if_allowed(info: Info, handling: Handling, sealed: Sealed | None) -> str | None:
    """The field opened, if need-to-know lets the caller read it; else "[sealed]"."""
    if not access_of(info, handling).opened:
        return SEALED
    vault = info.context.services.ledger.vault
    return await info.context.call(vault.open_optional, sealed)
