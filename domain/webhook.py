"""An integration's webhook endpoint: where events are posted, which ones, under which secret.

`WebhookEndpointRegistered` names the URL, the event types and the owner (the admin who
registered it) with the signing secret sealed under the endpoint's own key;
`WebhookEventTypesChanged` and `WebhookSecretRotated` change them; `WebhookEndpointDisabled`
records why deliveries stopped (by hand, or after repeated failure) and whom to tell, and
`WebhookEndpointReEnabled` lets them resume where they stopped.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Collection
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit
from uuid import UUID

from domain.base import CareAggregate, Meta, recorded
from domain.errors import InvalidInputError
from domain.values import Sealed, bounded_text, coded

URL_MAX = 2000
EVENT_TYPES_MAX = 100
REASON_MAX = 64  # a code
SECRET_PREFIX = "whsec_"
SECRET_BYTES = (24, 64)  # the Standard Webhooks secret: 24 to 64 random bytes


class EndpointStatus(StrEnum):
    ACTIVE = "Active"
    DISABLED = "Disabled"


class WebhookEndpoint(CareAggregate):
    TOPIC = "careledger.WebhookEndpoint"

    class Created(CareAggregate.Created):
        TOPIC = "careledger.WebhookEndpoint.Created"

    @recorded("WebhookEndpointRegistered")
    def __init__(
        self, meta: Meta, url: str, event_types: list[str], secret: Sealed, *, id: UUID
    ) -> None:
        self.url = url
        self.event_types = list(event_types)
        self.secret = secret
        self.owner = meta.actor.id
        self.status = EndpointStatus.ACTIVE
        self.registered_at = meta.occurred_at
        self.disabled_at: datetime | None = None
        self.disabled_reason: str | None = None

    @classmethod
    def register(
        cls,
        meta: Meta,
        *,
        id: UUID,
        url: str,
        event_types: list[str],
        known: Collection[str],
        secret: Sealed,
        https_only: bool,
    ) -> WebhookEndpoint:
        return cls(
            meta=meta,
            url=endpoint_url(url, https_only=https_only),
            event_types=chosen_event_types(event_types, known),
            secret=_own_secret(id, secret),
            id=id,
        )

    def change_event_types(
        self, meta: Meta, event_types: list[str], known: Collection[str]
    ) -> None:
        chosen = chosen_event_types(event_types, known)
        if chosen == self.event_types:
            raise InvalidInputError("event_types", "are the endpoint's event types already")
        self._event_types_changed(meta=meta, event_types=chosen)

    @recorded("WebhookEventTypesChanged")
    def _event_types_changed(self, meta: Meta, event_types: list[str]) -> None:
        self.event_types = list(event_types)

    def rotate_secret(self, meta: Meta, secret: Sealed) -> None:
        self._secret_rotated(meta=meta, secret=_own_secret(self.id, secret))

    @recorded("WebhookSecretRotated")
    def _secret_rotated(self, meta: Meta, secret: Sealed) -> None:
        self.secret = secret

    def disable(self, meta: Meta, reason: str, failures: int = 0) -> None:
        """An endpoint belongs to no customer: its reason is a code (`maintenance`,
        `consecutive_failures:http_503`), words refused (docs/privacy.md#free-text)."""
        coded("reason", reason, REASON_MAX)
        if not isinstance(failures, int) or isinstance(failures, bool) or failures < 0:
            raise InvalidInputError("failures", "must be a whole number of at least 0")
        self.require("disable", {EndpointStatus.ACTIVE})
        self._disabled(meta=meta, reason=reason, failures=failures, owner=self.owner)

    @recorded("WebhookEndpointDisabled")
    def _disabled(self, meta: Meta, reason: str, failures: int, owner: str) -> None:
        self.status = EndpointStatus.DISABLED
        self.disabled_at = meta.occurred_at
        self.disabled_reason = reason

    def re_enable(self, meta: Meta) -> None:
        self.require("re-enable", {EndpointStatus.DISABLED})
        self._re_enabled(meta=meta)

    @recorded("WebhookEndpointReEnabled")
    def _re_enabled(self, meta: Meta) -> None:
        self.status = EndpointStatus.ACTIVE
        self.disabled_at = None
        self.disabled_reason = None


def endpoint_url(url: str, *, https_only: bool) -> str:
    """An absolute http(s) URL with a host and no credentials; https only when asked."""
    bounded_text("url", url, URL_MAX)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise InvalidInputError("url", f"is not a URL ({error})") from None
    schemes = ("https",) if https_only else ("http", "https")
    if parts.scheme not in schemes:
        raise InvalidInputError("url", f"must be an {' or '.join(schemes)} URL")
    if not parts.hostname:
        raise InvalidInputError("url", "must name a host")
    if parts.username is not None or parts.password is not None:
        raise InvalidInputError("url", "must not carry credentials (the secret signs instead)")
    if parts.fragment or any(c.isspace() for c in url) or port == 0:
        raise InvalidInputError("url", "must have no fragment, no spaces and a real port")
    return url


def chosen_event_types(event_types: list[str], known: Collection[str]) -> list[str]:
    """Distinct, known event names (e.g. `ComplaintFiled`), in a stable order."""
    if not isinstance(event_types, list) or not event_types:
        raise InvalidInputError("event_types", "must name at least one event type")
    if len(event_types) > EVENT_TYPES_MAX:
        raise InvalidInputError("event_types", f"must name at most {EVENT_TYPES_MAX}")
    unknown = sorted({str(name) for name in event_types} - set(known))
    if unknown:
        raise InvalidInputError("event_types", f"unknown event types: {', '.join(unknown[:5])}")
    return sorted(set(event_types))


def check_secret(secret: str) -> str:
    """A Standard Webhooks secret: `whsec_` and the base64 of 24 to 64 bytes."""
    if not isinstance(secret, str) or not secret.startswith(SECRET_PREFIX):
        raise InvalidInputError("secret", f"must start with {SECRET_PREFIX}")
    try:
        raw = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInputError("secret", "must be base64 after the prefix") from None
    low, high = SECRET_BYTES
    if not low <= len(raw) <= high:
        raise InvalidInputError("secret", f"must hold {low} to {high} bytes")
    return secret


def _own_secret(endpoint_id: UUID, secret: Sealed) -> Sealed:
    if not isinstance(secret, Sealed) or secret.subject != str(endpoint_id):
        raise InvalidInputError("secret", "must be sealed under the endpoint's own key")
    return secret
