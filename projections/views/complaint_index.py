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
from typing import Any

from projections.engine.keyset import Page, keyset_page
from projections.engine.projection import Envelope, Projection
from projections.engine.reading import from_epoch, update_entries
from projections.engine.store import Row, Tx, ViewStore
from projections.views.agent_queue_tickets import (
    CHANGES,
    NO_DUE,
    Ticket,
    decode,
    encode,
    received,
)

COLUMNS = (
    "complaint_id",
    "customer_id",
    "status",
    "category",
    "severity",
    "department",
    "channel",
    "received_at",
    "next_due_at",
    "next_clock",
    "due_key",
    "clocks",
    "position",
)
FILTERS = ("status", "category", "severity", "department")
SORTS = {"received": "received_at", "due": "due_key"}  # each followed by the complaint id
ENDED = frozenset({"Closed", "Merged"})
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

    def tables(self) -> tuple[str, ...]:
        return ("complaints",)

    def create_tables(self, tx: Tx, prefix: str) -> None:
        tx.execute(
            f"CREATE TABLE {prefix}complaints (complaint_id TEXT PRIMARY KEY,"
            " customer_id TEXT NOT NULL, status TEXT NOT NULL, category TEXT, severity TEXT,"
            " department TEXT, channel TEXT NOT NULL, received_at DOUBLE PRECISION NOT NULL,"
            " next_due_at DOUBLE PRECISION, next_clock TEXT, due_key DOUBLE PRECISION NOT NULL,"
            " clocks TEXT NOT NULL, position BIGINT NOT NULL)"
        )
        table = f"{prefix}complaints"
        for key in SORTS.values():
            tx.execute(f"CREATE INDEX {table}_{key} ON {table} ({key}, complaint_id)")
            for column in FILTERS:
                tx.execute(
                    f"CREATE INDEX {table}_{column}_{key} ON {table}"
                    f" ({column}, {key}, complaint_id)"
                )
        tx.execute(
            f"CREATE INDEX {table}_customer ON {table} (customer_id, received_at, complaint_id)"
        )

    def process(self, tx: Tx, prefix: str, batch: Sequence[Envelope]) -> None:
        update_entries(tx, f"{prefix}complaints", COLUMNS, batch, Entry.of, apply)


@dataclass(slots=True)
class Entry:
    """One complaint as the index keeps it: the queue's ticket, and the last event's position."""

    ticket: Ticket
    position: int

    @classmethod
    def of(cls, row: Row) -> Entry:
        ticket = Ticket(
            complaint_id=row[0],
            customer_id=row[1],
            order_id=None,
            status=row[2],
            category=row[3],
            subcategory=None,
            severity=row[4],
            department=row[5],
            assignee=None,
            escalation_level=0,
            channel=row[6],
            waiting_on=None,
            received_at=float(row[7]),
            clocks=decode(row[11]),
            is_open=row[2] not in ENDED,
        )
        return cls(ticket, int(row[12]))

    def row(self) -> tuple[Any, ...]:
        t = self.ticket
        due_at, clock = t.next_due() or (None, None)
        due_key = NO_DUE if due_at is None else due_at
        return (
            t.complaint_id,
            t.customer_id,
            t.status,
            t.category,
            t.severity,
            t.department,
            t.channel,
            t.received_at,
            due_at,
            clock,
            due_key,
            encode(t.clocks),
            self.position,
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
        "complaints",
        (*COLUMNS[:10], "position", key),
        filters=filters,
        order=(key, "complaint_id"),
        after=after,
        limit=limit,
        convert=indexed_complaint,
    )


def indexed_complaint(row: Row) -> IndexedComplaint:
    return IndexedComplaint(
        complaint_id=row[0],
        customer_id=row[1],
        status=row[2],
        category=row[3],
        severity=row[4],
        department=row[5],
        channel=row[6],
        received_at=from_epoch(row[7]),
        next_due_at=None if row[8] is None else from_epoch(row[8]),
        next_clock=row[9],
        position=int(row[10]),
        sort_key=(float(row[11]), row[0]),
    )
