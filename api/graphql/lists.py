"""The work lists: the agent queue, orders at risk, open incidents; keyset-paged connections."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import strawberry

import api.graphql.enums  # noqa: F401  (gives the domain enums their GraphQL names)
from api.graphql.consistency import read_at
from api.graphql.context import Info
from api.graphql.dashboard_types import counts
from api.graphql.dashboards import AtPosition
from api.graphql.list_types import OpenIncident, OrderAtRisk, QueueCounts, QueuedComplaint
from api.graphql.paging import DEFAULT_PAGE, Connection, keyset_connection
from domain.complaint_types import ComplaintStatus, Department, Severity
from domain.incident_types import IncidentType
from domain.incident_types import Severity as IncidentSeverity
from domain.order_types import OrderStatus
from projections.views.agent_queue import AgentQueueProjection, agent_queue, queue_counts
from projections.views.incident_board import IncidentBoardProjection, open_incidents
from projections.views.order_delays import OrderDelaysProjection, orders_at_risk

QUEUE, AT_RISK, BOARD = "queue", "at-risk", "board"

First = Annotated[int, strawberry.argument(description="Page size, 1 to 100")]
After = Annotated[str | None, strawberry.argument(description="The endCursor of the page before")]


@strawberry.type
class ListQueries:
    @strawberry.field(
        description="Open complaints by next SLA due time (overdue first; of two equally due, the"
        " higher tier first; none running last)"
    )
    async def complaint_queue(
        self,
        info: Info,
        department: Department | None = None,
        assignee: str | None = None,
        severity: Severity | None = None,
        status: ComplaintStatus | None = None,
        first: First = DEFAULT_PAGE,
        after: After = None,
        at_position: AtPosition = None,
    ) -> Connection[QueuedComplaint]:
        info.context.authorize("complaintQueue")
        return await keyset_connection(
            info.context,
            QUEUE,
            (float, int, str),
            first,
            after,
            at_position,
            AgentQueueProjection.name,
            agent_queue,
            QueuedComplaint.of,
            department=_value(department),
            assignee=assignee,
            severity=_value(severity),
            status=_value(status),
        )

    @strawberry.field(description="How many complaints are open now, by status and severity")
    async def complaint_queue_counts(
        self, info: Info, at_position: AtPosition = None
    ) -> QueueCounts:
        info.context.authorize("complaintQueueCounts")
        found = await read_at(info.context, [AgentQueueProjection.name], at_position, queue_counts)
        return QueueCounts(
            total=sum(found["by_status"].values()),
            by_status=counts(found["by_status"]),
            by_severity=counts(found["by_severity"]),
        )

    @strawberry.field(description="Open orders at risk or late, by promised time")
    async def orders_at_risk(
        self,
        info: Info,
        region: str | None = None,
        stage: OrderStatus | None = None,
        first: First = DEFAULT_PAGE,
        after: After = None,
        at_position: AtPosition = None,
    ) -> Connection[OrderAtRisk]:
        info.context.authorize("ordersAtRisk")
        return await keyset_connection(
            info.context,
            AT_RISK,
            (float, str),
            first,
            after,
            at_position,
            OrderDelaysProjection.name,
            orders_at_risk,
            OrderAtRisk.of,
            region=region,
            stage=_value(stage),
        )

    @strawberry.field(
        description="Open incidents, gravest first (unassessed last), then oldest report first"
    )
    async def open_incidents(
        self,
        info: Info,
        type: IncidentType | None = None,
        severity: IncidentSeverity | None = None,
        first: First = DEFAULT_PAGE,
        after: After = None,
        at_position: AtPosition = None,
    ) -> Connection[OpenIncident]:
        info.context.authorize("openIncidents")
        return await keyset_connection(
            info.context,
            BOARD,
            (int, float, str),
            first,
            after,
            at_position,
            IncidentBoardProjection.name,
            open_incidents,
            OpenIncident.of,
            now=datetime.now(UTC),
            type=_value(type),
            severity=_value(severity),
        )


def _value(choice: Any) -> str | None:
    return None if choice is None else str(choice.value)
