"""The demo day's notices, delivered through the configured channels (the outbox by default)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from application.app import CareLedger
from application.settings import Settings
from delivery.channels.registry import channels_from_settings
from delivery.service import build_notifier
from projections.engine.store import ViewStore
from projections.views.notices import DeliveryDashboard, delivery_dashboard

MAX_PASSES = 10_000


@dataclass(frozen=True)
class NoticeReport:
    dashboard: DeliveryDashboard
    by_channel: dict[str, int]
    where: str


def deliver_day(
    app: CareLedger, store: ViewStore, settings: Settings, start: datetime, end: datetime
) -> NoticeReport:
    """Runs the delivery process until nothing is due, then sums up the day's notices.

    Retries wait for their backoff: a pass that finds nothing due ends the run, and what is
    still pending shows as pending (the service delivers it later)."""
    notifier = build_notifier(app, store, settings, channels_from_settings(settings))
    try:
        for _ in range(MAX_PASSES):
            if notifier.run_once() == 0:
                break
    finally:
        notifier.close()
    board = delivery_dashboard(store, start, end)
    by_channel: Counter[str] = Counter()
    for count in board.counts:
        if count.status in ("Sent", "Delivered"):
            by_channel[count.channel] += count.count
    where = (
        f"mailed through {settings.smtp_url.rsplit('@', 1)[-1]}; other channels in"
        if settings.smtp_url
        else "every message is a file in"
    )
    return NoticeReport(board, dict(by_channel), f"{where} {settings.data_dir / 'outbox'}")


def notice_lines(report: NoticeReport) -> list[str]:
    b = report.dashboard
    channels = ", ".join(f"{channel} {n:,}" for channel, n in sorted(report.by_channel.items()))
    return [
        f"Notices: {b.requested:,} requested, {b.sent:,} sent ({channels or 'none'}),"
        f" {b.suppressed:,} suppressed, {b.failed:,} failed, {b.pending:,} pending",
        f"  {report.where}",
    ]
