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
from uuid import UUID

from domain.complaint_types import HANDBACK_CLOCKS
from projections.engine.projection import Envelope, Projection
from projections.engine.reading import active_prefix, epoch, from_epoch
from projections.engine.store import Tx, ViewStore

CHUNK = 500
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

    def tables(self) -> tuple[str, ...]:
        return ("clocks", "checks")

    def create_tables(self, tx: Tx, prefix: str) -> None:
        tx.execute(
            f"CREATE TABLE {prefix}clocks (complaint_id TEXT NOT NULL, clock TEXT NOT NULL,"
            " warn_at DOUBLE PRECISION NOT NULL, due_at DOUBLE PRECISION NOT NULL,"
            " warned INTEGER NOT NULL, breached INTEGER NOT NULL, paused INTEGER NOT NULL,"
            " PRIMARY KEY (complaint_id, clock))"
        )
        tx.execute(
            f"CREATE TABLE {prefix}checks (complaint_id TEXT PRIMARY KEY,"
            " check_at DOUBLE PRECISION NOT NULL)"
        )
        tx.execute(f"CREATE INDEX {prefix}checks_at ON {prefix}checks (check_at, complaint_id)")

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
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        marks = ", ".join("?" for _ in chunk)
        for cid, name, warn_at, due_at, warned, breached, paused in tx.all(
            f"SELECT complaint_id, clock, warn_at, due_at, warned, breached, paused"
            f" FROM {prefix}clocks WHERE complaint_id IN ({marks})",
            chunk,
        ):
            clocks.setdefault(cid, {})[name] = Clock(
                float(warn_at), float(due_at), bool(warned), bool(breached), bool(paused)
            )
    return clocks


def _write(
    tx: Tx, prefix: str, ids: Sequence[str], clocks: Clocks, before: set[tuple[str, str]]
) -> None:
    after = {(cid, name): clock for cid, named in clocks.items() for name, clock in named.items()}
    tx.executemany(
        f"DELETE FROM {prefix}clocks WHERE complaint_id = ? AND clock = ?",
        sorted(before - after.keys()),
    )
    tx.executemany(
        f"INSERT INTO {prefix}clocks (complaint_id, clock, warn_at, due_at, warned, breached,"
        " paused) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (complaint_id, clock) DO UPDATE SET"
        " warn_at = excluded.warn_at, due_at = excluded.due_at, warned = excluded.warned,"
        " breached = excluded.breached, paused = excluded.paused",
        [
            (cid, name, c.warn_at, c.due_at, int(c.warned), int(c.breached), int(c.paused))
            for (cid, name), c in sorted(after.items())
        ],
    )
    checks = {cid: _earliest(clocks.get(cid, {})) for cid in ids}
    tx.executemany(
        f"DELETE FROM {prefix}checks WHERE complaint_id = ?",
        [(cid,) for cid, at in checks.items() if at is None],
    )
    tx.executemany(
        f"INSERT INTO {prefix}checks (complaint_id, check_at) VALUES (?, ?)"
        " ON CONFLICT (complaint_id) DO UPDATE SET check_at = excluded.check_at",
        [(cid, at) for cid, at in checks.items() if at is not None],
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
            f"SELECT complaint_id, check_at FROM {prefix}checks WHERE check_at <= ?"
            " ORDER BY check_at, complaint_id LIMIT ?",
            (epoch(now), limit),
        )
    return [DueCheck(UUID(cid), from_epoch(float(at))) for cid, at in rows]


def next_check_at(store: ViewStore) -> datetime | None:
    """The earliest pending warning or due time of any complaint (None: nothing pending)."""
    with store.transaction() as tx:
        prefix = active_prefix(tx, SlaScheduleProjection.name)
        row = tx.one(f"SELECT MIN(check_at) FROM {prefix}checks")
    return None if row is None or row[0] is None else from_epoch(float(row[0]))


def scheduled_clocks(store: ViewStore, complaint_id: UUID) -> list[ScheduledClock]:
    """The active clocks of one complaint, by name (none once it is closed or merged)."""
    with store.transaction() as tx:
        prefix = active_prefix(tx, SlaScheduleProjection.name)
        rows = tx.all(
            f"SELECT clock, warn_at, due_at, warned, breached, paused FROM {prefix}clocks"
            " WHERE complaint_id = ? ORDER BY clock",
            (str(complaint_id),),
        )
    return [
        ScheduledClock(name, from_epoch(float(w)), from_epoch(float(d)), bool(wd), bool(b), bool(p))
        for name, w, d, wd, b, p in rows
    ]
