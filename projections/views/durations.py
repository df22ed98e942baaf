"""Durations of the complaint dashboard as an analyst reads them: means, shares within a
limit and counts by band, from the same histograms its percentiles come from.

A duration is placed by its bucket's mean (complaint_dashboard_tables: a bucket spans about
4.4 %), so a band edge is exact to within that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from projections.engine.reading import active_prefix, hours_between
from projections.engine.rollup import spans
from projections.engine.store import ViewStore
from projections.views.complaint_dashboard import ComplaintDashboardProjection, ages_at
from projections.views.complaint_dashboard_records import unanswered_ages, with_ages
from projections.views.complaint_dashboard_tables import Bucket, read_histograms


@dataclass(frozen=True)
class Durations:
    """One measure's durations in a window: how many, their total, and counts below edges."""

    buckets: tuple[Bucket, ...]

    @property
    def count(self) -> int:
        return sum(b.n for b in self.buckets)

    @property
    def mean_s(self) -> float | None:
        total_ms = sum(b.total_ms for b in self.buckets)
        return total_ms / self.count / 1000 if self.count else None

    def share_within(self, limit_s: float) -> float | None:
        if not self.count:
            return None
        within = sum(b.n for b in self.buckets if b.total_ms / b.n / 1000 <= limit_s)
        return within / self.count

    def by_band(self, edges_s: Sequence[float]) -> list[int]:
        """Counts in [0, e1], (e1, e2], ..., (e_last, inf): one more than there are edges."""
        counts = [0] * (len(edges_s) + 1)
        for b in self.buckets:
            mean = b.total_ms / b.n / 1000
            counts[sum(1 for edge in edges_s if mean > edge)] += b.n
        return counts


def complaint_durations(
    store: ViewStore, start: datetime, end: datetime, as_of: datetime | None = None
) -> dict[str, Durations]:
    """First-response and resolution durations of complaints in the window [start, end), the
    complaints received in it still unanswered at their age so far (as the dashboard counts)."""
    first, last = hours_between(start, end)
    window = spans(first, last)
    with store.snapshot() as tx:
        p = active_prefix(tx, ComplaintDashboardProjection.name)
        histograms = read_histograms(tx, p, window)
        waiting = unanswered_ages(tx, p, first, last, ages_at(last, as_of))
    histograms["first_response"] = with_ages(histograms.get("first_response", []), waiting)
    return {
        measure: Durations(tuple(histograms.get(measure, [])))
        for measure in ("first_response", "resolution")
    }
