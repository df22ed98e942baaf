"""Builders shared by the tests: metadata, clocks, actors."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from domain.meta import Actor, ActorKind, Channel, Meta, Reason

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
_ids = itertools.count(1)

AGENT = Actor(ActorKind.AGENT, "agent-7", "agent")
CUSTOMER = Actor(ActorKind.CUSTOMER, "customer-1", "customer")
SYSTEM = Actor(ActorKind.SYSTEM, "sla-sweeper", "system")


def meta(
    at: datetime | timedelta = T0,
    actor: Actor = AGENT,
    channel: Channel | None = None,
    reason: Reason | None = None,
    command_id: str | None = None,
) -> Meta:
    """Metadata for one command; `at` may be an offset from T0."""
    when = T0 + at if isinstance(at, timedelta) else at
    return Meta(
        actor=actor,
        occurred_at=when,
        command_id=command_id or f"cmd-{next(_ids)}",
        correlation_id="corr-1",
        channel=channel,
        reason=reason,
    )


class Clock:
    """A clock a test moves by hand."""

    def __init__(self, now: datetime = T0 + timedelta(minutes=1)) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)
