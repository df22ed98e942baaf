"""Notices: what the delivery process acts on, and every notification's delivery status.

Two tables. `wanted` holds each event that calls for a notice (an order confirmation to send,
an agent's reply, an SLA warning, an incident's warning colour, ...) until the delivery process
has requested its notifications; the event's fields are kept as recorded (personal ones only
sealed). `queue` holds one row per notification with its status, attempts and the time it is
next due: requested and retrying ones at their next attempt, one being sent at the end of its
lease (so a process that died mid-send is taken over), erased customers' pending ones at once
(so they are suppressed). What the delivery process reads from them: `notice_work.py`;
docs/architecture.md#notices.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

from domain.meta import is_imported
from domain.values import Sealed
from projections.engine.projection import Envelope, Projection
from projections.engine.reading import active_prefix, epoch, from_epoch
from projections.engine.store import Tx, ViewStore
from projections.views.notice_rows import QUEUE_COLUMNS, QueueRows

MAX_LIMIT = 1000
TRIGGERS = (
    "ConfirmationSent",
    "DelayNoticeSent",
    "SurveySent",
    "AgentReplied",
    "ComplaintResolved",
    "SlaWarning",
    "SlaBreached",
    "ComplaintEscalated",
    "WarningIssued",
    "StatusUpdatePublished",
    "ClusterDetected",
    "WebhookEndpointDisabled",
    "GlassBroken",
)
NOTIFICATION_EVENTS = (
    "NotificationRequested",
    "DeliveryAttemptStarted",
    "NotificationSent",
    "NotificationAttemptFailed",
    "NotificationGaveUp",
    "NotificationSuppressed",
    "DeliveryDeferred",
    "NotificationDelivered",
    "NotificationBounced",
    "AlertAcknowledged",
)
PENDING = ("Queued", "Retrying", "Sending")
SKIPPED_FIELDS = frozenset({"meta", "originator_id", "originator_version", "timestamp"})


class NoticesProjection(Projection):
    name = "notices"
    events = (*TRIGGERS, *NOTIFICATION_EVENTS, "CustomerErased")

    def tables(self) -> tuple[str, ...]:
        return ("wanted", "queue")

    def create_tables(self, tx: Tx, prefix: str) -> None:
        tx.execute(
            f"CREATE TABLE {prefix}wanted (trigger_key TEXT PRIMARY KEY, position BIGINT NOT NULL,"
            " trigger TEXT NOT NULL, source_id TEXT NOT NULL, actor_id TEXT NOT NULL,"
            " occurred_at DOUBLE PRECISION NOT NULL, fields TEXT NOT NULL)"
        )
        tx.execute(f"CREATE INDEX {prefix}wanted_position ON {prefix}wanted (position)")
        tx.execute(
            f"CREATE TABLE {prefix}queue (notification_id TEXT PRIMARY KEY, kind TEXT NOT NULL,"
            " channel TEXT NOT NULL, recipient_kind TEXT NOT NULL, recipient_id TEXT NOT NULL,"
            " subject_type TEXT NOT NULL, subject_id TEXT NOT NULL, status TEXT NOT NULL,"
            " attempts INTEGER NOT NULL, due_at DOUBLE PRECISION,"
            " requested_at DOUBLE PRECISION NOT NULL, sent_at DOUBLE PRECISION,"
            " finished_at DOUBLE PRECISION, provider_id TEXT, last_error TEXT,"
            " urgent INTEGER NOT NULL, acknowledged_by TEXT, acknowledged_at DOUBLE PRECISION)"
        )
        tx.execute(f"CREATE INDEX {prefix}queue_due ON {prefix}queue (due_at, notification_id)")
        tx.execute(f"CREATE INDEX {prefix}queue_subject ON {prefix}queue (subject_id)")
        tx.execute(f"CREATE INDEX {prefix}queue_recipient ON {prefix}queue (recipient_id)")
        tx.execute(f"CREATE INDEX {prefix}queue_requested ON {prefix}queue (requested_at)")

    def process(self, tx: Tx, prefix: str, batch: Sequence[Envelope]) -> None:
        queue = QueueRows(prefix)  # a notification's changes in this batch: one write
        for envelope in batch:
            event, name = envelope.event, envelope.name
            if name in TRIGGERS and not is_imported(event.meta):  # history asks for none
                tx.execute(
                    f"INSERT INTO {prefix}wanted (trigger_key, position, trigger, source_id,"
                    " actor_id, occurred_at, fields) VALUES (?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (trigger_key) DO NOTHING",
                    (
                        f"{event.originator_id}:{event.originator_version}",
                        envelope.position,
                        name,
                        str(event.originator_id),
                        event.meta.actor.id,
                        epoch(event.meta.occurred_at),
                        json.dumps(
                            {**_fields(event), "_correlation_id": event.meta.correlation_id},
                            ensure_ascii=False,
                            sort_keys=True,
                        ),
                    ),
                )
            elif name == "CustomerErased":
                queue.flush(tx)  # it reads the statuses
                marks = ", ".join("?" for _ in PENDING)
                tx.execute(
                    f"UPDATE {prefix}queue SET due_at = ? WHERE recipient_id = ?"
                    f" AND status IN ({marks})",
                    (epoch(event.meta.occurred_at), str(event.originator_id), *PENDING),
                )
            else:
                queue.apply(tx, name, event)
        queue.flush(tx)


def _fields(event: Any) -> dict[str, Any]:
    """The event's own fields as JSON values; a sealed one stays sealed."""
    fields: dict[str, Any] = {}
    for key, value in vars(event).items():
        if key in SKIPPED_FIELDS:
            continue
        if isinstance(value, Sealed):
            fields[key] = {"sealed": [value.subject, value.token]}
        elif isinstance(value, datetime):
            fields[key] = value.isoformat()
        elif isinstance(value, Enum):
            fields[key] = value.value
        elif isinstance(value, UUID):
            fields[key] = str(value)
        elif value is None or isinstance(value, str | int | float | bool):
            fields[key] = value
        else:
            fields[key] = str(value)
    return fields


