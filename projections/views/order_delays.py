"""Order delay monitor: at-risk and late orders by stage, region and attribution, and late
orders by channel, restaurant and courier company (order_delays_by)
(docs/architecture.md#read-models).

A compact row per order. `stage` is where the order was when its delay was last detected
(DelayDetected.stage), or, for an order recorded late without a detection, its status then.
Open orders at risk or late are flagged `watched` and indexed by promise; their current counts
by (stage, region, risk) are kept as totals that go up and down. Late orders (at the hour of
OrderLate, the minutes of a delivered one those at delivery: order_delays_late) and delay
detections are counted in hourly buckets of business time, and again by
UTC day (`late_daily`, `detections_daily`, written from the same batch): a window reads its
whole days from those and only the hours at its edges by the hour (projections/rollup).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from projections.engine.keyset import keyset_page
from projections.engine.projection import Envelope, Projection
from projections.engine.reading import (
    active_prefix,
    add_counts,
    adjust_counts,
    from_epoch,
    hours_between,
    page_size,
    records_by_ids,
    upsert_records,
)
from projections.engine.rollup import by_day, spanned, spans
from projections.engine.store import Tx, ViewStore
from projections.engine.tables import Table
from projections.views.order_delays_by import LateFigures, late_by
from projections.views.order_delays_late import (
    LATE_BY,
    LATE_BY_DAILY,
    LATE_ORDERS,
)
from projections.views.order_delays_rows import (
    CHANGES,
    ORDERS,
    LateKey,
    OrderRecord,
    Tally,
    Tracked,
    from_record,
    received,
)

WATCH_KEYS = ("stage", "region", "delay_risk")
LATE_COLUMNS = "attributed_to, region, stage, n, late_min, longest_min"


class WatchCountRecord(NamedTuple):
    """Open orders at risk or late now, by stage, region and risk."""

    stage: str
    region: str
    delay_risk: str
    n: int


class DetectionRecord(NamedTuple):
    hour: int
    stage: str
    region: str
    n: int


class DailyDetectionRecord(NamedTuple):
    day: int
    stage: str
    region: str
    n: int


class LateRecord(NamedTuple):
    hour: int
    attributed_to: str
    region: str
    stage: str
    n: int
    late_min: int
    longest_min: int


class DailyLateRecord(NamedTuple):
    day: int
    attributed_to: str
    region: str
    stage: str
    n: int
    late_min: int
    longest_min: int


class LateSum(NamedTuple):
    """Late orders of one attribution, region and stage over a window."""

    attributed_to: str
    region: str
    stage: str
    n: int
    late_min: int
    longest_min: int


class DetectionSum(NamedTuple):
    stage: str
    region: str
    n: int


WATCH_COUNTS = Table("watch_counts", WatchCountRecord, primary_key=WATCH_KEYS)
DETECTIONS = Table("detections", DetectionRecord, primary_key=("hour", "stage", "region"))
DETECTIONS_DAILY = Table(
    "detections_daily", DailyDetectionRecord, primary_key=("day", "stage", "region")
)
LATE = Table("late", LateRecord, primary_key=("hour", "attributed_to", "region", "stage"))
LATE_DAILY = Table(
    "late_daily", DailyLateRecord, primary_key=("day", "attributed_to", "region", "stage")
)


class OrderDelaysProjection(Projection):
    name = "order_delays"
    events = ("OrderReceived", *CHANGES)

    declared = (
        ORDERS,
        WATCH_COUNTS,
        DETECTIONS,
        LATE,
        DETECTIONS_DAILY,
        LATE_DAILY,
        LATE_ORDERS,
        LATE_BY,
        LATE_BY_DAILY,
    )

    def process(self, tx: Tx, prefix: str, batch: Sequence[Envelope]) -> None:
        ids = (str(envelope.event.originator_id) for envelope in batch)
        records = records_by_ids(tx, ORDERS, prefix, ids)
        orders = {record.order_id: from_record(record) for record in records}
        before = Counter(key for order in orders.values() for key in order.counted())
        moving = (str(e.event.originator_id) for e in batch if e.name in LATE_ORDER_CHANGES)
        late = records_by_ids(tx, LATE_ORDERS, prefix, moving)
        tally = Tally(Counter(), {}, {record.order_id: record for record in late})
        for envelope in batch:
            apply(orders, envelope, tally)
        upsert_records(tx, ORDERS, prefix, (order.record() for order in orders.values()))
        after = Counter(key for order in orders.values() for key in order.counted())
        after.subtract(before)
        adjust_counts(tx, prefix + WATCH_COUNTS.name, WATCH_KEYS, after)
        detections = tally.detections
        add_counts(tx, prefix + DETECTIONS.name, DETECTIONS.primary_key, detections)
        add_counts(
            tx, prefix + DETECTIONS_DAILY.name, DETECTIONS_DAILY.primary_key, by_day(detections)
        )
        add_late(tx, prefix + LATE.name, tally.late)
        add_late(tx, prefix + LATE_DAILY.name, tally.late_by_day(), "day")
        changed = (tally.late_orders[order_id] for order_id in sorted(tally.changed_late))
        upsert_records(tx, LATE_ORDERS, prefix, changed)
        add_late_by(tx, prefix + LATE_BY.name, tally.late_by)
        add_late_by(tx, prefix + LATE_BY_DAILY.name, tally.late_by_days(), "day")


def apply(orders: dict[str, Tracked], envelope: Envelope, tally: Tally) -> None:
    event = envelope.event
    if envelope.name == "OrderReceived":
        orders[str(event.originator_id)] = received(event)
        return
    order = orders.get(str(event.originator_id))
    if order is not None:
        CHANGES[envelope.name](order, event, tally)


LATE_ORDER_CHANGES = frozenset({"OrderDelivered", "CourierAssigned"})  # what a late order keeps


def add_late_by(
    tx: Tx, table: str, late: dict[tuple[int, str, str, str], list[int]], period: str = "hour"
) -> None:
    """Adds late orders and minutes by slice; a slice value a late order's courier company
    left may be back to 0: its row goes, whatever the batches."""
    keys = (period, "region", "slice_by", "slice_value")
    rows = [(*key, n, minutes) for key, (n, minutes) in late.items() if n or minutes]
    tx.merge(
        table,
        (*keys, "n", "late_min"),
        keys,
        rows,
        f"n = {table}.n + excluded.n, late_min = {table}.late_min + excluded.late_min",
    )
    tx.executemany(
        f"DELETE FROM {table} WHERE {' AND '.join(f'{k} = ?' for k in keys)} AND n = 0",
        [key for key, (n, _) in late.items() if n < 0],
    )


def add_late(tx: Tx, table: str, late: dict[LateKey, list[int]], period: str = "hour") -> None:
    tx.executemany(
        f"INSERT INTO {table} ({period}, attributed_to, region, stage, n, late_min, longest_min)"
        f" VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT ({period}, attributed_to, region, stage)"
        f" DO UPDATE SET n = {table}.n + excluded.n,"
        f" late_min = {table}.late_min + excluded.late_min,"
        f" longest_min = CASE WHEN excluded.longest_min > {table}.longest_min"
        f" THEN excluded.longest_min ELSE {table}.longest_min END",
        [(*key, *counts) for key, counts in late.items()],
    )


@dataclass(frozen=True)
class OrderDelay:
    order_id: str
    region: str
    restaurant: str
    status: str
    stage: str | None
    promised_at: datetime
    eta: datetime | None
    delay_risk: str  # on_track | at_risk | late
    expected_late_min: int | None
    late_min: int | None
    attributed_to: str | None
    delivered_at: datetime | None
    delay_notices: int
    is_open: bool
    sort_key: tuple[float, str]  # (promised_at, order id): pass as `after` for the rows after it


@dataclass(frozen=True)
class DelayPage:
    rows: list[OrderDelay]
    after: tuple[float, str] | None  # the cursor of the next page; None on the last page


@dataclass(frozen=True)
class DelaySummary:
    late: int  # orders recorded late in the window
    late_by_attribution: dict[str, int]
    late_by_region: dict[str, int]
    late_by_stage: dict[str, int]
    mean_late_min: float | None
    max_late_min: int | None
    detections: int  # delays detected in the window
    detections_by_stage: dict[str, int]
    detections_by_region: dict[str, int]
    open_at_risk_by_stage: dict[str, int]  # now, whatever the window
    open_at_risk_by_region: dict[str, int]
    open_late_by_stage: dict[str, int]
    open_late_by_region: dict[str, int]
    # the window's late orders by the channel they came through, their restaurant and the
    # courier company that carried them last (order_delays_late)
    late_by_channel: dict[str, LateFigures]
    late_by_restaurant: dict[str, LateFigures]
    late_by_courier_company: dict[str, LateFigures]


def orders_at_risk(
    store: ViewStore,
    *,
    region: str | None = None,
    stage: str | None = None,
    after: tuple[float, str] | None = None,
    limit: int = 50,
) -> DelayPage:
    """Open orders at risk or late, by (promised_at, order id)."""
    page_size(limit)
    page = keyset_page(
        store,
        OrderDelaysProjection.name,
        ORDERS,
        filters={"watched": 1, "region": region, "stage": stage},
        order=("promised_at", "order_id"),
        after=after,
        limit=limit,
        convert=order_delay_of,
    )
    return DelayPage(page.rows, page.after)


def order_delay(store: ViewStore, order_id: str) -> OrderDelay | None:
    """One order's row, open or not."""
    with store.transaction() as tx:
        prefix = active_prefix(tx, OrderDelaysProjection.name)
        record = tx.record(
            OrderRecord,
            f"SELECT {ORDERS.select_list} FROM {prefix}{ORDERS.name} WHERE order_id = ?",
            (order_id,),
        )
    return None if record is None else order_delay_of(record)


