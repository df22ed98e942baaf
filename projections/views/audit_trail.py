"""Audit trail: every event, in log order, with who did it, why, when and through what, read
by entity, by actor or by correlation id.

`entries` holds one row per event of the log, keyed by its position; the event's own fields are
kept as JSON text with personal data still SEALED (`{"sealed": token, "subject": subject}`):
only `reveal`, given the vault's `open` by a caller allowed to see personal data, opens them.
The entity type is the aggregate class that names the event's class (see `entity_of`).
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, NamedTuple
from uuid import UUID

import domain
from domain.base import TOPIC_PREFIX, CareAggregate
from domain.complaint import Complaint
from domain.order import Order
from domain.values import Sealed, Unsealed
from projections.engine.projection import Envelope, Projection
from projections.engine.reading import active_prefix, from_epoch, page_size
from projections.engine.store import Tx, ViewStore
from projections.engine.tables import ROWID, Index, Table

UNKNOWN = "unknown"  # the entity type of an event no aggregate class names
NOT_PAYLOAD = frozenset(
    {"meta", "timestamp", "originator_id", "originator_version", "originator_topic"}
)


class EventRecord(NamedTuple):
    """One event of the log as the trail stores it; times are epoch seconds."""

    position: Annotated[int, ROWID]
    entity_type: str
    entity_id: str
    version: int
    event: str
    actor_kind: str
    actor_id: str
    actor_role: str
    command_id: str
    correlation_id: str
    causation_id: str | None
    channel: str | None
    reason_code: str | None
    reason_text: str | None  # plaintext only in events recorded before reasons were sealed
    reason_sealed: str | None  # the reason's words sealed, as JSON {sealed, subject}
    occurred_at: float
    recorded_at: float
    payload: str


# `entries` since reasons are sealed (`reason_sealed`): an older generation's `events` is
# rebuilt before it is followed.
EVENTS = Table(
    "entries",
    EventRecord,
    primary_key=("position",),
    indexes=[
        Index("entity", ("entity_id", "version"), unique=True),
        Index("actor", ("actor_id", "position")),
        Index("correlation", ("correlation_id", "position")),
    ],
)


class AuditTrailProjection(Projection):
    name = "audit_trail"
    events = ()  # all of them

    declared = (EVENTS,)

    def process(self, tx: Tx, prefix: str, batch: Sequence[Envelope]) -> None:
        records = [entry_record(envelope) for envelope in batch]
        tx.insert_rows(prefix + EVENTS.name, EVENTS.names, records)


# The event fields that hold words about a customer's case, sealed since their class version 2:
# a row of an older event holds them in plain text, which readers open as Unsealed.
UNSEALED_WORDS: dict[str, tuple[str, ...]] = {
    kind.TOPIC.removeprefix(TOPIC_PREFIX): kind.WORDS
    for kind in (Complaint.RootCauseRecorded, Order.OrderRejected, Order.OrderCancelled)
}

_entities: dict[type[Any], str] = {}


def entity_of(kind: type[Any]) -> str:
    """The aggregate an event class belongs to: the one that names it as a class attribute,
    as the library requires of every event (those defined apart, like the SLA clock events,
    included)."""
    entity = _entities.get(kind)
    if entity is None:
        for module in pkgutil.iter_modules(domain.__path__):  # every aggregate, none missed
            importlib.import_module(f"domain.{module.name}")
        owners = [a for a in _aggregates(CareAggregate) if kind in vars(a).values()]
        entity = _entities[kind] = owners[0].__name__ if owners else UNKNOWN
    return entity


def _aggregates(base: type[CareAggregate]) -> Iterator[type[CareAggregate]]:
    for aggregate in base.__subclasses__():
        yield aggregate
        yield from _aggregates(aggregate)


def entry_record(envelope: Envelope) -> EventRecord:
    event = envelope.event
    meta = event.meta
    actor, reason, channel = meta.actor, meta.reason, meta.channel
    return EventRecord(
        position=envelope.position,
        entity_type=entity_of(type(event)),
        entity_id=str(event.originator_id),
        version=event.originator_version,
        event=envelope.name,
        actor_kind=str(actor.kind),
        actor_id=actor.id,
        actor_role=actor.role,
        command_id=meta.command_id,
        correlation_id=meta.correlation_id,
        causation_id=meta.causation_id,
        channel=None if channel is None else str(channel),
        reason_code=None if reason is None else reason.code,
        reason_text=None if reason is None else reason.text,
        reason_sealed=None if reason is None or reason.sealed is None else _json(reason.sealed),
        occurred_at=meta.occurred_at.timestamp(),
        recorded_at=event.timestamp.timestamp(),
        payload=payload_of(event),
    )


def _json(sealed: Sealed) -> str:
    return json.dumps({"sealed": sealed.token, "subject": sealed.subject})


_payload_fields: dict[type[Any], tuple[str, ...]] = {}


def payload_of(event: Any) -> str:
    """The event's own fields as JSON text; Sealed values stay sealed."""
    state = vars(event)
    names = _payload_fields.get(type(event))
    if names is None:
        names = _payload_fields[type(event)] = tuple(k for k in state if k not in NOT_PAYLOAD)
    if not names:
        return "{}"
    return _ENCODER.encode({name: state[name] for name in names})


def _plain(value: Any) -> Any:
    convert = _CONVERSIONS.get(type(value))
    if convert is not None:
        return convert(value)
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in fields(value)}
    raise TypeError(f"an event field of type {type(value).__name__} has no JSON form")


