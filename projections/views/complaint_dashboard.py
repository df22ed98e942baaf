"""Complaint dashboard: what came in, how it was classified, answered, resolved and escalated,
and how the SLA clocks ended, over a window of business time.

Counts live in hourly buckets (`counts`: hour, dimension, label). Channel, category, severity,
department and agent count at the hour the complaint was RECEIVED: a reclassification or a
reassignment moves the complaint from its old label to its new one in that hour, which the
per-complaint `complaint_facts` table makes possible. The complaint's reason (its subcategory)
counts the same way, labelled `<category>/<subcategory>` so that one reason name under two
categories stays two reasons. Outcomes, reopenings, SLA results, escalations, compensation (by
who funds it, and its amount in cents) and the scores of the surveys about complaints count at
the hour they happened. First-response and resolution times are hourly histograms (see
complaint_dashboard_tables) counted at the hour of the response or the resolution; a complaint
still unanswered counts in first-response time at its age so far, in the window it was received
in (complaint_dashboard_records). Resolutions count twice: as events by outcome, and as the
distinct complaints resolved, from one row per complaint and hour (`complaint_resolutions`)
that carries the complaint's slices now and moves with it, so a filtered window reads its own
rows only.

`counts_daily` and `durations_daily` hold the same figures by UTC day (projections/rollup),
written from the same batch with every change to an hour also made to its day (a row that
reaches 0 is removed from both), so a day row equals its hours summed. A window reads its whole
days from them and only the hours at its two edges from the hourly tables. The same figures by
department, agent, channel, category and region (complaint_dashboard_slices) filter the
dashboard by any of them at once or break it down; for the region the view keeps each order's
(`order_regions`) for the complaints about it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.teams import NO_TEAMS, Teams
from projections.engine.projection import Envelope, Projection
from projections.engine.reading import HOUR, active_prefix, hours_between
from projections.engine.rollup import spanned, spans
from projections.engine.store import Tx, ViewStore
from projections.views.complaint_dashboard_records import (
    COUNTS,
    COUNTS_DAILY,
    FACTS,
    ORDER_REGIONS,
    RESOLUTIONS,
    CountSum,
    complaints_resolved,
    unanswered_ages,
    with_ages,
)
from projections.views.complaint_dashboard_slices import SLICE_TABLES, slice_figures
from projections.views.complaint_dashboard_tables import (
    DURATIONS,
    DURATIONS_DAILY,
    Bucket,
    DurationStats,
    duration_stats,
    read_histograms,
)
from projections.views.complaint_dashboard_tally import (
    SURVEY_EVENTS,
    Tally,
    load_facts,
    load_regions,
    load_surveys,
)
from projections.views.complaint_dashboard_teams import TEAM, by_team, team_agents, without_team

NOT_COMPLAINTS = SURVEY_EVENTS | {"OrderReceived"}  # events whose originator is no complaint


class ComplaintDashboardProjection(Projection):
    name = "complaint_dashboard"
    events = (
        "OrderReceived",
        "ComplaintReceived",
        "ComplaintClassified",
        "ComplaintReclassified",
        "ResponsibilityAssigned",
        "FirstResponseSent",
        "ComplaintResolved",
        "ComplaintReopened",
        "SlaMet",
        "SlaBreached",
        "SlaWarning",
        "ComplaintEscalated",
        "CompensationIssued",
        "SurveySent",
        "SurveyResponded",
    )

    reads = (
        "meta.occurred_at",
        "order_id",
        "region",
        "channel",
        "category",
        "subcategory",
        "severity",
        "department",
        "person",
        "outcome",
        "clock",
        "trigger",
        "level",
        "funded_by",
        "amount",
        "subject",
        "subject_id",
        "scores",
    )

    declared = (
        FACTS,
        COUNTS,
        COUNTS_DAILY,
        RESOLUTIONS,
        DURATIONS,
        DURATIONS_DAILY,
        ORDER_REGIONS,
        *SLICE_TABLES,
    )

    def process(self, tx: Tx, prefix: str, batch: Sequence[Envelope]) -> None:
        surveys = load_surveys(tx, prefix, batch)
        ids = {e.event.originator_id for e in batch if e.name not in NOT_COMPLAINTS}
        ids |= set(surveys.values())
        ids |= {e.event.subject_id for e in batch if e.name == "SurveySent"}
        tally = Tally(load_facts(tx, prefix, ids), surveys, load_regions(tx, prefix, batch))
        for envelope in batch:
            tally.apply(envelope)
        tally.write(tx, prefix)


@dataclass(frozen=True)
class ComplaintDashboard:
    """The figures of the whole hours [window_start, window_end) of business time.

    Distributions map a label to its count and leave out labels counted 0. First-response
    time counts the responses sent in the window and, at their age so far, the complaints
    received in it still unanswered (`first_response_time.unanswered` of them): over windows
    that do not overlap, every complaint counts once.
    """

    window_start: datetime
    window_end: datetime
    by_channel: dict[str, int]
    by_category: dict[str, int]
    by_subcategory: dict[str, int]  # the complaint's reason: `<category>/<subcategory>` -> count
    by_severity: dict[str, int]
    by_department: dict[str, int]
    by_agent: dict[str, int]  # the person responsible now
    by_outcome: dict[str, int]  # resolution events by outcome
    complaints_resolved: int  # distinct complaints resolved at least once in the window
    reopened: int
    first_response_time: DurationStats
    resolution_time: DurationStats
    sla_met: dict[str, int]  # clock -> count
    sla_breached: dict[str, int]
    sla_warnings: dict[str, int]
    escalations_by_trigger: dict[str, int]
    escalations_by_level: dict[int, int]
    survey_scores: dict[int, int]  # score 1-5 -> scores given, every dimension of each answer
    compensations: dict[str, int]  # who funds it (platform, merchant, courier) -> payouts
    compensation_cents: dict[str, int]  # who funds it -> the amount paid, in cents (fen)

    @property
    def received(self) -> int:
        return sum(self.by_channel.values())

    @property
    def unclassified(self) -> int:
        """Complaints received in the window and not classified yet."""
        return self.received - sum(self.by_category.values())

    @property
    def unassigned(self) -> int:
        return self.received - sum(self.by_department.values())

    @property
    def resolutions(self) -> int:
        """Resolution events in the window: a complaint resolved, reopened and resolved again
        counts twice (`complaints_resolved` counts it once)."""
        return sum(self.by_outcome.values())

    @property
    def reopen_rate(self) -> float | None:
        """Reopenings over resolution events in the window; None without resolutions."""
        return self.reopened / self.resolutions if self.resolutions else None

    @property
    def escalations(self) -> int:
        return sum(self.escalations_by_trigger.values())

    @property
    def csat(self) -> float | None:
        """The share of 4 and 5 among the scores of the surveys about these complaints,
        answered in the window, all five dimensions together; None without any."""
        scores = sum(self.survey_scores.values())
        if not scores:
            return None
        return (self.survey_scores.get(4, 0) + self.survey_scores.get(5, 0)) / scores

    @property
    def sla_met_share(self) -> dict[str, float]:
        """Per clock, the share of its deadlines met: met over met and breached, for every
        clock with a deadline settled in the window (warnings are not a result)."""
        return met_share(self.sla_met, self.sla_breached)


def met_share(met: Mapping[str, int], breached: Mapping[str, int]) -> dict[str, float]:
    """Per clock with a deadline settled, met over met and breached."""
    return {
        clock: met.get(clock, 0) / (met.get(clock, 0) + breached.get(clock, 0))
        for clock in sorted(met.keys() | breached.keys())
    }


def complaint_dashboard(
    store: ViewStore,
    start: datetime,
    end: datetime,
    as_of: datetime | None = None,
    only: Mapping[str, str] | None = None,
    teams: Teams = NO_TEAMS,
) -> ComplaintDashboard:
    """The window [start, end), resolved to whole hours of business time. An unanswered
    complaint's age is taken at the window's end, or at `as_of` (default: now) if earlier.
    `only` = {slice: value}, e.g. {"department": "quality", "channel": "phone"}, gives the
    figures of the complaints with all of those values (a team: of the `teams`)."""
    first, last = hours_of(start, end)
    if only:
        found = slice_dashboards(store, first, last, None, only, as_of, teams)
        return found.get("") or dashboard_of(first, last, [], {})
    window = spans(first, last)
    with store.snapshot() as tx:
        p = active_prefix(tx, ComplaintDashboardProjection.name)
        source, params = spanned(f"{p}counts", f"{p}counts_daily", "dimension, label, n", window)
        rows = tx.all(
            f"SELECT dimension, label, SUM(n) FROM {source} GROUP BY dimension, label", params
        )
        histograms = read_histograms(tx, p, window)
        waiting = unanswered_ages(tx, p, first, last, ages_at(last, as_of))
        resolved = complaints_resolved(tx, p, first, last)
    return dashboard_of(first, last, rows, histograms, waiting, resolved)


def complaint_breakdown(
    store: ViewStore,
    start: datetime,
    end: datetime,
    by: str,
    as_of: datetime | None = None,
    only: Mapping[str, str] | None = None,
    teams: Teams = NO_TEAMS,
) -> dict[str, ComplaintDashboard]:
    """The window's dashboard of every department, agent, channel, category, region or team
    of `teams` (`by`) with figures in it, of the complaints with all the values of `only` if
    given."""
    first, last = hours_of(start, end)
    return slice_dashboards(store, first, last, by, only or {}, as_of, teams)


def slice_dashboards(
    store: ViewStore,
    first: int,
    last: int,
    by: str | None,
    only: Mapping[str, str],
    as_of: datetime | None,
    teams: Teams = NO_TEAMS,
) -> dict[str, ComplaintDashboard]:
    """The dashboards of the complaints matching `only`, per value of `by` (all under "" when
    None); a team, as a filter or a breakdown, is read as its agents."""
    where = without_team(only, teams)
    group: dict[str, str] | None = None
    if where is not None and by == TEAM:
        chosen = team_agents(where, teams)
        where, group = (None, None) if chosen is None else chosen
        by = "agent"
    if where is None:
        return {}
    with store.snapshot() as tx:
        p = active_prefix(tx, ComplaintDashboardProjection.name)
        moment = ages_at(last, as_of).timestamp()
        found = slice_figures(tx, p, (first, last), spans(first, last), by, where, moment)
    if group is not None:
        found = by_team(found, group)
    values = found.counts.keys() | found.histograms.keys() | found.waiting.keys()
    return {
        v: dashboard_of(
            first,
            last,
            found.counts.get(v, []),
            found.histograms.get(v, {}),
            found.waiting.get(v, []),
            found.resolved.get(v, 0),
        )
        for v in sorted(values | found.resolved.keys())
    }


def hours_of(start: datetime, end: datetime) -> tuple[int, int]:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    if end <= start:
        raise ValueError("the window must end after it starts")
    return hours_between(start, end)


def ages_at(last: int, as_of: datetime | None) -> datetime:
    """When the unanswered complaints of a window ending after the hour `last` are aged: its
    end, or `as_of` (default: now) when that comes first."""
    end = datetime.fromtimestamp(last + HOUR, UTC)
    return min(end, as_of or datetime.now(UTC))


def dashboard_of(
    first: int,
    last: int,
    rows: Iterable[Iterable[Any]],
    histograms: Mapping[str, list[Bucket]],
    waiting: Sequence[int] = (),
    resolved: int = 0,
) -> ComplaintDashboard:
    """The dashboard of the hours first..last from their (dimension, label, n) count rows,
    their histograms by measure, the ages in milliseconds of the complaints received then and
    still unanswered, and how many distinct complaints were resolved then."""
    counts: dict[str, dict[str, int]] = {}
    for row in map(CountSum._make, rows):
        if int(row.n):
            counts.setdefault(row.dimension, {})[row.label] = int(row.n)
    return ComplaintDashboard(
        window_start=datetime.fromtimestamp(first, UTC),
        window_end=datetime.fromtimestamp(last + HOUR, UTC),
        by_channel=counts.get("channel", {}),
        by_category=counts.get("category", {}),
        by_subcategory=counts.get("subcategory", {}),
        by_severity=counts.get("severity", {}),
        by_department=counts.get("department", {}),
        by_agent=counts.get("agent", {}),
        by_outcome=counts.get("outcome", {}),
        complaints_resolved=resolved,
        reopened=counts.get("reopened", {}).get("", 0),
        first_response_time=duration_stats(
            with_ages(histograms.get("first_response", []), list(waiting)), len(waiting)
        ),
        resolution_time=duration_stats(histograms.get("resolution", [])),
        sla_met=counts.get("sla_met", {}),
        sla_breached=counts.get("sla_breached", {}),
        sla_warnings=counts.get("sla_warning", {}),
        escalations_by_trigger=counts.get("escalation_trigger", {}),
        escalations_by_level={int(k): n for k, n in counts.get("escalation_level", {}).items()},
        survey_scores={int(k): n for k, n in counts.get("survey_score", {}).items()},
        compensations=counts.get("compensations", {}),
        compensation_cents=counts.get("compensation_cents", {}),
    )
