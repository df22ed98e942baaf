"""The complaint dashboard by slice: the same figures for the complaints of a department,
agent, channel, category or region, or of several at once (filters are AND-ed: quality's
complaints by phone), to filter the dashboard or break it down by every value of one slice.
A complaint's region is its order's, as OrderReceived gave it (`unknown` for an order the view
never saw received; a complaint about no order is in no region, never guessed).

Counts and histograms are kept again with the complaint's slices (its department, agent,
channel, category and region, "" where not set) in their key, by hour and by UTC day like the
dashboard's own (projections/rollup), so a filtered window or a breakdown costs the populated
days and edge hours of the window, not the history: a filter is a condition on those rows
(`department = ? AND channel = ?`), a breakdown groups them by a column.

Everything a complaint counts (at its received hour, or at the hour something happened to it:
its first response, resolutions, SLA results, escalations, the scores of its survey) counts
under the slices the complaint is in now, and moves with it when it is reclassified or
reassigned: a department's figures are those of the complaints it handles. The complaint's
facts keep what it counted (complaint_dashboard_tally.Fact), so a move can take it along.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, NamedTuple

from domain.complaint_types import Category, Department
from domain.errors import InvalidInputError
from domain.meta import ID_MAX, Channel
from domain.values import bounded_text, one_of
from projections.engine.rollup import Spans, day_of, spanned
from projections.engine.store import Tx
from projections.engine.tables import Table
from projections.views.complaint_dashboard_records import RESOLUTIONS
from projections.views.complaint_dashboard_tables import Bucket, milliseconds

SLICES = ("department", "agent", "channel", "category", "region")
NOT_SET = ""  # a slice column of a complaint not classified or not assigned yet
SLICE_COUNT_KEYS = ("hour", *SLICES, "dimension", "label")
DAILY_SLICE_COUNT_KEYS = ("day", *SLICES, "dimension", "label")
Labels = tuple[str, str, str, str, str]  # department, agent, channel, category, region
SliceKey = tuple[Any, ...]  # hour or day, *Labels, measure, bucket


class SliceCountRecord(NamedTuple):
    hour: int
    department: str
    agent: str
    channel: str
    category: str
    region: str
    dimension: str
    label: str
    n: int


class DailySliceCountRecord(NamedTuple):
    day: int
    department: str
    agent: str
    channel: str
    category: str
    region: str
    dimension: str
    label: str
    n: int


class SliceDurationRecord(NamedTuple):
    hour: int
    department: str
    agent: str
    channel: str
    category: str
    region: str
    measure: str
    bucket: int
    n: int
    total_ms: int


class DailySliceDurationRecord(NamedTuple):
    day: int
    department: str
    agent: str
    channel: str
    category: str
    region: str
    measure: str
    bucket: int
    n: int
    total_ms: int


class SurveyComplaintRecord(NamedTuple):
    """A survey about a complaint, so that its answer counts under the complaint's slices."""

    survey_id: str
    complaint_id: str


# complaint_slice_*, not slice_*: keyed by every slice at once since filters combine, so that
# an older generation, keyed (slice_by, slice_value), is rebuilt before it is followed
SLICE_COUNTS = Table("complaint_slice_counts", SliceCountRecord, SLICE_COUNT_KEYS)
SLICE_COUNTS_DAILY = Table(
    "complaint_slice_counts_daily", DailySliceCountRecord, DAILY_SLICE_COUNT_KEYS
)
SLICE_DURATIONS = Table(
    "complaint_slice_durations", SliceDurationRecord, (*SLICE_COUNT_KEYS[:6], "measure", "bucket")
)
SLICE_DURATIONS_DAILY = Table(
    "complaint_slice_durations_daily",
    DailySliceDurationRecord,
    (*DAILY_SLICE_COUNT_KEYS[:6], "measure", "bucket"),
)
# complaint_surveys, not survey_complaints: renamed when compensation was counted, so that an
# older generation, which did not read CompensationIssued, is rebuilt before it is followed
SURVEY_COMPLAINTS = Table("complaint_surveys", SurveyComplaintRecord, ("survey_id",))
SLICE_TABLES = (
    SLICE_COUNTS,
    SLICE_COUNTS_DAILY,
    SLICE_DURATIONS,
    SLICE_DURATIONS_DAILY,
    SURVEY_COMPLAINTS,
)


