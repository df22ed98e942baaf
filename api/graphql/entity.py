"""What every entity's GraphQL module would otherwise write again: the `<Entity>Changed` payload
its mutations answer with, `changed` that makes it from a command's outcome, and the
`<entity>(id, version, asOf)` and `<entity>History` queries. An entity module declares one
`Entity` and its result union (`Annotated[Changed[OrderView] | Problems, ...]`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Annotated, Any, ClassVar, Generic, Protocol, Self, TypeVar
from uuid import UUID

import strawberry

from api.auth import Principal
from api.graphql.context import Info, parse_id
from api.graphql.history import HistoryEvent, entity_history
from api.graphql.outcomes import Check, Written, state_after, version_wanted
from api.graphql.problems import ForbiddenError
from api.permissions import OWN_DATA
from application.handling import Outcome
from domain.base import CareAggregate

A = TypeVar("A", bound=CareAggregate)
A_contra = TypeVar("A_contra", bound=CareAggregate, contravariant=True)
V = TypeVar("V", bound="View[Any]")

Load = Callable[[Info, UUID, int | None], Awaitable[V]]

Version = Annotated[
    int | None, strawberry.argument(description="The entity after its event of this number")
]
AsOf = Annotated[
    datetime | None,
    strawberry.argument(
        description="Recorded time: the entity as the log held it then (when its events were"
        " written, not the business time they carry: a back-dated event counts from when it was"
        " recorded). See `asOfBusinessTime`."
    ),
]
AsOfBusinessTime = Annotated[
    datetime | None,
    strawberry.argument(
        description="Business time: the entity after its events that happened by then (their"
        " `occurredAt`, as given to the commands), in log order up to the first one later"
    ),
]


class View(Protocol[A_contra]):
    """An entity's GraphQL type, made from the aggregate."""

    @classmethod
    def of(cls, aggregate: A_contra, /) -> Self: ...


class Changed(Generic[V]):
    """An entity's `<Entity>Changed` payload as mypy sees it: the entity after a command, and
    where the write landed. At run time `Changed[OrderView]` is the strawberry type
    `OrderChanged` that `Entity` made for that view, with the view in the entity's own field
    (`order`), so that result unions name their payload as mypy and strawberry both read it."""

    made: ClassVar[dict[type, type]] = {}

    def __class_getitem__(cls, view: type) -> Any:
        return cls.made[view]


class Loaded:
    """A relay node (`class OrderView(Loaded, relay.Node)`) whose `node(id)` reads through its
    entity's `load`, with the same permission checks as the entity's own query."""

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        entity = Entity.of_view[cls]
        return [await entity.load(info, parse_id("id", node_id)) for node_id in node_ids]


class Entity(Generic[A, V]):
    """One entity's GraphQL reads and payload: `field` names the payload's field and the
    queries (`order`, `orderHistory`); `kind` is the aggregate, `view` its GraphQL type.
    `load` reads it for the callers api/permissions.py lets run `read` (default `field`), and
    where `owner` names the customer an aggregate belongs to, for them under the own-data rule;
    an entity whose reads check otherwise gives its own `reader`."""

    of_view: ClassVar[dict[type, Entity[Any, Any]]] = {}

    def __init__(
        self,
        field: str,
        kind: type[A],
        view: type[V],
        *,
        read: str | None = None,
        owner: Callable[[A], UUID] | None = None,
        reader: Load[V] | None = None,
    ) -> None:
        self.field, self.kind, self.view = field, kind, view
        self.read, self.owner, self.reader = read or field, owner, reader
        Entity.of_view[view] = self
        name = f"{view.__strawberry_definition__.name}Changed"  # type: ignore[attr-defined]
        fields = {field: view, "written": Written}
        payload = type(name, (), {"__annotations__": fields, "__module__": view.__module__})
        Changed.made[view] = strawberry.type(payload)

    async def changed(self, info: Info, outcome: Outcome) -> Changed[V]:
        """The entity as the command left it: the writer sees the state it wrote (also one who
        may not read the entity, such as an agent who reported an incident)."""
        aggregate = await state_after(info, self.kind, outcome)
        payload = Changed.made[self.view]
        made: Changed[V] = payload(
            **{self.field: self.view.of(aggregate)}, written=Written.of(outcome)
        )
        return made

    def own_data(self, refusal: str) -> Check:
        """The check of EntityCommands that customers act on their own entity only (the
        own-data rule, by `owner`, refused with `refusal`); staff pass without a read."""
        kind, owner = self.kind, self.owner
        if owner is None:
            raise ValueError(f"the {self.field} entity names no owner")

        async def check(info: Info, caller: Principal, entity_id: UUID) -> None:
            if not OWN_DATA.binds(caller.role):
                return
            context = info.context
            aggregate = await context.call(context.services.ledger.load, kind, entity_id)
            if not OWN_DATA.allows(caller, owner(aggregate)):
                raise ForbiddenError(refusal)

        return check

    async def load(self, info: Info, entity_id: UUID, version: int | None = None) -> V:
        """The entity at `version` (None: now), if the caller may read it."""
        if self.reader is not None:
            return await self.reader(info, entity_id, version)
        context = info.context
        caller = context.authorize(self.read)
        aggregate = await context.call(context.services.ledger.load, self.kind, entity_id, version)
        if self.owner is not None and not OWN_DATA.allows(caller, self.owner(aggregate)):
            raise ForbiddenError(f"customers see only their own {self.field}s")
        return self.view.of(aggregate)

    def queries(self, history: str = "in order, with its metadata") -> type:
        """The `<entity>` and `<entity>History` queries, reading through `load` (which makes the
        permission checks); a history opens personal data only for who needs to know it
        (api/graphql/access.py)."""
        kind, load = self.kind, self.load

        async def one(
            info: Info,
            id: strawberry.ID,
            version: Version = None,
            as_of: AsOf = None,
            as_of_business_time: AsOfBusinessTime = None,
        ) -> V:
            entity_id = parse_id("id", id)
            wanted = await version_wanted(
                info, kind, entity_id, version, as_of, as_of_business_time
            )
            return await load(info, entity_id, wanted)

        async def events(
            info: Info, id: strawberry.ID, after_version: int = 0, limit: int = 100
        ) -> list[HistoryEvent]:
            entity_id = parse_id("id", id)
            await load(info, entity_id, None)  # the permission checks
            return await entity_history(info, entity_id, after_version, limit)

        one.__annotations__["return"] = self.view
        noun = self.field
        article = "An" if noun[0] in "aeiou" else "A"
        fields = {
            noun: strawberry.field(
                resolver=one,
                description=f"{article} {noun} now, at a version, as recorded at a time, or as of"
                " a business time",
            ),
            f"{noun}_history": strawberry.field(
                resolver=events, description=f"Every event of the {noun}, {history}"
            ),
        }
        name = f"{self.view.__strawberry_definition__.name}Queries"  # type: ignore[attr-defined]
        return strawberry.type(type(name, (), {**fields, "__module__": self.view.__module__}))
