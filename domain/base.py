from __future__ import annotations

from collections.abc import Callable, Collection
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from eventsourcing.domain import Aggregate, event

from domain.copying import copied_state
from domain.errors import TransitionRefusedError
from domain.meta import Meta
from domain.snapshot import TypedSnapshot

F = TypeVar("F", bound=Callable[..., Any])

TOPIC_PREFIX = "careledger."


def recorded(name: str) -> Callable[[F], F]:
    """Turns the decorated method into the event `name`, stored under a stable topic.

    The topic does not depend on the module or class path, so classes can move or be renamed
    without touching recorded events.
    """
    return event(name, topic=TOPIC_PREFIX + name)


class CareAggregate(Aggregate):
    """An aggregate whose every event carries the command's metadata."""

    class Event(Aggregate.Event):
        meta: Meta

    class Created(Event, Aggregate.Created):
        pass

    Snapshot = TypedSnapshot

    if TYPE_CHECKING:
        # Declared for the type checker only: the library turns class annotations into fields.
        status: StrEnum

    def __deepcopy__(self, memo: dict[int, Any]) -> CareAggregate:
        """As `copy.deepcopy` would copy it, sharing the immutable values (domain/copying.py)."""
        twin = object.__new__(type(self))
        memo[id(self)] = twin
        twin.__dict__.update(copied_state(self.__dict__, memo))
        return twin

    def require(self, action: str, allowed: Collection[StrEnum]) -> None:
        if self.status not in allowed:
            raise TransitionRefusedError(type(self).__name__, str(self.status), action)

    def require_not(self, action: str, refused: Collection[StrEnum]) -> None:
        if self.status in refused:
            raise TransitionRefusedError(type(self).__name__, str(self.status), action)


__all__ = ["CareAggregate", "Meta", "recorded"]
