"""The webhook dispatcher: posts each endpoint's deliveries in log order, signed, with retries.

It feeds its own outbox (`projections/views/webhook_deliveries.py`) from the log, with its own
position, then sends, per active endpoint, the oldest pending delivery and the ones after it
while they succeed. The body is signed per Standard Webhooks (`webhook-id`, the delivery's
stable id; `webhook-timestamp`; `webhook-signature`). A 2xx delivers; a timeout, a refused
connection, 408, 429 or 5xx is tried again after an exponential backoff with jitter, holding
back the endpoint's later deliveries (order per endpoint); any other answer is permanent: the
delivery fails and the next one goes. After `disable_after` consecutive failed attempts the
endpoint is disabled through its command (`WebhookEndpointDisabled`, naming its owner), and
its deliveries wait, none lost, until it is re-enabled.

Every attempt is a row of the delivery log, not an event: attempts are the dispatcher's
operational record, many per delivery while a receiver is down, and nothing else in the ledger
acts on them; the decision that matters to people, disabling the endpoint, is an event.

Several dispatchers may run: each takes an endpoint by a lease before sending, so one endpoint
is sent by one dispatcher at a time; one that dies mid-send leaves a delivery whose attempt was
not recorded, sent again (under the same `webhook-id`) once its lease runs out.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from standardwebhooks.webhooks import Webhook

from application.app import CareLedger
from delivery.webhook_http import Answer, Post, http_post
from domain.errors import DomainError
from policies.system import system_meta
from projections.engine.reading import active_prefix, epoch
from projections.engine.runner import TRANSIENT, Runner
from projections.engine.store import Tx, ViewStore
from projections.views.webhook_deliveries import (
    DELIVERY_COLUMNS,
    WebhookDeliveriesProjection,
    named,
)

log = logging.getLogger(__name__)

RETRIED = frozenset({408, 425, 429})
ERROR_MAX = 500


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class WebhookPolicy:
    timeout_s: float = 5.0  # connect and read, per attempt
    backoff_s: float = 1.0  # the first retry's delay; doubles per attempt
    backoff_cap_s: float = 3600.0
    disable_after: int = 10  # consecutive failed attempts
    per_tick: int = 100  # deliveries per endpoint per tick, so no endpoint starves the rest
    lease_s: float = 30.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full-ish jitter: between half and all of the exponential delay."""
        delay = min(self.backoff_cap_s, self.backoff_s * 2.0 ** max(attempt - 1, 0))
        return delay * (0.5 + rng.random() / 2)


def outcome_of(answer: Answer) -> str:
    if answer.status is None or answer.status in RETRIED or answer.status >= 500:
        return "retry"
    return "delivered" if 200 <= answer.status < 300 else "failed"


