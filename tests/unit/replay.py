from __future__ import annotations

import dataclasses
from functools import cache
from typing import Any, cast

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    UUIDAsHex,
)

from application.app import CareLedger, domain_modules
from application.transcodings import register_value_types


@cache
def mapper() -> Mapper[Any]:
    transcoder = JSONTranscoder()
    for default in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(default)
    register_value_types(transcoder, domain_modules())
    return Mapper(transcoder=transcoder)


def typed(value: Any) -> Any:
    """A value with the type of every part spelled out, so `"x" == Kind.X` no longer passes."""
    if isinstance(value, dict):
        return {typed(k): typed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return (type(value), [typed(v) for v in value])
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value), typed(vars(value)))
    return (type(value), value)


def state_of(aggregate: Any) -> Any:
    return typed({k: v for k, v in vars(aggregate).items() if k != "_pending_events"})


def through_json(obj: Any) -> Any:
    return mapper().to_domain_event(mapper().to_stored_event(obj))


def assert_replays_equal(aggregate: Aggregate) -> None:
    """Replaying the aggregate's events, and loading its snapshot, each stored as JSON the way
    the application stores them, rebuild an aggregate equal in values and in types."""
    rebuilt: Any = None
    for event in aggregate.pending_events:
        rebuilt = through_json(event).mutate(rebuilt)
    assert state_of(rebuilt) == state_of(aggregate)
    restored = through_json(type(aggregate).Snapshot.take(rebuilt)).mutate(None)
    assert state_of(restored) == state_of(aggregate)


def replayed(app: CareLedger, aggregate_id: Any) -> Any:
    """The aggregate's state, typed, rebuilt from every stored event without snapshots."""
    aggregate: Any = None
    for event in app.events.get(aggregate_id):
        aggregate = cast(Any, event).mutate(aggregate)
    return state_of(aggregate)
