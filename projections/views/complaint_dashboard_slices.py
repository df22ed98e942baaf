"""The complaint dashboard by slice: the same figures for the complaints of one department,
agent, channel or category, to filter the dashboard by one of them or break it down by all.

Counts and histograms are kept again with a slice (`slice_by`, `slice_value`) in their key, by
hour and by UTC day like the dashboard's own (projections/rollup), so a filtered window or a
breakdown costs the populated days and edge hours of its slices, not the history.

Everything a complaint counts (at its received hour, or at the hour something happened to it:
its first response, resolutions, SLA results, escalations, the scores of its survey) counts
under the slices the complaint is in now, and moves with it when it is reclassified or
reassigned: a department's figures are those of the complaints it handles. The complaint's
facts keep what it counted (complaint_dashboard_tally.Fact), so a move can take it along.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from projections.engine.rollup import Spans, day_of, spanned
from projections.engine.store import Tx
from projections.engine.tables import Table
from projections.views.complaint_dashboard_tables import Bucket, milliseconds

SLICES = ("department", "agent", "channel", "category")
SLICE_COUNT_KEYS = ("hour", "slice_by", "slice_value", "dimension", "label")
DAILY_SLICE_COUNT_KEYS = ("day", "slice_by", "slice_value", "dimension", "label")
SliceKey = tuple[int, str, str, str, int]  # hour or day, slice_by, slice_value, measure, bucket


class SliceCountRecord(NamedTuple):
    hour: int
    slice_by: str
    slice_value: str
    dimension: str
    label: str
    n: int


class DailySliceCountRecord(NamedTuple):
    day: int
    slice_by: str
    slice_value: str
    dimension: str
    label: str
    n: int


class SliceDurationRecord(NamedTuple):
    hour: int
    slice_by: str
    slice_value: str
    measure: str
    bucket: int
    n: int
    total_ms: int


class DailySliceDurationRecord(NamedTuple):
    day: int
    slice_by: str
    slice_value: str
    measure: str
    bucket: int
    n: int
    total_ms: int


class SurveyComplaintRecord(NamedTuple):
    """A survey about a complaint, so that its answer counts under the complaint's slices."""

    survey_id: str
    complaint_id: str


SLICE_COUNTS = Table("slice_counts", SliceCountRecord, SLICE_COUNT_KEYS)
SLICE_COUNTS_DAILY = Table("slice_counts_daily", DailySliceCountRecord, DAILY_SLICE_COUNT_KEYS)
SLICE_DURATIONS = Table(
    "slice_durations", SliceDurationRecord, (*SLICE_COUNT_KEYS[:3], "measure", "bucket")
)
SLICE_DURATIONS_DAILY = Table(
    "slice_durations_daily",
    DailySliceDurationRecord,
    (*DAILY_SLICE_COUNT_KEYS[:3], "measure", "bucket"),
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
        for (hour, by, value, measure, bucket), (n, total) in self.added.items():
            days.add((day_of(hour), by, value, measure, bucket), n, total)
        return days

    def write(self, tx: Tx, table: str, period: str = "hour") -> None:
        keys = (period, "slice_by", "slice_value", "measure", "bucket")
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
    by: str,
    value: str | None,
    as_of_s: float,
) -> SliceFigures:
    """The figures of the window for every value of slice `by`, or only for `value`."""
    where, params = "slice_by = ?", [check_slice(by)]
    if value is not None:
        where, params = f"{where} AND slice_value = ?", [*params, value]
    p = prefix
    columns = "slice_value, dimension, label, n"
    source, args = spanned(
        f"{p}{SLICE_COUNTS.name}", f"{p}{SLICE_COUNTS_DAILY.name}", columns, window, where, params
    )
    counts: dict[str, list[tuple[str, str, int]]] = {}
    for v, dimension, label, n in tx.all(
        f"SELECT slice_value, dimension, label, SUM(n) FROM {source}"
        " GROUP BY slice_value, dimension, label",
        args,
    ):
        counts.setdefault(v, []).append((dimension, label, int(n)))
    columns = "slice_value, measure, bucket, n, total_ms"
    source, args = spanned(
        f"{p}{SLICE_DURATIONS.name}",
        f"{p}{SLICE_DURATIONS_DAILY.name}",
        columns,
        window,
        where,
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
        waiting_by(tx, prefix, hours, by, value, as_of_s),
        resolved_by(tx, prefix, hours, by, value),
    )


def waiting_by(
    tx: Tx, prefix: str, hours: tuple[int, int], by: str, value: str | None, as_of_s: float
) -> dict[str, list[int]]:
    """Per value of `by`, the ages at `as_of_s` of its complaints received in the hours and
    not answered yet (their slice now, as for every count at the received hour)."""
    rows = tx.all(
        f"SELECT {by}, received_at FROM {prefix}complaint_facts"
        " WHERE first_response_at IS NULL AND received_hour BETWEEN ? AND ?"
        f" AND {by} IS NOT NULL{'' if value is None else f' AND {by} = ?'}",
        [*hours, *([] if value is None else [value])],
    )
    ages: dict[str, list[int]] = {}
    for v, received_at in rows:
        ages.setdefault(v, []).append(milliseconds(as_of_s - float(received_at)))
    return {v: sorted(found) for v, found in ages.items()}


def resolved_by(
    tx: Tx, prefix: str, hours: tuple[int, int], by: str, value: str | None
) -> dict[str, int]:
    """Per value of `by`, the distinct complaints resolved in the hours."""
    rows: Sequence[Any] = tx.all(
        f"SELECT f.{by}, COUNT(DISTINCT r.complaint_id) FROM {prefix}resolutions r"
        f" JOIN {prefix}complaint_facts f ON f.complaint_id = r.complaint_id"
        f" WHERE r.hour BETWEEN ? AND ? AND f.{by} IS NOT NULL"
        f"{'' if value is None else f' AND f.{by} = ?'} GROUP BY f.{by}",
        [*hours, *([] if value is None else [value])],
    )
    return {v: int(n) for v, n in rows}
