"""SLA clocks: the versioned policy held as data, and the arithmetic of one clock
(docs/architecture.md#sla-clocks).

A clock runs from its start until the event that meets it. Pausing moves its due and warning
times by the paused duration. A clock that breached keeps running until it is stopped; stopped,
it ends `met`, `breached`, or `cancelled` (its complaint was closed or merged while it ran).
A check breaches a clock once the check's time reaches its due time (`late_by_s` is how far
past due the clock has run, in its calendar's basis, pauses left out: 0 for a check at the due
time itself); stopping a clock breaches it only when stopped after its due time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from domain.calendar import ALWAYS, ALWAYS_CALENDAR, WorkCalendar, working_s
from domain.errors import InvalidInputError


class ClockName(StrEnum):
    FIRST_RESPONSE = "first_response"
    REGISTRATION = "registration"
    RESOLUTION = "resolution"
    TECHNICAL_HANDBACK = "technical_handback"
    AFTER_SALES_HANDBACK = "after_sales_handback"


class ClockState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"
    CANCELLED = "cancelled"


ACTIVE_CLOCK_STATES = frozenset({ClockState.RUNNING, ClockState.PAUSED})
DEFAULT_SEVERITY = "general"
STANDARD = "standard"


@dataclass(frozen=True)
class SlaPolicy:
    """Targets in whole seconds; `resolution_s` by severity (urgent, major, general).

    `calendars` names the working calendar of a clock (by clock name): its target counts working
    time there. A clock it does not name runs on the 24/7 calendar, in calendar time. A version
    applies to clocks started from `effective_at` on (None: from the beginning)."""

    version: int
    first_response_s: int
    registration_s: int
    resolution_s: dict[str, int]
    technical_handback_s: int
    after_sales_handback_s: int
    warn_percent: int = 80
    name: str = STANDARD
    calendars: dict[str, str] = field(default_factory=dict)
    effective_at: datetime | None = None

    def calendar_of(self, clock: ClockName) -> str:
        return self.calendars.get(clock, ALWAYS)

    def target_s(self, clock: ClockName, severity: str | None = None) -> int:
        if clock == ClockName.RESOLUTION:
            return self.resolution_s[severity or DEFAULT_SEVERITY]
        return {
            ClockName.FIRST_RESPONSE: self.first_response_s,
            ClockName.REGISTRATION: self.registration_s,
            ClockName.TECHNICAL_HANDBACK: self.technical_handback_s,
            ClockName.AFTER_SALES_HANDBACK: self.after_sales_handback_s,
        }[clock]


HOUR = 3600

SLA_POLICY_V1 = SlaPolicy(
    version=1,
    first_response_s=2 * 60,
    registration_s=24 * HOUR,
    resolution_s={"urgent": 4 * HOUR, "major": 12 * HOUR, "general": 24 * HOUR},
    technical_handback_s=1 * HOUR,
    after_sales_handback_s=24 * HOUR,
    warn_percent=80,
)

SLA_POLICIES: dict[int, SlaPolicy] = {SLA_POLICY_V1.version: SLA_POLICY_V1}
"""Every policy a stored complaint may name: add new versions, never change or remove one."""


def policy_for(version: int) -> SlaPolicy:
    return SLA_POLICIES[version]


def known_policy(field: str, policy: SlaPolicy) -> SlaPolicy:
    if SLA_POLICIES.get(policy.version) != policy:
        raise InvalidInputError(field, f"version {policy.version} is not a registered SLA policy")
    return policy


def seconds_between(start: datetime, end: datetime) -> int:
    """Whole seconds from start to end, never negative."""
    return max(0, int((end - start).total_seconds()))


def schedule(
    started_at: datetime, target_s: int, paused_s: int, warn_percent: int
) -> tuple[datetime, datetime]:
    """The (warn_at, due_at) of a clock started at `started_at` that has been paused `paused_s`."""
    warn_at = started_at + timedelta(seconds=target_s * warn_percent // 100 + paused_s)
    due_at = started_at + timedelta(seconds=target_s + paused_s)
    return warn_at, due_at


@dataclass
class SlaClock:
    name: ClockName
    started_at: datetime
    target_s: int
    warn_at: datetime
    due_at: datetime
    policy_version: int
    state: ClockState = ClockState.RUNNING
    paused_at: datetime | None = None
    paused_s: int = 0
    warned: bool = False
    breached: bool = False
    stopped_at: datetime | None = None
    policy: str = STANDARD
    calendar: str = ALWAYS
    calendar_version: int = 1

    def __post_init__(self) -> None:
        # a snapshot brings the enums back as plain strings
        self.name = ClockName(self.name)
        self.state = ClockState(self.state)

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_CLOCK_STATES

    @property
    def is_running(self) -> bool:
        return self.state == ClockState.RUNNING

    @property
    def is_paused(self) -> bool:
        return self.state == ClockState.PAUSED

    def current_pause_s(self, at: datetime) -> int:
        return seconds_between(self.paused_at, at) if self.paused_at is not None else 0

    def elapsed_s(self, at: datetime) -> int:
        """Running time up to `at` (or to the stop), paused time excluded."""
        end = self.stopped_at or at
        return max(
            0, seconds_between(self.started_at, end) - self.paused_s - self.current_pause_s(end)
        )

    def late_by_s(self, at: datetime, calendar: WorkCalendar = ALWAYS_CALENDAR) -> int:
        """How far past due the clock has run by `at`, in its calendar's basis: a paused clock
        stands still at its pause, a stopped one at its stop."""
        end = self.stopped_at or self.paused_at or at
        return max(0, int(working_s(calendar, self.due_at, end)))

    def warning_due(self, at: datetime) -> bool:
        return self.is_running and not self.warned and not self.breached and at >= self.warn_at

    def breach_due(self, at: datetime) -> bool:
        return self.is_running and not self.breached and at >= self.due_at

    def next_check_at(self) -> datetime | None:
        """The next time a sweep could record something for this clock, if any."""
        if not self.is_running or self.breached:
            return None
        return self.due_at if self.warned else self.warn_at

    def resumed_schedule(self, at: datetime) -> tuple[datetime, datetime]:
        """(warn_at, due_at) once resumed at `at`: both move by the paused duration."""
        pause = timedelta(seconds=self.current_pause_s(at))
        return self.warn_at + pause, self.due_at + pause

    def retarget(self, at: datetime, target_s: int, warn_at: datetime, due_at: datetime) -> None:
        self.target_s = target_s
        self.warn_at = warn_at
        self.due_at = due_at
        self.warned = self.warned and warn_at <= at

    def pause(self, at: datetime) -> None:
        self.state = ClockState.PAUSED
        self.paused_at = at

    def resume(self, at: datetime, warn_at: datetime, due_at: datetime) -> None:
        self.paused_s += self.current_pause_s(at)
        self.paused_at = None
        self.state = ClockState.RUNNING
        self.warn_at = warn_at
        self.due_at = due_at

    def stop(self, at: datetime) -> None:
        """Stops the clock as met, or as breached when it breached or is stopped late."""
        if self.is_paused:
            self.resume(at, *self.resumed_schedule(at))
        late = self.breached or at > self.due_at
        self.state = ClockState.BREACHED if late else ClockState.MET
        self.stopped_at = at

    def cancel(self, at: datetime) -> None:
        if self.is_paused:
            self.resume(at, *self.resumed_schedule(at))
        self.state = ClockState.CANCELLED
        self.stopped_at = at
