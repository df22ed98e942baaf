"""Running a command from a resolver: authorise, run off the event loop, answer as data."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

import strawberry

from api.problems import ForbiddenError, problem_of
from application.handling import Outcome
from domain.base import CareAggregate
from domain.errors import DomainError

T = TypeVar("T")


@strawberry.type(description="Where a write landed: wait for it with `atPosition` on queries.")
class Written:
    version: int = strawberry.field(description="The entity's version after the command")
    position: int | None = strawberry.field(description="The log position of the write")
    replayed: bool = strawberry.field(description="True when the command id had been seen")

    @classmethod
    def of(cls, outcome: Outcome) -> Written:
        return cls(version=outcome.version, position=outcome.position, replayed=outcome.replayed)


async def answer(attempt: Callable[[], Awaitable[T]]) -> Any:
    """The attempt's result, or the typed problem that explains why nothing was recorded."""
    try:
        return await attempt()
    except (DomainError, ForbiddenError) as error:
        problem = problem_of(error)
        if problem is None:
            raise
        return problem


A = TypeVar("A", bound=CareAggregate)


async def state_after(info: Any, kind: type[A], outcome: Outcome) -> A:
    """The aggregate as the command left it: in hand, or loaded at its version on a replay."""
    if isinstance(outcome.aggregate, kind):
        return outcome.aggregate
    ledger = info.context.services.ledger
    loaded: A = await info.context.call(ledger.load, kind, outcome.aggregate_id, outcome.version)
    return loaded


async def version_wanted(
    info: Any,
    kind: type[CareAggregate],
    entity_id: UUID,
    version: int | None,
    as_of: datetime | None,
) -> int | None:
    """The version a lookup asks for: given, recorded at a time, or (None) the current one."""
    if as_of is None:
        return version
    ledger = info.context.services.ledger
    found: int = await info.context.call(ledger.version_at, kind, entity_id, as_of)
    return found
