"""How one batch of events changes the complaint dashboard: made in memory in event order,
then written in a few statements (projections/views/complaint_dashboard.py says what counts
where; complaint_dashboard_slices what counts under which slice)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from projections.engine.projection import Envelope
from projections.engine.reading import add_counts, epoch, hour_of, records_by_ids, upsert_records
from projections.engine.rollup import by_day
from projections.engine.store import Tx
from projections.views.complaint_dashboard_records import (
    COUNT_KEYS,
    DAILY_COUNT_KEYS,
    FACTS,
    ORDER_REGIONS,
    RESOLUTIONS,
    FactRecord,
    OrderRegionRecord,
)
from projections.views.complaint_dashboard_slices import (
    DAILY_SLICE_COUNT_KEYS,
    SLICE_COUNT_KEYS,
    SLICE_COUNTS,
    SLICE_COUNTS_DAILY,
    SLICE_DURATIONS,
    SLICE_DURATIONS_DAILY,
    SURVEY_COMPLAINTS,
    Labels,
    SliceHistograms,
    SurveyComplaintRecord,
    labels_of,
)
from projections.views.complaint_dashboard_tables import (
    DURATIONS,
    DURATIONS_DAILY,
    Histograms,
    bucket_of,
    milliseconds,
)

# counted at the hour the complaint was received, under its labels now
LABELS = ("channel", "category", "subcategory", "severity", "department", "agent")
# what a fact keeps: its labels, and the region of its order, a slice only
FACT_LABELS = (*LABELS, "region")
UNKNOWN_REGION = "unknown"  # a complaint about an order the view never saw received
SLA_DIMENSIONS = {"SlaMet": "sla_met", "SlaBreached": "sla_breached", "SlaWarning": "sla_warning"}
SURVEY_EVENTS = frozenset({"SurveySent", "SurveyResponded"})
# what a complaint contributes: a count (hour, dimension, label), the same under its slices
# (hour, department, agent, channel, category, dimension, label), a weighted count under them
# ("n", hour, *slices, dimension, label, weight) or a duration ("ms", hour, *slices, measure, ms)
Contribution = tuple[Any, ...]


@dataclass
class Fact:
    """What the dashboard remembers of one complaint: its labels now, and what it counted at
    the hour things happened to it (["c", hour, dimension, label] and ["d", hour, measure,
    ms]), which its slices count with it."""

    received_hour: int
    received_at: float
    labels: dict[str, str] = field(default_factory=dict)
    first_response_at: float | None = None
    counted: list[list[Any]] = field(default_factory=list)

    def contributions(self) -> list[Contribution]:
        """Its received-hour counts overall, and everything it counted under its slices."""
        mine = [(d, label) for d in LABELS if (label := self.labels.get(d)) is not None]
        hour = self.received_hour
        keys: list[Contribution] = [(hour, d, label) for d, label in mine]
        slices = labels_of(self.labels)
        keys += [(hour, *slices, d, label) for d, label in mine]
        for kind, at, name, item, *weight in self.counted:
            if kind == "c":
                keys.append((at, *slices, name, item))
            elif kind == "n":
                keys.append(("n", at, *slices, name, item, *weight))
            else:
                keys.append(("ms", at, *slices, name, item))
        return keys


def load_facts(tx: Tx, prefix: str, ids: Iterable[UUID]) -> dict[UUID, Fact]:
    """The facts of these complaints, keyed by their ids as the events carry them (turning
    every event's UUID into text cost more than the rest of counting it)."""
    facts: dict[UUID, Fact] = {}
    for record in records_by_ids(tx, FACTS, prefix, map(str, ids)):
        stored = record._asdict()
        known = {k: stored[k] for k in FACT_LABELS if stored[k] is not None}
        first_response_at = record.first_response_at
        facts[UUID(record.complaint_id)] = Fact(
            int(record.received_hour),
            float(record.received_at),
            known,
            None if first_response_at is None else float(first_response_at),
            json.loads(record.counted),
        )
    return facts


def load_regions(tx: Tx, prefix: str, batch: Sequence[Envelope]) -> dict[UUID, str]:
    """Order id -> region, for the orders the batch's new complaints are about."""
    about = {
        str(e.event.order_id)
        for e in batch
        if e.name == "ComplaintReceived" and e.event.order_id is not None
    }
    return {UUID(r.order_id): r.region for r in records_by_ids(tx, ORDER_REGIONS, prefix, about)}


def load_surveys(tx: Tx, prefix: str, batch: Sequence[Envelope]) -> dict[UUID, UUID]:
    """Survey id -> complaint id, for the surveys answered in the batch."""
    answered = (str(e.event.originator_id) for e in batch if e.name == "SurveyResponded")
    found = records_by_ids(tx, SURVEY_COMPLAINTS, prefix, answered)
    return {UUID(r.survey_id): UUID(r.complaint_id) for r in found}


class Tally:
    """One batch's changes to the dashboard's tables."""

    def __init__(
        self, facts: dict[UUID, Fact], surveys: dict[UUID, UUID], regions: dict[UUID, str]
    ) -> None:
        self.facts = facts
        self.surveys = surveys
        self.regions = regions
        self.new_surveys: list[SurveyComplaintRecord] = []
        self.new_regions: list[OrderRegionRecord] = []
        self.before: dict[UUID, list[Contribution]] = {}  # received-hour counts as stored
        self.counts: Counter[Contribution] = Counter()
        self.slice_counts: Counter[Contribution] = Counter()
        self.durations = Histograms()
        self.slice_durations = SliceHistograms()
        self.resolutions: Counter[tuple[int, UUID]] = Counter()
        self.slices_before: dict[UUID, Labels] = {}  # the slices of the complaints it touched
        self.handlers: dict[str, Callable[[Any, int, Fact | None], None]] = {
            "ComplaintClassified": self.classified,
            "ComplaintReclassified": self.classified,
            "ResponsibilityAssigned": self.assigned,
            "FirstResponseSent": self.first_response,
            "ComplaintResolved": self.resolved,
            "ComplaintReopened": lambda _, hour, fact: self.count(hour, fact, "reopened", ""),
            "ComplaintEscalated": self.escalated,
            "CompensationIssued": self.compensated,
            "SurveyResponded": self.survey_responded,
        }

    def apply(self, envelope: Envelope) -> None:
        event, name = envelope.event, envelope.name
        hour = hour_of(event.meta.occurred_at)
        if name == "ComplaintReceived":
            self.received(event, hour)
            return
        if name == "SurveySent":
            self.survey_sent(event)
            return
        if name == "OrderReceived":
            self.regions[event.originator_id] = str(event.region)
            self.new_regions.append(OrderRegionRecord(str(event.originator_id), str(event.region)))
            return
        complaint_id = event.originator_id
        if name == "SurveyResponded":
            complaint_id = self.surveys.get(complaint_id)
        fact = self.touch(complaint_id)
        if (sla := SLA_DIMENSIONS.get(name)) is not None:
            self.count(hour, fact, sla, str(event.clock))
        else:
            self.handlers[name](event, hour, fact)

    def touch(self, complaint_id: UUID | None) -> Fact | None:
        """The complaint's fact, its contributions noted as they stood before the batch."""
        fact = None if complaint_id is None else self.facts.get(complaint_id)
        if fact is not None and complaint_id is not None and complaint_id not in self.before:
            # noted once (setdefault would work them out again for every event, to drop them)
            self.before[complaint_id] = fact.contributions()
            self.slices_before.setdefault(complaint_id, labels_of(fact.labels))
        return fact

    def count(self, hour: int, fact: Fact | None, dimension: str, label: str, n: int = 1) -> None:
        """Counts `n` at `hour` overall, and under the complaint's slices through its fact."""
        self.counts[hour, dimension, label] += n
        if fact is not None:
            fact.counted.append(
                ["c", hour, dimension, label] if n == 1 else ["n", hour, dimension, label, n]
            )

    def duration(self, hour: int, fact: Fact, measure: str, ms: int) -> None:
        self.durations.add(hour, measure, ms)
        fact.counted.append(["d", hour, measure, ms])

    def received(self, event: Any, hour: int) -> None:
        complaint_id = event.originator_id
        self.before.setdefault(complaint_id, [])
        labels = {"channel": str(event.channel)}
        if event.order_id is not None:
            labels["region"] = self.regions.get(event.order_id, UNKNOWN_REGION)
        self.facts[complaint_id] = Fact(hour, epoch(event.meta.occurred_at), labels)

    def classified(self, event: Any, hour: int, fact: Fact | None) -> None:
        self.relabel(event.originator_id, fact, "category", str(event.category))
        subcategory = f"{event.category}/{event.subcategory}"
        self.relabel(event.originator_id, fact, "subcategory", subcategory)
        self.relabel(event.originator_id, fact, "severity", str(event.severity))

    def assigned(self, event: Any, hour: int, fact: Fact | None) -> None:
        self.relabel(event.originator_id, fact, "department", str(event.department))
        self.relabel(event.originator_id, fact, "agent", str(event.person))

    def relabel(self, complaint_id: UUID, fact: Fact | None, dimension: str, label: str) -> None:
        """Moves the complaint to `label` (and what it counted with it, in `write`)."""
        if fact is None or fact.labels.get(dimension) == label:
            return
        fact.labels[dimension] = label

    def first_response(self, event: Any, hour: int, fact: Fact | None) -> None:
        if fact is None or fact.first_response_at is not None:
            return
        fact.first_response_at = epoch(event.meta.occurred_at)
        elapsed = fact.first_response_at - fact.received_at
        self.duration(hour, fact, "first_response", milliseconds(elapsed))

    def resolved(self, event: Any, hour: int, fact: Fact | None) -> None:
        self.count(hour, fact, "outcome", str(event.outcome))
        self.resolutions[hour, event.originator_id] += 1
        if fact is not None:
            elapsed = epoch(event.meta.occurred_at) - fact.received_at
            self.duration(hour, fact, "resolution", milliseconds(elapsed))

    def escalated(self, event: Any, hour: int, fact: Fact | None) -> None:
        self.count(hour, fact, "escalation_trigger", str(event.trigger))
        self.count(hour, fact, "escalation_level", str(event.level))

    def compensated(self, event: Any, hour: int, fact: Fact | None) -> None:
        funder = str(event.funded_by)
        self.count(hour, fact, "compensations", funder)
        self.count(hour, fact, "compensation_cents", funder, int(event.amount * 100))

    def survey_sent(self, event: Any) -> None:
        if str(event.subject) != "complaint":
            return
        self.surveys[event.originator_id] = event.subject_id
        self.new_surveys.append(
            SurveyComplaintRecord(str(event.originator_id), str(event.subject_id))
        )

    def survey_responded(self, event: Any, hour: int, fact: Fact | None) -> None:
        if event.originator_id not in self.surveys:
            return  # a survey about an order
        for score in event.scores.as_dict().values():
            self.count(hour, fact, "survey_score", str(score))

    def write(self, tx: Tx, prefix: str) -> None:
        self.move_contributions()
        facts = [self.fact_record(complaint_id) for complaint_id in sorted(self.before)]
        upsert_records(tx, FACTS, prefix, facts)
        upsert_records(tx, SURVEY_COMPLAINTS, prefix, self.new_surveys)
        upsert_records(tx, ORDER_REGIONS, prefix, self.new_regions)
        write_counts(tx, f"{prefix}counts", COUNT_KEYS, self.counts)
        write_counts(tx, f"{prefix}counts_daily", DAILY_COUNT_KEYS, by_day(self.counts))
        table = f"{prefix}{SLICE_COUNTS.name}"
        write_counts(tx, table, SLICE_COUNT_KEYS, self.slice_counts)
        table = f"{prefix}{SLICE_COUNTS_DAILY.name}"
        write_counts(tx, table, DAILY_SLICE_COUNT_KEYS, by_day(self.slice_counts))
        self.durations.write(tx, DURATIONS, prefix)
        self.durations.by_day().write(tx, DURATIONS_DAILY, prefix)
        self.slice_durations.write(tx, f"{prefix}{SLICE_DURATIONS.name}")
        self.slice_durations.by_day().write(tx, f"{prefix}{SLICE_DURATIONS_DAILY.name}", "day")
        self.write_resolutions(tx, prefix + RESOLUTIONS.name)

    def write_resolutions(self, tx: Tx, table: str) -> None:
        """Adds the batch's resolutions under their complaints' slices now, and moves the
        earlier resolutions of a complaint resolved before whose slices changed."""
        slices = RESOLUTIONS.names[2:-1]
        rows = [
            (hour, str(complaint_id), *self.slices_of(complaint_id), n)
            for (hour, complaint_id), n in self.resolutions.items()
        ]
        relabel = ", ".join(f"{c} = excluded.{c}" for c in slices)
        tx.merge(
            table,
            RESOLUTIONS.names,
            RESOLUTIONS.primary_key,
            rows,
            f"n = {table}.n + excluded.n, {relabel}",
        )
        moved = [
            (*now, str(complaint_id))
            for complaint_id, was in self.slices_before.items()
            if (now := self.slices_of(complaint_id)) != was
            and any(c[2] == "outcome" for c in self.facts[complaint_id].counted)
        ]
        assignments = ", ".join(f"{c} = ?" for c in slices)
        tx.executemany(f"UPDATE {table} SET {assignments} WHERE complaint_id = ?", moved)

    def slices_of(self, complaint_id: UUID) -> Labels:
        fact = self.facts.get(complaint_id)
        return labels_of({} if fact is None else fact.labels)

    def move_contributions(self) -> None:
        """Takes what each complaint of the batch contributed from where it stood before the
        batch to where its labels put it now: the received-hour counts overall, and every count
        and duration under its slices."""
        for complaint_id, before in self.before.items():
            for key in before:
                self.contribute(key, -1)
            for key in self.facts[complaint_id].contributions():
                self.contribute(key, 1)

    def contribute(self, key: Contribution, n: int) -> None:
        if key[0] == "n":
            *counted, weight = key[1:]
            self.slice_counts[tuple(counted)] += n * weight
        elif key[0] == "ms":
            *slices, ms = key[1:]
            self.slice_durations.add((*slices, bucket_of(ms)), n, n * ms)
        else:
            (self.counts if len(key) == 3 else self.slice_counts)[key] += n

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
            channel=fact.labels.get("channel"),
            agent=fact.labels.get("agent"),
            region=fact.labels.get("region"),
            counted=json.dumps(fact.counted, separators=(",", ":")),
        )


def write_counts(tx: Tx, table: str, keys: Sequence[str], counts: Counter[tuple[Any, ...]]) -> None:
    add_counts(tx, table, keys, counts)
    # a label a complaint left may be back to 0: drop the row, whatever the batch size
    tx.executemany(
        f"DELETE FROM {table} WHERE {' AND '.join(f'{k} = ?' for k in keys)} AND n = 0",
        [key for key, n in counts.items() if n < 0],
    )
