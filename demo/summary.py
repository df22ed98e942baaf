"""After the day: every read model caught up, and the figures a newcomer should see."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.app import CareLedger
from domain.base import CareAggregate
from domain.complaint import Complaint
from domain.order import Order
from projections.catalog import projections
from projections.engine.runner import Runner
from projections.engine.store import ViewStore
from projections.views.audit_report import VerificationReport
from projections.views.audit_verify import verify
from projections.views.complaint_dashboard import ComplaintDashboard, complaint_dashboard
from projections.views.incident_board import IncidentMetrics, incident_metrics
from projections.views.order_delays import DelaySummary, delay_summary, order_delay
from projections.views.satisfaction import SatisfactionReport, satisfaction


@dataclass(frozen=True)
class Summary:
    events: int
    orders: Counter[str]  # by status
    complaints: Counter[str]
    dashboard: ComplaintDashboard
    satisfaction: SatisfactionReport
    delays: DelaySummary
    incidents: IncidentMetrics
    audit: VerificationReport
    delivered_late_min: list[float]  # delivered minus promised, of each late order delivered


def catch_up_all(app: CareLedger, store: ViewStore) -> dict[str, int]:
    """Every projection of the catalog, caught up to the log's end: events each processed."""
    return {p.name: Runner(app, store, p).catch_up() for p in projections()}


def summarise(
    app: CareLedger, store: ViewStore, ids: Mapping[str, UUID], start: datetime, end: datetime
) -> Summary:
    return Summary(
        events=app.recorder.max_notification_id() or 0,
        orders=statuses(app, Order, ids, "order:"),
        complaints=statuses(app, Complaint, ids, "complaint:"),
        dashboard=complaint_dashboard(store, start, end),
        satisfaction=satisfaction(store, start, end),
        delays=delay_summary(store, start, end),
        incidents=incident_metrics(store, start, end),
        audit=verify(app, store),
        delivered_late_min=delivered_late(store, ids),
    )


def delivered_late(store: ViewStore, ids: Mapping[str, UUID]) -> list[float]:
    """How late each late order finally arrived, from the delay monitor's rows, to the
    second (the monitor counts whole minutes, rounded up)."""
    rows = [order_delay(store, str(i)) for key, i in ids.items() if key.startswith("order:")]
    return sorted(
        (row.delivered_at - row.promised_at).total_seconds() / 60
        for row in rows
        if row is not None and row.late_min is not None and row.delivered_at is not None
    )


def statuses(
    app: CareLedger, kind: type[CareAggregate], ids: Mapping[str, UUID], prefix: str
) -> Counter[str]:
    """Each aggregate's status, as the aggregate itself tells it."""
    return Counter(
        str(app.load(kind, i).status) for key, i in ids.items() if key.startswith(prefix)
    )
