"""The complaint dashboard by team: every figure of every team checked against the stories of
its agents' complaints (tests/projections/complaint_stories.py, recomputed from the scripted
hours' commands, not from the view's code), broken down and filtered, alone and with other
filters, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import pytest

from application.app import CareLedger
from domain.errors import InvalidInputError
from domain.teams import Team, Teams
from projections.engine.store import ViewStore
from projections.views.complaint_dashboard import (
    ComplaintDashboardProjection,
    complaint_breakdown,
    complaint_dashboard,
)
from tests.projections.catch_up import Project
from tests.projections.complaint_stories import (
    STORIES,
    WINDOWS,
    Expected,
    Story,
    expected_by,
    merged,
)
from tests.projections.complaint_stories import record as record_hours

# p0, p3 and p6 answer the front line, p1 and p2 work in quality; p4 and p5 are in no team
TEAMS = Teams.of(
    [
        Team.checked("front", "customer_service", ["p0", "p3", "p6"]),
        Team.checked("food", "quality", ["p1", "p2", "p9"]),  # p9 handles nothing
    ]
)


def expected_teams(
    window: tuple[datetime, datetime], only: dict[str, str] | None = None
) -> dict[str, Expected]:
    """Per team with complaints, its agents' figures together, from the stories."""
    agents = expected_by("agent", *window, only)
    teams: dict[str, Expected] = {}
    for agent, figures in agents.items():
        team = TEAMS.team_of(agent)
        if team is not None:
            teams[team.name] = merged(teams.get(team.name, Expected()), figures)
    return {t: e for t, e in teams.items() if e != Expected()}


@pytest.fixture
def hours(app: CareLedger, project: Project) -> None:
    # given the scripted hours projected one event per batch (C2, p2's, moved from logistics
    # to quality at 10:20; C1, p1's, answered a survey)
    record_hours(app)
    project(ComplaintDashboardProjection(), batch_size=1)


@pytest.mark.usefixtures("hours")
def test_a_team_has_the_figures_of_its_agents_complaints(views: ViewStore) -> None:
    for window in WINDOWS:
        # when the window is broken down by team
        found = complaint_breakdown(views, *window, "team", teams=TEAMS)
        expected = expected_teams(window)
        # then each team with complaints has its agents' figures; p4's and p5's count nowhere
        assert set(found) == set(expected), window
        for team, figures in expected.items():
            figures.check(found[team])
            # and the dashboard filtered by the team is the same
            assert (
                complaint_dashboard(views, *window, only={"team": team}, teams=TEAMS)
                == (found[team])
            )


@pytest.mark.usefixtures("hours")
def test_a_team_filter_combines_with_the_others(views: ViewStore) -> None:
    # the front line's complaints by phone: C0 (p0); the food team's in quality: C1 and C2
    for only, stories in (
        ({"team": "front", "channel": "phone"}, {"c0"}),
        ({"team": "food", "department": "quality"}, {"c1", "c2"}),
        ({"team": "front", "agent": "p3"}, {"c3"}),
    ):
        assert {k for k, s in STORIES.items() if _matches(s, only)} == stories
        for window in WINDOWS:
            board = complaint_dashboard(views, *window, only=only, teams=TEAMS)
            rest = {k: v for k, v in only.items() if k != "team"}
            expected_teams(window, rest).get(only["team"], Expected()).check(board)
    # and an agent not in the team matches nothing; a breakdown by team under a filter keeps
    # the teams of the filtered complaints only
    nobody = complaint_dashboard(
        views, *WINDOWS[3], only={"team": "front", "agent": "p1"}, teams=TEAMS
    )
    assert (nobody.received, nobody.resolutions) == (0, 0)
    phone = complaint_breakdown(views, *WINDOWS[3], "team", only={"channel": "phone"}, teams=TEAMS)
    assert {t: b.received for t, b in phone.items()} == {"front": 1, "food": 1}


def _matches(story: Story, only: dict[str, str]) -> bool:
    for by, value in only.items():
        if by == "team":
            team = TEAMS.team_of(story.agent or "")
            if team is None or team.name != value:
                return False
        elif getattr(story, by) != value:
            return False
    return True


@pytest.mark.usefixtures("hours")
def test_an_unknown_team_is_refused_and_no_teams_break_down_to_nothing(views: ViewStore) -> None:
    # an unknown team is refused with the field and the teams there are
    with pytest.raises(InvalidInputError, match="no team 'night': food, front") as refused:
        complaint_dashboard(views, *WINDOWS[3], only={"team": "night"}, teams=TEAMS)
    assert refused.value.field == "filter.team"
    # and without teams in the directory the breakdown by team is empty
    assert complaint_breakdown(views, *WINDOWS[3], "team") == {}
