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
    BREACHED = "breached"  # the results recorded, for the comparison
    MET = "met"


Step = tuple[datetime, StepKind, str]
"""(when, what, subject): a clock's name, a severity, or "" (cancel). A plain tuple: a window
decodes a million of them."""


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


CLOCKS = {clock.value: clock for clock in ClockName}
CalendarAt = Callable[[str, datetime], WorkCalendar]
"""The version of a named calendar in force at a time (the proposal's own, else the book's)."""


@dataclass(frozen=True)
class Proposal:
    policy: SlaPolicy
    calendar_at: CalendarAt
    chosen: dict[tuple[str, str | None, int], Choice] = field(
        default_factory=dict, compare=False, repr=False
    )  # the few distinct choices, made once each

    def choice(self, clock: ClockName, at: datetime, severity: str | None) -> Choice:
        calendar = self.calendar_at(self.policy.calendar_of(clock), at)
        key = (clock, severity, id(calendar))  # the book and the proposal keep each calendar
        made = self.chosen.get(key)
        if made is None:
            made = self.chosen[key] = Choice(
                self.policy, calendar, self.policy.target_s(clock, severity)
            )
        return made


@dataclass
class Replayed:
    marks: list[Mark] = field(default_factory=list)
    changed: list[ClockRun] = field(default_factory=list)  # the runs whose outcome changed


def replay(steps: Iterable[Step], proposal: Proposal, horizon: datetime) -> Replayed:
    """The complaint's clocks under the proposal, from its steps before `horizon`, swept up to
    it. A clock is swept up to each step that moves it (its state changes at nothing else)."""
    run = _Replay(proposal)
    handlers = run.handlers
    for at, kind, subject in steps:
        if at >= horizon:
            break
        handlers[kind](subject, at)
    for clock in run.clocks.values():
        run.sweep(clock, horizon)
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
        self.handlers: dict[StepKind, Callable[[str, datetime], None]] = {
            StepKind.START: self.start,
            StepKind.PAUSE: self.pause,
            StepKind.RESUME: self.resume,
            StepKind.STOP: self.stop,
            StepKind.CANCEL: self.cancel,
            StepKind.SEVERITY: self.set_severity,
            StepKind.BREACHED: self.note_recorded_breach,
            StepKind.MET: self.note_recorded_met,
        }

    def swept(self, name: str, at: datetime) -> SlaClock | None:
        """The clock of that name, swept up to `at`, if it ever started."""
        clock = self.clocks.get(name)
        if clock is not None:
            self.sweep(clock, at)
        return clock

    def start(self, name: str, at: datetime) -> None:
        if name in self.clocks:
            self.end_run(self.clocks[name])
        clock = CLOCKS[name]
        choice = self.proposal.choice(clock, at, self.severity)
        warn_at, due_at = started(at, choice)
        self.clocks[name] = SlaClock(
            name=clock,
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

    def pause(self, name: str, at: datetime) -> None:
        clock = self.swept(name, at)
        if clock is not None and clock.is_running:
            clock.pause(at)

    def resume(self, name: str, at: datetime) -> None:
        clock = self.swept(name, at)
        if clock is not None and clock.is_paused:
            clock.resume(at, *resumed(clock, at, self.calendars[name]))

    def stop(self, name: str, at: datetime) -> None:
        """As the complaint settles a clock: met, or breached if it was not yet."""
        clock = self.swept(name, at)
        if clock is None or not clock.is_active:
            return
        clock.stop(at)
        if clock.state == ClockState.MET:
            self.mark(clock, "met", at)
        elif not clock.breached:
            clock.breached = True
            self.mark(clock, "breached", at)

    def cancel(self, _: str, at: datetime) -> None:
        for clock in self.clocks.values():
            self.sweep(clock, at)
            if clock.is_active:
                clock.cancel(at)

    def set_severity(self, severity: str, at: datetime) -> None:
        """As a classification does: the resolution clock takes the severity's target."""
        self.severity = severity
        clock = self.swept(ClockName.RESOLUTION, at)
        if clock is None or not clock.is_active:
            return
        choice = self.proposal.choice(ClockName.RESOLUTION, clock.started_at, severity)
        if choice.target_s != clock.target_s:
            warn_at, due_at = rescheduled(clock, at, choice, choice.calendar)
            clock.retarget(at, choice.target_s, warn_at, due_at)

    def note_recorded_breach(self, name: str, at: datetime) -> None:
        self.recorded.setdefault(name, ("breached", at))

    def note_recorded_met(self, name: str, at: datetime) -> None:
        self.recorded.setdefault(name, ("met", at))

    def sweep(self, clock: SlaClock, before: datetime) -> None:
        """The warnings and breaches a sweeper would record before `before`."""
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
        """Keeps the run if its outcome changed."""
        name = clock.name
        proposed = "breached" if clock.breached else _result(clock.state)
        # no result recorded: it was cancelled, or runs still, as it does in the replay
        recorded, recorded_at = self.recorded.get(name, (_unsettled(clock), None))
        if recorded == proposed:
            return
        self.out.changed.append(
            ClockRun(
                name,
                clock.started_at,
                recorded,
                recorded_at,
                proposed,
                self.settled.get(name),
                clock.due_at,
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
