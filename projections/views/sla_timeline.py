"""The SLA timeline: per complaint, the steps that moved its clocks, compact, for the what-if
replay (docs/architecture.md#sla-what-if).

One row per complaint: when it was received, its steps as one text (each step a kind letter, a
subject letter and the business time in integer microseconds since the epoch, `;` between
steps), the clocks active after the last step and, once none is, the time of that step
(`idle_us`): a complaint idle before a window has nothing left to settle in it, under any
policy, so the replay of the window leaves it out.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple
from uuid import UUID

from domain.complaint_types import HANDBACK_CLOCKS
from domain.sla import ClockName
from domain.sla_replay import Step, StepKind
from projections.engine.projection import Envelope, Projection
from projections.engine.reading import active_prefix, records_by_ids, upsert_records
from projections.engine.store import Tx, ViewStore
from projections.engine.tables import Index, Table

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
PAGE = 5000

KINDS = {
    StepKind.START: "S",
    StepKind.PAUSE: "P",
    StepKind.RESUME: "R",
    StepKind.STOP: "X",
    StepKind.CANCEL: "C",
    StepKind.SEVERITY: "V",
    StepKind.BREACHED: "B",
    StepKind.MET: "M",
}
SUBJECTS = {
    ClockName.FIRST_RESPONSE: "f",
    ClockName.REGISTRATION: "g",
    ClockName.RESOLUTION: "r",
    ClockName.TECHNICAL_HANDBACK: "t",
    ClockName.AFTER_SALES_HANDBACK: "a",
    "urgent": "U",
    "major": "J",
    "general": "G",
    "": "-",
}
KIND_OF = {code: kind for kind, code in KINDS.items()}
SUBJECT_OF = {code: str(subject) for subject, code in SUBJECTS.items()}
CLOCK_EVENTS = {
    "SlaClockStarted": StepKind.START,
    "SlaClockPaused": StepKind.PAUSE,
    "SlaClockResumed": StepKind.RESUME,
    "SlaBreached": StepKind.BREACHED,
    "SlaMet": StepKind.MET,
}


class TimelineRecord(NamedTuple):
    complaint_id: str
    received_us: int
    active: str  # the subject letters of the clocks active after the last step
    idle_us: int | None  # the last step's time once no clock is active
    steps: str


TIMELINES = Table(
    "sla_timelines",
    TimelineRecord,
    primary_key=("complaint_id",),
    indexes=(Index("received", ("received_us",)),),
)


def micros(moment: datetime) -> int:
    return (moment - EPOCH) // MICROSECOND


def moment(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def steps_of(envelope: Envelope) -> list[tuple[StepKind, str]]:
    """The steps one event adds to its complaint's timeline."""
    event, name = envelope.event, envelope.name
    if name in CLOCK_EVENTS:
        return [(CLOCK_EVENTS[name], str(event.clock))]
    if name == "ComplaintClassified":
        severity = str(event.severity)
        return [(StepKind.STOP, ClockName.REGISTRATION), (StepKind.SEVERITY, severity)]
    if name == "ComplaintReclassified":
        return [(StepKind.SEVERITY, str(event.severity))]
    if name == "FirstResponseSent":
        return [(StepKind.STOP, ClockName.FIRST_RESPONSE)]
    if name == "ComplaintResolved":
        return [(StepKind.STOP, ClockName.RESOLUTION)]
    if name == "DepartmentReplied":
        clock = HANDBACK_CLOCKS.get(str(event.department))
        return [] if clock is None else [(StepKind.STOP, clock)]
    return [(StepKind.CANCEL, "")]  # closed or merged


class SlaTimelineProjection(Projection):
    name = "sla_timeline"
    events = (
        "ComplaintReceived",
        *CLOCK_EVENTS,
        "ComplaintClassified",
        "ComplaintReclassified",
        "FirstResponseSent",
        "ComplaintResolved",
        "DepartmentReplied",
        "ComplaintClosed",
        "ComplaintMerged",
    )
    declared = (TIMELINES,)

    def process(self, tx: Tx, prefix: str, batch: Sequence[Envelope]) -> None:
        ids = {str(e.event.originator_id) for e in batch}
        rows = {r.complaint_id: _Row(r) for r in records_by_ids(tx, TIMELINES, prefix, ids)}
        for envelope in batch:
            event = envelope.event
            complaint_id = str(event.originator_id)
            at = micros(event.meta.occurred_at)
            if envelope.name == "ComplaintReceived":
                rows[complaint_id] = _Row(TimelineRecord(complaint_id, at, "", None, ""))
            elif (row := rows.get(complaint_id)) is not None:
                row.add(at, steps_of(envelope))
        upsert_records(tx, TIMELINES, prefix, [row.record() for row in rows.values()])


class _Row:
    def __init__(self, record: TimelineRecord) -> None:
        self.record_ = record
        self.active = set(record.active)
        self.last_us = record.idle_us
        self.added: list[str] = []

    def add(self, at: int, steps: list[tuple[StepKind, str]]) -> None:
        for kind, subject in steps:
            code = SUBJECTS[subject]
            self.added.append(f"{KINDS[kind]}{code}{at}")
            if kind == StepKind.START:
                self.active.add(code)
            elif kind == StepKind.STOP:
                self.active.discard(code)
            elif kind == StepKind.CANCEL:
                self.active.clear()
            self.last_us = at

    def record(self) -> TimelineRecord:
        old = self.record_
        steps = ";".join(filter(None, [old.steps, *self.added]))
        idle = None if self.active else self.last_us
        return old._replace(active="".join(sorted(self.active)), idle_us=idle, steps=steps)


class Timeline(NamedTuple):
    complaint_id: str
    received_at: datetime
    steps: list[Step]


def decoded(text: str) -> list[Step]:
    if not text:
        return []
    kind, subject, epoch, td = KIND_OF, SUBJECT_OF, EPOCH, timedelta
    return [(epoch + td(0, 0, int(s[2:])), kind[s[0]], subject[s[1]]) for s in text.split(";")]


def timelines(store: ViewStore, start: datetime, end: datetime) -> Iterator[list[Timeline]]:
    """Pages of the timelines of the complaints received before `end` with a clock active at
    or after `start`, in id order."""
    after = ""
    while True:
        with store.transaction() as tx:
            p = active_prefix(tx, SlaTimelineProjection.name)
            rows: list[Any] = tx.all(
                f"SELECT complaint_id, received_us, steps FROM {p}{TIMELINES.name}"
                " WHERE complaint_id > ? AND received_us < ?"
                " AND (idle_us IS NULL OR idle_us >= ?) ORDER BY complaint_id LIMIT ?",
                (after, micros(end), micros(start), PAGE),
            )
        if not rows:
            return
        yield [Timeline(c, moment(int(r)), decoded(s)) for c, r, s in rows]
        after = rows[-1][0]


def complaint_uuid(timeline: Timeline) -> UUID:
    return UUID(timeline.complaint_id)
