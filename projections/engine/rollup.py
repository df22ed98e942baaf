"""Daily rollups of hourly buckets: a window reads whole UTC days from day rows, and only the
hours at its two edges from hour rows.

A view that keeps counts by `hour` (epoch seconds of the hour) also keeps the same counts by
`day` (epoch seconds of UTC midnight), written in the same transaction from the same batch, so
a day row always equals its hour rows summed. A window then reads, per key, a row for each whole
day and at most 46 for the hours at its edges: a 30-day window starting on the hour reads 29 day
rows and 24 hour rows instead of 720 hour rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from projections.engine.reading import HOUR

DAY = 24 * HOUR
Span = tuple[int, int]  # first and last bucket start, inclusive; empty when first > last
NO_SPAN: Span = (0, -1)


def day_of(hour: int) -> int:
    """The UTC day an hour bucket falls in, as epoch seconds of its midnight."""
    return hour // DAY * DAY


def by_day(counts: Mapping[tuple[Any, ...], int]) -> Counter[tuple[Any, ...]]:
    """Counts keyed (hour, *rest) summed into keys (day, *rest)."""
    days: Counter[tuple[Any, ...]] = Counter()
    for (hour, *rest), n in counts.items():
        days[(day_of(hour), *rest)] += n
    return days


@dataclass(frozen=True)
class Spans:
    """The hour buckets first..last of a window as leading hours, whole days, trailing hours."""

    leading: Span
    days: Span
    trailing: Span


def spans(first: int, last: int) -> Spans:
    """Cuts the hour buckets first..last (both included) at UTC midnights."""
    days_from = -(-first // DAY) * DAY  # the first midnight at or after the window's start
    days_to = (last + HOUR) // DAY * DAY  # the last midnight at or before the window's end
    if days_from >= days_to:
        return Spans((first, last), NO_SPAN, NO_SPAN)
    return Spans((first, days_from - HOUR), (days_from, days_to - DAY), (days_to, last))


def spanned(
    hourly: str,
    daily: str,
    columns: str,
    window: Spans,
    where: str = "",
    where_params: Sequence[Any] = (),
) -> tuple[str, list[Any]]:
    """A FROM clause and its parameters: `columns` of the rows of `hourly` and `daily` that make
    up the window, to be summed, and only those matching `where` (with its `where_params`) if
    given. Empty spans are left out, so a window without a whole day reads the hourly table
    alone, as before there were daily tables."""
    parts = (
        (hourly, "hour", window.leading),
        (daily, "day", window.days),
        (hourly, "hour", window.trailing),
    )
    also = f" AND {where}" if where else ""
    selects: list[str] = []
    params: list[Any] = []
    for table, key, (first, last) in parts:
        if first <= last:
            selects.append(f"SELECT {columns} FROM {table} WHERE {key} BETWEEN ? AND ?{also}")
            params += [first, last, *where_params]
    if not selects:  # no bucket at all: a statement that reads no row, not `() AS spanned`
        selects.append(f"SELECT {columns} FROM {hourly} WHERE hour BETWEEN ? AND ?{also}")
        params += [*NO_SPAN, *where_params]
    return f"({' UNION ALL '.join(selects)}) AS spanned", params
