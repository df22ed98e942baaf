"""The day as a plan: commands at moments of business time, each with its own metadata.

A step names the entities it touches by plan keys ("order:17"); the aggregate ids exist only
once the step that creates them has run, so actions read them from the `Context`. Command ids
are derived from the plan's namespace (the seed, the day, the size) and the step's number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

from application.app import CareLedger
from application.handling import Outcome
from domain.meta import Actor, Channel, Meta, Reason

SECOND = timedelta(seconds=1)


@dataclass
class Context:
    app: CareLedger
    ids: dict[str, UUID] = field(default_factory=dict)  # plan key -> aggregate id
    keys: dict[UUID, str] = field(default_factory=dict)  # and back

    def __getitem__(self, key: str) -> UUID:
        return self.ids[key]

    def remember(self, key: str, aggregate_id: UUID) -> None:
        self.ids[key] = aggregate_id
        self.keys[aggregate_id] = key


Action = Callable[[Context, Meta], Outcome]


@dataclass(frozen=True)
class Step:
    at: datetime
    seq: int
    label: str
    actor: Actor
    action: Action
    command_id: str
    correlation_id: str
    creates: str | None = None
    channel: Channel | None = None
    reason: Reason | None = None
    causation_id: str | None = None

    def meta(self) -> Meta:
        return Meta(
            actor=self.actor,
            occurred_at=self.at,
            command_id=self.command_id,
            correlation_id=self.correlation_id,
            causation_id=self.causation_id,
            channel=self.channel,
            reason=self.reason,
        )


class Plan:
    def __init__(self, namespace: UUID, start: datetime, end: datetime) -> None:
        self.namespace = namespace
        self.start = start
        self.end = end
        self._steps: list[Step] = []
        self._taken: dict[str, set[datetime]] = {}

    def distinct(self, kind: str, at: datetime) -> datetime:
        """`at`, or the next second no other moment of this kind holds: the policies order
        what falls due at the same second by aggregate id, which is random, so ties would make
        the log's order differ from run to run."""
        taken = self._taken.setdefault(kind, set())
        at = at.replace(microsecond=0)
        while at in taken:
            at += SECOND
        taken.add(at)
        return at

    def add(
        self,
        at: datetime,
        actor: Actor,
        label: str,
        action: Action,
        *,
        correlation: str,
        creates: str | None = None,
        channel: str | None = None,
        reason: str | Reason | None = None,
        causation: Step | None = None,
        command_id: str | None = None,
    ) -> Step:
        """`command_id`: one of the step's own (by default, one from its number); `reason`: a
        code, or a Reason with words too."""
        seq = len(self._steps)
        step = Step(
            at=at.replace(microsecond=0),
            seq=seq,
            label=label,
            actor=actor,
            action=action,
            command_id=command_id or str(uuid5(self.namespace, f"step-{seq}")),
            correlation_id=correlation,
            creates=creates,
            channel=None if channel is None else Channel(channel),
            reason=Reason(reason) if isinstance(reason, str) else reason,
            causation_id=None if causation is None else causation.command_id,
        )
        self._steps.append(step)
        return step

    def steps(self) -> list[Step]:
        """The steps within the business day, in time order (ties in the order planned)."""
        kept = [s for s in self._steps if self.start <= s.at < self.end]
        return sorted(kept, key=lambda s: (s.at, s.seq))


class Story:
    """One entity's steps, each a little after the one before."""

    def __init__(self, plan: Plan, start: datetime, correlation: str) -> None:
        self.plan = plan
        self.now = start
        self.correlation = correlation
        self.last: Step | None = None

    def then(
        self,
        delay: timedelta,
        actor: Actor,
        label: str,
        action: Action,
        **options: Any,
    ) -> Step:
        """A step `delay` after the previous one (at least a second later)."""
        return self.at(self.now + delay, actor, label, action, **options)

    def at(
        self,
        moment: datetime,
        actor: Actor,
        label: str,
        action: Action,
        *,
        creates: str | None = None,
        channel: str | None = None,
        reason: str | None = None,
        caused: bool = False,
    ) -> Step:
        """A step at `moment`, or a second after the previous one if that is later; `caused`
        names the previous step as its cause."""
        self.now = max(moment, self.now + SECOND)
        self.last = self.plan.add(
            self.now,
            actor,
            label,
            action,
            correlation=self.correlation,
            creates=creates,
            channel=channel,
            reason=reason,
            causation=self.last if caused else None,
        )
        return self.last
