"""On the embedded default (SQLite) the service projects, runs the policies, delivers notices
and webhooks itself; on PostgreSQL they run as processes of their own (`careledger project run`,
`policies run`, which delivers the webhooks too, and `notices run`)."""

from __future__ import annotations

import threading

from application.app import CareLedger
from delivery.channels.registry import channels_from_settings
from delivery.service import build_notifier
from delivery.webhooks import WebhookDispatcher
from policies.loop import PolicyLoop
from projections.catalog import projections
from projections.engine import tracking
from projections.engine.follower import Followers
from projections.engine.projection import Projection
from projections.engine.store import ViewStore
from projections.views.notices import NoticesProjection
from projections.views.webhook_deliveries import WebhookDeliveriesProjection

STOP_WAIT_S = 10.0


class EmbeddedWorkers:
    def __init__(self, ledger: CareLedger, views: ViewStore) -> None:
        self.ledger = ledger
        self.views = views
        self.chosen = projections()
        # One owner per view in this process: the policy loop and the notifier feed the views
        # they read themselves.
        owned = {*PolicyLoop.views, NoticesProjection.name}
        followed = [p for p in self.chosen if p.name not in owned]
        self.followers = Followers(ledger, views, followed)
        self.stop_event = threading.Event()
        self.policies = threading.Thread(target=self._policies, daemon=True, name="policies")
        self.webhooks = threading.Thread(target=self._webhooks, daemon=True, name="webhooks")
        # Built now, so a malformed template, directory or route stops the start.
        settings = ledger.settings
        self.notifier = build_notifier(ledger, views, settings, channels_from_settings(settings))
        self.notices = threading.Thread(target=self._notices, daemon=True, name="notices")

    def _policies(self) -> None:
        PolicyLoop(self.ledger, self.views).run(self.stop_event)

    def _webhooks(self) -> None:
        WebhookDispatcher(self.ledger, self.views).run(self.stop_event)

    def _notices(self) -> None:
        try:
            self.notifier.run(self.stop_event)
        finally:
            self.notifier.close()

    def start(self) -> EmbeddedWorkers:
        install_views(self.views, [*self.chosen, WebhookDeliveriesProjection()])
        self.followers.start()
        self.policies.start()
        self.webhooks.start()
        self.notices.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        self.followers.stop(STOP_WAIT_S)
        self.policies.join(STOP_WAIT_S)
        self.webhooks.join(STOP_WAIT_S)
        self.notices.join(STOP_WAIT_S)


def install_views(views: ViewStore, chosen: list[Projection]) -> None:
    """Creates the views not there yet, so the first queries find them (empty) at once."""
    with views.transaction() as tx:
        for projection in chosen:
            tracking.install(tx, projection)
