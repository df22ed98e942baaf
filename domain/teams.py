"""Teams of agents: every agent is in at most one team, and every team belongs to a department.
The staff directory defines them (delivery/staff.toml, `[teams.<name>]`); the complaint
dashboard's figures of a team are those of the complaints its agents are responsible for now."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from domain.complaint_types import Department
from domain.errors import InvalidInputError
from domain.values import one_of

TEAM_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")


@dataclass(frozen=True)
class Team:
    name: str
    department: Department
    members: tuple[str, ...]  # the agents, as complaints are assigned to them

    @classmethod
    def checked(cls, name: str, department: str, members: Iterable[str]) -> Team:
        if not TEAM_NAME.fullmatch(name):
            raise InvalidInputError(f"teams.{name}", "a name of a-z, 0-9, _ . - (at most 64)")
        agents = tuple(members)
        if not agents or any(not isinstance(a, str) or not a.strip() for a in agents):
            raise InvalidInputError(f"teams.{name}.members", "name one agent or more")
        return cls(name, one_of(f"teams.{name}.department", department, Department), agents)


@dataclass(frozen=True)
class Teams:
    teams: Mapping[str, Team]
    agents: Mapping[str, str]  # agent -> their team's name

    @classmethod
    def of(cls, teams: Iterable[Team]) -> Teams:
        """The teams, each agent in one of them at most."""
        by_name: dict[str, Team] = {}
        agents: dict[str, str] = {}
        for team in teams:
            by_name[team.name] = team
            for agent in team.members:
                if agents.setdefault(agent, team.name) != team.name:
                    raise InvalidInputError(
                        f"teams.{team.name}.members", f"{agent} is in team {agents[agent]} already"
                    )
        return cls(by_name, agents)

    def team_of(self, agent: str) -> Team | None:
        name = self.agents.get(agent)
        return None if name is None else self.teams[name]

    def members(self, team: str) -> tuple[str, ...]:
        """The agents of `team` (none for a team not defined)."""
        found = self.teams.get(team)
        return () if found is None else found.members


NO_TEAMS = Teams({}, {})
