"""The notices view's `queue` rows as a batch changes them: one write a notification.

A notice's request, its claim and its sending usually arrive in one batch; folded, they are one
INSERT of the row as the batch leaves it instead of an INSERT and two UPDATEs. Every change sets
columns to values (none reads the row), so the last value of each column is the row's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from projections.engine.reading import epoch
from projections.engine.store import Tx

QUEUE_COLUMNS = (
    "notification_id, kind, channel, recipient_kind, recipient_id, subject_type, subject_id,"
    " status, attempts, due_at, requested_at, sent_at, finished_at, provider_id, last_error,"
    " urgent, acknowledged_by, acknowledged_at"
)
QUEUE_NAMES = tuple(name.strip() for name in QUEUE_COLUMNS.split(","))
Changes = dict[str, object]


@dataclass
class _Pending:
    row: list[object] | None  # requested in this batch: the whole row
    changes: Changes = field(default_factory=dict)


class QueueRows:
    """The batch's changes to the `queue` table, held until `flush`."""

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix
        self._pending: dict[str, _Pending] = {}

    def apply(self, tx: Tx, name: str, event: Any) -> None:
        nid = str(event.originator_id)
        at = epoch(event.meta.occurred_at)
        if name != "NotificationRequested":
            self._pending.setdefault(nid, _Pending(None)).changes.update(changes(name, event, at))
            return
        if nid in self._pending:  # never so (a request is a notice's first event): in order
            self.flush(tx)
        self._pending[nid] = _Pending(_requested(nid, event, at))

    def flush(self, tx: Tx) -> None:
        """Writes what is held: one statement a set of changed columns, each row once."""
        inserts: dict[tuple[str, ...], list[list[object]]] = {}
        updates: dict[tuple[str, ...], list[list[object]]] = {}
        for nid, pending in self._pending.items():
            columns = tuple(pending.changes)
            if pending.row is None:
                updates.setdefault(columns, []).append([*pending.changes.values(), nid])
                continue
            row = pending.row
            for column, value in pending.changes.items():
                row[QUEUE_NAMES.index(column)] = value
            inserts.setdefault(columns, []).append(row)
        self._pending.clear()
        queue = f"{self._prefix}queue"
        for columns, rows in inserts.items():
            _write(tx, _insert(queue, columns), rows)
        for columns, rows in updates.items():
            sets = ", ".join(f"{column} = ?" for column in columns)
            _write(tx, f"UPDATE {queue} SET {sets} WHERE notification_id = ?", rows)


def _write(tx: Tx, sql: str, rows: list[list[object]]) -> None:
    if len(rows) == 1:  # no pipeline to set up for one row
        tx.execute(sql, rows[0])
    else:
        tx.executemany(sql, rows)


def _insert(queue: str, columns: tuple[str, ...]) -> str:
    """The row as the batch leaves it; should it exist already, the batch's later changes."""
    marks = ", ".join("?" for _ in QUEUE_NAMES)
    if not columns:
        conflict = "DO NOTHING"
    else:
        conflict = "DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in columns)
    return (
        f"INSERT INTO {queue} ({QUEUE_COLUMNS}) VALUES ({marks})"
        f" ON CONFLICT (notification_id) {conflict}"
    )


def _requested(nid: str, event: Any, at: float) -> list[object]:
    return [
        nid,
        str(event.kind),
        str(event.channel),
        str(event.recipient_kind),
        event.recipient_id,
        event.subject_type,
        str(event.subject_id),
        "Queued",
        0,
        at,
        at,
        None,
        None,
        None,
        None,
        int(bool(event.urgent)),
        None,
        None,
    ]


def changes(name: str, event: Any, at: float) -> Changes:
    """The columns one notification event sets, and their values."""
    if name == "DeliveryAttemptStarted":
        return {"status": "Sending", "attempts": event.attempt, "due_at": epoch(event.lease_until)}
    if name == "NotificationSent":
        return {
            "status": "Sent",
            "sent_at": at,
            "finished_at": at,
            "provider_id": event.provider_id,
            "due_at": None,
        }
    if name == "NotificationAttemptFailed":
        return {
            "status": "Failed" if event.permanent else "Retrying",
            "last_error": event.reason,
            "due_at": None if event.next_at is None else epoch(event.next_at),
            "finished_at": at if event.permanent else None,
        }
    if name == "NotificationGaveUp":
        return {"status": "GaveUp", "due_at": None, "finished_at": at}
    if name == "NotificationSuppressed":
        return {
            "status": "Suppressed",
            "due_at": None,
            "finished_at": at,
            "last_error": str(event.reason),
        }
    if name == "DeliveryDeferred":
        return {"due_at": epoch(event.until)}
    if name == "NotificationDelivered":
        return {"status": "Delivered"}
    if name == "NotificationBounced":
        return {"status": "Failed", "last_error": event.reason}
    if name == "AlertAcknowledged":
        return {"acknowledged_by": event.meta.actor.id, "acknowledged_at": at}
    raise ValueError(f"the notices view does not read {name}")
