"""A real SMTP server that is down for a while, then back: every notice wanted meanwhile is
retried with backoff (the failures on record), then mailed exactly once. On SQLite and
PostgreSQL."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from application.app import CareLedger
from application.settings import Settings
from delivery.channels.registry import channels_from_settings
from delivery.delivery_settings import DeliverySettings
from delivery.notifier import Notifier
from projections.engine.store import ViewStore
from projections.views.notices import notifications_of
from tests.application.builders import customer, order
from tests.delivery.smtp_servers import Inbox, free_port, smtp_server
from tests.support import Clock, meta

NOTICES = 5


def test_a_channel_down_then_back_loses_nothing_and_sends_each_once(
    app: CareLedger, views: ViewStore, settings: Settings
) -> None:
    port = free_port()  # nothing listens there yet: the SMTP server is down
    configured = replace(settings, smtp_url=f"smtp://127.0.0.1:{port}")
    clock = Clock()
    delivery = DeliverySettings(max_attempts=6, backoff_base_s=10, quiet_start=None, workers=2)
    notifier = Notifier(
        app, views, channels_from_settings(configured), settings=delivery, clock=clock
    )
    orders = []
    for _ in range(NOTICES):
        order_id = order(app, customer(app))
        app.confirm_order(meta(), order_id)
        app.send_order_confirmation(meta(), order_id, "email")
        orders.append(order_id)
    try:
        for _ in range(2):  # two attempts each while the server is down
            notifier.run_once()
            notifier.run_once()
            clock.advance(30)
        rows = [row for o in orders for row in notifications_of(views, o)]
        assert [(r.status, r.attempts) for r in rows] == [("Retrying", 2)] * NOTICES
        assert all(r.last_error and "refused" in r.last_error.lower() for r in rows), rows

        inbox = Inbox()
        with smtp_server(inbox, port=port):
            clock.advance(60)
            for _ in range(3):
                notifier.run_once()
            rows = [row for o in orders for row in notifications_of(views, o)]
            assert [(r.status, r.attempts) for r in rows] == [("Sent", 3)] * NOTICES
            ids = Counter(str(mail["Message-ID"]) for mail in inbox.mails)
            assert len(ids) == NOTICES and set(ids.values()) == {1}
            for _ in range(2):  # nothing more once sent
                clock.advance(600)
                notifier.run_once()
            assert len(inbox.mails) == NOTICES
    finally:
        notifier.close()
    for row in rows:
        events = [type(e).__name__ for e in app.events.get(row.notification_id)]
        assert events.count("NotificationAttemptFailed") == 2
        assert events.count("NotificationSent") == 1
