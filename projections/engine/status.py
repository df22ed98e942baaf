"""Where each projection stands: position, lag in events and seconds, dead letters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from application.app import CareLedger
from projections.engine import tracking
from projections.engine.projection import Projection
from projections.engine.store import ViewStore


@dataclass(frozen=True)
class ViewStatus:
    name: str
    generation: int
    position: int
    head: int
    lag_events: int
    lag_seconds: float
    dead_letters: int


def view_status(
    app: CareLedger, store: ViewStore, projection: Projection, now: datetime | None = None
) -> ViewStatus:
    with store.transaction() as tx:
        generation = tracking.install(tx, projection)
        position = tracking.position(tx, projection.name, generation)
        parked = tx.scalar(
            "SELECT COUNT(*) FROM projection_dead_letters WHERE projection = ? AND generation = ?",
            (projection.name, generation),
        )
    head = app.recorder.max_notification_id() or 0
    waiting = app.recorder.select_notifications(
        start=position, limit=1, stop=head, topics=projection.topics(), inclusive_of_start=False
    )
    lag_seconds = 0.0
    if waiting:
        oldest: Any = app.mapper.to_domain_event(waiting[0])
        lag_seconds = max(0.0, ((now or datetime.now(UTC)) - oldest.timestamp).total_seconds())
    lag_events = app.receipts.count_notifications(position, head, projection.topics())
    return ViewStatus(
        projection.name,
        generation,
        position,
        head,
        lag_events,
        lag_seconds,
        int(parked),
    )