class WebhookDispatcher:
    def __init__(
        self,
        app: CareLedger,
        store: ViewStore,
        policy: WebhookPolicy | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
        post: Post = http_post,
        rng: random.Random | None = None,
    ) -> None:
        self.app = app
        self.store = store
        self.policy = policy or WebhookPolicy()
        self.clock = clock
        self.post = post
        self.rng = rng or random.Random()
        self.owner = uuid.uuid4().hex
        self.runner = Runner(app, store, WebhookDeliveriesProjection())

    def run_once(self) -> int:
        """Catches the outbox up and sends what is due; the attempts made."""
        self.runner.catch_up()
        return sum(self._send_endpoint(endpoint) for endpoint in self._due_endpoints())

    def run(self, stop: threading.Event, max_sleep: float = 1.0) -> None:
        while not stop.is_set():
            try:
                attempts = self.run_once()
            except TRANSIENT:
                log.warning("webhook dispatcher: the database failed; retrying", exc_info=True)
                attempts = 0
            stop.wait(0.0 if attempts else self.sleep_s(max_sleep))

    def sleep_s(self, max_sleep: float) -> float:
        wake = self.next_attempt_at()
        if wake is None:
            return max_sleep
        return min(max(wake - epoch(self.clock()), 0.01), max_sleep)

    def next_attempt_at(self) -> float | None:
        with self.store.transaction() as tx:
            prefix = self._prefix(tx)
            row = tx.one(
                f"SELECT MIN(d.next_attempt_at) FROM {prefix}deliveries d"
                f" JOIN {prefix}endpoints e ON e.endpoint_id = d.endpoint_id"
                " WHERE d.status = 'pending' AND e.status = 'Active'"
            )
        return None if row is None or row[0] is None else float(row[0])

    def _prefix(self, tx: Tx) -> str:
        return active_prefix(tx, WebhookDeliveriesProjection.name)

    def _due_endpoints(self) -> list[str]:
        now = epoch(self.clock())
        with self.store.transaction() as tx:
            prefix = self._prefix(tx)
            rows = tx.all(
                f"SELECT DISTINCT d.endpoint_id FROM {prefix}deliveries d"
                f" JOIN {prefix}endpoints e ON e.endpoint_id = d.endpoint_id"
                " WHERE d.status = 'pending' AND e.status = 'Active'"
                " AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= ?)"
                " ORDER BY d.endpoint_id",
                (now,),
            )
        return [str(endpoint_id) for (endpoint_id,) in rows]

    def _send_endpoint(self, endpoint_id: str) -> int:
        attempts = 0
        try:
            # the lease is taken again before each attempt: it outlasts one attempt only
            while attempts < self.policy.per_tick and self._lease(endpoint_id):
                head = self._head(endpoint_id)
                if head is None:
                    break
                attempts += 1
                if not self._attempt(endpoint_id, head):
                    break  # a retry waits: the later deliveries wait behind it
        finally:
            self._release(endpoint_id)
        return attempts

    def _lease(self, endpoint_id: str) -> bool:
        """Takes or renews the endpoint's lease; False while another dispatcher holds it."""
        now = time.time()
        with self.store.transaction() as tx:
            taken = tx.execute(
                f"UPDATE {self._prefix(tx)}endpoints SET lease_owner = ?, lease_until = ?"
                " WHERE endpoint_id = ? AND status = 'Active' AND (lease_owner IS NULL"
                " OR lease_owner = ? OR lease_until < ?)",
                (self.owner, now + self.policy.lease_s, endpoint_id, self.owner, now),
            )
        return bool(taken == 1)

    def _release(self, endpoint_id: str) -> None:
        with self.store.transaction() as tx:
            tx.execute(
                f"UPDATE {self._prefix(tx)}endpoints SET lease_owner = NULL, lease_until = NULL"
                " WHERE endpoint_id = ? AND lease_owner = ?",
                (endpoint_id, self.owner),
            )

    def _head(self, endpoint_id: str) -> dict[str, object] | None:
        """The endpoint's oldest pending delivery, if it is due."""
        with self.store.transaction() as tx:
            prefix = self._prefix(tx)
            row = tx.one(
                f"SELECT {', '.join(DELIVERY_COLUMNS)} FROM {prefix}deliveries"
                " WHERE endpoint_id = ? AND status = 'pending' ORDER BY position LIMIT 1",
                (endpoint_id,),
            )
        if row is None:
            return None
        head = named(DELIVERY_COLUMNS, row)
        due = head["next_attempt_at"]
        return head if due is None or float(str(due)) <= epoch(self.clock()) else None

    def _attempt(self, endpoint_id: str, head: dict[str, object]) -> bool:
        """Sends the delivery once and records the attempt; whether the next one may go."""
        msg_id, body = str(head["webhook_id"]), str(head["payload"]).encode()
        secret = self.app.secret_of(UUID(endpoint_id))
        sent_at = self.clock()
        headers = {
            "content-type": "application/json",
            "user-agent": "CareLedger-Webhooks/1",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": Webhook(secret).sign(msg_id, sent_at, body),
        }
        url = self._url(endpoint_id)
        started = time.perf_counter()
        answer = self.post(url, body, headers, self.policy.timeout_s)
        latency_ms = (time.perf_counter() - started) * 1000
        outcome = outcome_of(answer)
        attempt = int(str(head["attempts"])) + 1
        wait = self.policy.backoff(attempt, self.rng) if outcome == "retry" else None
        failures = self._record(endpoint_id, head, attempt, outcome, answer, latency_ms, wait)
        if failures >= self.policy.disable_after:
            self._disable(endpoint_id, msg_id, attempt, failures, answer)
            return False
        return outcome != "retry"

    def _url(self, endpoint_id: str) -> str:
        with self.store.transaction() as tx:
            row = tx.one(
                f"SELECT url FROM {self._prefix(tx)}endpoints WHERE endpoint_id = ?",
                (endpoint_id,),
            )
        assert row is not None
        return str(row[0])

    def _record(
        self,
        endpoint_id: str,
        head: dict[str, object],
        attempt: int,
        outcome: str,
        answer: Answer,
        latency_ms: float,
        wait: float | None,
    ) -> int:
        """Writes the attempt, the delivery's new state and the endpoint's consecutive
        failures in one transaction; the failures."""
        now = epoch(self.clock())
        next_at = None if wait is None else now + wait
        status = "pending" if outcome == "retry" else outcome
        finished = None if outcome == "retry" else now
        error = None if answer.error is None else answer.error[:ERROR_MAX]
        msg_id = str(head["webhook_id"])
        with self.store.transaction() as tx:
            prefix = self._prefix(tx)
            tx.execute(
                f"INSERT INTO {prefix}attempts (webhook_id, attempt, endpoint_id, attempted_at,"
                " status_code, latency_ms, error, outcome, next_attempt_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (webhook_id, attempt) DO NOTHING",
                (
                    msg_id,
                    attempt,
                    endpoint_id,
                    now,
                    answer.status,
                    latency_ms,
                    error,
                    outcome,
                    next_at,
                ),
            )
            tx.execute(
                f"UPDATE {prefix}deliveries SET status = ?, attempts = ?, next_attempt_at = ?,"
                " last_status_code = ?, last_error = ?, finished_at = ? WHERE webhook_id = ?",
                (status, attempt, next_at, answer.status, error, finished, msg_id),
            )
            failed = outcome != "delivered"
            tx.execute(
                f"UPDATE {prefix}endpoints SET failures = CASE WHEN ? = 1 THEN failures + 1"
                " ELSE 0 END WHERE endpoint_id = ?",
                (int(failed), endpoint_id),
            )
            row = tx.one(
                f"SELECT failures FROM {prefix}endpoints WHERE endpoint_id = ?", (endpoint_id,)
            )
        return 0 if row is None else int(row[0])

    def _disable(
        self, endpoint_id: str, msg_id: str, attempt: int, failures: int, answer: Answer
    ) -> None:
        last = f"HTTP {answer.status}" if answer.status is not None else answer.error or "error"
        reason = f"{failures} consecutive failed deliveries; the last: {last}"[:2000]
        command_id = f"webhook-disable:{msg_id}:{attempt}"
        meta = system_meta("webhook-dispatcher", command_id, self.clock(), "webhook_failing")
        try:
            self.app.disable_webhook_endpoint(meta, UUID(endpoint_id), reason, failures)
        except DomainError as error:  # disabled meanwhile, by hand or by another dispatcher
            log.info("webhook endpoint %s not disabled: %s", endpoint_id, error)
        # the outbox stops sending at once, before its runner sees the event
        with self.store.transaction() as tx:
            tx.execute(
                f"UPDATE {self._prefix(tx)}endpoints SET status = 'Disabled',"
                " disabled_reason = ? WHERE endpoint_id = ?",
                (reason, endpoint_id),
            )
