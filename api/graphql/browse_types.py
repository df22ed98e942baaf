"""The rows of the browsing lists (every complaint, order and incident, ended ones too), as the
indexes keep them: ids, labels and times only. Each links to its full entity."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from uuid import UUID

import strawberry

import api.graphql.enums  # noqa: F401  (gives the domain enums their GraphQL names)
from api.graphql.complaints import ComplaintView, load_complaint
from api.graphql.context import Info
from api.graphql.incidents import IncidentView, load_incident
from api.graphql.list_types import optional
from api.graphql.orders import OrderView, load_order
from domain.complaint_types import Category, ComplaintStatus, Department, Severity
from domain.incident_types import IncidentSource, IncidentStatus, IncidentType, WarningColour
from domain.incident_types import Severity as IncidentSeverity
from domain.meta import Channel
from domain.order_types import DelayRisk, LateAttribution, OrderStatus
from domain.sla import ClockName
from projections.views.complaint_index import IndexedComplaint
from projections.views.incident_index import IndexedIncident
from projections.views.order_index import IndexedOrder

POSITION = "The log position of its last event this list has read"


@strawberry.enum(description="How `complaints` sorts; ties go by complaint id")
class ComplaintSort(Enum):
    RECEIVED = "received"
    DUE_AT = "due"


@strawberry.enum(description="How `orders` sorts; ties go by order id")
class OrderSort(Enum):
    PLACED = "placed"
    PROMISED = "promised"
    MINUTES_LATE = "minutes_late"


@strawberry.type(description="A complaint, open or ended, as the complaint index keeps it")
class ListedComplaint:
    complaint_id: str
    customer_id: str
    status: ComplaintStatus
    category: Category | None
    severity: Severity | None
    department: Department | None
    channel: Channel
    received_at: datetime
    next_due_at: datetime | None = strawberry.field(
        description="The earliest due time of a running SLA clock; null: none running"
    )
    next_clock: ClockName | None
    position: int = strawberry.field(description=POSITION)

    @strawberry.field(description="The complaint itself (its own rights apply)")
    async def complaint(self, info: Info) -> ComplaintView:
        return await load_complaint(info, UUID(self.complaint_id))

    @classmethod
    def of(cls, row: IndexedComplaint) -> ListedComplaint:
        return cls(
            complaint_id=row.complaint_id,
            customer_id=row.customer_id,
            status=ComplaintStatus(row.status),
            category=optional(Category, row.category),
            severity=optional(Severity, row.severity),
            department=optional(Department, row.department),
            channel=Channel(row.channel),
            received_at=row.received_at,
            next_due_at=row.next_due_at,
            next_clock=optional(ClockName, row.next_clock),
            position=row.position,
        )


@strawberry.type(description="An order, open or ended, as the order index keeps it")
class ListedOrder:
    order_id: str
    customer_id: str
    status: OrderStatus
    region: str
    channel: Channel
    placed_at: datetime
    promised_at: datetime
    delay_risk: DelayRisk
    late_min: int | None = strawberry.field(
        description="Minutes past the promise, once recorded late; null: not recorded late"
    )
    attributed_to: LateAttribution | None
    position: int = strawberry.field(description=POSITION)

    @strawberry.field(description="The order itself (its own rights apply)")
    async def order(self, info: Info) -> OrderView:
        return await load_order(info, UUID(self.order_id))

    @classmethod
    def of(cls, row: IndexedOrder) -> ListedOrder:
        return cls(
            order_id=row.order_id,
            customer_id=row.customer_id,
            status=OrderStatus(row.status),
            region=row.region,
            channel=Channel(row.channel),
            placed_at=row.placed_at,
            promised_at=row.promised_at,
            delay_risk=DelayRisk(row.delay_risk),
            late_min=row.late_min,
            attributed_to=optional(LateAttribution, row.attributed_to),
            position=row.position,
        )


@strawberry.type(description="An incident, open or ended, as the incident index keeps it")
class ListedIncident:
    incident_id: str
    status: IncidentStatus
    type: IncidentType
    source: IncidentSource
    severity: IncidentSeverity | None = strawberry.field(description="null: unassessed")
    warning_colour: WarningColour | None
    reported_at: datetime
    position: int = strawberry.field(description=POSITION)

    @strawberry.field(description="The incident itself (its own rights apply)")
    async def incident(self, info: Info) -> IncidentView:
        return await load_incident(info, UUID(self.incident_id))

    @classmethod
    def of(cls, row: IndexedIncident) -> ListedIncident:
        return cls(
            incident_id=row.incident_id,
            status=IncidentStatus(row.status),
            type=IncidentType(row.type),
            source=IncidentSource(row.source),
            severity=optional(IncidentSeverity, row.severity),
            warning_colour=optional(WarningColour, row.warning_colour),
            reported_at=row.reported_at,
            position=row.position,
        )
