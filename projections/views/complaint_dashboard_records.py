"""The complaint dashboard's declared tables, and the two figures it reads from per-complaint
rows rather than from counts: the complaints still waiting for a first response, and the
distinct complaints resolved in a window.

Both read only the rows of the window's hours through an index, so their cost follows the
complaints of the window, not the history; the resolution rows keep the complaint's slices
(indexed each with the hour), so a filtered window reads only the rows of its slices.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from projections.engine.store import Tx
from projections.engine.tables import Index, Table
from projections.views.complaint_dashboard_tables import Bucket, bucket_of, milliseconds

COUNT_KEYS = ("hour", "dimension", "label")
DAILY_COUNT_KEYS = ("day", "dimension", "label")


class FactRecord(NamedTuple):
    """What the dashboard remembers of one complaint, as stored."""

    complaint_id: str
    received_hour: int
    received_at: float
    category: str | None
    subcategory: str | None  # `<category>/<subcategory>`, the label it counts under
    severity: str | None
    department: str | None
    first_response_at: float | None
    channel: str | None
    agent: str | None  # the person responsible, as the last assignment named them
    region: str | None  # its order's region (`unknown` if the view never saw the order)
    counted: str  # JSON: what it counted when it happened, to move under its slices (Fact)


class CountRecord(NamedTuple):
    hour: int
    dimension: str
    label: str
    n: int


class DailyCountRecord(NamedTuple):
    day: int
    dimension: str
    label: str
    n: int


class CountSum(NamedTuple):
    """One label's count summed over a window."""

    dimension: str
    label: str
    n: int


class OrderRegionRecord(NamedTuple):
    """The region an order was received in, for the complaints about it."""

    order_id: str
    region: str


class ResolutionRecord(NamedTuple):
    """How often one complaint was resolved in one hour, under its slices now ("" where not
    set, as in the slice tables), so that a filtered window reads only its own rows."""

    hour: int
    complaint_id: str
    department: str
    agent: str
    channel: str
    category: str
    region: str
    n: int


# complaint_facts replaced the `facts` table when reasons were counted: a new name, so an
# older generation is rebuilt before it is followed (as `resolutions`, new, makes it again)
FACTS = Table(
    "complaint_facts",
    FactRecord,
    primary_key=("complaint_id",),
    indexes=(Index("unanswered", ("first_response_at", "received_hour")),),
)
COUNTS = Table("counts", CountRecord, primary_key=COUNT_KEYS)
COUNTS_DAILY = Table("counts_daily", DailyCountRecord, primary_key=DAILY_COUNT_KEYS)
# complaint_resolutions replaced `resolutions` when its rows took the complaint's slices: a new
# name, so an older generation, whose rows have none, is rebuilt before it is followed
RESOLUTIONS = Table(
    "complaint_resolutions",
    ResolutionRecord,
    primary_key=("hour", "complaint_id"),
    indexes=(
        Index("complaint", ("complaint_id",)),  # to move its rows when it is reassigned
        *(
            Index(f"by_{by}", (by, "hour", "complaint_id"))
            for by in ("department", "agent", "channel", "category", "region")
        ),
    ),
)
# new when complaints were counted by region: an older generation, whose facts have no region,
# is rebuilt before it is followed
ORDER_REGIONS = Table("order_regions", OrderRegionRecord, primary_key=("order_id",))


def unanswered_ages(tx: Tx, prefix: str, first: int, last: int, as_of: datetime) -> list[int]:
    """The age in milliseconds at `as_of` of every complaint received in the hours first..last
    that has no first response yet (0 for one received after `as_of`)."""
    rows = tx.all(
        f"SELECT received_at FROM {prefix}{FACTS.name}"
        " WHERE first_response_at IS NULL AND received_hour BETWEEN ? AND ?",
        (first, last),
    )
    moment = as_of.timestamp()
    return sorted(milliseconds(moment - float(received_at)) for (received_at,) in rows)


def with_ages(buckets: list[Bucket], ages_ms: list[int]) -> list[Bucket]:
    """The histogram `buckets` (in bucket order) with each age added to its bucket."""
    merged = {b.bucket: [b.n, b.total_ms] for b in buckets}
    for ms in ages_ms:
        entry = merged.setdefault(bucket_of(ms), [0, 0])
        entry[0] += 1
        entry[1] += ms
    return [Bucket(bucket, n, total) for bucket, (n, total) in sorted(merged.items())]


def complaints_resolved(tx: Tx, prefix: str, first: int, last: int) -> int:
    """How many distinct complaints were resolved in the hours first..last."""
    resolved = tx.scalar(
        f"SELECT COUNT(DISTINCT complaint_id) FROM {prefix}{RESOLUTIONS.name}"
        " WHERE hour BETWEEN ? AND ?",
        (first, last),
    )
    return int(resolved)
