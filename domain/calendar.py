"""Working calendars as data, and the arithmetic of time through them
(docs/architecture.md#sla-clocks).

A calendar names a time zone, the working hours of each weekday in that zone's wall time, the
public holidays (no working time) and the make-up working days (a weekend day worked with the
hours of `makeup_weekday`). The 24/7 calendar (`ALWAYS_CALENDAR`) has no hours: every instant
is working time, so working time through it is calendar time.

`shift(calendar, t, s)` is the instant `s` working seconds after `t` (before it, for a negative
`s`); `working_s(calendar, a, b)` the working seconds from `a` to `b`. Times are aware; a working
day's hours are turned into instants through the zone, so a day on which the clocks change has
an hour more or fewer of working time, as its wall clock says.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from domain.errors import RuleViolationError

ALWAYS = "always"
DAY_MINUTES = 24 * 60
SEARCH_DAYS = 3 * 366
"""How far a shift looks for working time before it gives up (a calendar is checked to have
some every week, so only a run of holidays this long could exhaust it)."""

Span = tuple[datetime, datetime]


class CalendarExhaustedError(RuleViolationError):
    code = "CALENDAR_EXHAUSTED"

    def __init__(self, calendar: str) -> None:
        super().__init__(f"calendar {calendar} has no working time within {SEARCH_DAYS} days")
        self.calendar = calendar


@dataclass(frozen=True)
class WorkingSpan:
    """Working time on one weekday (0 is Monday), in minutes after the local midnight."""

    weekday: int
    start_min: int
    end_min: int


@dataclass(frozen=True)
class WorkCalendar:
    name: str
    zone: str
    spans: tuple[WorkingSpan, ...] = ()
    holidays: tuple[str, ...] = ()
    workdays: tuple[str, ...] = ()
    makeup_weekday: int = 0
    always: bool = False
    version: int = 1
    effective_at: datetime | None = None

    @property
    def basis(self) -> str:
        """What a target on this calendar counts: calendar time, or working time."""
        return "calendar" if self.always else "working"


ALWAYS_CALENDAR = WorkCalendar(name=ALWAYS, zone="UTC", always=True)


def normalised(calendar: WorkCalendar) -> WorkCalendar:
    """The calendar with tuples where a stored copy (read back from JSON) has lists."""
    return replace(
        calendar,
        spans=tuple(calendar.spans),
        holidays=tuple(calendar.holidays),
        workdays=tuple(calendar.workdays),
    )


class _Index(NamedTuple):
    zone: ZoneInfo
    by_weekday: tuple[tuple[tuple[int, int], ...], ...]
    holidays: frozenset[date]
    workdays: frozenset[date]


@lru_cache(maxsize=256)
def _index(calendar: WorkCalendar) -> _Index:
    by_weekday = tuple(
        tuple(sorted((s.start_min, s.end_min) for s in calendar.spans if s.weekday == day))
        for day in range(7)
    )
    return _Index(
        zone=ZoneInfo(calendar.zone),
        by_weekday=by_weekday,
        holidays=frozenset(date.fromisoformat(d) for d in calendar.holidays),
        workdays=frozenset(date.fromisoformat(d) for d in calendar.workdays),
    )


@lru_cache(maxsize=65536)
def day_spans(calendar: WorkCalendar, day: date) -> tuple[Span, ...]:
    """The working time of one local day, as UTC instants in order."""
    index = _index(calendar)
    if day in index.holidays:
        return ()
    weekday = calendar.makeup_weekday if day in index.workdays else day.weekday()
    midnight = datetime.combine(day, time(0), tzinfo=index.zone)
    spans = []
    for start_min, end_min in index.by_weekday[weekday]:
        start = (midnight + timedelta(minutes=start_min)).astimezone(UTC)
        end = (midnight + timedelta(minutes=end_min)).astimezone(UTC)
        if end_min == DAY_MINUTES:
            end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=index.zone)
            end = end.astimezone(UTC)
        if start < end:
            spans.append((start, end))
    return tuple(spans)


def local_day(calendar: WorkCalendar, at: datetime) -> date:
    return at.astimezone(_index(calendar).zone).date()


def shift(calendar: WorkCalendar, at: datetime, seconds: float) -> datetime:
    """The instant `seconds` of working time after `at` (before it, if negative)."""
    if calendar.always or seconds == 0:
        return at + timedelta(seconds=seconds)
    if seconds > 0:
        return _forward(calendar, at, timedelta(seconds=seconds))
    return _backward(calendar, at, timedelta(seconds=-seconds))


def _forward(calendar: WorkCalendar, at: datetime, left: timedelta) -> datetime:
    first = local_day(calendar, at)
    for n in range(SEARCH_DAYS):
        for start, end in day_spans(calendar, first + timedelta(days=n)):
            if end <= at:
                continue
            start = max(start, at)
            if left <= end - start:
                return start + left
            left -= end - start
    raise CalendarExhaustedError(calendar.name)


def _backward(calendar: WorkCalendar, at: datetime, left: timedelta) -> datetime:
    last = local_day(calendar, at)
    for n in range(SEARCH_DAYS):
        for start, end in reversed(day_spans(calendar, last - timedelta(days=n))):
            if start >= at:
                continue
            end = min(end, at)
            if left <= end - start:
                return end - left
            left -= end - start
    raise CalendarExhaustedError(calendar.name)


def working_time(calendar: WorkCalendar, start: datetime, end: datetime) -> timedelta:
    """Working time from `start` to `end` (negative when `end` is before `start`)."""
    if end < start:
        return -working_time(calendar, end, start)
    if calendar.always:
        return end - start
    total = timedelta(0)
    day, last = local_day(calendar, start), local_day(calendar, end)
    while day <= last:
        for a, b in day_spans(calendar, day):
            overlap = min(b, end) - max(a, start)
            if overlap > timedelta(0):
                total += overlap
        day += timedelta(days=1)
    return total


def working_s(calendar: WorkCalendar, start: datetime, end: datetime) -> float:
    return working_time(calendar, start, end).total_seconds()


def due(start: datetime, target_s: int, calendar: WorkCalendar) -> datetime:
    """When a clock started at `start` with `target_s` falls due, in the calendar's basis."""
    return shift(calendar, start, target_s)


def is_working(calendar: WorkCalendar, at: datetime) -> bool:
    if calendar.always:
        return True
    return any(a <= at < b for a, b in day_spans(calendar, local_day(calendar, at)))
