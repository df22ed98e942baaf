"""What a webhook carries of an event: its type, ids, time and non-personal fields only.

Sealed values (contacts, addresses, messages and replies, survey comments, root causes, closing
reasons) never leave, nor does anything nested in them, nor words an older event recorded
unsealed where they are sealed now (Unsealed); free text longer than a name (descriptions,
notes, reasons' texts), where personal detail can hide, is left out too, as is the actor's id.
What remains is ids, codes, enumerations, numbers, amounts, flags and times.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from domain.values import NAME_MAX, Sealed, Unsealed
from projections.engine.projection import Envelope

SKIPPED = frozenset({"originator_id", "originator_version", "timestamp", "meta"})
OMITTED = object()


def payload(envelope: Envelope) -> dict[str, Any]:
    """The Standard Webhooks body: `type`, `timestamp` and `data`."""
    event = envelope.event
    meta = event.meta
    data: dict[str, Any] = {
        "id": str(event.originator_id),
        "version": int(event.originator_version),
        "position": envelope.position,
        "occurred_at": meta.at.isoformat(),
        "command_id": meta.command_id,
        "correlation_id": meta.correlation_id,
        "actor": {"kind": str(meta.actor.kind), "role": meta.actor.role},
    }
    if meta.reason is not None:
        data["reason_code"] = meta.reason.code
    for name, value in sorted(vars(event).items()):
        if name in SKIPPED or name.startswith("_"):
            continue
        kept = public(value)
        if kept is not OMITTED:
            data[name] = kept
    return {"type": envelope.name, "timestamp": meta.at.isoformat(), "data": data}


def public(value: Any) -> Any:
    """The value as JSON if it is safe to send, else OMITTED."""
    if isinstance(value, Sealed | Unsealed):
        return OMITTED
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        return value if len(value) <= NAME_MAX else OMITTED
    if isinstance(value, list | tuple | frozenset | set):
        ordered = sorted(value, key=str) if isinstance(value, frozenset | set) else value
        items = [public(v) for v in ordered]
        return OMITTED if any(i is OMITTED for i in items) else items
    if isinstance(value, dict):
        return _mapping(value)
    if is_dataclass(value) and not isinstance(value, type):
        return _mapping({f.name: getattr(value, f.name) for f in fields(value)})
    return OMITTED


def _mapping(values: dict[Any, Any]) -> Any:
    kept = {str(k): public(v) for k, v in values.items()}
    return {k: v for k, v in sorted(kept.items()) if v is not OMITTED}
