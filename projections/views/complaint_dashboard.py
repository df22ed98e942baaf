"""Complaint dashboard: what came in, how it was classified, answered, resolved and escalated,
and how the SLA clocks ended, over a window of business time.

Counts live in hourly buckets (`counts`: hour, dimension, label). Channel, category, severity
and department count at the hour the complaint was RECEIVED: a reclassification or a
reassignment moves the complaint from its old label to its new one in that hour, which the
per-complaint `complaint_facts` table makes possible. The complaint's reason (its subcategory)
counts the same way, labelled `<category>/<subcategory>` so that one reason name under two
categories stays two reasons. Outcomes, reopenings, SLA results and escalations
count at the hour they happened. First-response and resolution times are hourly histograms
(see complaint_dashboard_tables) counted at the hour of the response or the resolution; a
complaint still unanswered counts in first-response time at its age so far, in the window it
was received in (complaint_dashboard_records). Resolutions count twice: as events by outcome,
and as the distinct complaints resolved, from one row per complaint and hour (`resolutions`).

`counts_daily` and `durations_daily` hold the same figures by UTC day (projections/rollup),
written from the same batch with every change to an hour also made to its day (a row that
reaches 0 is removed from both), so a day row equals its hours summed. A window reads its whole
days from them and only the hours at its two edges from the hourly tables.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from projections.engine.projection import Envelope, Projection
from projections.engine.reading import (
    HOUR,
    active_prefix,
    add_counts,
    epoch,
    hour_of,
    hours_between,
    records_by_ids,
    upsert_records,
)
from projections.engine.rollup import by_day, spanned, spans
from projections.engine.store import Tx, ViewStore
from projections.views.complaint_dashboard_records import (
    COUNT_KEYS,
    COUNTS,
    COUNTS_DAILY,
    DAILY_COUNT_KEYS,
    FACTS,
    RESOLUTIONS,
    CountSum,
    FactRecord,
    complaints_resolved,
    unanswered_ages,
    with_ages,
)
from projections.views.complaint_dashboard_tables import (
    Bucket,
    DurationStats,
    Histograms,
    create_histogram_table,
    duration_stats,
    milliseconds,
    read_histograms,
)

LABELS = ("category", "subcategory", "severity", "department")  # counted at the received hour
NEEDS_FACTS = frozenset(
    {
        "ComplaintClassified",
        "ComplaintReclassified",
        "ResponsibilityAssigned",
        "FirstResponseSent",
        "ComplaintResolved",
    }
)
SLA_DIMENSIONS = {"SlaMet": "sla_met", "SlaBreached": "sla_breached", "SlaWarning": "sla_warning"}


@dataclass
class Fact:
    """What the dashboard remembers of one complaint."""

    received_hour: int
    received_at: float
    labels: dict[str, str] = field(default_factory=dict)
    first_response_at: float | None = None


class ComplaintDashboardProjection(Projection):
    name = "complaint_dashboard"
    events = (
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
    )

    declared = (FACTS, COUNTS, COUNTS_DAILY, RESOLUTIONS)

    def tables(self) -> tuple[str, ...]:
        return (*super().tables(), "durations", "durations_daily")

    def create_tables(self, tx: Tx, prefix: str) -> None:
        super().create_tables(tx, prefix)
        create_histogram_table(tx, f"{prefix}durations")
        create_histogram_table(tx, f"{prefix}durations_daily", "day")

    def process(self, tx: Tx, prefix: str, batch: Sequence[Envelope]) -> None:
        ids = {e.event.originator_id for e in batch if e.name in NEEDS_FACTS}
        tally = Tally(load_facts(tx, prefix, ids))
        for envelope in batch:
            tally.apply(envelope)
        tally.write(tx, prefix)


def load_facts(tx: Tx, prefix: str, ids: Iterable[UUID]) -> dict[UUID, Fact]:
    """The facts of these complaints, keyed by their ids as the events carry them (turning
    every event's UUID into text cost more than the rest of counting it)."""
    facts: dict[UUID, Fact] = {}
    for record in records_by_ids(tx, FACTS, prefix, map(str, ids)):
        stored = record._asdict()
        known = {k: stored[k] for k in LABELS if stored[k] is not None}
        first_response_at = record.first_response_at
        facts[UUID(record.complaint_id)] = Fact(
            int(record.received_hour),
            float(record.received_at),
            known,
            None if first_response_at is None else float(first_response_at),
        )
    return facts


class Tally:
    """One batch's changes, made in memory in event order, then written in a few statements."""

    def __init__(self, facts: dict[UUID, Fact]) -> None:
        self.facts = facts
        self.changed: set[UUID] = set()
        self.counts: Counter[tuple[int, str, str]] = Counter()
        self.resolutions: Counter[tuple[int, str]] = Counter()
        self.durations = Histograms()
        self.handlers: dict[str, Callable[[Any, int], None]] = {
            "ComplaintReceived": self.received,
            "ComplaintClassified": self.classified,
            "ComplaintReclassified": self.classified,
            "ResponsibilityAssigned": self.assigned,
            "FirstResponseSent": self.first_response,
            "ComplaintResolved": self.resolved,
            "ComplaintReopened": lambda _, hour: self.count(hour, "reopened", ""),
            "ComplaintEscalated": self.escalated,
        }

    def apply(self, envelope: Envelope) -> None:
        hour = hour_of(envelope.event.meta.occurred_at)
        sla = SLA_DIMENSIONS.get(envelope.name)
        if sla is not None:
            self.count(hour, sla, str(envelope.event.clock))
        else:
            self.handlers[envelope.name](envelope.event, hour)

    def count(self, hour: int, dimension: str, label: str, n: int = 1) -> None:
        self.counts[hour, dimension, label] += n

    def received(self, event: Any, hour: int) -> None:
        complaint_id = event.originator_id
        self.facts[complaint_id] = Fact(hour, epoch(event.meta.occurred_at))
        self.changed.add(complaint_id)
        self.count(hour, "channel", str(event.channel))

    def classified(self, event: Any, hour: int) -> None:
        self.relabel(event, "category", str(event.category))
        self.relabel(event, "subcategory", f"{event.category}/{event.subcategory}")
        self.relabel(event, "severity", str(event.severity))

    def assigned(self, event: Any, hour: int) -> None:
        self.relabel(event, "department", str(event.department))

    def relabel(self, event: Any, dimension: str, label: str) -> None:
        """Moves the complaint to `label` in its received hour."""
        complaint_id = event.originator_id
        fact = self.facts.get(complaint_id)
        if fact is None or fact.labels.get(dimension) == label:
            return
        old = fact.labels.get(dimension)
        if old is not None:
            self.count(fact.received_hour, dimension, old, -1)
        self.count(fact.received_hour, dimension, label)
        fact.labels[dimension] = label
        self.changed.add(complaint_id)

    def first_response(self, event: Any, hour: int) -> None:
        complaint_id = event.originator_id
        fact = self.facts.get(complaint_id)
        if fact is None or fact.first_response_at is not None:
            return
        fact.first_response_at = epoch(event.meta.occurred_at)
        self.changed.add(complaint_id)
        self.durations.add(
            hour, "first_response", milliseconds(fact.first_response_at - fact.received_at)
        )

    def resolved(self, event: Any, hour: int) -> None:
        self.count(hour, "outcome", str(event.outcome))
        self.resolutions[hour, str(event.originator_id)] += 1
        fact = self.facts.get(event.originator_id)
        if fact is not None:
            elapsed = epoch(event.meta.occurred_at) - fact.received_at
            self.durations.add(hour, "resolution", milliseconds(elapsed))

    def escalated(self, event: Any, hour: int) -> None:
        self.count(hour, "escalation_trigger", str(event.trigger))
        self.count(hour, "escalation_level", str(event.level))

    def write(self, tx: Tx, prefix: str) -> None:
        facts = [self.fact_record(complaint_id) for complaint_id in sorted(self.changed)]
        upsert_records(tx, FACTS, prefix, facts)
        write_counts(tx, f"{prefix}counts", COUNT_KEYS, self.counts)
        write_counts(tx, f"{prefix}counts_daily", DAILY_COUNT_KEYS, by_day(self.counts))
        add_counts(tx, f"{prefix}{RESOLUTIONS.name}", ("hour", "complaint_id"), self.resolutions)
        self.durations.write(tx, f"{prefix}durations")
        self.durations.by_day().write(tx, f"{prefix}durations_daily", "day")

    def fact_record(self, complaint_id: UUID) -> FactRecord:
        fact = self.facts[complaint_id]
        return FactRecord(
            complaint_id=str(complaint_id),
            received_hour=fact.received_hour,
            received_at=fact.received_at,
            category=fact.labels.get("category"),
            subcategory=fact.labels.get("subcategory"),
            severity=fact.labels.get("severity"),
            department=fact.labels.get("department"),
            first_response_at=fact.first_response_at,
        )


def write_counts(tx: Tx, table: str, keys: Sequence[str], counts: Counter[tuple[Any, ...]]) -> None:
    add_counts(tx, table, keys, counts)
    # a label a complaint left may be back to 0: drop the row, whatever the batch size
    tx.executemany(
        f"DELETE FROM {table} WHERE {' AND '.join(f'{k} = ?' for k in keys)} AND n = 0",
        [key for key, n in counts.items() if n < 0],
    )


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
    store: ViewStore, start: datetime, end: datetime, as_of: datetime | None = None
) -> ComplaintDashboard:
    """The window [start, end), resolved to whole hours of business time. An unanswered
    complaint's age is taken at the window's end, or at `as_of` (default: now) if earlier."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    if end <= start:
        raise ValueError("the window must end after it starts")
    first, last = hours_between(start, end)
    window = spans(first, last)
    with store.transaction() as tx:
        p = active_prefix(tx, ComplaintDashboardProjection.name)
        source, params = spanned(f"{p}counts", f"{p}counts_daily", "dimension, label, n", window)
        rows = tx.all(
            f"SELECT dimension, label, SUM(n) FROM {source} GROUP BY dimension, label", params
        )
        histograms = read_histograms(tx, f"{p}durations", f"{p}durations_daily", window)
        waiting = unanswered_ages(tx, p, first, last, ages_at(last, as_of))
        resolved = complaints_resolved(tx, p, first, last)
    return dashboard_of(first, last, rows, histograms, waiting, resolved)


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
    )
