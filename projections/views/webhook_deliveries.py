"""The webhook outbox and its delivery log, fed from the event log by the dispatcher itself.

Each event an endpoint subscribes to becomes one delivery row for that endpoint, in log order,
under a stable `webhook_id` (one per endpoint and event, so a re-send is recognisable). The
endpoints' own events keep a row per endpoint (URL, event types, status, owner); the dispatcher
(delivery/webhooks.py) adds its state to the same rows: attempts, the next attempt's time, the
consecutive failures and a lease. It is an outbox, not a rebuildable read model: it is kept out
of the catalogue, since a rebuild would send every delivery again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID, uuid5

from projections.engine.projection import Envelope, Projection
from projections.engine.reading import epoch
from projections.engine.store import Row, Tx
from projections.views.webhook_payload import payload

NAMESPACE = UUID("3f0d2b8e-6c1a-5d47-9e2f-7a4b8c1d0e93")
ENDPOINT_EVENTS = frozenset(
    {
        "WebhookEndpointRegistered",
        "WebhookEventTypesChanged",
        "WebhookSecretRotated",
        "WebhookEndpointDisabled",
        "WebhookEndpointReEnabled",
    }
)
ENDPOINT_COLUMNS = (
    "endpoint_id",
    "url",
    "event_types",
    "status",
    "owner",
    "registered_at",
    "disabled_reason",
    "failures",
    "lease_owner",
    "lease_until",
)
DELIVERY_COLUMNS = (
    "webhook_id",
    "endpoint_id",
    "position",
    "event_type",
    "event_id",
    "occurred_at",
    "payload",
    "status",
    "attempts",
    "next_attempt_at",
    "last_status_code",
    "last_error",
    "finished_at",
)
ATTEMPT_COLUMNS = (
    "webhook_id",
    "attempt",
    "endpoint_id",
    "attempted_at",
    "status_code",
    "latency_ms",
    "error",
    "outcome",
    "next_attempt_at",
)


def webhook_id(endpoint_id: str, event_id: str, version: int) -> str:
    """One id per endpoint and event, whoever sends it and however often."""
    return "msg_" + uuid5(NAMESPACE, f"{endpoint_id}/{event_id}/{version}").hex


def named(columns: Sequence[str], row: Row) -> dict[str, object]:
    return dict(zip(columns, row, strict=True))


@dataclass
class Subscriber:
    endpoint_id: str
    event_types: frozenset[str]


class WebhookDeliveriesProjection(Projection):
    name = "webhook_deliveries"

    def tables(self) -> tuple[str, ...]:
        return ("endpoints", "deliveries", "attempts")

    def create_tables(self, tx: Tx, prefix: str) -> None:
        tx.execute(
            f"CREATE TABLE {prefix}endpoints (endpoint_id TEXT PRIMARY KEY, url TEXT NOT NULL,"
            " event_types TEXT NOT NULL, status TEXT NOT NULL, owner TEXT NOT NULL,"
            " registered_at DOUBLE PRECISION NOT NULL, disabled_reason TEXT,"
            " failures INTEGER NOT NULL, lease_owner TEXT, lease_until DOUBLE PRECISION)"
        )
        tx.execute(
            f"CREATE TABLE {prefix}deliveries (webhook_id TEXT PRIMARY KEY,"
            " endpoint_id TEXT NOT NULL, position BIGINT NOT NULL, event_type TEXT NOT NULL,"
            " event_id TEXT NOT NULL, occurred_at DOUBLE PRECISION NOT NULL,"
            " payload TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,"
            " next_attempt_at DOUBLE PRECISION, last_status_code INTEGER, last_error TEXT,"
            " finished_at DOUBLE PRECISION)"
        )
        tx.execute(
            f"CREATE INDEX {prefix}deliveries_queue"
            f" ON {prefix}deliveries (endpoint_id, status, position)"
        )
        tx.execute(
            f"CREATE TABLE {prefix}attempts (webhook_id TEXT NOT NULL, attempt INTEGER NOT NULL,"
            " endpoint_id TEXT NOT NULL, attempted_at DOUBLE PRECISION NOT NULL,"
            " status_code INTEGER, latency_ms DOUBLE PRECISION NOT NULL, error TEXT,"
            " outcome TEXT NOT NULL, next_attempt_at DOUBLE PRECISION,"
            " PRIMARY KEY (webhook_id, attempt))"
        )

    def process(self, tx: Tx, prefix: str, batch: Sequence[Envelope]) -> None:
        subscribers = _subscribers(tx, prefix)
        for envelope in batch:
            if envelope.name in ENDPOINT_EVENTS:
                _endpoint_changed(tx, prefix, envelope, subscribers)
                continue
            for subscriber in subscribers.values():
                if envelope.name in subscriber.event_types:
                    _enqueue(tx, prefix, subscriber.endpoint_id, envelope)


def _subscribers(tx: Tx, prefix: str) -> dict[str, Subscriber]:
    rows = tx.all(f"SELECT endpoint_id, event_types FROM {prefix}endpoints")
    return {
        str(endpoint_id): Subscriber(str(endpoint_id), frozenset(json.loads(types)))
        for endpoint_id, types in rows
    }


def _endpoint_changed(
    tx: Tx, prefix: str, envelope: Envelope, subscribers: dict[str, Subscriber]
) -> None:
    event, name = envelope.event, envelope.name
    endpoint_id = str(event.originator_id)
    where = (endpoint_id,)
    if name == "WebhookEndpointRegistered":
        types = sorted(event.event_types)
        tx.execute(
            f"INSERT INTO {prefix}endpoints ({', '.join(ENDPOINT_COLUMNS)})"
            " VALUES (?, ?, ?, 'Active', ?, ?, NULL, 0, NULL, NULL)"
            " ON CONFLICT (endpoint_id) DO NOTHING",
            (endpoint_id, event.url, json.dumps(types), event.meta.actor.id, epoch(event.meta.at)),
        )
        subscribers[endpoint_id] = Subscriber(endpoint_id, frozenset(types))
    elif name == "WebhookEventTypesChanged":
        types = sorted(event.event_types)
        tx.execute(
            f"UPDATE {prefix}endpoints SET event_types = ? WHERE endpoint_id = ?",
            (json.dumps(types), endpoint_id),
        )
        subscribers[endpoint_id] = Subscriber(endpoint_id, frozenset(types))
    elif name == "WebhookEndpointDisabled":
        tx.execute(
            f"UPDATE {prefix}endpoints SET status = 'Disabled', disabled_reason = ?"
            " WHERE endpoint_id = ?",
            (event.reason, endpoint_id),
        )
    elif name == "WebhookEndpointReEnabled":
        # deliveries resume where they stopped, at once, with the failure count reset
        tx.execute(
            f"UPDATE {prefix}endpoints SET status = 'Active', disabled_reason = NULL,"
            " failures = 0 WHERE endpoint_id = ?",
            where,
        )
        tx.execute(
            f"UPDATE {prefix}deliveries SET next_attempt_at = NULL"
            " WHERE endpoint_id = ? AND status = 'pending'",
            where,
        )


def _enqueue(tx: Tx, prefix: str, endpoint_id: str, envelope: Envelope) -> None:
    event = envelope.event
    event_id = str(event.originator_id)
    tx.execute(
        f"INSERT INTO {prefix}deliveries ({', '.join(DELIVERY_COLUMNS)})"
        " VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, NULL, NULL, NULL, NULL)"
        " ON CONFLICT (webhook_id) DO NOTHING",
        (
            webhook_id(endpoint_id, event_id, int(event.originator_version)),
            endpoint_id,
            envelope.position,
            envelope.name,
            event_id,
            epoch(event.meta.at),
            json.dumps(payload(envelope), sort_keys=True, separators=(",", ":")),
        ),
    )