# --- the read side ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QueuedNotice:
    notification_id: UUID
    kind: str
    channel: str
    recipient_kind: str
    recipient_id: str
    subject_type: str
    subject_id: UUID
    status: str
    attempts: int
    due_at: datetime | None
    requested_at: datetime
    sent_at: datetime | None
    finished_at: datetime | None
    provider_id: str | None
    last_error: str | None
    urgent: bool
    acknowledged_by: str | None
    acknowledged_at: datetime | None


def moment(value: float | None) -> datetime | None:
    return None if value is None else from_epoch(float(value))


def queued_notice(row: Sequence[Any]) -> QueuedNotice:
    nid, kind, channel, rkind, rid, stype, sid, status, attempts, due, *rest = row
    requested, sent, finished, provider, error, urgent, ack_by, ack_at = rest
    return QueuedNotice(
        notification_id=UUID(str(nid)),
        kind=str(kind),
        channel=str(channel),
        recipient_kind=str(rkind),
        recipient_id=str(rid),
        subject_type=str(stype),
        subject_id=UUID(str(sid)),
        status=str(status),
        attempts=int(attempts),
        due_at=moment(due),
        requested_at=from_epoch(float(requested)),
        sent_at=moment(sent),
        finished_at=moment(finished),
        provider_id=provider,
        last_error=error,
        urgent=bool(urgent),
        acknowledged_by=ack_by,
        acknowledged_at=moment(ack_at),
    )


def checked_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be from 1 to {MAX_LIMIT}")
    return limit


def notifications_of(store: ViewStore, subject_id: UUID, limit: int = 100) -> list[QueuedNotice]:
    """Every notification about one order, complaint, survey or incident, oldest first."""
    with store.transaction() as tx:
        prefix = active_prefix(tx, NoticesProjection.name)
        rows = tx.all(
            f"SELECT {QUEUE_COLUMNS} FROM {prefix}queue WHERE subject_id = ?"
            " ORDER BY requested_at, notification_id LIMIT ?",
            (str(subject_id), checked_limit(limit)),
        )
    return [queued_notice(row) for row in rows]


