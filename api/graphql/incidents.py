"""Incidents over GraphQL: the incident, its history, and who may see them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay

import api.graphql.enums  # noqa: F401  (gives the domain enums their GraphQL names)
from api.graphql.entity import Changed, Entity, Loaded
from api.graphql.problems import Problems
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
class IncidentView(Loaded, relay.Node):
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


INCIDENT = Entity("incident", Incident, IncidentView)
IncidentResult = Annotated[Changed[IncidentView] | Problems, strawberry.union("IncidentResult")]
changed, load_incident = INCIDENT.changed, INCIDENT.load
IncidentQueries = INCIDENT.queries()
