"""Reading the webhook outbox: the endpoints, and each one's deliveries with their attempts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from projections.engine.reading import active_prefix, from_epoch, page_size
from projections.engine.store import Tx, ViewStore
from projections.views.webhook_deliveries import (
    ATTEMPT_COLUMNS,
    DELIVERY_COLUMNS,
    ENDPOINT_COLUMNS,
    WebhookDeliveriesProjection,
    named,
)


@dataclass(frozen=True)
class EndpointRow:
    endpoint_id: str
    url: str
    event_types: list[str]
    status: str
    owner: str
    registered_at: datetime
    disabled_reason: str | None
    failures: int


@dataclass(frozen=True)
class AttemptRow:
    attempt: int
    attempted_at: datetime
    status_code: int | None
    latency_ms: float
    error: str | None
    outcome: str
    next_attempt_at: datetime | None


@dataclass(frozen=True)
class DeliveryRow:
    webhook_id: str
    endpoint_id: str
    position: int
    event_type: str
    event_id: str
    occurred_at: datetime
    status: str
    attempts: list[AttemptRow]
    next_attempt_at: datetime | None
    last_status_code: int | None
    finished_at: datetime | None


def _time(value: object) -> datetime | None:
    return None if value is None else from_epoch(float(str(value)))


def _prefix(tx: Tx) -> str:
    return active_prefix(tx, WebhookDeliveriesProjection.name)


def endpoints(store: ViewStore) -> list[EndpointRow]:
    with store.transaction() as tx:
        rows = tx.all(
            f"SELECT {', '.join(ENDPOINT_COLUMNS)} FROM {_prefix(tx)}endpoints"
            " ORDER BY registered_at, endpoint_id"
        )
    return [_endpoint(named(ENDPOINT_COLUMNS, row)) for row in rows]


def endpoint(store: ViewStore, endpoint_id: str) -> EndpointRow | None:
    with store.transaction() as tx:
        row = tx.one(
            f"SELECT {', '.join(ENDPOINT_COLUMNS)} FROM {_prefix(tx)}endpoints"
            " WHERE endpoint_id = ?",
            (endpoint_id,),
        )
    return None if row is None else _endpoint(named(ENDPOINT_COLUMNS, row))


def _endpoint(row: dict[str, object]) -> EndpointRow:
    return EndpointRow(
        endpoint_id=str(row["endpoint_id"]),
        url=str(row["url"]),
        event_types=list(json.loads(str(row["event_types"]))),
        status=str(row["status"]),
        owner=str(row["owner"]),
        registered_at=from_epoch(float(str(row["registered_at"]))),
        disabled_reason=None if row["disabled_reason"] is None else str(row["disabled_reason"]),
        failures=int(str(row["failures"])),
    )


def deliveries(
    store: ViewStore,
    endpoint_id: str,
    *,
    after: int | None = None,
    limit: int = 50,
    status: str | None = None,
) -> list[DeliveryRow]:
    """The endpoint's deliveries in log order after the log position `after`, with attempts."""
    where, params = ["endpoint_id = ?", "position > ?"], [endpoint_id, after or 0]
    if status is not None:
        where.append("status = ?")
        params.append(status)
    with store.transaction() as tx:
        prefix = _prefix(tx)
        rows = [
            named(DELIVERY_COLUMNS, row)
            for row in tx.all(
                f"SELECT {', '.join(DELIVERY_COLUMNS)} FROM {prefix}deliveries"
                f" WHERE {' AND '.join(where)} ORDER BY position LIMIT ?",
                (*params, page_size(limit)),
            )
        ]
        attempts = _attempts(tx, prefix, [str(row["webhook_id"]) for row in rows])
    return [_delivery(row, attempts.get(str(row["webhook_id"]), [])) for row in rows]


def _attempts(tx: Tx, prefix: str, ids: list[str]) -> dict[str, list[AttemptRow]]:
    found: dict[str, list[AttemptRow]] = {}
    if not ids:
        return found
    marks = ", ".join("?" for _ in ids)
    for raw in tx.all(
        f"SELECT {', '.join(ATTEMPT_COLUMNS)} FROM {prefix}attempts"
        f" WHERE webhook_id IN ({marks}) ORDER BY webhook_id, attempt",
        ids,
    ):
        row = named(ATTEMPT_COLUMNS, raw)
        found.setdefault(str(row["webhook_id"]), []).append(
            AttemptRow(
                attempt=int(str(row["attempt"])),
                attempted_at=from_epoch(float(str(row["attempted_at"]))),
                status_code=None if row["status_code"] is None else int(str(row["status_code"])),
                latency_ms=float(str(row["latency_ms"])),
                error=None if row["error"] is None else str(row["error"]),
                outcome=str(row["outcome"]),
                next_attempt_at=_time(row["next_attempt_at"]),
            )
        )
    return found


def _delivery(row: dict[str, object], attempts: list[AttemptRow]) -> DeliveryRow:
    code = row["last_status_code"]
    return DeliveryRow(
        webhook_id=str(row["webhook_id"]),
        endpoint_id=str(row["endpoint_id"]),
        position=int(str(row["position"])),
        event_type=str(row["event_type"]),
        event_id=str(row["event_id"]),
        occurred_at=from_epoch(float(str(row["occurred_at"]))),
        status=str(row["status"]),
        attempts=attempts,
        next_attempt_at=_time(row["next_attempt_at"]),
        last_status_code=None if code is None else int(str(code)),
        finished_at=_time(row["finished_at"]),
    )
