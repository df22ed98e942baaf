"""Complaint index: every complaint, open or ended, by the labels lists filter on and the times
they sort by. The agent queue keeps only the open ones; this keeps them all.

A row per complaint, never removed. The next due time is the agent queue's own: the queue's
tickets are reused (the fields the index does not keep stay None), and closing or merging ends
every clock, so an ended complaint has no due time and sorts after every one that has. `position`
is the log position of the complaint's last event this index read. Ids and labels only: no
personal data, no free text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from projections.engine.keyset import Page, keyset_page
from projections.engine.projection import Envelope, Projection
from projections.engine.reading import from_epoch, update_entries
from projections.engine.store import Tx, ViewStore
from projections.engine.tables import Index, Table
from projections.views.agent_queue_tickets import (
    CHANGES,
    NO_DUE,
    Ticket,
    decode,
    encode,
    received,
)

FILTERS = ("status", "category", "severity", "department")
SORTS = {"received": "received_at", "due": "due_key"}  # each followed by the complaint id
ENDED = frozenset({"Closed", "Merged"})


class ComplaintRecord(NamedTuple):
    complaint_id: str
    customer_id: str
    status: str
    category: str | None
    severity: str | None
    department: str | None
    channel: str
    received_at: float
    next_due_at: float | None
    next_clock: str | None
    due_key: float
    clocks: str
    position: int


COMPLAINTS = Table(
    "complaints",
    ComplaintRecord,
    primary_key=("complaint_id",),
    indexes=[
        *(
            index
            for key in SORTS.values()
            for index in (
                Index(key, (key, "complaint_id")),
                *(Index(f"{column}_{key}", (column, key, "complaint_id")) for column in FILTERS),
            )
        ),
        Index("customer", ("customer_id", "received_at", "complaint_id")),
    ],
)
UNKEPT = frozenset({"ComplaintLinked", "ComplaintEscalated"})  # change nothing the index keeps


def _ended(status: str) -> Callable[[Ticket, Any], None]:
    def apply(ticket: Ticket, event: Any) -> None:
        ticket.status, ticket.is_open = status, False
        ticket.clocks.clear()

    return apply


INDEX_CHANGES: dict[str, Callable[[Ticket, Any], None]] = {
    **{name: change for name, change in CHANGES.items() if name not in UNKEPT},
    "ComplaintClosed": _ended("Closed"),
    "ComplaintMerged": _ended("Merged"),
}


class ComplaintIndexProjection(Projection):
    name = "complaint_index"
    events = ("ComplaintReceived", *INDEX_CHANGES)

    declared = (COMPLAINTS,)

    def process(self, tx: Tx, prefix: str, batch: Sequence[Envelope]) -> None:
        update_entries(tx, COMPLAINTS, prefix, batch, Entry.of, apply)


@dataclass(slots=True)
class Entry:
    """One complaint as the index keeps it: the queue's ticket, and the last event's position."""

    ticket: Ticket
    position: int

    @classmethod
    def of(cls, record: ComplaintRecord) -> Entry:
        ticket = Ticket(
            complaint_id=record.complaint_id,
            customer_id=record.customer_id,
            order_id=None,
            status=record.status,
            category=record.category,
            subcategory=None,
            severity=record.severity,
            department=record.department,
            assignee=None,
            escalation_level=0,
            channel=record.channel,
            waiting_on=None,
            received_at=float(record.received_at),
            clocks=decode(record.clocks),
            is_open=record.status not in ENDED,
        )
        return cls(ticket, int(record.position))

    def record(self) -> ComplaintRecord:
        t = self.ticket
        due_at, clock = t.next_due() or (None, None)
        return ComplaintRecord(
            complaint_id=t.complaint_id,
            customer_id=t.customer_id,
            status=t.status,
            category=t.category,
            severity=t.severity,
            department=t.department,
            channel=t.channel,
            received_at=t.received_at,
            next_due_at=due_at,
            next_clock=clock,
            due_key=NO_DUE if due_at is None else due_at,
            clocks=encode(t.clocks),
            position=self.position,
        )


def apply(entries: dict[str, Entry], envelope: Envelope) -> None:
    event = envelope.event
    complaint_id = str(event.originator_id)
    if envelope.name == "ComplaintReceived":
        entries[complaint_id] = Entry(received(event), envelope.position)
        return
    entry = entries.get(complaint_id)
    if entry is None or entry.ticket.status in ENDED:
        return  # its receipt was parked as a dead letter, or it has ended: nothing changes
    INDEX_CHANGES[envelope.name](entry.ticket, event)
    entry.position = envelope.position


@dataclass(frozen=True)
class IndexedComplaint:
    complaint_id: str
    customer_id: str
    status: str
    category: str | None
    severity: str | None
    department: str | None
    channel: str
    received_at: datetime
    next_due_at: datetime | None  # None: no clock running (always so once it has ended)
    next_clock: str | None
    position: int  # of the complaint's last event the index read
    sort_key: tuple[float, str]  # in the order it was read by: pass as `after` for the next


def complaint_index(
    store: ViewStore,
    *,
    status: str | None = None,
    category: str | None = None,
    severity: str | None = None,
    department: str | None = None,
    customer_id: str | None = None,
    order_by: str = "received",
    after: tuple[float, str] | None = None,
    limit: int = 50,
) -> Page[IndexedComplaint]:
    """Complaints by (received time, id), or by (next due time, id) with those without a
    running clock last; every filter given must match."""
    if order_by not in SORTS:
        raise ValueError(f"complaints sort by {' or '.join(SORTS)}, not {order_by!r}")
    key = SORTS[order_by]
    filters = {
        "status": status,
        "category": category,
        "severity": severity,
        "department": department,
        "customer_id": customer_id,
    }
    return keyset_page(
        store,
        ComplaintIndexProjection.name,
        COMPLAINTS,
        filters=filters,
        order=(key, "complaint_id"),
        after=after,
        limit=limit,
        convert=lambda record: indexed_complaint(record, key),
    )


def indexed_complaint(record: ComplaintRecord, key: str) -> IndexedComplaint:
    due_at = record.next_due_at
    return IndexedComplaint(
        complaint_id=record.complaint_id,
        customer_id=record.customer_id,
        status=record.status,
        category=record.category,
        severity=record.severity,
        department=record.department,
        channel=record.channel,
        received_at=from_epoch(record.received_at),
        next_due_at=None if due_at is None else from_epoch(due_at),
        next_clock=record.next_clock,
        position=int(record.position),
        sort_key=(
            float(record.due_key if key == "due_key" else record.received_at),
            record.complaint_id,
        ),
    )