def labels_of(labels: Mapping[str, str]) -> Labels:
    """A complaint's slice columns, from its labels now."""
    department, agent, channel, category, region = (labels.get(by, NOT_SET) for by in SLICES)
    return department, agent, channel, category, region


class SliceHistograms:
    """What one batch adds to the slice histograms: key -> [n, total ms]."""

    def __init__(self) -> None:
        self.added: dict[SliceKey, list[int]] = {}

    def add(self, key: SliceKey, n: int, total_ms: int) -> None:
        entry = self.added.setdefault(key, [0, 0])
        entry[0] += n
        entry[1] += total_ms

    def by_day(self) -> SliceHistograms:
        days = SliceHistograms()
        for (hour, *rest), (n, total) in self.added.items():
            days.add((day_of(hour), *rest), n, total)
        return days

    def write(self, tx: Tx, table: str, period: str = "hour") -> None:
        keys = (period, *SLICES, "measure", "bucket")
        changed = [(*key, n, total) for key, (n, total) in self.added.items() if n or total]
        tx.merge(
            table,
            (*keys, "n", "total_ms"),
            keys,
            changed,
            f"n = {table}.n + excluded.n, total_ms = {table}.total_ms + excluded.total_ms",
        )
        # a duration that moved out with its complaint may leave its bucket empty: drop it
        tx.executemany(
            f"DELETE FROM {table} WHERE {' AND '.join(f'{k} = ?' for k in keys)} AND n = 0",
            [key for key, (n, _) in self.added.items() if n < 0],
        )


def check_slice(by: str) -> str:
    if by not in SLICES:
        raise ValueError(f"no slice {by!r}: one of {', '.join(SLICES)}")
    return by


KINDS: dict[str, type[StrEnum] | None] = {
    "department": Department,
    "agent": None,  # any person an assignment named: one never named has nothing, not an error
    "channel": Channel,
    "category": Category,
    "region": None,  # as orders name it: a region no order was received in has nothing
    "team": None,  # of the staff directory: read as its agents (complaint_dashboard_teams)
}


def checked_filter(where: Mapping[str, str], field: str = "filter") -> dict[str, str]:
    """A filter {slice: value} of at least one slice, each value one the complaints can have
    (an agent: the text an assignment takes), else InvalidInputError naming the field."""
    if not where:
        raise InvalidInputError(field, f"set at least one of {', '.join(KINDS)}")
    checked: dict[str, str] = {}
    for by, value in where.items():
        if by not in KINDS:
            raise InvalidInputError(field, f"no slice {by!r}: one of {', '.join(KINDS)}")
        checked[by] = checked_value(by, value, f"{field}.{by}")
    return checked


def checked_value(by: str, value: str, field: str) -> str:
    """`value` as slice `by` keeps it, else InvalidInputError naming `field`."""
    kind = KINDS[by]
    return str(one_of(field, value, kind)) if kind else bounded_text(field, value, ID_MAX)


Where = Mapping[str, str | tuple[str, ...]]  # slice -> its value, or one of several (a team)


def matching(where: Where, by: str | None) -> tuple[str, list[str]]:
    """The condition of the rows of the complaints with every slice value of `where` (all of
    them: filters are AND-ed; a slice given several values, any of them), and a value of slice
    `by` if given."""
    conditions, params = conditions_of(where, "")
    if by is not None:
        conditions.append(f"{check_slice(by)} <> ?")
        params.append(NOT_SET)
    return " AND ".join(conditions), params


class SliceFigures(NamedTuple):
    """What the dashboard of each slice value is made from."""

    counts: dict[str, list[tuple[str, str, int]]]  # value -> (dimension, label, n)
    histograms: dict[str, dict[str, list[Bucket]]]  # value -> measure -> buckets
    waiting: dict[str, list[int]]  # value -> ages (ms) of its complaints still unanswered
    resolved: dict[str, int]  # value -> distinct complaints resolved