_CONVERSIONS: dict[type[Any], Callable[[Any], Any]] = {
    Sealed: lambda sealed: {"sealed": sealed.token, "subject": sealed.subject},
    Unsealed: lambda words: words.text,  # as the older version stored it (see UNSEALED_WORDS)
    UUID: str,
    Decimal: str,
    datetime: datetime.isoformat,
}
_ENCODER = json.JSONEncoder(default=_plain, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class AuditEntry:
    position: int  # the event's place in the log
    entity_type: str  # the aggregate: "Order", "Complaint", ...
    entity_id: str
    version: int
    event: str  # its name, e.g. "ComplaintClassified"
    actor_kind: str
    actor_id: str
    actor_role: str
    command_id: str
    correlation_id: str
    causation_id: str | None
    channel: str | None
    reason_code: str | None
    reason_text: str | None  # plaintext only in events recorded before reasons were sealed
    reason_sealed: str | None  # the reason's words sealed, as JSON {sealed, subject}
    occurred_at: datetime  # business time
    recorded_at: datetime  # when it was stored
    payload: str  # the event's own fields as JSON text, personal data sealed

    @property
    def data(self) -> dict[str, Any]:
        """The payload with personal data still sealed."""
        result: dict[str, Any] = json.loads(self.payload)
        return result


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    after: int | None  # the cursor of the next page (a version or a position); None on the last


def entity_history(
    store: ViewStore, entity_id: UUID | str, *, after_version: int | None = None, limit: int = 100
) -> AuditPage:
    """The events of one entity in version order."""
    return _page(store, "entity_id", str(entity_id), "version", after_version, limit)


def actor_history(
    store: ViewStore, actor_id: str, *, after_position: int | None = None, limit: int = 100
) -> AuditPage:
    """The events one actor caused, in log order."""
    return _page(store, "actor_id", actor_id, "position", after_position, limit)


def correlation_history(
    store: ViewStore, correlation_id: str, *, after_position: int | None = None, limit: int = 100
) -> AuditPage:
    """The events of one correlation id, in log order."""
    return _page(store, "correlation_id", correlation_id, "position", after_position, limit)


def _page(
    store: ViewStore, column: str, value: str, key: str, after: int | None, limit: int
) -> AuditPage:
    page_size(limit)
    with store.transaction() as tx:
        prefix = active_prefix(tx, AuditTrailProjection.name)
        rows = tx.all(
            f"SELECT {EVENTS.select_list} FROM {prefix}{EVENTS.name}"
            f" WHERE {column} = ? AND {key} > ? ORDER BY {key} LIMIT ?",
            (value, -1 if after is None else after, limit + 1),
        )
    entries = [audit_entry(record) for record in EVENTS.records(rows[:limit])]
    if len(rows) <= limit:
        return AuditPage(entries, None)
    last = entries[-1]
    return AuditPage(entries, last.version if key == "version" else last.position)


def audit_entry(record: EventRecord) -> AuditEntry:
    return AuditEntry(
        position=int(record.position),
        entity_type=record.entity_type,
        entity_id=record.entity_id,
        version=int(record.version),
        event=record.event,
        actor_kind=record.actor_kind,
        actor_id=record.actor_id,
        actor_role=record.actor_role,
        command_id=record.command_id,
        correlation_id=record.correlation_id,
        causation_id=record.causation_id,
        channel=record.channel,
        reason_code=record.reason_code,
        reason_text=record.reason_text,
        reason_sealed=record.reason_sealed,
        occurred_at=from_epoch(record.occurred_at),
        recorded_at=from_epoch(record.recorded_at),
        payload=record.payload,
    )


def reveal(entry: AuditEntry, open_sealed: Callable[[Sealed], str]) -> dict[str, Any]:
    """The payload with every sealed value opened by `open_sealed` (e.g. the vault's `open`)."""
    opened: dict[str, Any] = _opened(entry.data, open_sealed)
    return opened


def reveal_fields(
    entry: AuditEntry, open_sealed: Callable[[Sealed | Unsealed, str], Any]
) -> dict[str, Any]:
    """The payload with every sealed value opened by `open_sealed`, told the top-level field
    the value is in; words an older event holds in plain text are handed over as Unsealed."""
    words = UNSEALED_WORDS.get(entry.event, ())
    return {
        name: open_sealed(Unsealed(value), name)
        if name in words and isinstance(value, str)
        else _opened(value, lambda sealed, name=name: open_sealed(sealed, name))  # type: ignore[misc]
        for name, value in entry.data.items()
    }


def reason_text(entry: AuditEntry, open_sealed: Callable[[Sealed | Unsealed], Any]) -> Any:
    """The reason's words, their sealed form opened by `open_sealed` (and words recorded
    before reasons were sealed handed to it as Unsealed); None without any."""
    if entry.reason_sealed is None:
        if entry.reason_text:
            return open_sealed(Unsealed(entry.reason_text))
        return entry.reason_text
    sealed = json.loads(entry.reason_sealed)
    return open_sealed(Sealed(subject=sealed["subject"], token=sealed["sealed"]))


def _opened(value: Any, open_sealed: Callable[[Sealed], str]) -> Any:
    if isinstance(value, list):
        return [_opened(item, open_sealed) for item in value]
    if not isinstance(value, dict):
        return value
    if value.keys() == {"sealed", "subject"}:
        return open_sealed(Sealed(subject=value["subject"], token=value["sealed"]))
    return {k: _opened(v, open_sealed) for k, v in value.items()}
