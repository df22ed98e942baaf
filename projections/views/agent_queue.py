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
from typing import Any

from domain.tiers import Tier
from projections.engine.projection import Envelope, Projection
from projections.engine.reading import (
    active_prefix,
    adjust_counts,
    from_epoch,
    page_size,
    rows_by_ids,
    upsert_rows,
)
from projections.engine.store import Row, Tx, ViewStore
from projections.views.agent_queue_tickets import (
    CHANGES,
    COLUMNS,
    STANDARD_KEY,
    Ticket,
    from_row,
    received,
)

FILTERS = ("department", "assignee", "severity", "status")
QueueKey = tuple[float, int, str]  # (due key, tier key, complaint id)


class AgentQueueProjection(Projection):
    name = "agent_queue"
    events = ("ComplaintReceived", *CHANGES)

    def tables(self) -> tuple[str, ...]:
        return ("tickets", "counts")

    def create_tables(self, tx: Tx, prefix: str) -> None:
        tx.execute(
            f"CREATE TABLE {prefix}tickets (complaint_id TEXT PRIMARY KEY,"
            " customer_id TEXT NOT NULL, order_id TEXT, status TEXT NOT NULL, category TEXT,"
            " subcategory TEXT, severity TEXT, department TEXT, assignee TEXT,"
            " escalation_level INTEGER NOT NULL, channel TEXT NOT NULL, waiting_on TEXT,"
            " received_at DOUBLE PRECISION NOT NULL, next_due_at DOUBLE PRECISION,"
            " next_clock TEXT, due_key DOUBLE PRECISION NOT NULL, clocks TEXT NOT NULL,"
            " tier_key INTEGER NOT NULL)"
        )
        tx.execute(
            f"CREATE INDEX {prefix}tickets_due ON {prefix}tickets (due_key, tier_key, complaint_id)"
        )
        for column in FILTERS:
            tx.execute(
                f"CREATE INDEX {prefix}tickets_{column} ON {prefix}tickets"
                f" ({column}, due_key, tier_key, complaint_id)"
            )
        tx.execute(
            f"CREATE TABLE {prefix}counts (dimension TEXT NOT NULL, value TEXT NOT NULL,"
            " n BIGINT NOT NULL, PRIMARY KEY (dimension, value))"
        )

    def process(self, tx: Tx, prefix: str, batch: Sequence[Envelope]) -> None:
        ids = (str(envelope.event.originator_id) for envelope in batch)
        rows = rows_by_ids(tx, f"{prefix}tickets", COLUMNS, "complaint_id", ids)
        tickets = {row[0]: from_row(row) for row in rows}
        before = {key: ticket.counted() for key, ticket in tickets.items()}
        for envelope in batch:
            apply(tickets, envelope)
        self._save(tx, prefix, tickets.values())
        adjust_counts(tx, f"{prefix}counts", ("dimension", "value"), deltas(before, tickets))

    def _save(self, tx: Tx, prefix: str, tickets: Iterable[Ticket]) -> None:
        ended = [(t.complaint_id,) for t in tickets if not t.is_open]
        tx.executemany(f"DELETE FROM {prefix}tickets WHERE complaint_id = ?", ended)
        upsert_rows(
            tx,
            f"{prefix}tickets",
            COLUMNS,
            ("complaint_id",),
            (t.row() for t in tickets if t.is_open),
        )


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
    wanted = {
        "department": department,
        "assignee": assignee,
        "severity": severity,
        "status": status,
    }
    where = [f"{column} = ?" for column, value in wanted.items() if value is not None]
    params: list[Any] = [value for value in wanted.values() if value is not None]
    if after is not None:
        where.append("(due_key, tier_key, complaint_id) > (?, ?, ?)")
        params += [after[0], after[1], after[2]]
    with store.transaction() as tx:
        prefix = active_prefix(tx, AgentQueueProjection.name)
        rows = tx.all(
            f"SELECT {', '.join(COLUMNS[:16])}, tier_key FROM {prefix}tickets"
            f" WHERE {' AND '.join(where) or '1 = 1'}"
            " ORDER BY due_key, tier_key, complaint_id LIMIT ?",
            [*params, limit + 1],
        )
    page = [queue_row(row) for row in rows[:limit]]
    return QueuePage(page, page[-1].sort_key if len(rows) > limit else None)


def queue_counts(store: ViewStore) -> dict[str, dict[str, int]]:
    """Open complaints by status and by severity ("unclassified" before classification)."""
    with store.transaction() as tx:
        prefix = active_prefix(tx, AgentQueueProjection.name)
        rows = tx.all(f"SELECT dimension, value, n FROM {prefix}counts WHERE n > 0")
    counts: dict[str, dict[str, int]] = {"by_status": {}, "by_severity": {}}
    for dimension, value, n in rows:
        counts[f"by_{dimension}"][value] = int(n)
    return counts


def queue_row(row: Row) -> QueueRow:
    due = None if row[13] is None else from_epoch(row[13])
    return QueueRow(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        row[5],
        row[6],
        row[7],
        row[8],
        int(row[9]),
        row[10],
        row[11],
        from_epoch(row[12]),
        due,
        row[14],
        str(list(Tier)[STANDARD_KEY - int(row[16])]),
        (float(row[15]), int(row[16]), row[0]),
    )
