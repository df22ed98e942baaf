"""The dispatcher's side of the webhook outbox: what is due, the endpoint leases, the record of
each attempt. The rows are fed by `projections/views/webhook_deliveries.py`."""

from __future__ import annotations

import time
from dataclasses import dataclass

from projections.engine.reading import active_prefix
from projections.engine.store import Tx, ViewStore
from projections.views.webhook_deliveries import (
    DELIVERY_COLUMNS,
    WebhookDeliveriesProjection,
    named,
)

ERROR_MAX = 500


@dataclass(frozen=True)
class Pending:
    webhook_id: str
    payload: bytes
    attempts: int
    next_attempt_at: float | None

    def due(self, now: float) -> bool:
        return self.next_attempt_at is None or self.next_attempt_at <= now


@dataclass(frozen=True)
class Attempt:
    """One POST's outcome as the log keeps it."""

    attempt: int
    attempted_at: float  # epoch seconds
    outcome: str  # delivered, failed, retry
    status_code: int | None
    error: str | None
    latency_ms: float
    next_attempt_at: float | None


@dataclass(frozen=True)
class Standing:
    """The endpoint after an attempt was recorded."""

    failures: int  # consecutive failed attempts
    sending: bool  # still active and leased by this dispatcher


def _prefix(tx: Tx) -> str:
    return active_prefix(tx, WebhookDeliveriesProjection.name)


class Outbox:
    def __init__(self, store: ViewStore, owner: str, lease_s: float) -> None:
        self.store = store
        self.owner = owner
        self.lease_s = lease_s

    def due_endpoints(self, now: float) -> list[str]:
        with self.store.transaction() as tx:
            prefix = _prefix(tx)
            rows = tx.all(
                f"SELECT DISTINCT d.endpoint_id FROM {prefix}deliveries d"
                f" JOIN {prefix}endpoints e ON e.endpoint_id = d.endpoint_id"
                " WHERE d.status = 'pending' AND e.status = 'Active'"
                " AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= ?)"
                " ORDER BY d.endpoint_id",
                (now,),
            )
        return [str(endpoint_id) for (endpoint_id,) in rows]

    def next_attempt_at(self) -> float | None:
        """The earliest retry due at an active endpoint (None: nothing is waiting)."""
        with self.store.transaction() as tx:
            prefix = _prefix(tx)
            row = tx.one(
                f"SELECT MIN(d.next_attempt_at) FROM {prefix}deliveries d"
                f" JOIN {prefix}endpoints e ON e.endpoint_id = d.endpoint_id"
                " WHERE d.status = 'pending' AND e.status = 'Active'"
            )
        return None if row is None or row[0] is None else float(row[0])

    def lease(self, endpoint_id: str) -> str | None:
        """Takes the endpoint's lease: its URL, or None while another dispatcher holds it (or
        the endpoint is disabled)."""
        now = time.time()
        with self.store.transaction() as tx:
            prefix = _prefix(tx)
            taken = tx.execute(
                f"UPDATE {prefix}endpoints SET lease_owner = ?, lease_until = ?"
                " WHERE endpoint_id = ? AND status = 'Active' AND (lease_owner IS NULL"
                " OR lease_owner = ? OR lease_until < ?)",
                (self.owner, now + self.lease_s, endpoint_id, self.owner, now),
            )
            if taken != 1:
                return None
            row = tx.one(f"SELECT url FROM {prefix}endpoints WHERE endpoint_id = ?", (endpoint_id,))
        return None if row is None else str(row[0])

    def release(self, endpoint_id: str) -> None:
        with self.store.transaction() as tx:
            tx.execute(
                f"UPDATE {_prefix(tx)}endpoints SET lease_owner = NULL, lease_until = NULL"
                " WHERE endpoint_id = ? AND lease_owner = ?",
                (endpoint_id, self.owner),
            )

    def pending(self, endpoint_id: str, limit: int) -> list[Pending]:
        """The endpoint's pending deliveries, oldest first."""
        with self.store.transaction() as tx:
            rows = tx.all(
                f"SELECT {', '.join(DELIVERY_COLUMNS)} FROM {_prefix(tx)}deliveries"
                " WHERE endpoint_id = ? AND status = 'pending' ORDER BY position LIMIT ?",
                (endpoint_id, limit),
            )
        found = [named(DELIVERY_COLUMNS, row) for row in rows]
        return [
            Pending(
                webhook_id=str(row["webhook_id"]),
                payload=str(row["payload"]).encode(),
                attempts=int(str(row["attempts"])),
                next_attempt_at=None
                if row["next_attempt_at"] is None
                else float(str(row["next_attempt_at"])),
            )
            for row in found
        ]

    def record(self, endpoint_id: str, webhook_id: str, attempt: Attempt) -> Standing:
        """Writes the attempt, the delivery's new state, the endpoint's consecutive failures
        and a renewed lease in one transaction."""
        now = attempt.attempted_at
        status = "pending" if attempt.outcome == "retry" else attempt.outcome
        finished = None if attempt.outcome == "retry" else now
        error = None if attempt.error is None else attempt.error[:ERROR_MAX]
        with self.store.transaction() as tx:
            prefix = _prefix(tx)
            tx.execute(
                f"INSERT INTO {prefix}attempts (webhook_id, attempt, endpoint_id, attempted_at,"
                " status_code, latency_ms, error, outcome, next_attempt_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (webhook_id, attempt) DO NOTHING",
                (
                    webhook_id,
                    attempt.attempt,
                    endpoint_id,
                    now,
                    attempt.status_code,
                    attempt.latency_ms,
                    error,
                    attempt.outcome,
                    attempt.next_attempt_at,
                ),
            )
            tx.execute(
                f"UPDATE {prefix}deliveries SET status = ?, attempts = ?, next_attempt_at = ?,"
                " last_status_code = ?, last_error = ?, finished_at = ? WHERE webhook_id = ?",
                (
                    status,
                    attempt.attempt,
                    attempt.next_attempt_at,
                    attempt.status_code,
                    error,
                    finished,
                    webhook_id,
                ),
            )
            failed = attempt.outcome != "delivered"
            return self._standing(tx, prefix, endpoint_id, failed, time.time())

    def _standing(
        self, tx: Tx, prefix: str, endpoint_id: str, failed: bool, now: float
    ) -> Standing:
        tx.execute(
            f"UPDATE {prefix}endpoints SET failures = CASE WHEN ? = 1 THEN failures + 1"
            " ELSE 0 END, lease_until = CASE WHEN lease_owner = ? THEN ? ELSE lease_until END"
            " WHERE endpoint_id = ?",
            (int(failed), self.owner, now + self.lease_s, endpoint_id),
        )
        row = tx.one(
            f"SELECT failures, status, lease_owner FROM {prefix}endpoints WHERE endpoint_id = ?",
            (endpoint_id,),
        )
        if row is None:
            return Standing(0, False)
        found = named(("failures", "status", "lease_owner"), row)
        sending = found["status"] == "Active" and found["lease_owner"] == self.owner
        return Standing(int(str(found["failures"])), sending)

    def mark_disabled(self, endpoint_id: str, reason: str) -> None:
        """Stops sending at once, before the outbox's runner sees the disabling event."""
        with self.store.transaction() as tx:
            tx.execute(
                f"UPDATE {_prefix(tx)}endpoints SET status = 'Disabled', disabled_reason = ?"
                " WHERE endpoint_id = ?",
                (reason, endpoint_id),
            )