def delay_summary(
    store: ViewStore, start: datetime, end: datetime, region: str | None = None
) -> DelaySummary:
    """Late orders and detections in [start, end) resolved to whole hours; open ones now. Given
    a `region`, only its orders: every table is keyed by region, so the filter is a condition
    on the same rows and the window still costs its days, not the history."""
    window = spans(*hours_between(start, end))
    where, args = ("region = ?", [region]) if region is not None else ("", [])
    with store.snapshot() as tx:
        p = active_prefix(tx, OrderDelaysProjection.name)
        source, params = spanned(
            p + LATE.name, p + LATE_DAILY.name, LATE_COLUMNS, window, where, args
        )
        late = tx.records(
            LateSum,
            "SELECT attributed_to, region, stage, SUM(n) AS n, SUM(late_min) AS late_min,"
            f" MAX(longest_min) AS longest_min FROM {source} GROUP BY attributed_to, region, stage",
            params,
        )
        source, params = spanned(
            p + DETECTIONS.name, p + DETECTIONS_DAILY.name, "stage, region, n", window, where, args
        )
        detected = tx.records(
            DetectionSum,
            f"SELECT stage, region, SUM(n) AS n FROM {source} GROUP BY stage, region",
            params,
        )
        watched = WATCH_COUNTS.records(
            tx.all(
                f"SELECT {WATCH_COUNTS.select_list} FROM {p}{WATCH_COUNTS.name}"
                + (f" WHERE {where}" if where else ""),
                args,
            )
        )
        sliced = late_by(tx, p, window, where, args)
    orders, minutes = sum(int(r.n) for r in late), sum(int(r.late_min) for r in late)
    at_risk = [r for r in watched if r.delay_risk == "at_risk"]
    open_late = [r for r in watched if r.delay_risk == "late"]
    return DelaySummary(
        late=orders,
        late_by_attribution=totals((r.attributed_to, r.n) for r in late),
        late_by_region=totals((r.region, r.n) for r in late),
        late_by_stage=totals((r.stage, r.n) for r in late),
        mean_late_min=minutes / orders if orders else None,
        max_late_min=max((int(r.longest_min) for r in late), default=None),
        detections=sum(int(r.n) for r in detected),
        detections_by_stage=totals((r.stage, r.n) for r in detected),
        detections_by_region=totals((r.region, r.n) for r in detected),
        open_at_risk_by_stage=totals((r.stage, r.n) for r in at_risk),
        open_at_risk_by_region=totals((r.region, r.n) for r in at_risk),
        open_late_by_stage=totals((r.stage, r.n) for r in open_late),
        open_late_by_region=totals((r.region, r.n) for r in open_late),
        late_by_channel=sliced["channel"],
        late_by_restaurant=sliced["restaurant"],
        late_by_courier_company=sliced["courier_company"],
    )


def totals(counted: Iterable[tuple[str, int]]) -> dict[str, int]:
    """The counts summed by label."""
    summed: Counter[str] = Counter()
    for label, n in counted:
        summed[label] += int(n)
    return dict(summed)


def order_delay_of(record: OrderRecord) -> OrderDelay:
    return OrderDelay(
        order_id=record.order_id,
        region=record.region,
        restaurant=record.restaurant,
        status=record.status,
        stage=record.stage,
        promised_at=from_epoch(record.promised_at),
        eta=optional_time(record.eta),
        delay_risk=record.delay_risk,
        expected_late_min=record.expected_late_min,
        late_min=record.late_min,
        attributed_to=record.attributed_to,
        delivered_at=optional_time(record.delivered_at),
        delay_notices=int(record.delay_notices),
        is_open=bool(record.is_open),
        sort_key=(float(record.promised_at), record.order_id),
    )


def optional_time(seconds: float | None) -> datetime | None:
    return None if seconds is None else from_epoch(seconds)
