"""The rows of the lists, as the read models keep them; each links to its full entity."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar
from uuid import UUID

import strawberry

import api.graphql.enums  # noqa: F401  (gives the domain enums their GraphQL names)
from api.graphql.complaints import ComplaintView, load_complaint
from api.graphql.context import Info
from api.graphql.dashboard_types import LabelCount
from api.graphql.incidents import IncidentView, RoleHolder, load_incident
from api.graphql.orders import OrderView, load_order
from domain.complaint_types import Category, ComplaintStatus, Department, Severity, WaitingOn
from domain.incident_types import IncidentSource, IncidentStatus, IncidentType, WarningColour
from domain.incident_types import Role as IncidentRole
from domain.incident_types import Severity as IncidentSeverity
from domain.meta import Channel
from domain.order_types import DelayRisk, LateAttribution, OrderStatus
from domain.sla import ClockName
from domain.tiers import Tier
from projections.views.agent_queue import QueueRow
from projections.views.incident_board import BoardIncident
from projections.views.order_delays import OrderDelay

E = TypeVar("E")


def optional(kind: type[E], value: str | None) -> E | None:
    return None if value is None else kind(value)  # type: ignore[call-arg]


@strawberry.type(description="An open complaint in the agent queue")
class QueuedComplaint:
    complaint_id: str
    customer_id: str
    order_id: str | None
    status: ComplaintStatus
    category: Category | None
    subcategory: str | None
    severity: Severity | None
    department: Department | None
    assignee: str | None
    escalation_level: int
    channel: Channel
    waiting_on: WaitingOn | None
    received_at: datetime
    tier: Tier = strawberry.field(
        description="The customer's tier when the complaint came in: of two equally due, the"
        " higher tier's comes first"
    )
    next_due_at: datetime | None = strawberry.field(
        description="The earliest due time of a running SLA clock; null: none running"
    )
    next_clock: ClockName | None

    @strawberry.field(description="The complaint itself (its own rights apply)")
    async def complaint(self, info: Info) -> ComplaintView:
        return await load_complaint(info, UUID(self.complaint_id))

    @classmethod
    def of(cls, row: QueueRow) -> QueuedComplaint:
        return cls(
            complaint_id=row.complaint_id,
            customer_id=row.customer_id,
            order_id=row.order_id,
            status=ComplaintStatus(row.status),
            category=optional(Category, row.category),
            subcategory=row.subcategory,
            severity=optional(Severity, row.severity),
            department=optional(Department, row.department),
            assignee=row.assignee,
            escalation_level=row.escalation_level,
            channel=Channel(row.channel),
            waiting_on=optional(WaitingOn, row.waiting_on),
            received_at=row.received_at,
            tier=Tier(row.tier),
            next_due_at=row.next_due_at,
            next_clock=optional(ClockName, row.next_clock),
        )


@strawberry.type(description="Open complaints now, by status and by severity")
class QueueCounts:
    total: int
    by_status: list[LabelCount]
    by_severity: list[LabelCount] = strawberry.field(
        description="`unclassified` before classification"
    )


@strawberry.type(description="An open order at risk of being late, or late")
class OrderAtRisk:
    order_id: str
    region: str
    restaurant: str
    status: OrderStatus
    stage: OrderStatus | None = strawberry.field(
        description="Where the order was when its delay was last detected"
    )
    promised_at: datetime
    eta: datetime | None
    delay_risk: DelayRisk
    expected_late_min: int | None
    late_min: int | None
    attributed_to: LateAttribution | None
    delay_notices: int

    @strawberry.field(description="The order itself (its own rights apply)")
    async def order(self, info: Info) -> OrderView:
        return await load_order(info, UUID(self.order_id))

    @classmethod
    def of(cls, row: OrderDelay) -> OrderAtRisk:
        return cls(
            order_id=row.order_id,
            region=row.region,
            restaurant=row.restaurant,
            status=OrderStatus(row.status),
            stage=optional(OrderStatus, row.stage),
            promised_at=row.promised_at,
            eta=row.eta,
            delay_risk=DelayRisk(row.delay_risk),
            expected_late_min=row.expected_late_min,
            late_min=row.late_min,
            attributed_to=optional(LateAttribution, row.attributed_to),
            delay_notices=row.delay_notices,
        )


@strawberry.type(description="An open incident on the board")
class OpenIncident:
    incident_id: str
    type: IncidentType
    source: IncidentSource
    title: str
    severity: IncidentSeverity | None = strawberry.field(description="null: unassessed")
    warning_colour: WarningColour | None
    status: IncidentStatus
    roles: list[RoleHolder]
    reported_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    last_update_at: datetime | None
    last_update_age_seconds: float = strawberry.field(
        description="Since the last status update, or since the report if none yet"
    )
    orders_linked: int
    complaints_linked: int

    @strawberry.field(description="The incident itself (its own rights apply)")
    async def incident(self, info: Info) -> IncidentView:
        return await load_incident(info, UUID(self.incident_id))

    @classmethod
    def of(cls, card: BoardIncident) -> OpenIncident:
        roles = [
            RoleHolder(role=IncidentRole(role), person=person)
            for role, person in sorted(card.roles.items())
        ]
        return cls(
            incident_id=card.incident_id,
            type=IncidentType(card.type),
            source=IncidentSource(card.source),
            title=card.title,
            severity=optional(IncidentSeverity, card.severity),
            warning_colour=optional(WarningColour, card.warning_colour),
            status=IncidentStatus(card.status),
            roles=roles,
            reported_at=card.reported_at,
            acknowledged_at=card.acknowledged_at,
            resolved_at=card.resolved_at,
            last_update_at=card.last_update_at,
            last_update_age_seconds=card.last_update_age_s,
            orders_linked=card.orders_linked,
            complaints_linked=card.complaints_linked,
        )
