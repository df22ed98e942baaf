"""The dashboards over windows of business time: complaints, satisfaction, delays, incidents."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import strawberry

from api.graphql.consistency import read_at
from api.graphql.context import Context, Info
from api.graphql.dashboard_types import (
    ComplaintDashboardView,
    IncidentMetricsView,
    OrderDelays,
    Satisfaction,
)
from domain.errors import InvalidInputError
from projections.views.complaint_dashboard import ComplaintDashboardProjection, complaint_dashboard
from projections.views.incident_board import IncidentBoardProjection, incident_metrics
from projections.views.order_delays import OrderDelaysProjection, delay_summary
from projections.views.satisfaction import SatisfactionProjection, satisfaction

LONGEST_WINDOW = timedelta(days=366)

From = Annotated[
    datetime, strawberry.argument(name="from", description="Start of the window (timezone)")
]
To = Annotated[datetime, strawberry.argument(description="End of the window, excluded")]
AtPosition = Annotated[
    int | None,
    strawberry.argument(description="Wait (bounded) until the view has read this log position"),
]


def window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """A window of business time, checked: aware, ending after it starts, at most a year."""
    for name, moment in (("from", start), ("to", end)):
        if moment.tzinfo is None:
            raise InvalidInputError(name, f"`{name}` must carry a time zone")
    if end <= start:
        raise InvalidInputError("to", "`to` must be after `from`")
    if end - start > LONGEST_WINDOW:
        raise InvalidInputError("to", f"the window may span at most {LONGEST_WINDOW.days} days")
    return start, end


async def complaint_dashboard_view(
    context: Context, start: datetime, end: datetime, at_position: int | None = None
) -> ComplaintDashboardView:
    start, end = window(start, end)
    report = await read_at(
        context, [ComplaintDashboardProjection.name], at_position, complaint_dashboard, start, end
    )
    return ComplaintDashboardView.of(report)


@strawberry.type
class DashboardQueries:
    @strawberry.field(
        description="Complaints received, classified, answered, resolved and escalated, SLA"
        " results; staff and analysts"
    )
    async def complaint_dashboard(
        self, info: Info, from_: From, to: To, at_position: AtPosition = None
    ) -> ComplaintDashboardView:
        info.context.authorize("complaintDashboard")
        return await complaint_dashboard_view(info.context, from_, to, at_position)

    @strawberry.field(description="Survey responses, scores per dimension and CSAT")
    async def satisfaction(
        self, info: Info, from_: From, to: To, at_position: AtPosition = None
    ) -> Satisfaction:
        info.context.authorize("satisfaction")
        start, end = window(from_, to)
        report = await read_at(
            info.context, [SatisfactionProjection.name], at_position, satisfaction, start, end
        )
        return Satisfaction.of(report)

    @strawberry.field(description="Late orders and delays by stage, region and attribution")
    async def order_delays(
        self, info: Info, from_: From, to: To, at_position: AtPosition = None
    ) -> OrderDelays:
        info.context.authorize("orderDelays")
        start, end = window(from_, to)
        summary = await read_at(
            info.context, [OrderDelaysProjection.name], at_position, delay_summary, start, end
        )
        return OrderDelays.of(summary)

    @strawberry.field(description="Incidents reported, MTTA and MTTR in the window; open ones")
    async def incident_metrics(
        self, info: Info, from_: From, to: To, at_position: AtPosition = None
    ) -> IncidentMetricsView:
        info.context.authorize("incidentMetrics")
        start, end = window(from_, to)
        metrics = await read_at(
            info.context, [IncidentBoardProjection.name], at_position, incident_metrics, start, end
        )
        return IncidentMetricsView.of(metrics)