def notification(store: ViewStore, notification_id: UUID) -> QueuedNotice | None:
    with store.transaction() as tx:
        prefix = active_prefix(tx, NoticesProjection.name)
        row = tx.one(
            f"SELECT {QUEUE_COLUMNS} FROM {prefix}queue WHERE notification_id = ?",
            (str(notification_id),),
        )
    return None if row is None else queued_notice(row)


def staff_alerts(
    store: ViewStore,
    *,
    recipient_ids: Sequence[str] | None = None,
    unacknowledged: bool = False,
    after: datetime | None = None,
    limit: int = 100,
) -> list[QueuedNotice]:
    """Alerts to staff, newest first: to the given recipients (people or robots) or to all."""
    where = ["recipient_kind <> 'customer'"]
    values: list[object] = []
    if recipient_ids is not None:
        if not recipient_ids:
            return []
        where.append(f"recipient_id IN ({', '.join('?' for _ in recipient_ids)})")
        values.extend(recipient_ids)
    if unacknowledged:
        where.append("acknowledged_by IS NULL")
    if after is not None:
        where.append("requested_at >= ?")
        values.append(epoch(after))
    with store.transaction() as tx:
        prefix = active_prefix(tx, NoticesProjection.name)
        rows = tx.all(
            f"SELECT {QUEUE_COLUMNS} FROM {prefix}queue WHERE {' AND '.join(where)}"
            " ORDER BY requested_at DESC, notification_id LIMIT ?",
            (*values, checked_limit(limit)),
        )
    return [queued_notice(row) for row in rows]


@dataclass(frozen=True)
class DeliveryCount:
    channel: str
    kind: str
    status: str
    count: int


@dataclass(frozen=True)
class DeliveryDashboard:
    counts: list[DeliveryCount]
    requested: int
    sent: int
    """Sent or delivered."""
    delivered: int
    failed: int
    """Refused for good, bounced, or given up after the allowed attempts."""
    suppressed: int
    pending: int
    to_sent_p50_s: float | None
    to_sent_p99_s: float | None
    to_sent_count: int


def delivery_dashboard(store: ViewStore, start: datetime, end: datetime) -> DeliveryDashboard:
    """Notifications requested in [start, end): counts by channel, kind and status, and the
    time from request to sent (p50, p99)."""
    with store.transaction() as tx:
        prefix = active_prefix(tx, NoticesProjection.name)
        window = (epoch(start), epoch(end))
        rows = tx.all(
            f"SELECT channel, kind, status, COUNT(*) FROM {prefix}queue"
            " WHERE requested_at >= ? AND requested_at < ?"
            " GROUP BY channel, kind, status ORDER BY channel, kind, status",
            window,
        )
        waits = tx.all(
            f"SELECT sent_at - requested_at FROM {prefix}queue"
            " WHERE requested_at >= ? AND requested_at < ? AND sent_at IS NOT NULL"
            " ORDER BY 1",
            window,
        )
    counts = [DeliveryCount(str(c), str(k), str(s), int(n)) for c, k, s, n in rows]

    def total(*statuses: str) -> int:
        return sum(c.count for c in counts if c.status in statuses)

    seconds = [float(w) for (w,) in waits]
    return DeliveryDashboard(
        counts=counts,
        requested=total(*{c.status for c in counts}),
        sent=total("Sent", "Delivered"),
        delivered=total("Delivered"),
        failed=total("Failed", "GaveUp"),
        suppressed=total("Suppressed"),
        pending=total(*PENDING),
        to_sent_p50_s=_rank(seconds, 0.50),
        to_sent_p99_s=_rank(seconds, 0.99),
        to_sent_count=len(seconds),
    )


def _rank(ordered: list[float], q: float) -> float | None:
    """The nearest-rank percentile of sorted values."""
    if not ordered:
        return None
    index = max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))
    return ordered[index]
