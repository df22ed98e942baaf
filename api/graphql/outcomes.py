"""Running a command from a resolver: authorise, run off the event loop, answer as data."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Concatenate, ParamSpec, TypeVar
from uuid import UUID

import strawberry

from api.auth import Principal
from api.graphql.context import CommandInput, Info, parse_id
from api.graphql.problems import ForbiddenError, problem_of
from application.app import CareLedger
from application.handling import Outcome
from domain.base import CareAggregate
from domain.errors import DomainError, InvalidInputError
from domain.meta import Meta

T = TypeVar("T")
P = ParamSpec("P")
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
class Call:
    """An application command on an entity with its arguments, made by `call` so that mypy checks
    the command's name, arity and argument order against the application method."""

    command: Callable[..., Outcome]
    args: tuple[object, ...]
    kwargs: dict[str, object]


def call(
    command: Callable[Concatenate[CareLedger, Meta, UUID, P], Outcome],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> Call:
    """`command` (e.g. `CareLedger.issue_compensation`) with its arguments after the entity id."""
    return Call(command, args, kwargs)


@dataclass(frozen=True)
class EntityCommands:
    """How one entity's mutations run its commands: on the entity named by the input's
    `<entity>Id`, for the callers api/permissions.py allows the mutation who pass `check`;
    the answer is `changed` of the outcome, or the typed problem."""

    entity: str
    changed: Changed
    check: Check | None = None  # e.g. that a customer acts on their own entity only

    async def run(
        self,
        info: Info,
        input: CommandInput,
        command: Call | Callable[[], Call],
        *,
        channel: str | None = None,
    ) -> Any:
        """Runs the command with the entity's id. Give a function that makes the `Call` when
        making its arguments may fail on bad input, so that this is answered as data too."""

        async def attempt() -> object:
            context = info.context
            caller = context.authorize(info.field_name)
            entity_id = parse_id(f"{self.entity}Id", getattr(input, f"{self.entity}_id"))
            if self.check is not None:
                await self.check(info, caller, entity_id)
            made = command if isinstance(command, Call) else command()
            meta = context.meta(input, channel)
            ledger = context.services.ledger
            outcome = await context.run(
                made.command, ledger, meta, entity_id, *made.args, **made.kwargs
            )
            return await self.changed(info, outcome)

        return await answer(attempt)


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
    as_of_business_time: datetime | None = None,
) -> int | None:
    """The version a lookup asks for: given, recorded at a time, as of a business time, or
    (None) the current one. At most one of them."""
    asked = [
        name
        for name, value in (
            ("version", version),
            ("asOf", as_of),
            ("asOfBusinessTime", as_of_business_time),
        )
        if value is not None
    ]
    if len(asked) > 1:
        raise InvalidInputError(asked[0], f"give `{asked[0]}` or `{asked[1]}`, not both")
    ledger = info.context.services.ledger
    if as_of is not None:
        found: int = await info.context.call(ledger.version_at, kind, entity_id, as_of)
        return found
    if as_of_business_time is not None:
        found = await info.context.call(
            ledger.version_at_business_time, kind, entity_id, as_of_business_time
        )
        return found
    return version
