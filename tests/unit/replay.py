from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate


def state_of(aggregate: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


def assert_replays_equal(aggregate: Aggregate) -> None:
    """Replaying the events the aggregate has triggered (all pending in unit tests) rebuilds it."""
    rebuilt: Any = None
    for event in aggregate.pending_events:
        rebuilt = event.mutate(rebuilt)
    assert state_of(rebuilt) == state_of(aggregate)
