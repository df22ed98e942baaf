"""Snapshots that bring an aggregate back with the same value types it had when taken."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from eventsourcing.domain import Snapshot
from eventsourcing.utils import get_topic, register_topic, resolve_topic

ENUMS = "_enum_types_"


class TypedSnapshot(Snapshot):
    """JSON returns a StrEnum as a plain str; the snapshot notes which attributes were enums.

    Covers an enum attribute, a list of enums, and a dict keyed by or holding enums.
    """

    TOPIC = "careledger.Snapshot"

    @classmethod
    def take(cls, aggregate: Any) -> TypedSnapshot:
        taken = super().take(aggregate)
        enums = {name: spec for name, value in taken.state.items() if (spec := _enum_spec(value))}
        return cls(
            originator_id=taken.originator_id,
            originator_version=taken.originator_version,
            timestamp=taken.timestamp,
            topic=taken.topic,
            state={**taken.state, ENUMS: enums},
        )

    def mutate(self, _: None) -> Any:
        aggregate = super().mutate(None)
        state = vars(aggregate)
        for name, (shape, topic) in state.pop(ENUMS, {}).items():
            state[name] = _coerce(state[name], shape, resolve_topic(topic))
        return aggregate


register_topic(TypedSnapshot.TOPIC, TypedSnapshot)


def _enum_spec(value: object) -> tuple[str, str] | None:
    if isinstance(value, StrEnum):
        return "value", get_topic(type(value))
    if isinstance(value, list) and value and isinstance(value[0], StrEnum):
        return "list", get_topic(type(value[0]))
    if isinstance(value, dict) and value:
        key, item = next(iter(value.items()))
        if isinstance(key, StrEnum):
            return "keys", get_topic(type(key))
        if isinstance(item, StrEnum):
            return "values", get_topic(type(item))
    return None


def _coerce(value: Any, shape: str, kind: type[StrEnum]) -> Any:
    if value is None:
        return None
    if shape == "value":
        return kind(value)
    if shape == "list":
        return [kind(v) for v in value]
    if shape == "keys":
        return {kind(k): v for k, v in value.items()}
    return {k: kind(v) for k, v in value.items()}
