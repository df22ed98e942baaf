"""Agent queue: the open complaints, ordered by the next SLA due time, and of two equally due
the one whose customer came in with the higher tier (docs/architecture.md#read-models).

A row per open complaint; closing or merging removes it. The complaint's active SLA clocks live
in a compact text column (`name r|p due_at;...`, r running, p paused): the next due time is the
earliest due time of a running clock. A clock the sweeper breached keeps running until the event
that stops it, so an overdue complaint sorts first; a complaint with no running clock (all met,
or the resolution clock paused on hold) sorts last.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from domain.tiers import Tier
from projections.engine.keyset import keyset_page
from projections.engine.projection import Envelope, Projection
from projections.engine.reading import (
    active_prefix,
    adjust_counts,
    from_epoch,
    page_size,
    records_by_ids,
    upsert_records,
)
from projections.engine.store import Tx, ViewStore
from projections.engine.tables import Table
from projections.views.agent_queue_tickets import (
    CHANGES,
    STANDARD_KEY,
    TICKETS,
    Ticket,
    TicketRecord,
    from_record,
    received,
)

QueueKey = tuple[float, int, str]  # (due key, tier key, complaint id)
COUNT_KEYS = ("dimension", "value")


class CountRecord(NamedTuple):
    """Open complaints with one status or one severity."""

    dimension: str  # status or severity
    value: str
    n: int


COUNTS = Table("counts", CountRecord, primary_key=COUNT_KEYS)


class AgentQueueProjection(Projection):
    name = "agent_queue"
    events = ("ComplaintReceived", *CHANGES)

    declared = (TICKETS, COUNTS)

    def process(self, tx: Tx, prefix: str, batch: Sequence[Envelope]) -> None:
        ids = (str(envelope.event.originator_id) for envelope in batch)
        records = records_by_ids(tx, TICKETS, prefix, ids)
        tickets = {record.complaint_id: from_record(record) for record in records}
        before = {key: ticket.counted() for key, ticket in tickets.items()}
        for envelope in batch:
            apply(tickets, envelope)
        self._save(tx, prefix, tickets.values())
        adjust_counts(tx, prefix + COUNTS.name, COUNT_KEYS, deltas(before, tickets))

    def _save(self, tx: Tx, prefix: str, tickets: Iterable[Ticket]) -> None:
        ended = [(t.complaint_id,) for t in tickets if not t.is_open]
        tx.executemany(f"DELETE FROM {prefix}{TICKETS.name} WHERE complaint_id = ?", ended)
        upsert_records(tx, TICKETS, prefix, (t.record() for t in tickets if t.is_open))


def apply(tickets: dict[str, Ticket], envelope: Envelope) -> None:
    event = envelope.event
    if envelope.name == "ComplaintReceived":
        tickets[str(event.originator_id)] = received(event)
        return
    ticket = tickets.get(str(event.originator_id))
    if ticket is not None:  # None: closed or merged in an earlier batch
        CHANGES[envelope.name](ticket, event)


def deltas(
    before: Mapping[str, list[tuple[str, str]]], tickets: Mapping[str, Ticket]
) -> Counter[tuple[str, str]]:
    changes: Counter[tuple[str, str]] = Counter()
    for key, ticket in tickets.items():
        changes.update(ticket.counted())
        changes.subtract(before.get(key, []))
    return changes


@dataclass(frozen=True)
class QueueRow:
    complaint_id: str
    customer_id: str
    order_id: str | None
    status: str
    category: str | None
    subcategory: str | None
    severity: str | None
    department: str | None
    assignee: str | None
    escalation_level: int
    channel: str
    waiting_on: str | None
    received_at: datetime
    next_due_at: datetime | None  # None: no clock running
    next_clock: str | None
    tier: str
    sort_key: QueueKey  # pass as `after` for the rows after it


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    after: QueueKey | None  # the cursor of the next page; None on the last page


def agent_queue(
    store: ViewStore,
    *,
    department: str | None = None,
    assignee: str | None = None,
    severity: str | None = None,
    status: str | None = None,
    after: QueueKey | None = None,
    limit: int = 50,
) -> QueuePage:
    """Open complaints by (next due time, tier, complaint id): of two equally due, the higher
    tier's first; those without a running clock last."""
    page_size(limit)
    page = keyset_page(
        store,
        AgentQueueProjection.name,
        TICKETS,
        filters={
            "department": department,
            "assignee": assignee,
            "severity": severity,
            "status": status,
        },
        order=("due_key", "tier_key", "complaint_id"),
        after=after,
        limit=limit,
        convert=queue_row,
    )
    return QueuePage(page.rows, page.after)


def queue_counts(store: ViewStore) -> dict[str, dict[str, int]]:
    """Open complaints by status and by severity ("unclassified" before classification)."""
    with store.transaction() as tx:
        prefix = active_prefix(tx, AgentQueueProjection.name)
        rows = tx.all(f"SELECT {COUNTS.select_list} FROM {prefix}{COUNTS.name} WHERE n > 0")
    counts: dict[str, dict[str, int]] = {"by_status": {}, "by_severity": {}}
    for record in COUNTS.records(rows):
        counts[f"by_{record.dimension}"][record.value] = int(record.n)
    return counts


def queue_row(record: TicketRecord) -> QueueRow:
    due = record.next_due_at
    tier_key = int(record.tier_key)
    return QueueRow(
        complaint_id=record.complaint_id,
        customer_id=record.customer_id,
        order_id=record.order_id,
        status=record.status,
        category=record.category,
        subcategory=record.subcategory,
        severity=record.severity,
        department=record.department,
        assignee=record.assignee,
        escalation_level=int(record.escalation_level),
        channel=record.channel,
        waiting_on=record.waiting_on,
        received_at=from_epoch(record.received_at),
        next_due_at=None if due is None else from_epoch(due),
        next_clock=record.next_clock,
        tier=str(list(Tier)[STANDARD_KEY - tier_key]),
        sort_key=(float(record.due_key), tier_key, record.complaint_id),
    )
