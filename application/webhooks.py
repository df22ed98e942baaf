"""Webhook endpoints: registered by an admin, changed, disabled and re-enabled.

The signing secret is a credential: it is sealed under the endpoint's own key before any event
is made, compared through an HMAC when a command id is repeated, and opened only by the
dispatcher that signs deliveries (`secret_of`).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from uuid import UUID

from eventsourcing.utils import get_topic

import domain
from application.handling import CommandHandling, Outcome, command, new_id
from application.settings import Settings
from application.vault import Vault
from domain.base import TOPIC_PREFIX, CareAggregate
from domain.meta import Meta
from domain.webhook import WebhookEndpoint, check_secret


@cache
def subscribable_events() -> frozenset[str]:
    """The event names an endpoint may subscribe to: every domain event but the endpoints'
    own and the aggregates' technical creation topics."""
    names: set[str] = set()
    for info in pkgutil.iter_modules(domain.__path__):
        module = importlib.import_module(f"domain.{info.name}")
        for kind in vars(module).values():
            if not (isinstance(kind, type) and issubclass(kind, CareAggregate)):
                continue
            for member in vars(kind).values():
                if isinstance(member, type) and issubclass(member, CareAggregate.Event):
                    names.add(get_topic(member).removeprefix(TOPIC_PREFIX))
    return frozenset(n for n in names if n.isidentifier() and not n.startswith("Webhook"))


class WebhookCommands(CommandHandling):
    vault: Vault
    settings: Settings

    @command(personal=("secret",))
    def register_webhook_endpoint(
        self, meta: Meta, url: str, event_types: list[str], secret: str
    ) -> Outcome:
        endpoint_id = new_id(meta, WebhookEndpoint)
        check_secret(secret)
        return self.create(
            meta,
            WebhookEndpoint,
            lambda: WebhookEndpoint.register(
                meta,
                id=endpoint_id,
                url=url,
                event_types=event_types,
                known=subscribable_events(),
                secret=self.vault.seal(endpoint_id, secret),
                https_only=self.settings.is_production,
            ),
        )

    @command()
    def change_webhook_event_types(
        self, meta: Meta, endpoint_id: UUID, event_types: list[str]
    ) -> Outcome:
        return self.change(
            meta,
            WebhookEndpoint,
            endpoint_id,
            lambda e: e.change_event_types(meta, event_types, subscribable_events()),
        )

    @command(personal=("secret",))
    def rotate_webhook_secret(self, meta: Meta, endpoint_id: UUID, secret: str) -> Outcome:
        check_secret(secret)
        return self.change(
            meta,
            WebhookEndpoint,
            endpoint_id,
            lambda e: e.rotate_secret(meta, self.vault.seal(endpoint_id, secret)),
        )

    @command()
    def disable_webhook_endpoint(
        self, meta: Meta, endpoint_id: UUID, reason: str, failures: int = 0
    ) -> Outcome:
        return self.change(
            meta, WebhookEndpoint, endpoint_id, lambda e: e.disable(meta, reason, failures)
        )

    @command()
    def re_enable_webhook_endpoint(self, meta: Meta, endpoint_id: UUID) -> Outcome:
        return self.change(meta, WebhookEndpoint, endpoint_id, lambda e: e.re_enable(meta))

    def secret_of(self, endpoint_id: UUID) -> str:
        """The endpoint's signing secret in plaintext: for the dispatcher only."""
        return self.vault.open(self.load(WebhookEndpoint, endpoint_id).secret)
