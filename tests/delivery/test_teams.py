"""Teams in the staff directory (delivery/staff.toml `[teams.<name>]`, domain/teams.py): each
agent in one team at most, each team in a department; a malformed entry stops the service."""

from __future__ import annotations

from pathlib import Path

import pytest

from delivery.staff import Directory, StaffConfigError
from domain.complaint_types import Department


def directory(tmp_path: Path, teams: str) -> Directory:
    staff = tmp_path / "staff.toml"
    staff.write_text(teams, encoding="utf-8")
    return Directory.load(staff)


def test_the_directory_gives_each_agent_their_team_and_its_department(tmp_path: Path) -> None:
    found = directory(
        tmp_path,
        '[teams.north]\ndepartment = "customer_service"\nmembers = ["ana", "lin"]\n'
        '[teams.dispatch]\ndepartment = "logistics"\nmembers = ["desk-1"]\n',
    ).teams
    north = found.team_of("lin")
    assert north is not None and (north.name, north.department) == (
        "north",
        Department.CUSTOMER_SERVICE,
    )
    assert found.members("dispatch") == ("desk-1",)
    # an agent in no team, and a team not defined, have none
    assert (found.team_of("zhou"), found.members("south")) == (None, ())


def test_the_built_in_directory_puts_the_demos_agents_in_teams() -> None:
    teams = Directory.load().teams
    for agent in ("agent-ana", "agent-li", "logistics-desk-3", "quality-desk-1"):
        assert teams.team_of(agent) is not None, agent


@pytest.mark.parametrize(
    ("teams", "message"),
    [
        (
            '[teams.a]\ndepartment = "quality"\nmembers = ["ana"]\n'
            '[teams.b]\ndepartment = "quality"\nmembers = ["ana"]\n',
            "ana is in team a already",
        ),
        ('[teams.a]\ndepartment = "marketing"\nmembers = ["ana"]\n', "'marketing' is not one of"),
        ('[teams.a]\ndepartment = "quality"\nmembers = "ana"\n', "members is not a list"),
        ('[teams.a]\ndepartment = "quality"\nmembers = []\n', "name one agent or more"),
        ('[teams.a]\nmembers = ["ana"]\n', "each needs a department and members"),
        ('[teams."Team A"]\ndepartment = "quality"\nmembers = ["ana"]\n', "a name of a-z"),
    ],
)
def test_a_malformed_team_stops_the_directory_loading(
    tmp_path: Path, teams: str, message: str
) -> None:
    with pytest.raises(StaffConfigError, match=message):
        directory(tmp_path, teams)
