"""Where a clock's warning and due times fall, through its calendar
(docs/architecture.md#sla-clocks).

A clock on the 24/7 calendar keeps the arithmetic it always had (`domain.sla.schedule`: whole
seconds, paused time added). On a working calendar a clock is due when it has run its target in
working time: a pause keeps the working time it had left, and a new target keeps the working
time it has run (a clock already past due stays past due by the same working time).
"""

from __future__ import annotations

from datetime import datetime

from domain.calendar import WorkCalendar, shift, working_s
from domain.sla import SlaClock, schedule
from domain.sla_book import Choice


def started(at: datetime, choice: Choice) -> tuple[datetime, datetime]:
    """(warn_at, due_at) of a clock starting at `at`."""
    policy, calendar, target_s = choice.policy, choice.calendar, choice.target_s
    if calendar.always:
        return schedule(at, target_s, 0, policy.warn_percent)
    warn_s = target_s * policy.warn_percent // 100
    return shift(calendar, at, warn_s), shift(calendar, at, target_s)


def rescheduled(
    clock: SlaClock, at: datetime, choice: Choice, was_on: WorkCalendar
) -> tuple[datetime, datetime]:
    """(warn_at, due_at) of an active clock given `choice` at `at`; `was_on` its calendar."""
    policy, calendar, target_s = choice.policy, choice.calendar, choice.target_s
    if was_on.always and calendar.always:
        # a paused clock's times leave out the current pause: resuming adds it
        return schedule(clock.started_at, target_s, clock.paused_s, policy.warn_percent)
    anchor = clock.paused_at if clock.paused_at is not None else at
    ran_s = clock.target_s - working_s(was_on, anchor, clock.due_at)
    warn_s = target_s * policy.warn_percent // 100
    return shift(calendar, anchor, warn_s - ran_s), shift(calendar, anchor, target_s - ran_s)


def resumed(clock: SlaClock, at: datetime, calendar: WorkCalendar) -> tuple[datetime, datetime]:
    """(warn_at, due_at) of a paused clock resumed at `at`: the working time it had left."""
    if calendar.always or clock.paused_at is None:
        return clock.resumed_schedule(at)
    paused_at = clock.paused_at
    return (
        shift(calendar, at, working_s(calendar, paused_at, clock.warn_at)),
        shift(calendar, at, working_s(calendar, paused_at, clock.due_at)),
    )
