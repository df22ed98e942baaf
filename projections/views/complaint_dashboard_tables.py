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

from projections.engine.rollup import Spans, day_of, spanned
from projections.engine.store import Tx

BUCKETS_PER_OCTAVE = 16
PERCENTS = (50, 90, 99)

Bucket = tuple[int, int, int]  # (bucket, count, total milliseconds)


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

    def write(self, tx: Tx, table: str, period: str = "hour") -> None:
        tx.merge(
            table,
            (period, "measure", "bucket", "n", "total_ms"),
            (period, "measure", "bucket"),
            [(*key, n, total) for key, (n, total) in self.added.items()],
            f"n = {table}.n + excluded.n, total_ms = {table}.total_ms + excluded.total_ms",
        )


def create_histogram_table(tx: Tx, table: str, period: str = "hour") -> None:
    tx.execute(
        f"CREATE TABLE {table} ({period} BIGINT NOT NULL, measure TEXT NOT NULL,"
        " bucket INTEGER NOT NULL, n BIGINT NOT NULL, total_ms BIGINT NOT NULL,"
        f" PRIMARY KEY ({period}, measure, bucket))"
    )


def read_histograms(tx: Tx, hourly: str, daily: str, window: Spans) -> dict[str, list[Bucket]]:
    """Each measure's buckets summed over the window's hours and days, in bucket order."""
    source, params = spanned(hourly, daily, "measure, bucket, n, total_ms", window)
    rows = tx.all(
        f"SELECT measure, bucket, SUM(n), SUM(total_ms) FROM {source}"
        " GROUP BY measure, bucket ORDER BY measure, bucket",
        params,
    )
    measures: dict[str, list[Bucket]] = {}
    for measure, bucket, n, total in rows:
        measures.setdefault(measure, []).append((int(bucket), int(n), int(total)))
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
    count = sum(n for _, n, _ in buckets)
    if not count:
        return None
    rank = max(1, (percent * count + 99) // 100)
    seen = 0
    for _, n, total in buckets:
        seen += n
        if seen >= rank:
            return total / n / 1000
    raise AssertionError("unreachable: the ranks fall inside the buckets")


def duration_stats(buckets: Sequence[Bucket], unanswered: int = 0) -> DurationStats:
    p50, p90, p99 = (percentile(buckets, p) for p in PERCENTS)
    count = sum(n for _, n, _ in buckets)
    mean = sum(total for _, _, total in buckets) / count / 1000 if count else None
    return DurationStats(count, p50, p90, p99, mean, unanswered)
