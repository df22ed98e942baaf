from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.errors import InvalidInputError
from domain.values import Sealed, aware, bounded_text, coded, one_of, optional_text

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


REASON_TEXT_MAX = 2000


@dataclass(frozen=True)
class Reason:
    """Why: a code, and free text that may name a person. The application seals the text
    under the customer the command is about before any event is made (`sealed`, with `text`
    left empty); `text` holds plaintext only in events recorded before reasons were sealed."""

    code: str
    text: str = ""
    sealed: Sealed | None = None

    def __post_init__(self) -> None:
        coded("reason_code", self.code)
        optional_text("reason_text", self.text, REASON_TEXT_MAX)
        if self.text and self.sealed is not None:
            raise InvalidInputError("reason_text", "is either plaintext or sealed, not both")

    @property
    def has_words(self) -> bool:
        """Whether the reason carries words, sealed or (recorded before sealing) plain."""
        return self.sealed is not None or bool(self.text.strip())


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
