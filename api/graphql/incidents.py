"""Incidents over GraphQL: the incident, its history, and who may see them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated
from uuid import UUID

import strawberry
from strawberry import relay

import api.graphql.enums  # noqa: F401  (gives the domain enums their GraphQL names)
from api.graphql.context import Info, parse_id
from api.graphql.history import HistoryEvent, entity_history
from api.graphql.outcomes import Written, state_after, version_wanted
from api.graphql.problems import (
    Conflict,
    Forbidden,
    NotFound,
    RuleViolated,
    TransitionRefused,
    ValidationFailed,
)
from application.handling import Outcome
from domain.incident import Incident
from domain.incident_types import (
    IncidentSource,
    IncidentStatus,
    IncidentType,
    WarningColour,
)
from domain.incident_types import Role as IncidentRole
from domain.incident_types import Severity as IncidentSeverity


@strawberry.type
class RoleHolder:
    role: IncidentRole
    person: str


@strawberry.type
class IncidentImpactView:
    orders: int
    customers: int
    regions: list[str]


@strawberry.type(name="Incident")
class IncidentView(relay.Node):
    key: relay.NodeID[str]
    incident_id: str = strawberry.field(description="The incident's own id (a UUID)")
    version: int
    type: IncidentType
    source: IncidentSource
    title: str
    description: str
    status: IncidentStatus
    severity: IncidentSeverity | None
    warning_colour: WarningColour | None
    roles: list[RoleHolder]
    reported_at: datetime
    acknowledged_at: datetime | None = strawberry.field(description="When it was confirmed")
    reported_up_at: datetime | None = strawberry.field(description="First report to a superior")
    resolved_at: datetime | None
    last_update_at: datetime | None = strawberry.field(description="Last status update")
    impact: IncidentImpactView | None
    order_ids: list[str]
    complaint_ids: list[str]
    review_completed: bool
    root_cause: str | None
    follow_ups: list[str]
    merged_into: str | None

    @classmethod
    def of(cls, incident: Incident) -> IncidentView:
        impact = incident.impact
        return cls(
            key=str(incident.id),
            incident_id=str(incident.id),
            version=incident.version,
            type=incident.type,
            source=incident.source,
            title=incident.title,
            description=incident.description,
            status=IncidentStatus(incident.status),
            severity=incident.severity,
            warning_colour=incident.warning_colour,
            roles=[RoleHolder(role=IncidentRole(r), person=p) for r, p in incident.roles.items()],
            reported_at=incident.reported_at,
            acknowledged_at=incident.acknowledged_at,
            reported_up_at=incident.reported_up_at,
            resolved_at=incident.resolved_at,
            last_update_at=incident.last_update_at,
            impact=None
            if impact is None
            else IncidentImpactView(
                orders=impact.orders, customers=impact.customers, regions=list(impact.regions)
            ),
            order_ids=[str(i) for i in incident.order_ids],
            complaint_ids=[str(i) for i in incident.complaint_ids],
            review_completed=incident.review_completed,
            root_cause=incident.root_cause,
            follow_ups=list(incident.follow_ups),
            merged_into=None if incident.merged_into is None else str(incident.merged_into),
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[IncidentView | None]:
        return [await load_incident(info, parse_id("id", node_id)) for node_id in node_ids]


async def load_incident(info: Info, incident_id: UUID, version: int | None = None) -> IncidentView:
    context = info.context
    context.authorize("incident")
    incident = await context.call(context.services.ledger.load, Incident, incident_id, version)
    return IncidentView.of(incident)


@strawberry.type
class IncidentChanged:
    incident: IncidentView
    written: Written


IncidentResult = Annotated[
    IncidentChanged
    | NotFound
    | TransitionRefused
    | ValidationFailed
    | Conflict
    | Forbidden
    | RuleViolated,
    strawberry.union("IncidentResult"),
]


async def changed(info: Info, outcome: Outcome) -> IncidentChanged:
    """The writer sees the state it wrote (an agent who reported one included)."""
    incident = await state_after(info, Incident, outcome)
    return IncidentChanged(
        incident=IncidentView.of(incident),
        written=Written.of(outcome),
    )


@strawberry.type
class IncidentQueries:
    @strawberry.field(description="An incident now, at a version, or as recorded at a time")
    async def incident(
        self,
        info: Info,
        id: strawberry.ID,
        version: int | None = None,
        as_of: datetime | None = None,
    ) -> IncidentView:
        incident_id = parse_id("id", id)
        wanted = await version_wanted(info, Incident, incident_id, version, as_of)
        return await load_incident(info, incident_id, wanted)

    @strawberry.field(description="Every event of the incident, in order, with its metadata")
    async def incident_history(
        self, info: Info, id: strawberry.ID, after_version: int = 0, limit: int = 100
    ) -> list[HistoryEvent]:
        incident = await load_incident(info, parse_id("id", id))
        return await entity_history(info, UUID(incident.incident_id), None, after_version, limit)