def slice_figures(
    tx: Tx,
    prefix: str,
    hours: tuple[int, int],
    window: Spans,
    by: str | None,
    where: Where,
    as_of_s: float,
) -> SliceFigures:
    """The figures of the window of the complaints matching `where` for every value of slice
    `by`, or all together under the value "" when `by` is None."""
    condition, params = matching(where, by)
    value = by or "''"
    p = prefix
    source, args = spanned(
        f"{p}{SLICE_COUNTS.name}",
        f"{p}{SLICE_COUNTS_DAILY.name}",
        f"{value} AS slice_value, dimension, label, n",
        window,
        condition,
        params,
    )
    counts: dict[str, list[tuple[str, str, int]]] = {}
    for v, dimension, label, n in tx.all(
        f"SELECT slice_value, dimension, label, SUM(n) FROM {source}"
        " GROUP BY slice_value, dimension, label",
        args,
    ):
        counts.setdefault(v, []).append((dimension, label, int(n)))
    source, args = spanned(
        f"{p}{SLICE_DURATIONS.name}",
        f"{p}{SLICE_DURATIONS_DAILY.name}",
        f"{value} AS slice_value, measure, bucket, n, total_ms",
        window,
        condition,
        params,
    )
    histograms: dict[str, dict[str, list[Bucket]]] = {}
    for v, measure, bucket, n, total in tx.all(
        f"SELECT slice_value, measure, bucket, SUM(n), SUM(total_ms) FROM {source}"
        " GROUP BY slice_value, measure, bucket ORDER BY slice_value, measure, bucket",
        args,
    ):
        histograms.setdefault(v, {}).setdefault(measure, []).append(
            Bucket(int(bucket), int(n), int(total))
        )
    return SliceFigures(
        counts,
        histograms,
        waiting_by(tx, prefix, hours, by, where, as_of_s),
        resolved_by(tx, prefix, hours, by, where),
    )


def waiting_by(
    tx: Tx,
    prefix: str,
    hours: tuple[int, int],
    by: str | None,
    where: Where,
    as_of_s: float,
) -> dict[str, list[int]]:
    """Per value of `by`, the ages at `as_of_s` of the complaints matching `where` received in
    the hours and not answered yet (their slice now, as for every count at the received hour).
    The facts keep None where the slice tables keep ""."""
    condition, params = facts_matching(where, by, "")
    value = by or "''"
    rows = tx.all(
        f"SELECT {value}, received_at FROM {prefix}complaint_facts"
        f" WHERE first_response_at IS NULL AND received_hour BETWEEN ? AND ?{condition}",
        [*hours, *params],
    )
    ages: dict[str, list[int]] = {}
    for v, received_at in rows:
        ages.setdefault(v, []).append(milliseconds(as_of_s - float(received_at)))
    return {v: sorted(found) for v, found in ages.items()}


def resolved_by(
    tx: Tx, prefix: str, hours: tuple[int, int], by: str | None, where: Where
) -> dict[str, int]:
    """Per value of `by`, the distinct complaints matching `where` resolved in the hours: the
    resolution rows keep the complaint's slices, so a filter reads only its own rows."""
    condition, params = matching(where, by)
    value, grouped = ("''", "") if by is None else (by, f" GROUP BY {by}")
    rows: Sequence[Any] = tx.all(
        f"SELECT {value}, COUNT(DISTINCT complaint_id) FROM {prefix}{RESOLUTIONS.name}"
        f" WHERE hour BETWEEN ? AND ?{f' AND {condition}' if condition else ''}{grouped}",
        [*hours, *params],
    )
    return {v: int(n) for v, n in rows}


def facts_matching(where: Where, by: str | None, alias: str) -> tuple[str, list[str]]:
    """`matching` on complaint_facts, where a slice not set is NULL: " AND ..." or ""."""
    conditions, params = conditions_of(where, alias)
    if by is not None:
        conditions.append(f"{alias}{check_slice(by)} IS NOT NULL")
    return "".join(f" AND {c}" for c in conditions), params


def conditions_of(where: Where, alias: str) -> tuple[list[str], list[str]]:
    conditions: list[str] = []
    params: list[str] = []
    for by, value in where.items():
        column = f"{alias}{check_slice(by)}"
        if isinstance(value, str):
            conditions.append(f"{column} = ?")
            params.append(value)
        else:
            conditions.append(f"{column} IN ({', '.join('?' for _ in value) or 'NULL'})")
            params += value
    return conditions, params
