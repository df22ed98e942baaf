"""Making working calendars: the checks a calendar must pass, and China's official holidays with
their make-up working days (docs/architecture.md#sla-clocks).

China moves working days around its long holidays: a weekend day next to a holiday is worked
(调休) so that the holiday is longer. The `holidays` package knows both lists for each year; a
calendar stores them as dates, so a recorded calendar keeps its meaning whatever later versions
of the package say.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.calendar import ALWAYS, DAY_MINUTES, WorkCalendar, WorkingSpan
from domain.errors import InvalidInputError

NAME_MAX = 64
DATES_MAX = 4000
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def china_official_days(years: Iterable[int]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(public holidays, make-up working days) of mainland China in the given years."""
    # imported here: every domain module is loaded at start-up, and only this needs the package
    import holidays

    wanted = sorted(set(years))
    official = holidays.country_holidays("CN", years=wanted)
    days_off = sorted(d for d in official if d.year in wanted)
    worked = sorted(d for d in official.weekend_workdays if d.year in wanted)
    return tuple(d.isoformat() for d in days_off), tuple(d.isoformat() for d in worked)


def office_hours(
    start_min: int, end_min: int, weekdays: Sequence[int] = (0, 1, 2, 3, 4)
) -> tuple[WorkingSpan, ...]:
    return tuple(WorkingSpan(day, start_min, end_min) for day in weekdays)


def china_office_calendar(name: str, years: Iterable[int], version: int = 1) -> WorkCalendar:
    """09:00 to 18:00 Monday to Friday in Asia/Shanghai, with China's official days."""
    days_off, worked = china_official_days(years)
    return checked_calendar(
        WorkCalendar(
            name=name,
            zone="Asia/Shanghai",
            spans=office_hours(9 * 60, 18 * 60),
            holidays=days_off,
            workdays=worked,
            version=version,
        )
    )


def checked_calendar(calendar: WorkCalendar) -> WorkCalendar:
    """The calendar, or an InvalidInputError naming the first field that is wrong."""
    _check_name(calendar.name)
    _check_zone(calendar.zone)
    if calendar.always:
        if calendar.spans or calendar.holidays or calendar.workdays:
            raise InvalidInputError("hours", "a 24/7 calendar has no hours, holidays or workdays")
        return calendar
    _check_spans(calendar.spans)
    holidays_ = _check_dates("holidays", calendar.holidays)
    workdays = _check_dates("workdays", calendar.workdays)
    if both := sorted(holidays_ & workdays):
        raise InvalidInputError("workdays", f"{both[0]} is also a holiday")
    if not 0 <= calendar.makeup_weekday < 7:
        raise InvalidInputError("makeupWeekday", "must be 0 (Monday) to 6 (Sunday)")
    if workdays and not any(s.weekday == calendar.makeup_weekday for s in calendar.spans):
        raise InvalidInputError("makeupWeekday", "make-up days need a weekday with hours")
    return calendar


def _check_name(name: str) -> None:
    if not name.strip() or len(name) > NAME_MAX or name != name.strip():
        raise InvalidInputError("name", f"must be 1 to {NAME_MAX} characters, no outer spaces")
    if name == ALWAYS:
        raise InvalidInputError("name", f"{ALWAYS} is the built-in 24/7 calendar")


def _check_zone(zone: str) -> None:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInputError("zone", f"unknown time zone {zone!r}") from None


def _check_spans(spans: Sequence[WorkingSpan]) -> None:
    if not spans:
        raise InvalidInputError("hours", "a working calendar needs working hours")
    for span in spans:
        if not 0 <= span.weekday < 7:
            raise InvalidInputError("hours", f"weekday {span.weekday} is not 0 to 6")
        if not 0 <= span.start_min < span.end_min <= DAY_MINUTES:
            raise InvalidInputError("hours", "each span starts before it ends, within its day")
    for day in range(7):
        ordered = sorted((s.start_min, s.end_min) for s in spans if s.weekday == day)
        for (_, end), (start, _) in pairwise(ordered):
            if start < end:
                raise InvalidInputError("hours", f"hours on {WEEKDAYS[day]} overlap")


def _check_dates(field: str, values: Sequence[str]) -> set[date]:
    if len(values) > DATES_MAX:
        raise InvalidInputError(field, f"at most {DATES_MAX} dates")
    try:
        return {date.fromisoformat(v) for v in values}
    except (TypeError, ValueError):
        raise InvalidInputError(field, "dates are ISO dates (YYYY-MM-DD)") from None
