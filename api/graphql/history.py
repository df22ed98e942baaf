"""Any entity's own history, read from its events: who did what, when, why, in order."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

import strawberry
from eventsourcing.utils import get_topic
from strawberry.scalars import JSON

from api.graphql.access import need_to_know
from api.need_to_know import SEALED
from domain.base import TOPIC_PREFIX
from domain.errors import InvalidInputError
from domain.meta import Reason
from domain.values import Sealed, Unsealed
from projections.engine.read_routing import EventSource

HIDDEN = {"meta", "originator_id", "originator_version", "timestamp", "originator_topic"}
MAX_EVENTS = 200


@strawberry.type
class ActorView:
    kind: str
    id: str
    role: str


@strawberry.type(description="One recorded event of an entity, with who, when, why and how.")
class HistoryEvent:
    version: int
    name: str
    occurred_at: datetime = strawberry.field(description="Business time")
    recorded_at: datetime
    actor: ActorView
    command_id: str
    correlation_id: str
    causation_id: str | None
    channel: str | None
    reason_code: str | None
    reason_text: str | None = strawberry.field(
        description='Personal data: the reason in words, "[sealed]" unless the caller needs to'
        ' know the entity\'s personal data, "[erased]" once the customer was erased'
    )
    data: JSON = strawberry.field(
        description="The event's own fields as stored (snake_case; contact details as JSON"
        " text); personal data as `{sealed: true}` unless the caller may read it. Kept for"
        " older clients: `fields` is the same in the schema's case"
    )
    fields: JSON = strawberry.field(
        description="The event's own fields in the schema's case (customerId, orderIds,"
        " productQuality), contact details as an object {name, phone, email, address};"
        " personal data as `{sealed: true}` unless the caller may read it"
    )


STRUCTURED = frozenset({"contact"})  # sealed fields whose plaintext is a JSON object


def camel(name: str) -> str:
    """customer_id -> customerId, as strawberry names the schema's fields."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def schema_cased(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields with their names (and those of nested objects) in the schema's case, and
    the structured sealed fields, once opened, as objects rather than JSON text."""

    def cased(value: Any) -> Any:
        if isinstance(value, dict):
            return {camel(str(k)): cased(v) for k, v in value.items()}
        if isinstance(value, list):
            return [cased(v) for v in value]
        return value

    def opened(name: str, value: Any) -> Any:
        if name in STRUCTURED and isinstance(value, str):
            try:
                parsed = json.loads(value)
            except ValueError:
                return value  # "[erased]", or text of another shape: as it is
            return parsed if isinstance(parsed, dict) else value
        return value

    return {camel(k): cased(opened(k, v)) for k, v in fields.items()}


def plain(value: Any, reveal: Any) -> Any:
    if isinstance(value, Sealed | Unsealed):
        return reveal(value)
    if isinstance(value, UUID | Decimal | datetime):
        return str(value) if not isinstance(value, datetime) else value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name), reveal) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [plain(v, reveal) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v, reveal) for k, v in value.items()}
    return value


async def entity_history(
    info: Any, entity_id: UUID, after_version: int, limit: int
) -> list[HistoryEvent]:
    """What every `<entity>History` query answers: the entity's events after `after_version`,
    at most `limit` (1 to 200), personal data opened only for who needs to know it."""
    if not 1 <= limit <= MAX_EVENTS:
        raise InvalidInputError("limit", f"must be from 1 to {MAX_EVENTS}")
    context = info.context
    reveal = need_to_know(info).reveal(entity_id)
    events: list[HistoryEvent] = await context.call(
        history_of, context.services.history, entity_id, reveal, after_version, limit
    )
    return events


def history_of(
    source: EventSource,
    aggregate_id: UUID,
    reveal: Callable[[Sealed | Unsealed, str], Any],
    after_version: int = 0,
    limit: int = 100,
) -> list[HistoryEvent]:
    """The events, each sealed value as `reveal` opens it (or keeps it sealed)."""
    events = source.get(aggregate_id, gt=after_version, limit=limit)
    return [_entry(event, reveal) for event in events]


def _in(
    reveal: Callable[[Sealed | Unsealed, str], Any], field: str
) -> Callable[[Sealed | Unsealed], Any]:
    return lambda sealed: reveal(sealed, field)


def reason_text(reason: Reason | None, reveal: Callable[[Sealed | Unsealed], Any]) -> str | None:
    """The reason's words: opened for who may read them ("[erased]" once their customer was
    erased), "[sealed]" for anyone else. Words recorded in plain text, before reasons were
    sealed, read the same way (as they always did on an entity of no customer's)."""
    if reason is None:
        return None
    if reason.sealed is not None:
        opened = reveal(reason.sealed)
    elif reason.text:
        opened = reveal(Unsealed(reason.text))
    else:
        return reason.text
    return opened if isinstance(opened, str) else SEALED


def _entry(event: Any, reveal: Callable[[Sealed | Unsealed, str], Any]) -> HistoryEvent:
    meta = event.meta
    fields = {k: plain(v, _in(reveal, k)) for k, v in vars(event).items() if k not in HIDDEN}
    json.dumps(fields)  # what cannot be sent is a bug here, not in the client
    return HistoryEvent(
        version=event.originator_version,
        name=get_topic(type(event)).removeprefix(TOPIC_PREFIX),
        occurred_at=meta.occurred_at,
        recorded_at=event.timestamp,
        actor=ActorView(kind=str(meta.actor.kind), id=meta.actor.id, role=meta.actor.role),
        command_id=meta.command_id,
        correlation_id=meta.correlation_id,
        causation_id=meta.causation_id,
        channel=None if meta.channel is None else str(meta.channel),
        reason_code=meta.reason.code if meta.reason else None,
        reason_text=reason_text(meta.reason, _in(reveal, "reason_text")),
        data=cast(JSON, fields),
        fields=cast(JSON, schema_cased(fields)),
    )
