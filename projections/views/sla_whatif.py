"""What if another SLA policy had been in force: the recorded complaints of a window replayed
under it, with the complaint dashboard's SLA figures beside the recorded ones
(docs/architecture.md#sla-what-if). Nothing is written.

The window is the dashboard's: whole hours of business time. The replay covers every complaint
received before the window ends with a clock still active at its start (`sla_timeline`) and
counts what falls in the window as the dashboard does: warnings and breaches at the hour a
sweeper at the warning or due time would have recorded them, met deadlines at the hour of the
event that met them, first-response and resolution times at the hour of the response or the
resolution, and a complaint received in the window and not answered at its age when the
window ends (or now, if earlier). Those times are the span from receipt, counted on the
calendar of the proposal's first-response or resolution clock: calendar time (the dashboard's
figures) on the 24/7 calendar, working time on any other.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from domain.calendar import working_s
from domain.sla import ClockName
from domain.sla_replay import ClockRun, Proposal, StepKind, replay
from projections.engine.reading import HOUR, epoch, hours_between
from projections.engine.store import ViewStore
from projections.views.complaint_dashboard import ComplaintDashboard, met_share
from projections.views.complaint_dashboard_records import with_ages
from projections.views.complaint_dashboard_tables import (
    Bucket,
    DurationStats,
    Histograms,
    duration_stats,
    milliseconds,
)
from projections.views.sla_timeline import Timeline, timelines

CHANGES_MAX = 1000


@dataclass(frozen=True)
class SlaFigures:
    """The complaint dashboard's SLA figures of one window."""

    sla_met: dict[str, int]
    sla_breached: dict[str, int]
    sla_warnings: dict[str, int]
    first_response_time: DurationStats
    resolution_time: DurationStats

    @classmethod
    def of(cls, dashboard: ComplaintDashboard) -> SlaFigures:
        return cls(
            dashboard.sla_met,
            dashboard.sla_breached,
            dashboard.sla_warnings,
            dashboard.first_response_time,
            dashboard.resolution_time,
        )

    @property
    def sla_met_share(self) -> dict[str, float]:
        return met_share(self.sla_met, self.sla_breached)


@dataclass(frozen=True)
class OutcomeChange:
    complaint_id: str
    run: ClockRun


@dataclass(frozen=True)
class WhatIf:
    window_start: datetime
    window_end: datetime
    replayed: int  # complaints replayed
    proposed: SlaFigures
    changed: int  # complaints with a clock whose outcome would change
    changes: list[OutcomeChange]  # their clocks, at most `limit`, in complaint id order


@dataclass
class _Tally:
    start: datetime  # the window's first whole hour
    end: datetime  # the end of its last
    aged_at: datetime  # when a complaint still unanswered is aged
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    durations: Histograms = field(default_factory=Histograms)
    waiting: list[int] = field(default_factory=list)  # unanswered complaints' ages, ms

    def within(self, at: datetime) -> bool:
        return self.start <= at < self.end

    def figures(self) -> SlaFigures:
        def by_clock(result: str) -> dict[str, int]:
            return {c: n for (r, c), n in sorted(self.counts.items()) if r == result and n}

        buckets: dict[str, list[Bucket]] = {}
        for (_, measure, bucket), (n, total) in sorted(self.durations.added.items()):
            buckets.setdefault(measure, []).append(Bucket(bucket, n, total))
        return SlaFigures(
            by_clock("met"),
            by_clock("breached"),
            by_clock("warning"),
            duration_stats(
                with_ages(buckets.get("first_response", []), self.waiting), len(self.waiting)
            ),
            duration_stats(buckets.get("resolution", [])),
        )


def sla_what_if(
    store: ViewStore,
    start: datetime,
    end: datetime,
    proposal: Proposal,
    limit: int = 100,
    now: datetime | None = None,
    on_page: Callable[[int], None] = lambda _: None,
) -> WhatIf:
    """The window [start, end), resolved to whole hours, replayed under `proposal` up to its
    end or `now`, whichever comes first (no sweeper has acted after now);
    `on_page(complaints replayed so far)` after each page of timelines."""
    first, last = hours_between(start, end)
    window_start = datetime.fromtimestamp(first, UTC)
    window_end = datetime.fromtimestamp(last + HOUR, UTC)
    horizon = window_end if now is None else max(window_start, min(window_end, now))
    tally = _Tally(window_start, window_end, horizon)
    changed: list[OutcomeChange] = []
    replayed = changed_n = 0
    for page in timelines(store, window_start, window_end):
        for timeline in page:
            runs = _replay_one(timeline, proposal, horizon, tally)
            if runs:
                changed_n += 1
                if changed_n <= limit:  # pages come in complaint id order
                    changed += [OutcomeChange(timeline.complaint_id, r) for r in runs]
        replayed += len(page)
        on_page(replayed)
    return WhatIf(window_start, window_end, replayed, tally.figures(), changed_n, changed)


def _replay_one(
    timeline: Timeline, proposal: Proposal, horizon: datetime, tally: _Tally
) -> list[ClockRun]:
    """Counts the complaint's figures in the window; its clock runs whose outcome changes."""
    out = replay(timeline.steps, proposal, horizon)
    for mark in out.marks:
        if tally.within(mark.at):
            tally.counts[mark.result, mark.clock] += 1
    _durations(timeline, proposal, horizon, tally)
    return [r for r in out.changed if _settled_within(r, tally)]


def _settled_within(run: ClockRun, tally: _Tally) -> bool:
    times = (run.recorded_at, run.proposed_at)
    return any(at is not None and tally.within(at) for at in times)


MEASURES: dict[str, str] = {
    ClockName.FIRST_RESPONSE: "first_response",
    ClockName.RESOLUTION: "resolution",
}


def _durations(timeline: Timeline, proposal: Proposal, horizon: datetime, tally: _Tally) -> None:
    """The first response and each resolution in the window, timed from receipt on the
    calendar of the proposal's clock; a complaint received in the window and never answered,
    at its age when the window ends (or now), as the dashboard counts it."""
    answered = False
    for at, kind, subject in timeline.steps:
        measure = MEASURES.get(subject) if kind == StepKind.STOP else None
        answered = answered or measure == "first_response"
        if measure is not None and at < horizon and tally.within(at):
            ms = _elapsed_ms(timeline.received_at, at, subject, proposal)
            tally.durations.add(0, measure, ms)  # one window: one bucket set
    if not answered and tally.within(timeline.received_at):
        age = _elapsed_ms(timeline.received_at, tally.aged_at, ClockName.FIRST_RESPONSE, proposal)
        tally.waiting.append(age)


def _elapsed_ms(received: datetime, at: datetime, clock: str, proposal: Proposal) -> int:
    calendar = proposal.calendar_at(proposal.policy.calendar_of(ClockName(clock)), received)
    if calendar.always:
        return milliseconds(epoch(at) - epoch(received))
    return milliseconds(working_s(calendar, received, at))
