"""Complaints in every state, and a readable log of what a command recorded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.complaint import Complaint
from domain.complaint_types import ComplaintStatus
from domain.meta import Meta
from domain.values import Sealed
from tests.support import T0, meta

S = ComplaintStatus
CUSTOMER_ID = UUID("00000000-0000-4000-8000-00000000c001")
COMPLAINT_ID = UUID("00000000-0000-4000-8000-00000000a001")
ORDER_ID = UUID("00000000-0000-4000-8000-00000000b001")
OTHER_ID = UUID("00000000-0000-4000-8000-00000000d001")
ORDER_AMOUNT = Decimal("40.00")

Step = Callable[[Complaint, Meta], None]


def sealed(token: str = "ciphertext", subject: UUID = CUSTOMER_ID) -> Sealed:
    return Sealed(subject=str(subject), token=token)


def at(clock: str, day: int = 0) -> datetime:
    """A business time on T0's day (or `day` days later): at("13:12"), at("09:01:36")."""
    parts = [int(p) for p in clock.split(":")] + [0]
    return T0.replace(hour=parts[0], minute=parts[1], second=parts[2]) + timedelta(days=day)


def received(when: datetime = T0, order_id: UUID | None = ORDER_ID) -> Complaint:
    return Complaint.receive(
        meta(when),
        id=COMPLAINT_ID,
        customer_id=CUSTOMER_ID,
        order_id=order_id,
        content=sealed(),
        channel="app",
    )


def classify(severity: str = "general") -> Step:
    return lambda c, m: c.classify(m, "logistics", "late_delivery", severity)


def assign(department: str = "customer_service") -> Step:
    return lambda c, m: c.assign_responsibility(m, department, "agent-7")


def start(c: Complaint, m: Meta) -> None:
    c.start_work(m)


def hold(c: Complaint, m: Meta) -> None:
    c.put_on_hold(m, "customer")


def propose(c: Complaint, m: Meta) -> None:
    c.propose_solution(m, "voucher", "5.00", ORDER_AMOUNT)


def resolve(c: Complaint, m: Meta) -> None:
    c.resolve(m, "compensated")


def dispute(c: Complaint, m: Meta) -> None:
    c.dispute_resolution(m)


def close(c: Complaint, m: Meta) -> None:
    c.close(m, "customer")


def merge(c: Complaint, m: Meta) -> None:
    c.merge_into(m, OTHER_ID)


_IN_PROGRESS = [classify(), assign(), start]
PATHS: dict[ComplaintStatus, list[Step]] = {
    S.RECEIVED: [],
    S.CLASSIFIED: [classify()],
    S.ASSIGNED: [classify(), assign()],
    S.IN_PROGRESS: _IN_PROGRESS,
    S.ON_HOLD: [*_IN_PROGRESS, hold],
    S.SOLUTION_PROPOSED: [*_IN_PROGRESS, propose],
    S.RESOLVED: [*_IN_PROGRESS, propose, resolve],
    S.REOPENED: [*_IN_PROGRESS, propose, resolve, dispute],
    S.CLOSED: [*_IN_PROGRESS, propose, resolve, close],
    S.MERGED: [merge],
}


def in_state(status: ComplaintStatus) -> Complaint:
    """A general complaint driven to `status`, one minute per step from T0."""
    complaint = received()
    for minute, step in enumerate(PATHS[status], start=1):
        step(complaint, meta(timedelta(minutes=minute)))
    assert complaint.status == status
    return complaint


def _hhmm(when: datetime) -> str:
    text = when.strftime("%H:%M:%S" if when.second else "%H:%M")
    days = (when.date() - T0.date()).days
    return f"{text}+{days}d" if days else text


def describe(event: Any) -> str:
    """One line per event, SLA details spelled out: "SlaBreached resolution late 0s"."""
    name = type(event).__name__
    fields = vars(event)
    if "due_at" in fields and "warn_at" in fields:
        return f"{name} {fields['clock']} due {_hhmm(event.due_at)} warn {_hhmm(event.warn_at)}"
    details = {
        "SlaClockPaused": lambda: f" {event.clock}",
        "SlaWarning": lambda: f" {event.clock} due {_hhmm(event.due_at)}",
        "SlaBreached": lambda: f" {event.clock} late {event.late_by_s}s",
        "SlaMet": lambda: f" {event.clock} {event.elapsed_s}s",
        "ComplaintEscalated": lambda: f" {event.level} {event.trigger}",
    }
    return name + details.get(name, lambda: "")()


def recorded_by(complaint: Complaint, command: Callable[[], object]) -> list[str]:
    """Runs `command` and describes the events it triggered."""
    before = len(complaint.pending_events)
    command()
    return [describe(e) for e in complaint.pending_events[before:]]
