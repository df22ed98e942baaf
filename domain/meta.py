from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.values import aware, bounded_text, one_of, optional_text

ID_MAX = 128
HISTORY_IMPORT = "history_import"
"""The reason code of every event recorded from a history written late (an import)."""


class ActorKind(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    COURIER = "courier"
    MERCHANT = "merchant"
    SYSTEM = "system"
    INTEGRATION = "integration"


class Channel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    WEB = "web"
    APP = "app"
    SMS = "sms"
    CHAT = "chat"
    API = "api"
    PLATFORM = "platform"


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: str
    role: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", one_of("actor.kind", self.kind, ActorKind))
        bounded_text("actor.id", self.id, ID_MAX)
        bounded_text("actor.role", self.role, 64)


@dataclass(frozen=True)
class Reason:
    code: str
    text: str = ""

    def __post_init__(self) -> None:
        bounded_text("reason.code", self.code, 64)
        optional_text("reason.text", self.text, 2000)


@dataclass(frozen=True)
class Meta:
    """Who did what, when, why and via which channel: carried by every event."""

    actor: Actor
    occurred_at: datetime
    command_id: str
    correlation_id: str
    causation_id: str | None = None
    channel: Channel | None = None
    reason: Reason | None = None

    def __post_init__(self) -> None:
        aware("occurred_at", self.occurred_at)
        if self.channel is not None:
            object.__setattr__(self, "channel", one_of("channel", self.channel, Channel))
        bounded_text("command_id", self.command_id, ID_MAX)
        bounded_text("correlation_id", self.correlation_id, ID_MAX)
        if self.causation_id is not None:
            bounded_text("causation_id", self.causation_id, ID_MAX)

    @property
    def at(self) -> datetime:
        return self.occurred_at


def is_imported(meta: Meta) -> bool:
    """Whether an event was recorded from a history written late: no live policy acts on it."""
    return meta.reason is not None and meta.reason.code == HISTORY_IMPORT
