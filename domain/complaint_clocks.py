"""The SLA clocks of a complaint and its escalation (docs/architecture.md#sla-clocks): their
events, and the mixin that records them.

The events are explicit classes, not `@recorded` methods, because the library defines events only
for methods of the aggregate class itself. Each keeps the topic `recorded` would give it
(`careledger.<EventName>`); `Complaint` names each one as a class attribute, which registers it.
They must subclass `ComplaintEvent` (it is `Complaint.Event`) and must not be attributes of a
mixin: the library would then redefine them in `Complaint`, and that fails (topic clash).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.base import CareAggregate, Meta
from domain.calendar import ALWAYS
from domain.clock_schedule import rescheduled, resumed, started
from domain.complaint_types import (
    MAX_ESCALATION_LEVEL,
    OPEN_STATES,
    Category,
    ComplaintAtTopEscalationError,
    EscalationTrigger,
    Severity,
)
from domain.meta import Channel
from domain.sla import STANDARD, ClockName, ClockState, SlaClock
from domain.sla_book import STANDARD_CONTEXT, Choice, ClockFacts, SlaContext

if TYPE_CHECKING:
    from eventsourcing.domain import CanMutateAggregate


class ComplaintEvent(CareAggregate.Event):
    """The base of every complaint event (`Complaint.Event`)."""


class SlaClockStarted(ComplaintEvent):
    """Version 2 names the policy and the calendar version the clock started under; a version 1
    event (policies were not yet data) started under `standard` version 1 on the 24/7 calendar."""

    TOPIC = "careledger.SlaClockStarted"
    class_version = 2
    clock: ClockName
    due_at: datetime
    warn_at: datetime
    target_s: int
    policy_version: int
    policy: str
    calendar: str
    calendar_version: int

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state.update(policy=STANDARD, calendar=ALWAYS, calendar_version=1)

    def apply(self, aggregate: ComplaintClocks) -> None:
        name = ClockName(self.clock)
        aggregate.clocks[name] = SlaClock(
            name=name,
            started_at=self.meta.occurred_at,
            target_s=self.target_s,
            warn_at=self.warn_at,
            due_at=self.due_at,
            policy_version=self.policy_version,
            policy=self.policy,
            calendar=self.calendar,
            calendar_version=self.calendar_version,
        )


class SlaClockRetargeted(ComplaintEvent):
    TOPIC = "careledger.SlaClockRetargeted"
    clock: ClockName
    due_at: datetime
    warn_at: datetime
    target_s: int

    def apply(self, aggregate: ComplaintClocks) -> None:
        aggregate.clocks[ClockName(self.clock)].retarget(
            self.meta.occurred_at, self.target_s, self.warn_at, self.due_at
        )


class SlaPolicyReapplied(ComplaintEvent):
    """A running clock moved to another policy version or calendar: by the explicit re-target
    command, or on classification when the rules choose another policy for it. It keeps the
    working time it has run and takes the new target; `previous_due_at` is where it was due."""

    TOPIC = "careledger.SlaPolicyReapplied"
    clock: ClockName
    previous_due_at: datetime
    due_at: datetime
    warn_at: datetime
    target_s: int
    policy: str
    policy_version: int
    calendar: str
    calendar_version: int

    def apply(self, aggregate: ComplaintClocks) -> None:
        clock = aggregate.clocks[ClockName(self.clock)]
        clock.retarget(self.meta.occurred_at, self.target_s, self.warn_at, self.due_at)
        clock.policy, clock.policy_version = self.policy, self.policy_version
        clock.calendar, clock.calendar_version = self.calendar, self.calendar_version


class SlaClockPaused(ComplaintEvent):
    TOPIC = "careledger.SlaClockPaused"
    clock: ClockName

    def apply(self, aggregate: ComplaintClocks) -> None:
        aggregate.clocks[ClockName(self.clock)].pause(self.meta.occurred_at)


class SlaClockResumed(ComplaintEvent):
    TOPIC = "careledger.SlaClockResumed"
    clock: ClockName
    due_at: datetime
    warn_at: datetime

    def apply(self, aggregate: ComplaintClocks) -> None:
        aggregate.clocks[ClockName(self.clock)].resume(
            self.meta.occurred_at, self.warn_at, self.due_at
        )


class SlaWarning(ComplaintEvent):
    TOPIC = "careledger.SlaWarning"
    clock: ClockName
    due_at: datetime

    def apply(self, aggregate: ComplaintClocks) -> None:
        aggregate.clocks[ClockName(self.clock)].warned = True


class SlaBreached(ComplaintEvent):
    TOPIC = "careledger.SlaBreached"
    clock: ClockName
    late_by_s: int

    def apply(self, aggregate: ComplaintClocks) -> None:
        aggregate.clocks[ClockName(self.clock)].breached = True


class SlaMet(ComplaintEvent):
    TOPIC = "careledger.SlaMet"
    clock: ClockName
    elapsed_s: int


class ComplaintEscalated(ComplaintEvent):
    TOPIC = "careledger.ComplaintEscalated"
    level: int
    trigger: EscalationTrigger

    def apply(self, aggregate: ComplaintClocks) -> None:
        aggregate.escalation_level = self.level


class ComplaintClocks:
    """The SLA clocks of `Complaint` (starting, pausing, sweeping and settling them), and its
    escalation: by hand, on an urgent severity, and on each breach."""

    if TYPE_CHECKING:
        clocks: dict[str, SlaClock]
        escalation_level: int
        severity: Severity | None
        category: Category | None
        channel: Channel
        sla_policy_version: int

        @property
        def is_open(self) -> bool: ...

        def trigger_event(
            self, event_class: type[CanMutateAggregate[UUID]], **kwargs: Any
        ) -> None: ...

        def require(self, action: str, allowed: Collection[StrEnum]) -> None: ...

    @property
    def next_sla_check_at(self) -> datetime | None:
        """When a sweep could next record a warning or a breach (None: nothing pending)."""
        if not self.is_open:
            return None
        times = [t for c in self.clocks.values() if (t := c.next_check_at()) is not None]
        return min(times, default=None)

    def check_sla(self, meta: Meta, sla: SlaContext = STANDARD_CONTEXT) -> None:
        """Records the warnings and breaches due at `meta.occurred_at`; repeating it adds none."""
        if not self.is_open:
            return
        at = meta.occurred_at
        for name in ClockName:
            clock = self.clocks.get(name)
            if clock is not None and clock.warning_due(at):
                self.trigger_event(SlaWarning, meta=meta, clock=name, due_at=clock.due_at)
            if clock is not None and clock.breach_due(at):
                self._breach(meta, name, sla)

    def sla_facts(self, sla: SlaContext) -> ClockFacts:
        return ClockFacts(self.channel, self.category, self.severity, sla.tier)

    def _clock_active(self, name: ClockName) -> bool:
        clock = self.clocks.get(name)
        return clock is not None and clock.is_active

    def _start_clock(self, meta: Meta, name: ClockName, sla: SlaContext) -> None:
        choice = sla.book.choose(name, meta.occurred_at, self.sla_facts(sla))
        warn_at, due_at = started(meta.occurred_at, choice)
        self.trigger_event(
            SlaClockStarted,
            meta=meta,
            clock=name,
            due_at=due_at,
            warn_at=warn_at,
            target_s=choice.target_s,
            policy_version=choice.policy.version,
            policy=choice.policy.name,
            calendar=choice.calendar.name,
            calendar_version=choice.calendar.version,
        )

    def _retarget_resolution(self, meta: Meta, sla: SlaContext) -> None:
        """The resolution clock after a (re)classification: the policy the rules choose for the
        new category and severity, among the versions in force when the clock started."""
        clock = self.clocks[ClockName.RESOLUTION]
        if not clock.is_active:
            return
        choice = sla.book.choose(ClockName.RESOLUTION, clock.started_at, self.sla_facts(sla))
        if self._same_policy(clock, choice):
            self._retarget_within_policy(meta, clock, choice)
        else:
            self._reapply(meta, clock, choice, sla)

    def _retarget_within_policy(self, meta: Meta, clock: SlaClock, choice: Choice) -> None:
        if choice.target_s == clock.target_s:
            return
        warn_at, due_at = rescheduled(clock, meta.occurred_at, choice, choice.calendar)
        self.trigger_event(
            SlaClockRetargeted,
            meta=meta,
            clock=clock.name,
            due_at=due_at,
            warn_at=warn_at,
            target_s=choice.target_s,
        )

    def retarget_sla(self, meta: Meta, sla: SlaContext) -> None:
        """Moves every running clock to the policy and calendar the rules choose now (a new
        version applies only to clocks started after it, unless this is asked for)."""
        self.require("re-target its SLA clocks", OPEN_STATES)
        for clock in list(self.clocks.values()):
            if clock.is_active:
                choice = sla.book.choose(clock.name, meta.occurred_at, self.sla_facts(sla))
                if not self._same_policy(clock, choice) or choice.target_s != clock.target_s:
                    self._reapply(meta, clock, choice, sla)

    def _reapply(self, meta: Meta, clock: SlaClock, choice: Choice, sla: SlaContext) -> None:
        was_on = sla.book.calendar(clock.calendar, clock.calendar_version)
        warn_at, due_at = rescheduled(clock, meta.occurred_at, choice, was_on)
        self.trigger_event(
            SlaPolicyReapplied,
            meta=meta,
            clock=clock.name,
            previous_due_at=clock.due_at,
            due_at=due_at,
            warn_at=warn_at,
            target_s=choice.target_s,
            policy=choice.policy.name,
            policy_version=choice.policy.version,
            calendar=choice.calendar.name,
            calendar_version=choice.calendar.version,
        )

    @staticmethod
    def _same_policy(clock: SlaClock, choice: Choice) -> bool:
        return (clock.policy, clock.policy_version, clock.calendar, clock.calendar_version) == (
            choice.policy.name,
            choice.policy.version,
            choice.calendar.name,
            choice.calendar.version,
        )

    def _pause_clock(self, meta: Meta, name: ClockName) -> None:
        if self.clocks[name].is_running:
            self.trigger_event(SlaClockPaused, meta=meta, clock=name)

    def _resume_clock(self, meta: Meta, name: ClockName, sla: SlaContext) -> None:
        clock = self.clocks[name]
        if clock.is_paused:
            calendar = sla.book.calendar(clock.calendar, clock.calendar_version)
            warn_at, due_at = resumed(clock, meta.occurred_at, calendar)
            self.trigger_event(
                SlaClockResumed, meta=meta, clock=name, due_at=due_at, warn_at=warn_at
            )

    def _settle_clock(
        self, meta: Meta, name: ClockName, sla: SlaContext = STANDARD_CONTEXT
    ) -> None:
        """Records how a clock the last event stopped ended: met, or breached if not yet so."""
        clock = self.clocks[name]
        if clock.state == ClockState.MET:
            self.trigger_event(
                SlaMet, meta=meta, clock=name, elapsed_s=clock.elapsed_s(meta.occurred_at)
            )
        elif not clock.breached:
            self._breach(meta, name, sla)

    def _breach(self, meta: Meta, name: ClockName, sla: SlaContext) -> None:
        clock = self.clocks[name]
        calendar = sla.book.calendar(clock.calendar, clock.calendar_version)
        late_by_s = clock.late_by_s(meta.occurred_at, calendar)
        self.trigger_event(SlaBreached, meta=meta, clock=name, late_by_s=late_by_s)
        if self.escalation_level < MAX_ESCALATION_LEVEL:
            self._escalate(meta, self.escalation_level + 1, EscalationTrigger.SLA)

    def _stop_clock(self, name: ClockName, at: datetime) -> None:
        """Stops the clock if it runs or is paused (in an event's body: records nothing)."""
        if self._clock_active(name):
            self.clocks[name].stop(at)

    def _cancel_clocks(self, at: datetime) -> None:
        for clock in self.clocks.values():
            if clock.is_active:
                clock.cancel(at)

    def escalate(self, meta: Meta) -> None:
        self.require("escalate", OPEN_STATES)
        if self.escalation_level >= MAX_ESCALATION_LEVEL:
            raise ComplaintAtTopEscalationError(self.escalation_level)
        self._escalate(meta, self.escalation_level + 1, EscalationTrigger.MANUAL)

    def _escalate_if_urgent(self, meta: Meta) -> None:
        if self.severity == Severity.URGENT and self.escalation_level < 1:
            self._escalate(meta, 1, EscalationTrigger.SEVERITY)

    def _escalate(self, meta: Meta, level: int, trigger: EscalationTrigger) -> None:
        self.trigger_event(ComplaintEscalated, meta=meta, level=level, trigger=trigger)
