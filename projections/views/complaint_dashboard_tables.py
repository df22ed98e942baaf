"""Durations kept as hourly and daily histograms with fixed log-spaced buckets, and their
percentiles.

A bucket spans a factor of 2 ** (1/16) (about 4.4 %); bucket 0 holds everything under one
second. Each bucket keeps its count and the sum of its durations in whole milliseconds, and a
percentile is the mean of the bucket that holds its rank (nearest-rank definition). The true
percentile lies in that same bucket, so the answer is within 4.5 % of it (under one second
below one second), and exact when the bucket holds a single distinct duration.
Sums are integers, so the tables do not depend on the order the events were added in. A
window's histogram is its hours' and days' (projections/rollup) merged by bucket, adding n and
total_ms.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, NamedTuple

from projections.engine.rollup import Spans, day_of, spanned
from projections.engine.store import Tx
from projections.engine.tables import INTEGER, Table

BUCKETS_PER_OCTAVE = 16
PERCENTS = (50, 90, 99)


class Bucket(NamedTuple):
    """One bucket of a measure's histogram, summed over a window."""

    bucket: int
    n: int  # how many durations
    total_ms: int  # their sum


class HourlyBucketRecord(NamedTuple):
    hour: int
    measure: str  # first_response or resolution
    bucket: Annotated[int, INTEGER]
    n: int
    total_ms: int


class DailyBucketRecord(NamedTuple):
    day: int
    measure: str
    bucket: Annotated[int, INTEGER]
    n: int
    total_ms: int


class MeasureBucket(NamedTuple):
    """A bucket of one measure summed over a window, as the query gives it."""

    measure: str
    bucket: int
    n: int
    total_ms: int


DURATIONS = Table("durations", HourlyBucketRecord, primary_key=("hour", "measure", "bucket"))
DURATIONS_DAILY = Table(
    "durations_daily", DailyBucketRecord, primary_key=("day", "measure", "bucket")
)


def milliseconds(seconds: float) -> int:
    """A duration in whole milliseconds, never negative."""
    return max(0, round(seconds * 1000))


def bucket_of(ms: int) -> int:
    if ms < 1000:
        return 0
    return 1 + int(math.log2(ms / 1000) * BUCKETS_PER_OCTAVE)


class Histograms:
    """What one batch adds to the histograms: (hour or day, measure, bucket) -> [n, total ms]."""

    def __init__(self) -> None:
        self.added: dict[tuple[int, str, int], list[int]] = {}

    def add(self, hour: int, measure: str, ms: int) -> None:
        self.add_bucket((hour, measure, bucket_of(ms)), 1, ms)

    def add_bucket(self, key: tuple[int, str, int], n: int, total_ms: int) -> None:
        entry = self.added.setdefault(key, [0, 0])
        entry[0] += n
        entry[1] += total_ms

    def by_day(self) -> Histograms:
        """The same additions, each hour's moved to its UTC day."""
        days = Histograms()
        for (hour, measure, bucket), (n, total) in self.added.items():
            days.add_bucket((day_of(hour), measure, bucket), n, total)
        return days

    def write(self, tx: Tx, table: Table[Any], prefix: str) -> None:
        """Adds the buckets to `table`, keyed (hour or day, measure, bucket) as `added` is."""
        name = prefix + table.name
        tx.merge(
            name,
            table.names,
            table.primary_key,
            [(*key, n, total) for key, (n, total) in self.added.items()],
            f"n = {name}.n + excluded.n, total_ms = {name}.total_ms + excluded.total_ms",
        )


def read_histograms(tx: Tx, prefix: str, window: Spans) -> dict[str, list[Bucket]]:
    """Each measure's buckets summed over the window's hours and days, in bucket order."""
    hourly, daily = prefix + DURATIONS.name, prefix + DURATIONS_DAILY.name
    source, params = spanned(hourly, daily, "measure, bucket, n, total_ms", window)
    summed = tx.records(
        MeasureBucket,
        "SELECT measure, bucket, SUM(n) AS n, SUM(total_ms) AS total_ms"
        f" FROM {source} GROUP BY measure, bucket ORDER BY measure, bucket",
        params,
    )
    measures: dict[str, list[Bucket]] = {}
    for row in summed:
        measures.setdefault(row.measure, []).append(
            Bucket(int(row.bucket), int(row.n), int(row.total_ms))
        )
    return measures


@dataclass(frozen=True)
class DurationStats:
    """How many durations, their percentiles and their mean in seconds (None when there are
    none). The mean is exact: each bucket keeps the sum of its durations. `unanswered` of the
    `count` are the ages so far of complaints still waiting for what is timed."""

    count: int
    p50: float | None
    p90: float | None
    p99: float | None
    mean: float | None = None
    unanswered: int = 0


def percentile(buckets: Sequence[Bucket], percent: int) -> float | None:
    """The nearest-rank percentile in seconds of buckets given in bucket order."""
    count = sum(b.n for b in buckets)
    if not count:
        return None
    rank = max(1, (percent * count + 99) // 100)
    seen = 0
    for b in buckets:
        seen += b.n
        if seen >= rank:
            return b.total_ms / b.n / 1000
    raise AssertionError("unreachable: the ranks fall inside the buckets")


def duration_stats(buckets: Sequence[Bucket], unanswered: int = 0) -> DurationStats:
    p50, p90, p99 = (percentile(buckets, p) for p in PERCENTS)
    count = sum(b.n for b in buckets)
    mean = sum(b.total_ms for b in buckets) / count / 1000 if count else None
    return DurationStats(count, p50, p90, p99, mean, unanswered)
