"""Working calendars: due times through working hours, holidays, make-up days and time zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.calendar import (
    ALWAYS_CALENDAR,
    WorkCalendar,
    WorkingSpan,
    due,
    is_working,
    shift,
    working_s,
)
from domain.calendars import checked_calendar, china_office_calendar, office_hours
from domain.clock_schedule import resumed
from domain.errors import InvalidInputError
from domain.sla import ClockName, SlaClock

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
CN_OFFICE = china_office_calendar("cn-office", [2025, 2026, 2027])
BERLIN_OFFICE = checked_calendar(
    WorkCalendar("berlin", "Europe/Berlin", office_hours(8 * 60, 17 * 60))
)
# a desk open through the night in Berlin: 01:00 to 04:00 holds the spring-forward gap
BERLIN_NIGHT = checked_calendar(
    WorkCalendar("berlin-night", "Europe/Berlin", office_hours(60, 4 * 60, range(7)))
)
CALENDARS = [ALWAYS_CALENDAR, CN_OFFICE, BERLIN_OFFICE, BERLIN_NIGHT]
HOUR = 3600


def cn(day: str, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=SHANGHAI)


instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 6, 30), timezones=st.just(UTC)
)
targets = st.integers(min_value=0, max_value=200 * HOUR)
calendars = st.sampled_from(CALENDARS)


@given(calendars, instants, targets, targets)
def test_the_due_time_is_monotone_in_the_target(
    calendar: WorkCalendar, start: datetime, a: int, b: int
) -> None:
    low, high = sorted((a, b))
    assert due(start, low, calendar) <= due(start, high, calendar)


@given(calendars, instants, targets)
def test_the_working_time_to_the_due_time_is_the_target(
    calendar: WorkCalendar, start: datetime, target: int
) -> None:
    assert working_s(calendar, start, due(start, target, calendar)) == target


@given(calendars, instants, targets)
def test_shifting_back_undoes_shifting_forward_in_working_time(
    calendar: WorkCalendar, start: datetime, target: int
) -> None:
    end = shift(calendar, start, target)
    back = shift(calendar, end, -target)
    # no working time lies between them (back is where the working time after `start` begins)
    assert working_s(calendar, back, start) == 0
    assert working_s(calendar, back, end) == target


@given(calendars, instants, targets, instants, st.integers(min_value=0, max_value=400 * HOUR))
def test_a_clock_paused_and_resumed_never_gains_time(
    calendar: WorkCalendar, start: datetime, target: int, paused: datetime, pause_s: int
) -> None:
    # given a clock that is paused at `paused` and resumed `pause_s` later, before it is due
    due_at = due(start, target, calendar)
    if not start <= paused <= due_at:
        paused = start
    resumed = paused + timedelta(seconds=pause_s)
    # when it resumes with the working time it had left at the pause
    left = working_s(calendar, paused, due_at)
    resumed_due = shift(calendar, resumed, left)
    # then it is due no earlier, and has run exactly its target outside the pause
    assert resumed_due >= due_at
    ran = working_s(calendar, start, paused) + working_s(calendar, resumed, resumed_due)
    assert ran == target


@given(
    calendars,
    instants,
    targets,
    st.integers(min_value=0, max_value=300 * HOUR),
    st.integers(min_value=0, max_value=400 * HOUR),
)
def test_a_clock_paused_before_or_after_its_due_time_neither_gains_nor_loses_time(
    calendar: WorkCalendar, start: datetime, target: int, paused_after: int, pause_s: int
) -> None:
    # given a clock paused `paused_after` seconds after it started, before or past its due time
    due_at = due(start, target, calendar)
    clock = SlaClock(ClockName.RESOLUTION, start, target, due_at, due_at, policy_version=1)
    paused = start + timedelta(seconds=paused_after)
    clock.pause(paused)
    left, late = working_s(calendar, paused, due_at), clock.late_by_s(paused, calendar)
    # then its lateness stands still while it is paused
    assert clock.late_by_s(paused + timedelta(seconds=pause_s), calendar) == late
    # and resumed `pause_s` later it has the same working time left (negative: past due by it)
    # and is exactly as late as when it paused
    at = paused + timedelta(seconds=pause_s)
    clock.resume(at, *resumed(clock, at, calendar))
    assert working_s(calendar, at, clock.due_at) == left
    assert clock.late_by_s(at, calendar) == late
    assert clock.due_at >= due_at


def test_a_24_7_calendar_counts_calendar_time() -> None:
    start = datetime(2026, 10, 1, 23, 30, tzinfo=UTC)
    assert due(start, HOUR, ALWAYS_CALENDAR) == start + timedelta(hours=1)
    assert ALWAYS_CALENDAR.basis == "calendar" and CN_OFFICE.basis == "working"


def test_a_target_runs_out_at_the_end_of_a_working_day_and_resumes_next_morning() -> None:
    # Wednesday 2026-11-25 17:30 in Shanghai, a 1 h target: 30 min today, 30 min tomorrow
    assert due(cn("2026-11-25", "17:30"), HOUR, CN_OFFICE) == cn("2026-11-26", "09:30")
    # a target that ends exactly at 18:00 is due at 18:00, not the next morning
    assert due(cn("2026-11-25", "17:00"), HOUR, CN_OFFICE) == cn("2026-11-25", "18:00")
    # started at night, it begins at 09:00
    assert due(cn("2026-11-25", "23:00"), HOUR, CN_OFFICE) == cn("2026-11-26", "10:00")


def test_national_day_is_crossed_and_the_make_up_saturday_is_worked() -> None:
    # Wednesday 2026-09-30 17:00, 24 working hours: Oct 1-7 are the National Day holidays
    # (Oct 3-4 a weekend), Thursday Oct 8 and Friday Oct 9 are worked, and so is Saturday
    # Oct 10, the make-up working day
    start = cn("2026-09-30", "17:00")
    assert not is_working(CN_OFFICE, cn("2026-10-05", "10:00"))
    assert is_working(CN_OFFICE, cn("2026-10-10", "10:00"))
    # 1 h on Sep 30, 9 h on Oct 8, 9 h on Oct 9, 5 h on Saturday Oct 10
    assert due(start, 24 * HOUR, CN_OFFICE) == cn("2026-10-10", "14:00")
    # without the make-up day it would be Monday Oct 12
    plain = WorkCalendar("plain", "Asia/Shanghai", office_hours(9 * 60, 18 * 60))
    holidays_only = WorkCalendar(
        "holidays-only", "Asia/Shanghai", plain.spans, holidays=CN_OFFICE.holidays
    )
    assert due(start, 24 * HOUR, holidays_only) == cn("2026-10-12", "14:00")
    assert working_s(CN_OFFICE, start, cn("2026-10-10", "14:00")) == 24 * HOUR


def test_the_spring_festival_holidays_and_their_make_up_days() -> None:
    # Saturday 2026-02-14 and Saturday 2026-02-28 are worked; Feb 16-23 are off
    assert is_working(CN_OFFICE, cn("2026-02-14", "09:00"))
    assert is_working(CN_OFFICE, cn("2026-02-28", "17:59"))
    assert not is_working(CN_OFFICE, cn("2026-02-18", "10:00"))
    # Friday Feb 13 17:00 + 2 h: 1 h Friday, 1 h on the make-up Saturday
    assert due(cn("2026-02-13", "17:00"), 2 * HOUR, CN_OFFICE) == cn("2026-02-14", "10:00")
    # Saturday Feb 14 17:00 + 2 h: 1 h then the holiday week, then Tuesday Feb 24
    assert due(cn("2026-02-14", "17:00"), 2 * HOUR, CN_OFFICE) == cn("2026-02-24", "10:00")


def test_the_day_the_clocks_go_forward_has_an_hour_less_of_night_work() -> None:
    # Sunday 2026-03-29, Berlin: 02:00 CET jumps to 03:00 CEST inside the 01:00-04:00 span
    night = datetime(2026, 3, 29, tzinfo=BERLIN)
    start = datetime(2026, 3, 29, 1, 0, tzinfo=BERLIN)
    assert working_s(BERLIN_NIGHT, start, night + timedelta(days=1)) == 2 * HOUR
    # 3 h from 01:00 that night end at 02:00 the next night (2 h + 1 h)
    expected = datetime(2026, 3, 30, 2, 0, tzinfo=BERLIN)
    assert due(start, 3 * HOUR, BERLIN_NIGHT) == expected


def test_the_day_the_clocks_go_back_has_an_hour_more_of_night_work() -> None:
    # Sunday 2026-10-25, Berlin: 03:00 CEST goes back to 02:00 CET inside 01:00-04:00
    start = datetime(2026, 10, 25, 1, 0, tzinfo=BERLIN)
    assert working_s(BERLIN_NIGHT, start, start + timedelta(hours=6)) == 4 * HOUR
    assert due(start, 4 * HOUR, BERLIN_NIGHT).astimezone(UTC) == datetime(
        2026, 10, 25, 3, 0, tzinfo=UTC
    )


def test_office_hours_across_the_dst_change_keep_their_wall_times() -> None:
    # Friday 2026-03-27 16:00 CET + 2 working hours: 1 h Friday, Monday 09:00 CEST
    start = datetime(2026, 3, 27, 16, 0, tzinfo=BERLIN)
    assert due(start, 2 * HOUR, BERLIN_OFFICE) == datetime(2026, 3, 30, 9, 0, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("calendar", "field"),
    [
        (WorkCalendar("x", "Mars/Olympus", office_hours(540, 1080)), "zone"),
        (WorkCalendar("x", "UTC", (WorkingSpan(0, 540, 720), WorkingSpan(0, 700, 900))), "hours"),
        (WorkCalendar("x", "UTC", (WorkingSpan(0, 600, 540),)), "hours"),
        (WorkCalendar("x", "UTC", (WorkingSpan(7, 540, 600),)), "hours"),
        (WorkCalendar("x", "UTC", ()), "hours"),
        (WorkCalendar("x", "UTC", office_hours(540, 1080), holidays=("2026-13-01",)), "holidays"),
        (
            WorkCalendar(
                "x", "UTC", office_hours(540, 1080), ("2026-10-10",), workdays=("2026-10-10",)
            ),
            "workdays",
        ),
        (WorkCalendar("always", "UTC", office_hours(540, 1080)), "name"),
        (WorkCalendar(" ", "UTC", office_hours(540, 1080)), "name"),
    ],
)
def test_an_invalid_calendar_is_a_validation_error(calendar: WorkCalendar, field: str) -> None:
    with pytest.raises(InvalidInputError) as invalid:
        checked_calendar(calendar)
    assert invalid.value.field == field
