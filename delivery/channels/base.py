"""The one small interface every channel implements.

A channel takes a rendered `Message` and either hands it on (`Sent`, with the provider's own
message id) or raises: `TransientDeliveryError` (try again later: connection refused, timeout,
HTTP 5xx or 429, SMTP 4xx) or `PermanentDeliveryError` (never retried: a bad address, HTTP 4xx,
SMTP 5xx). `Message.id` is stable across attempts (the notification's id), so a re-send after a
crash between sending and recording it carries the same id (`Message-ID`, an `Idempotency-Key`
header) and the receiver can recognise it.

Channels do blocking I/O with bounded timeouts; the delivery process calls them from its own
threads, never from the API's event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class ChannelKind(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"
    IM = "im"  # staff robots: DingTalk, WeCom, Feishu, Slack


@dataclass(frozen=True)
class Message:
    id: str
    """Stable over every attempt of one notification: the receiver's de-duplication key."""
    channel: ChannelKind
    to: str
    """An e-mail address, a phone number (E.164), a push device or user id, or an IM robot's
    webhook URL."""
    subject: str
    body: str
    kind: str
    """What the notice is (`order_confirmation`, `sla_warning`, ...), for headers and logs."""
    locale: str = "zh-CN"
    urgent: bool = False


@dataclass(frozen=True)
class Sent:
    provider_id: str
    """The provider's id for the message (the SMTP server's queue id or our Message-ID, the SMS
    provider's message id): delivery receipts name it."""


class DeliveryError(Exception):
    """The channel did not take the message; `reason` is short, with no address or text in it."""

    permanent = False

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransientDeliveryError(DeliveryError):
    """Worth another attempt later; `retry_after_s` is the receiver's hint (HTTP Retry-After)."""

    def __init__(self, reason: str, retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s


class PermanentDeliveryError(DeliveryError):
    """Refused for good (bad address, 4xx): the notification fails without retrying."""

    permanent = True


class Channel(Protocol):
    kind: ChannelKind

    def send(self, message: Message) -> Sent: ...

    def close(self) -> None: ...
