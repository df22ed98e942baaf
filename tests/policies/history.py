"""Reading what an aggregate recorded, for the policy tests."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from application.app import CareLedger


class History:
    """The events of one aggregate; `new()` gives those recorded since the last call."""

    def __init__(self, app: CareLedger, aggregate_id: UUID) -> None:
        self.app = app
        self.aggregate_id = aggregate_id
        self.seen = len(self.all())

    def all(self) -> list[Any]:
        return list(self.app.events.get(self.aggregate_id))

    def new(self) -> list[Any]:
        events = self.all()
        fresh, self.seen = events[self.seen :], len(events)
        return fresh

    def count(self, name: str) -> int:
        return sum(type(e).__name__ == name for e in self.all())


def names(events: list[Any]) -> list[str]:
    return [type(e).__name__ for e in events]
