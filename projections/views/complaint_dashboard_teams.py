"""The complaint dashboard by team. A team's figures are those of the complaints its agents are
responsible for now (domain/teams.py, defined in the staff directory): the agents' slices read
together, so a team's figures follow the directory as it is, and moving an agent to another
team moves what they handle with them, with no rebuild. An agent in no team counts in none."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from domain.errors import InvalidInputError
from domain.teams import Teams
from projections.views.complaint_dashboard_slices import SliceFigures, Where
from projections.views.complaint_dashboard_tables import Bucket

TEAM = "team"


def without_team(only: Mapping[str, str], teams: Teams) -> Where | None:
    """The filter `only` with its team (if any) given as the team's agents, AND-ed with an
    agent given too; None when no complaint can match. An unknown team is InvalidInputError."""
    where: dict[str, str | tuple[str, ...]] = {k: v for k, v in only.items() if k != TEAM}
    if TEAM not in only:
        return where
    members = teams.members(only[TEAM])
    if not members:
        known = ", ".join(sorted(teams.teams)) or "none defined"
        raise InvalidInputError(f"filter.{TEAM}", f"no team {only[TEAM]!r}: {known}")
    agent = only.get("agent")
    if agent is None:
        where["agent"] = members
        return where
    return where if agent in members else None


def team_agents(where: Where, teams: Teams) -> tuple[Where, dict[str, str]] | None:
    """For a breakdown by team: `where` limited to the agents in a team, and agent -> team;
    None when no agent in a team can match."""
    chosen = where.get("agent")
    allowed = None if chosen is None else {chosen} if isinstance(chosen, str) else set(chosen)
    group = {a: t for a, t in teams.agents.items() if allowed is None or a in allowed}
    if not group:
        return None
    return {**where, "agent": tuple(sorted(group))}, group


def by_team(found: SliceFigures, team_of: Mapping[str, str]) -> SliceFigures:
    """The figures of agents, summed per team: counts and histogram buckets added, the ages
    of the unanswered put together, distinct complaints resolved added (a complaint has one
    agent at a time)."""
    counts: dict[str, Counter[tuple[str, str]]] = {}
    for agent, rows in found.counts.items():
        summed = counts.setdefault(team_of[agent], Counter())
        for dimension, label, n in rows:
            summed[dimension, label] += n
    histograms: dict[str, dict[str, dict[int, list[int]]]] = {}
    for agent, measures in found.histograms.items():
        team = histograms.setdefault(team_of[agent], {})
        for measure, buckets in measures.items():
            merged = team.setdefault(measure, {})
            for b in buckets:
                entry = merged.setdefault(b.bucket, [0, 0])
                entry[0] += b.n
                entry[1] += b.total_ms
    waiting: dict[str, list[int]] = {}
    for agent, ages in found.waiting.items():
        waiting.setdefault(team_of[agent], []).extend(ages)
    resolved: Counter[str] = Counter()
    for agent, n in found.resolved.items():
        resolved[team_of[agent]] += n
    return SliceFigures(
        {t: [(d, label, n) for (d, label), n in c.items()] for t, c in counts.items()},
        {
            t: {m: [Bucket(k, *v) for k, v in sorted(b.items())] for m, b in ms.items()}
            for t, ms in histograms.items()
        },
        {t: sorted(ages) for t, ages in waiting.items()},
        dict(resolved),
    )
