"""What-if replay: a complaint's SLA clocks run again under a proposed policy, from the steps
that moved them (docs/architecture.md#sla-what-if).

The steps are what happened to the complaint, as recorded: each clock's start, pause and resume,
the events that stop a clock (first response, classification, department reply, resolution),
the close or merge that cancels them, the severity each classification set, and the warnings,
breaches and met deadlines recorded. Which clocks start and stop, and when, does not depend on
the policy; where their warning and due times fall does. The replay runs `SlaClock` through the
complaint's own arithmetic (`domain.clock_schedule`) under the proposal, and sweeps as the
sweeper does: a warning at a clock's warning time and a breach at its due time while it runs
(a step at the same instant comes first, as stopping a clock at its due time meets it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from domain.calendar import WorkCalendar
from domain.clock_schedule import rescheduled, resumed, started
from domain.sla import ClockName, ClockState, SlaClock, SlaPolicy
from domain.sla_book import Choice


class StepKind(StrEnum):
    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"
    CANCEL = "cancel"  # every active clock: the complaint was closed or merged
    SEVERITY = "severity"  # subject: the severity a (re)classification set
    WARNED = "warned"  # the results recorded, for the comparison
    BREACHED = "breached"
    MET = "met"


class Step(NamedTuple):
    at: datetime
    kind: StepKind
    subject: str  # a clock's name, a severity, or "" (cancel)


class Mark(NamedTuple):
    """A result the replay records, as the complaint would have: warning, breached or met."""

    clock: str
    result: str
    at: datetime


@dataclass(frozen=True)
class ClockRun:
    """One run of a clock, from its start to the horizon: how it ended as recorded and under the
    proposal (met, breached, cancelled or running), and when it was settled (met or breached)."""

    clock: str
    started_at: datetime
    recorded: str
    recorded_at: datetime | None
    proposed: str
    proposed_at: datetime | None
    due_at: datetime

    @property
    def changed(self) -> bool:
        return self.recorded != self.proposed


CalendarAt = Callable[[str, datetime], WorkCalendar]
"""The version of a named calendar in force at a time (the proposal's own, else the book's)."""


@dataclass(frozen=True)
class Proposal:
    policy: SlaPolicy
    calendar_at: CalendarAt

    def choice(self, clock: ClockName, at: datetime, severity: str | None) -> Choice:
        calendar = self.calendar_at(self.policy.calendar_of(clock), at)
        return Choice(self.policy, calendar, self.policy.target_s(clock, severity))


@dataclass
class Replayed:
    marks: list[Mark] = field(default_factory=list)
    runs: list[ClockRun] = field(default_factory=list)


def replay(steps: Iterable[Step], proposal: Proposal, horizon: datetime) -> Replayed:
    """The complaint's clocks under the proposal, from its steps before `horizon`, swept up to
    it."""
    run = _Replay(proposal)
    for step in steps:
        if step.at >= horizon:
            break
        run.sweep(step.at)
        run.apply(step)
    run.sweep(horizon)
    return run.finish()


class _Replay:
    def __init__(self, proposal: Proposal) -> None:
        self.proposal = proposal
        self.clocks: dict[str, SlaClock] = {}
        self.calendars: dict[str, WorkCalendar] = {}
        self.settled: dict[str, datetime] = {}
        self.recorded: dict[str, tuple[str, datetime]] = {}
        self.severity: str | None = None
        self.out = Replayed()

    def apply(self, step: Step) -> None:
        kind, name, at = step.kind, step.subject, step.at
        if kind == StepKind.START:
            self.start(ClockName(name), at)
        elif kind == StepKind.SEVERITY:
            self.severity = name
            self.retarget_resolution(at)
        elif kind in (StepKind.WARNED, StepKind.BREACHED, StepKind.MET):
            if kind != StepKind.WARNED and name not in self.recorded:
                self.recorded[name] = (str(kind), at)
        elif kind == StepKind.CANCEL:
            for active in self.clocks.values():
                if active.is_active:
                    active.cancel(at)
        elif (clock := self.clocks.get(name)) is not None:
            self.move(clock, kind, at)

    def move(self, clock: SlaClock, kind: StepKind, at: datetime) -> None:
        if kind == StepKind.PAUSE and clock.is_running:
            clock.pause(at)
        elif kind == StepKind.RESUME and clock.is_paused:
            clock.resume(at, *resumed(clock, at, self.calendars[clock.name]))
        elif kind == StepKind.STOP and clock.is_active:
            clock.stop(at)
            if clock.state == ClockState.MET:
                self.mark(clock, "met", at)
            elif not clock.breached:
                clock.breached = True
                self.mark(clock, "breached", at)

    def start(self, name: ClockName, at: datetime) -> None:
        if name in self.clocks:
            self.end_run(self.clocks[name])
        choice = self.proposal.choice(name, at, self.severity)
        warn_at, due_at = started(at, choice)
        self.clocks[name] = SlaClock(
            name=name,
            started_at=at,
            target_s=choice.target_s,
            warn_at=warn_at,
            due_at=due_at,
            policy_version=choice.policy.version,
            policy=choice.policy.name,
            calendar=choice.calendar.name,
            calendar_version=choice.calendar.version,
        )
        self.calendars[name] = choice.calendar
        self.settled.pop(name, None)
        self.recorded.pop(name, None)

    def retarget_resolution(self, at: datetime) -> None:
        """As a classification does: the resolution clock takes the severity's target."""
        clock = self.clocks.get(ClockName.RESOLUTION)
        if clock is None or not clock.is_active:
            return
        choice = self.proposal.choice(ClockName.RESOLUTION, clock.started_at, self.severity)
        if choice.target_s == clock.target_s:
            return
        warn_at, due_at = rescheduled(clock, at, choice, choice.calendar)
        clock.retarget(at, choice.target_s, warn_at, due_at)

    def sweep(self, before: datetime) -> None:
        """The warnings and breaches a sweeper would record before `before`."""
        for clock in self.clocks.values():
            while (check := clock.next_check_at()) is not None and check < before:
                if clock.warning_due(check):
                    clock.warned = True
                    self.mark(clock, "warning", check)
                if clock.breach_due(check):
                    clock.breached = True
                    self.mark(clock, "breached", check)

    def mark(self, clock: SlaClock, result: str, at: datetime) -> None:
        self.out.marks.append(Mark(clock.name, result, at))
        if result != "warning":
            self.settled.setdefault(clock.name, at)

    def end_run(self, clock: SlaClock) -> None:
        name = clock.name
        proposed = "breached" if clock.breached else _result(clock.state)
        settled_at = self.settled.get(name)
        # no result recorded: it was cancelled, or runs still, as it does in the replay
        recorded, recorded_at = self.recorded.get(name, (_unsettled(clock), None))
        self.out.runs.append(
            ClockRun(
                name, clock.started_at, recorded, recorded_at, proposed, settled_at, clock.due_at
            )
        )

    def finish(self) -> Replayed:
        for clock in self.clocks.values():
            self.end_run(clock)
        return self.out


def _result(state: ClockState) -> str:
    return "running" if state in (ClockState.RUNNING, ClockState.PAUSED) else str(state)


def _unsettled(clock: SlaClock) -> str:
    """What a run with no recorded result was: cancelled if it ended, else still running."""
    return "cancelled" if clock.state == ClockState.CANCELLED else "running"
