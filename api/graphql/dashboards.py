"""The dashboards over windows of business time: complaints, satisfaction, delays, incidents."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Annotated, TypeVar

import strawberry

from api.graphql.complaint_slices import ComplaintFilter, ComplaintSlice, ComplaintSliceBy
from api.graphql.consistency import read_at
from api.graphql.context import Context, Info
from api.graphql.dashboard_types import (
    ComplaintDashboardView,
    IncidentMetricsView,
    OrderDelays,
    Satisfaction,
)
from api.graphql.enums import SurveySubject, SurveyVia
from domain.errors import InvalidInputError
from projections.views.complaint_dashboard import (
    ComplaintDashboardProjection,
    complaint_breakdown,
    complaint_dashboard,
)
from projections.views.complaint_dashboard_slices import checked_value
from projections.views.incident_board import IncidentBoardProjection, incident_metrics
from projections.views.order_delays import OrderDelaysProjection, delay_summary
from projections.views.satisfaction import (
    SatisfactionProjection,
    checked_survey_filter,
    satisfaction,
)

T = TypeVar("T")

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


async def read_window(
    info: Info,
    views: Sequence[str],
    read: Callable[..., T],
    start: datetime,
    end: datetime,
    at_position: int | None,
) -> T:
    """`read(views, start, end)` over a checked window, once the views have read `at_position`,
    for the callers api/permissions.py lets run the field asked for."""
    info.context.authorize(info.field_name)
    start, end = window(start, end)
    return await read_at(info.context, views, at_position, read, start, end)


async def complaint_dashboard_view(
    context: Context,
    start: datetime,
    end: datetime,
    at_position: int | None = None,
    only: Mapping[str, str] | None = None,
) -> ComplaintDashboardView:
    start, end = window(start, end)
    views = [ComplaintDashboardProjection.name]
    as_of = None  # now
    teams = context.services.teams
    report = await read_at(
        context, views, at_position, complaint_dashboard, start, end, as_of, only, teams
    )
    return ComplaintDashboardView.of(report)


@strawberry.input(
    description="Some surveys: set one field or both, and the figures are those of the"
    " surveys with every value set (AND)"
)
class SatisfactionFilter:
    via: SurveyVia | None = strawberry.field(default=None, description="The channel it went by")
    subject: SurveySubject | None = None

    def only(self) -> dict[str, str]:
        asked = {
            by: str(value.value)
            for by in ("via", "subject")
            if (value := getattr(self, by)) is not None
        }
        return checked_survey_filter(asked)


@strawberry.input(description="Some orders: those of one region, as orders name it")
class OrderDelayFilter:
    region: str

    def checked_region(self) -> str:
        return checked_value("region", self.region, "filter.region")


@strawberry.type
class DashboardQueries:
    @strawberry.field(
        description="Complaints received, classified, answered, resolved and escalated, SLA"
        " results; staff and analysts"
    )
    async def complaint_dashboard(
        self,
        info: Info,
        from_: From,
        to: To,
        at_position: AtPosition = None,
        filter: Annotated[
            ComplaintFilter | None,
            strawberry.argument(description="Only the complaints with all of these values"),
        ] = None,
    ) -> ComplaintDashboardView:
        info.context.authorize("complaintDashboard")
        only = None if filter is None else filter.only()
        return await complaint_dashboard_view(info.context, from_, to, at_position, only)

    @strawberry.field(
        description="The complaint dashboard of every department, agent, channel, category,"
        " region or team with figures in the window, by label; staff and analysts"
    )
    async def complaint_breakdown(
        self,
        info: Info,
        from_: From,
        to: To,
        by: ComplaintSliceBy,
        at_position: AtPosition = None,
        filter: Annotated[
            ComplaintFilter | None,
            strawberry.argument(description="Only the complaints with all of these values"),
        ] = None,
    ) -> list[ComplaintSlice]:
        info.context.authorize("complaintBreakdown")
        start, end = window(from_, to)
        only = None if filter is None else filter.only()
        views = [ComplaintDashboardProjection.name]
        teams = info.context.services.teams
        found = await read_at(
            info.context,
            views,
            at_position,
            complaint_breakdown,
            start,
            end,
            by.value,
            None,
            only,
            teams,
        )
        return [
            ComplaintSlice.of(by, label, ComplaintDashboardView.of(board), teams)
            for label, board in found.items()
        ]

    @strawberry.field(description="Survey responses, scores per dimension and CSAT")
    async def satisfaction(
        self,
        info: Info,
        from_: From,
        to: To,
        at_position: AtPosition = None,
        filter: Annotated[
            SatisfactionFilter | None,
            strawberry.argument(description="Only the surveys with all of these values"),
        ] = None,
    ) -> Satisfaction:
        info.context.authorize("satisfaction")
        only = None if filter is None else filter.only()
        views = [SatisfactionProjection.name]
        start, end = window(from_, to)
        found = await read_at(info.context, views, at_position, satisfaction, start, end, only)
        return Satisfaction.of(found)

    @strawberry.field(description="Late orders and delays by stage, region and attribution")
    async def order_delays(
        self,
        info: Info,
        from_: From,
        to: To,
        at_position: AtPosition = None,
        filter: Annotated[
            OrderDelayFilter | None,
            strawberry.argument(description="Only the orders of one region"),
        ] = None,
    ) -> OrderDelays:
        info.context.authorize("orderDelays")
        region = None if filter is None else filter.checked_region()
        views = [OrderDelaysProjection.name]
        start, end = window(from_, to)
        found = await read_at(info.context, views, at_position, delay_summary, start, end, region)
        return OrderDelays.of(found)

    @strawberry.field(description="Incidents reported, MTTA and MTTR in the window; open ones")
    async def incident_metrics(
        self, info: Info, from_: From, to: To, at_position: AtPosition = None
    ) -> IncidentMetricsView:
        views = [IncidentBoardProjection.name]
        metrics = await read_window(info, views, incident_metrics, from_, to, at_position)
        return IncidentMetricsView.of(metrics)
