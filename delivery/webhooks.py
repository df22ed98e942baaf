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
from application.settings import Settings
from delivery.webhook_http import Answer, Post, http_post
from delivery.webhook_outbox import Attempt, Outbox, Pending
from domain.errors import DomainError
from policies.system import system_meta
from projections.engine.reading import epoch
from projections.engine.runner import TRANSIENT, Runner
from projections.engine.store import ViewStore
from projections.engine.wakeup import run_woken, wakeup_for
from projections.views.webhook_deliveries import WebhookDeliveriesProjection

log = logging.getLogger(__name__)

RETRIED = frozenset({408, 425, 429})
POLL_S = 0.05  # SQLite: how often an idle dispatcher looks for new events


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

    @classmethod
    def of(cls, settings: Settings) -> WebhookPolicy:
        return cls(
            timeout_s=settings.webhook_timeout_s,
            disable_after=settings.webhook_disable_after,
            lease_s=settings.webhook_lease_s,
        )

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
        self.policy = policy or WebhookPolicy.of(app.settings)
        self.clock = clock
        self.post = post
        self.rng = rng or random.Random()
        self.runner = Runner(app, store, WebhookDeliveriesProjection())
        self.outbox = Outbox(store, uuid.uuid4().hex, self.policy.lease_s)

    def run_once(self) -> int:
        """Catches the outbox up and sends what is due; the attempts made."""
        self.runner.catch_up()
        due = self.outbox.due_endpoints(epoch(self.clock()))
        return sum(self._send_endpoint(endpoint_id) for endpoint_id in due)

    def run(self, stop: threading.Event, max_sleep: float = 1.0) -> None:
        """Until `stop` is set; woken by new events (LISTEN/NOTIFY on PostgreSQL, a short poll
        on SQLite) and by the next retry falling due."""
        run_woken(
            stop,
            self.run_once,
            lambda attempts: 0.0 if attempts else self.sleep_s(max_sleep),
            wakeup_for(self.app.recorder, self.store, POLL_S),
            TRANSIENT,
            "webhook dispatcher",
            max_sleep,
        )

    def sleep_s(self, max_sleep: float) -> float:
        wake = self.outbox.next_attempt_at()
        if wake is None:
            return max_sleep
        return min(max(wake - epoch(self.clock()), 0.01), max_sleep)

    def _send_endpoint(self, endpoint_id: str) -> int:
        """Sends the endpoint's due deliveries in order while they succeed; the attempts."""
        url = self.outbox.lease(endpoint_id)
        if url is None:
            return 0  # another dispatcher is sending this endpoint's deliveries
        attempts = 0
        try:
            signer = Webhook(self.app.secret_of(UUID(endpoint_id)))
            for pending in self.outbox.pending(endpoint_id, self.policy.per_tick):
                if not pending.due(epoch(self.clock())):
                    break  # a retry waits: the later deliveries wait behind it
                attempts += 1
                if not self._attempt(endpoint_id, url, signer, pending):
                    break
        finally:
            self.outbox.release(endpoint_id)
        return attempts

    def _attempt(self, endpoint_id: str, url: str, signer: Webhook, pending: Pending) -> bool:
        """Sends the delivery once and records the attempt; whether the next one may go."""
        sent_at = self.clock()
        msg_id = pending.webhook_id
        headers = {
            "content-type": "application/json",
            "user-agent": "CareLedger-Webhooks/1",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": signer.sign(msg_id, sent_at, pending.payload),
        }
        started = time.perf_counter()
        answer = self.post(url, pending.payload, headers, self.policy.timeout_s)
        latency_ms = (time.perf_counter() - started) * 1000
        attempt = self._attempt_of(pending, answer, latency_ms)
        standing = self.outbox.record(endpoint_id, msg_id, attempt)
        if standing.failures >= self.policy.disable_after:
            self._disable(endpoint_id, msg_id, attempt.attempt, standing.failures, answer)
            return False
        return standing.sending and attempt.outcome != "retry"

    def _attempt_of(self, pending: Pending, answer: Answer, latency_ms: float) -> Attempt:
        number, outcome, now = pending.attempts + 1, outcome_of(answer), epoch(self.clock())
        wait = self.policy.backoff(number, self.rng) if outcome == "retry" else None
        return Attempt(
            attempt=number,
            attempted_at=now,
            outcome=outcome,
            status_code=answer.status,
            error=answer.error,
            latency_ms=latency_ms,
            next_attempt_at=None if wait is None else now + wait,
        )

    def _disable(
        self, endpoint_id: str, msg_id: str, attempt: int, failures: int, answer: Answer
    ) -> None:
        # a code, as an endpoint's reason must be; the delivery log keeps each error in full
        last = "no_answer" if answer.status is None else f"http_{answer.status}"
        reason = f"consecutive_failures:{last}"
        command_id = f"webhook-disable:{msg_id}:{attempt}"
        meta = system_meta("webhook-dispatcher", command_id, self.clock(), "webhook_failing")
        try:
            self.app.disable_webhook_endpoint(meta, UUID(endpoint_id), reason, failures)
        except DomainError as error:  # disabled meanwhile, by hand or by another dispatcher
            log.info("webhook endpoint %s not disabled: %s", endpoint_id, error)
        self.outbox.mark_disabled(endpoint_id, reason)
