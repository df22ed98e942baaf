"""Running a command from a resolver: authorise, run off the event loop, answer as data."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

import strawberry

from api.auth import Principal, Role
from api.graphql.context import CommandInput, Context, parse_id
from api.graphql.problems import ForbiddenError, problem_of
from application.handling import Outcome
from domain.base import CareAggregate
from domain.errors import DomainError

T = TypeVar("T")
Info = strawberry.Info[Context, None]
Changed = Callable[[Info, Outcome], Awaitable[object]]
Check = Callable[[Info, Principal, UUID], Awaitable[None]]


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


@dataclass(frozen=True)
class Later:
    """An argument made inside the attempt, so that bad input in it is answered as data too."""

    make: Callable[[], object]


@dataclass(frozen=True)
class EntityCommands:
    """How one entity's mutations run its commands: on the entity named by the input's
    `<entity>Id`, for the callers in `roles` (unless a command gives its own) who pass `check`;
    the answer is `changed` of the outcome, or the typed problem."""

    entity: str
    roles: tuple[Role, ...]
    changed: Changed
    check: Check | None = None  # e.g. that a customer acts on their own entity only

    async def run(
        self,
        info: Info,
        input: CommandInput,
        name: str,
        *args: object,
        roles: tuple[Role, ...] | None = None,
        channel: str | None = None,
        **kwargs: object,
    ) -> Any:
        """Runs the application command `name` with the entity's id and the arguments."""

        async def attempt() -> object:
            context = info.context
            caller = context.require(*(self.roles if roles is None else roles))
            entity_id = parse_id(f"{self.entity}Id", getattr(input, f"{self.entity}_id"))
            if self.check is not None:
                await self.check(info, caller, entity_id)
            command = getattr(context.services.ledger, name)
            made = [_made(arg) for arg in args]
            named = {key: _made(value) for key, value in kwargs.items()}
            meta = context.meta(input, channel)
            outcome = await context.run(command, meta, entity_id, *made, **named)
            return await self.changed(info, outcome)

        return await answer(attempt)


def _made(argument: object) -> object:
    return argument.make() if isinstance(argument, Later) else argument


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
