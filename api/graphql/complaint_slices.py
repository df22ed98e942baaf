"""The complaint dashboard filtered by some slices (AND-ed), or broken down by every value of
one: department, agent, channel, category, region or team
(projections/views/complaint_dashboard_slices, complaint_dashboard_teams)."""

from __future__ import annotations

from enum import Enum

import strawberry

from api.graphql.dashboard_types import ComplaintDashboardView, enum_key
from api.graphql.enums import Category, Channel
from api.graphql.enums import ComplaintDepartment as Department
from domain.teams import NO_TEAMS, Teams
from projections.views.complaint_dashboard_slices import checked_filter


@strawberry.enum(description="What the complaint dashboard is broken down or filtered by")
class ComplaintSliceBy(Enum):
    DEPARTMENT = "department"
    AGENT = "agent"
    CHANNEL = "channel"
    CATEGORY = "category"
    REGION = "region"
    TEAM = "team"


ENUMS: dict[str, type[Enum] | None] = {
    "department": Department,
    "agent": None,
    "channel": Channel,
    "category": Category,
    "region": None,
    "team": None,
}


@strawberry.input(
    description="Some slices of the complaints: set one field or several, and the figures are"
    " those of the complaints with every value set (AND), as they are now (a reassigned"
    " complaint takes what it counted along)"
)
class ComplaintFilter:
    department: Department | None = None
    agent: str | None = strawberry.field(default=None, description="The person responsible")
    channel: Channel | None = None
    category: Category | None = None
    region: str | None = strawberry.field(
        default=None,
        description="The region of the order complained about (`unknown`: an order the view"
        " never saw); complaints about no order are in no region",
    )
    team: str | None = strawberry.field(
        default=None,
        description="A team of the staff directory: the complaints its agents are responsible"
        " for now",
    )

    def only(self) -> dict[str, str]:
        chosen = {
            by: str(value.value if isinstance(value, Enum) else value)
            for by in ENUMS
            if (value := getattr(self, by)) is not None
        }
        return checked_filter(chosen)


@strawberry.type(description="One value of a breakdown and its complaint dashboard")
class ComplaintSlice:
    by: ComplaintSliceBy
    label: str = strawberry.field(description="As the read model keeps it (quality, agent-li)")
    key: str = strawberry.field(
        description="The schema's enum value (QUALITY); the label itself for an agent, a region"
        " or a team"
    )
    dashboard: ComplaintDashboardView
    department: Department | None = strawberry.field(
        default=None, description="For a team: the department it belongs to"
    )

    @classmethod
    def of(
        cls,
        by: ComplaintSliceBy,
        label: str,
        dashboard: ComplaintDashboardView,
        teams: Teams = NO_TEAMS,
    ) -> ComplaintSlice:
        team = teams.teams.get(label) if by is ComplaintSliceBy.TEAM else None
        return cls(
            by=by,
            label=label,
            key=enum_key(ENUMS[by.value], label),
            dashboard=dashboard,
            department=None if team is None else team.department,
        )
