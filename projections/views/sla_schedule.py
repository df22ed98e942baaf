"""SLA schedule: the warning and due times of every active SLA clock of every open complaint.

It mirrors the complaint's clocks (domain/sla.py, domain/complaint_clocks.py): a clock starts
(or restarts, on a disputed resolution) with SlaClockStarted, moves with SlaClockRetargeted,
SlaPolicyReapplied and SlaClockResumed, stops when the event that meets it arrives
(FirstResponseSent, ComplaintClassified, DepartmentReplied of its department,
ComplaintResolved; SlaMet follows),
and every clock leaves when the complaint is closed or merged. A clock's pending time is its
warning time until warned, then its due time until breached; a paused clock has none. `checks`
keeps each complaint's earliest pending time, so the sweeper's queries read an index page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, NamedTuple
from uuid import UUID

from domain.complaint_types import HANDBACK_CLOCKS
from projections.engine.projection import Envelope, Projection
from projections.engine.reading import (
    active_prefix,
    epoch,
    from_epoch,
    records_by_ids,
    upsert_records,
)
from projections.engine.store import Tx, ViewStore
from projections.engine.tables import INTEGER, Index, Table

MAX_LIMIT = 1000
STOPPED_BY = {
    "FirstResponseSent": "first_response",
    "ComplaintClassified": "registration",
    "ComplaintResolved": "resolution",
}


@dataclass(slots=True)
class Clock:
    warn_at: float
    due_at: float
    warned: bool = False
    breached: bool = False
    paused: bool = False

    def pending_at(self) -> float | None:
        """When a sweep could next record something for this clock (None: nothing pending)."""
        if self.paused or self.breached:
            return None
        return self.due_at if self.warned else self.warn_at


Clocks = dict[str, dict[str, Clock]]  # complaint id -> clock name -> clock


class ClockRecord(NamedTuple):
    """One active clock as stored; the flags are 0 or 1."""

    complaint_id: str
    clock: str
    warn_at: float
    due_at: float
    warned: Annotated[int, INTEGER]
    breached: Annotated[int, INTEGER]
    paused: Annotated[int, INTEGER]


class CheckRecord(NamedTuple):
    complaint_id: str
    check_at: float  # the earliest pending time of the complaint's clocks


CLOCKS = Table("clocks", ClockRecord, primary_key=("complaint_id", "clock"))
CHECKS = Table(
    "checks",
    CheckRecord,
    primary_key=("complaint_id",),
    indexes=[Index("at", ("check_at", "complaint_id"))],
)


class SlaScheduleProjection(Projection):
    name = "sla_schedule"
    events = (
        "SlaClockStarted",
        "SlaClockRetargeted",
        "SlaPolicyReapplied",
        "SlaClockPaused",
        "SlaClockResumed",
        "SlaWarning",
        "SlaBreached",
        "SlaMet",
        "FirstResponseSent",
        "ComplaintClassified",
        "DepartmentReplied",
        "ComplaintResolved",
        "ComplaintClosed",
        "ComplaintMerged",
    )

    declared = (CLOCKS, CHECKS)

    def process(self, tx: Tx, prefix: str, batch: Sequence[Envelope]) -> None:
        ids = sorted({str(envelope.event.originator_id) for envelope in batch})
        clocks = _load(tx, prefix, ids)
        before = {(cid, name) for cid, named in clocks.items() for name in named}
        for envelope in batch:
            _apply(clocks.setdefault(str(envelope.event.originator_id), {}), envelope)
        _write(tx, prefix, ids, clocks, before)


def _apply(clocks: dict[str, Clock], envelope: Envelope) -> None:
    event, name = envelope.event, envelope.name
    if name == "SlaClockStarted":
        clocks[str(event.clock)] = Clock(epoch(event.warn_at), epoch(event.due_at))
    elif name in ("ComplaintClosed", "ComplaintMerged"):
        clocks.clear()
    elif name in STOPPED_BY:
        clocks.pop(STOPPED_BY[name], None)
    elif name == "DepartmentReplied":
        stopped = HANDBACK_CLOCKS.get(str(event.department))
        if stopped is not None:
            clocks.pop(str(stopped), None)
    elif name == "SlaMet":
        clocks.pop(str(event.clock), None)
    elif (clock := clocks.get(str(event.clock))) is not None:
        _change(clock, envelope)


def _change(clock: Clock, envelope: Envelope) -> None:
    event, name = envelope.event, envelope.name
    if name in ("SlaClockRetargeted", "SlaPolicyReapplied"):
        clock.warn_at, clock.due_at = epoch(event.warn_at), epoch(event.due_at)
        clock.warned = clock.warned and clock.warn_at <= epoch(event.meta.occurred_at)
    elif name == "SlaClockPaused":
        clock.paused = True
    elif name == "SlaClockResumed":
        clock.paused = False
        clock.warn_at, clock.due_at = epoch(event.warn_at), epoch(event.due_at)
    elif name == "SlaWarning":
        clock.warned = True
    elif name == "SlaBreached":
        clock.breached = True


def _load(tx: Tx, prefix: str, ids: Sequence[str]) -> Clocks:
    clocks: Clocks = {}
    for r in records_by_ids(tx, CLOCKS, prefix, ids, key="complaint_id"):
        clocks.setdefault(r.complaint_id, {})[r.clock] = Clock(
            float(r.warn_at), float(r.due_at), bool(r.warned), bool(r.breached), bool(r.paused)
        )
    return clocks


def _write(
    tx: Tx, prefix: str, ids: Sequence[str], clocks: Clocks, before: set[tuple[str, str]]
) -> None:
    after = {(cid, name): clock for cid, named in clocks.items() for name, clock in named.items()}
    tx.executemany(
        f"DELETE FROM {prefix}{CLOCKS.name} WHERE complaint_id = ? AND clock = ?",
        sorted(before - after.keys()),
    )
    upsert_records(tx, CLOCKS, prefix, (_record(key, c) for key, c in sorted(after.items())))
    checks = {cid: _earliest(clocks.get(cid, {})) for cid in ids}
    tx.executemany(
        f"DELETE FROM {prefix}{CHECKS.name} WHERE complaint_id = ?",
        [(cid,) for cid, at in checks.items() if at is None],
    )
    upsert_records(
        tx, CHECKS, prefix, (CheckRecord(cid, at) for cid, at in checks.items() if at is not None)
    )


def _record(key: tuple[str, str], clock: Clock) -> ClockRecord:
    complaint_id, name = key
    return ClockRecord(
        complaint_id=complaint_id,
        clock=name,
        warn_at=clock.warn_at,
        due_at=clock.due_at,
        warned=int(clock.warned),
        breached=int(clock.breached),
        paused=int(clock.paused),
    )


def _earliest(clocks: dict[str, Clock]) -> float | None:
    return min((t for c in clocks.values() if (t := c.pending_at()) is not None), default=None)


# --- the read side ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DueCheck:
    complaint_id: UUID
    check_at: datetime  # the earliest pending warning or due time of the complaint's clocks


@dataclass(frozen=True)
class ScheduledClock:
    clock: str
    warn_at: datetime
    due_at: datetime
    warned: bool
    breached: bool
    paused: bool


def due_checks(store: ViewStore, now: datetime, limit: int = 500) -> list[DueCheck]:
    """Complaints with a warning or a breach pending at `now`, the longest-waiting first."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be from 1 to {MAX_LIMIT}")
    with store.transaction() as tx:
        prefix = active_prefix(tx, SlaScheduleProjection.name)
        rows = tx.all(
            f"SELECT {CHECKS.select_list} FROM {prefix}{CHECKS.name} WHERE check_at <= ?"
            " ORDER BY check_at, complaint_id LIMIT ?",
            (epoch(now), limit),
        )
    return [
        DueCheck(UUID(r.complaint_id), from_epoch(float(r.check_at))) for r in CHECKS.records(rows)
    ]


def next_check_at(store: ViewStore) -> datetime | None:
    """The earliest pending warning or due time of any complaint (None: nothing pending)."""
    with store.transaction() as tx:
        prefix = active_prefix(tx, SlaScheduleProjection.name)
        earliest = tx.scalar(f"SELECT MIN(check_at) FROM {prefix}{CHECKS.name}")
    return None if earliest is None else from_epoch(float(earliest))


def scheduled_clocks(store: ViewStore, complaint_id: UUID) -> list[ScheduledClock]:
    """The active clocks of one complaint, by name (none once it is closed or merged)."""
    with store.transaction() as tx:
        prefix = active_prefix(tx, SlaScheduleProjection.name)
        rows = tx.all(
            f"SELECT {CLOCKS.select_list} FROM {prefix}{CLOCKS.name}"
            " WHERE complaint_id = ? ORDER BY clock",
            (str(complaint_id),),
        )
    return [
        ScheduledClock(
            clock=r.clock,
            warn_at=from_epoch(float(r.warn_at)),
            due_at=from_epoch(float(r.due_at)),
            warned=bool(r.warned),
            breached=bool(r.breached),
            paused=bool(r.paused),
        )
        for r in CLOCKS.records(rows)
    ]
