"""What the policies share: the system's metadata on a command, and memory of what they issued."""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime

from domain.meta import Actor, ActorKind, Meta, Reason

REMEMBERED = 10_000


def system_meta(actor_id: str, command_id: str, at: datetime, reason: str) -> Meta:
    """A command of the system itself; its deterministic id makes a repeat a no-op."""
    return Meta(
        actor=Actor(ActorKind.SYSTEM, actor_id, "system"),
        occurred_at=at,
        command_id=command_id,
        correlation_id=command_id,
        reason=Reason(reason),
    )


class Issued:
    """The command ids a policy issued lately, so a check the view still shows as due (a view
    and an aggregate that disagree) is not issued again on every tick."""

    def __init__(self, size: int = REMEMBERED) -> None:
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, command_id: object) -> bool:
        return command_id in self._ids

    def add(self, command_id: str) -> None:
        self._ids[command_id] = None
        self._ids.move_to_end(command_id)
        while len(self._ids) > self.size:
            self._ids.popitem(last=False)
