"""Why a complaint's SLA clocks stand where they do: each clock's steps, read back from the
complaint's own events (docs/architecture.md#sla-clocks).

The complaint is replayed event by event. A step is a clock event (started, paused, resumed,
retargeted, policy reapplied, warning, breached, met) or another event that stopped or cancelled
a clock without one (a close or merge cancels; a clock that had breached stops silently). Each
step carries its event, command and actor, the policy and calendar the clock was then under, and
the working time the clock had run and had left; `why` says how its due time is made up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.calendar import WorkCalendar, working_s
from domain.sla import ClockState, SlaClock
from domain.sla_book import SlaBook

CLOCK_EVENTS = {
    "SlaClockStarted": "started",
    "SlaClockPaused": "paused",
    "SlaClockResumed": "resumed",
    "SlaClockRetargeted": "retargeted",
    "SlaPolicyReapplied": "policy reapplied",
    "SlaWarning": "warning",
    "SlaBreached": "breached",
    "SlaMet": "met",
}
ENDS = {ClockState.CANCELLED: "cancelled", ClockState.BREACHED: "stopped late"}


@dataclass(frozen=True)
class ClockStep:
    step: str
    at: datetime
    event: str
    version: int
    command_id: str
    actor: str
    policy: str
    policy_version: int
    calendar: str
    calendar_version: int
    target_s: int
    due_at: datetime
    elapsed_s: int
    remaining_s: int


@dataclass
class ClockStory:
    clock: str
    steps: list[ClockStep] = field(default_factory=list)
    why: str = ""


@dataclass
class _Run:
    ran_s: float = 0.0
    since: datetime | None = None
    calendar: WorkCalendar | None = None

    def elapsed(self, at: datetime) -> float:
        if self.since is None or self.calendar is None:
            return self.ran_s
        return self.ran_s + working_s(self.calendar, self.since, at)


def explain(events: Iterable[Any], book: SlaBook) -> list[ClockStory]:
    """The story of every clock the events started, in the order they started."""
    aggregate: Any = None
    stories: dict[str, ClockStory] = {}
    runs: dict[str, _Run] = {}
    for event in events:
        before = {} if aggregate is None else {n: c.state for n, c in aggregate.clocks.items()}
        aggregate = event.mutate(aggregate)
        name = type(event).__name__
        at = event.meta.occurred_at
        touched = [str(event.clock)] if name in CLOCK_EVENTS else []
        ended = [
            n
            for n, c in aggregate.clocks.items()
            if before.get(n) in (ClockState.RUNNING, ClockState.PAUSED) and c.state in ENDS
        ]
        for clock_name in dict.fromkeys([*touched, *ended]):
            clock: SlaClock = aggregate.clocks[clock_name]
            calendar = book.calendar(clock.calendar, clock.calendar_version)
            run = runs.setdefault(clock_name, _Run())
            step = CLOCK_EVENTS.get(name) if clock_name in touched else ENDS[clock.state]
            _advance(run, step or name, at, calendar)
            story = stories.setdefault(clock_name, ClockStory(clock_name))
            story.steps.append(_step(step or name, event, clock, run.elapsed(at)))
            story.why = why(clock, calendar)
    return list(stories.values())


def _advance(run: _Run, step: str, at: datetime, calendar: WorkCalendar) -> None:
    if step == "started":
        run.ran_s, run.since, run.calendar = 0.0, at, calendar
    elif step == "paused" or step in ENDS.values() or step == "met":
        run.ran_s, run.since = run.elapsed(at), None
    elif step == "resumed":
        run.since, run.calendar = at, calendar
    elif step == "policy reapplied":
        run.ran_s = run.elapsed(at)
        run.since = at if run.since is not None else None
        run.calendar = calendar


def _step(step: str, event: Any, clock: SlaClock, elapsed: float) -> ClockStep:
    meta = event.meta
    return ClockStep(
        step=step,
        at=meta.occurred_at,
        event=type(event).__name__,
        version=event.originator_version,
        command_id=meta.command_id,
        actor=f"{meta.actor.kind}:{meta.actor.id}",
        policy=clock.policy,
        policy_version=clock.policy_version,
        calendar=clock.calendar,
        calendar_version=clock.calendar_version,
        target_s=clock.target_s,
        due_at=clock.due_at,
        elapsed_s=int(elapsed),
        remaining_s=int(clock.target_s - elapsed),
    )


def why(clock: SlaClock, calendar: WorkCalendar) -> str:
    basis = "calendar time, around the clock"
    if not calendar.always:
        basis = (
            f"working time on calendar {calendar.name} version {calendar.version} "
            f"({calendar.zone}: its working hours, {len(calendar.holidays)} holidays and "
            f"{len(calendar.workdays)} make-up working days)"
        )
    paused = f", and the {clock.paused_s} s it was paused do not count" if clock.paused_s else ""
    return (
        f"Due {clock.due_at.isoformat()}: a target of {clock.target_s} s of {basis}, "
        f"under SLA policy {clock.policy} version {clock.policy_version}, counted from "
        f"{clock.started_at.isoformat()}{paused}; it warns at {clock.warn_at.isoformat()}."
    )
