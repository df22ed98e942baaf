"""Order delay monitor: at-risk and late orders by stage, region and attribution
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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from projections.engine.projection import Envelope, Projection
from projections.engine.reading import (
    active_prefix,
    add_counts,
    adjust_counts,
    from_epoch,
    hours_between,
    page_size,
    records_by_ids,
    rows_by_ids,
    upsert_records,
    upsert_rows,
)
from projections.engine.rollup import by_day, spanned, spans
from projections.engine.store import Row, Tx, ViewStore
from projections.views.order_delays_late import LATE_ORDERS
from projections.views.order_delays_rows import (
    CHANGES,
    COLUMNS,
    LateKey,
    Tally,
    Tracked,
    from_row,
    received,
)


class OrderDelaysProjection(Projection):
    name = "order_delays"
    events = ("OrderReceived", *CHANGES)

    def tables(self) -> tuple[str, ...]:
        return (
            "orders",
            "watch_counts",
            "detections",
            "late",
            "detections_daily",
            "late_daily",
            LATE_ORDERS.name,
        )

    def create_tables(self, tx: Tx, prefix: str) -> None:
        tx.execute(
            f"CREATE TABLE {prefix}orders (order_id TEXT PRIMARY KEY, region TEXT NOT NULL,"
            " restaurant TEXT NOT NULL, status TEXT NOT NULL, stage TEXT,"
            " promised_at DOUBLE PRECISION NOT NULL, eta DOUBLE PRECISION,"
            " delay_risk TEXT NOT NULL, expected_late_min INTEGER, late_min INTEGER,"
            " attributed_to TEXT, delivered_at DOUBLE PRECISION, delay_notices INTEGER NOT NULL,"
            " is_open INTEGER NOT NULL, watched INTEGER NOT NULL)"
        )
        for name, columns in (("", ""), ("_region", "region, "), ("_stage", "stage, ")):
            tx.execute(
                f"CREATE INDEX {prefix}orders_watched{name} ON {prefix}orders"
                f" (watched, {columns}promised_at, order_id)"
            )
        tx.execute(
            f"CREATE TABLE {prefix}watch_counts (stage TEXT NOT NULL, region TEXT NOT NULL,"
            " delay_risk TEXT NOT NULL, n BIGINT NOT NULL,"
            " PRIMARY KEY (stage, region, delay_risk))"
        )
        for suffix, period in (("", "hour"), ("_daily", "day")):
            tx.execute(
                f"CREATE TABLE {prefix}detections{suffix} ({period} BIGINT NOT NULL,"
                " stage TEXT NOT NULL, region TEXT NOT NULL, n BIGINT NOT NULL,"
                f" PRIMARY KEY ({period}, stage, region))"
            )
            tx.execute(
                f"CREATE TABLE {prefix}late{suffix} ({period} BIGINT NOT NULL,"
                " attributed_to TEXT NOT NULL, region TEXT NOT NULL, stage TEXT NOT NULL,"
                " n BIGINT NOT NULL, late_min BIGINT NOT NULL, longest_min BIGINT NOT NULL,"
                f" PRIMARY KEY ({period}, attributed_to, region, stage))"
            )
        for statement in LATE_ORDERS.ddl(tx.dialect, prefix):
            tx.execute(statement)

    def process(self, tx: Tx, prefix: str, batch: Sequence[Envelope]) -> None:
        ids = (str(envelope.event.originator_id) for envelope in batch)
        rows = rows_by_ids(tx, f"{prefix}orders", COLUMNS, "order_id", ids)
        orders = {row[0]: from_row(row) for row in rows}
        before = Counter(key for order in orders.values() for key in order.counted())
        delivered = (str(e.event.originator_id) for e in batch if e.name == "OrderDelivered")
        late = records_by_ids(tx, LATE_ORDERS, prefix, delivered)
        tally = Tally(Counter(), {}, {record.order_id: record for record in late})
        for envelope in batch:
            apply(orders, envelope, tally)
        upsert_rows(
            tx,
            f"{prefix}orders",
            COLUMNS,
            ("order_id",),
            (order.row() for order in orders.values()),
        )
        after = Counter(key for order in orders.values() for key in order.counted())
        after.subtract(before)
        adjust_counts(tx, f"{prefix}watch_counts", ("stage", "region", "delay_risk"), after)
        detections = tally.detections
        add_counts(tx, f"{prefix}detections", ("hour", "stage", "region"), detections)
        add_counts(tx, f"{prefix}detections_daily", ("day", "stage", "region"), by_day(detections))
        add_late(tx, f"{prefix}late", tally.late)
        add_late(tx, f"{prefix}late_daily", tally.late_by_day(), "day")
        changed = (tally.late_orders[order_id] for order_id in sorted(tally.changed_late))
        upsert_records(tx, LATE_ORDERS, prefix, changed)


def apply(orders: dict[str, Tracked], envelope: Envelope, tally: Tally) -> None:
    event = envelope.event
    if envelope.name == "OrderReceived":
        orders[str(event.originator_id)] = received(event)
        return
    order = orders.get(str(event.originator_id))
    if order is not None:
        CHANGES[envelope.name](order, event, tally)


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
    where, params = ["watched = 1"], list[Any]()
    for column, value in (("region", region), ("stage", stage)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if after is not None:
        where.append("(promised_at, order_id) > (?, ?)")
        params += [after[0], after[1]]
    with store.transaction() as tx:
        prefix = active_prefix(tx, OrderDelaysProjection.name)
        rows = tx.all(
            f"SELECT {', '.join(COLUMNS[:14])} FROM {prefix}orders WHERE {' AND '.join(where)}"
            " ORDER BY promised_at, order_id LIMIT ?",
            [*params, limit + 1],
        )
    page = [order_row(row) for row in rows[:limit]]
    return DelayPage(page, page[-1].sort_key if len(rows) > limit else None)


def order_delay(store: ViewStore, order_id: str) -> OrderDelay | None:
    """One order's row, open or not."""
    with store.transaction() as tx:
        prefix = active_prefix(tx, OrderDelaysProjection.name)
        row = tx.one(
            f"SELECT {', '.join(COLUMNS[:14])} FROM {prefix}orders WHERE order_id = ?",
            (order_id,),
        )
    return None if row is None else order_row(row)


def delay_summary(store: ViewStore, start: datetime, end: datetime) -> DelaySummary:
    """Late orders and detections in [start, end) resolved to whole hours; open ones now."""
    window = spans(*hours_between(start, end))
    columns = "attributed_to, region, stage, n, late_min, longest_min"
    with store.transaction() as tx:
        p = active_prefix(tx, OrderDelaysProjection.name)
        source, params = spanned(f"{p}late", f"{p}late_daily", columns, window)
        late = tx.all(
            "SELECT attributed_to, region, stage, SUM(n), SUM(late_min), MAX(longest_min)"
            f" FROM {source} GROUP BY attributed_to, region, stage",
            params,
        )
        source, params = spanned(
            f"{p}detections", f"{p}detections_daily", "stage, region, n", window
        )
        detected = tx.all(
            f"SELECT stage, region, SUM(n) FROM {source} GROUP BY stage, region", params
        )
        watched = tx.all(f"SELECT stage, region, delay_risk, n FROM {p}watch_counts")
    orders, minutes = sum(int(r[3]) for r in late), sum(int(r[4]) for r in late)
    at_risk = [r for r in watched if r[2] == "at_risk"]
    open_late = [r for r in watched if r[2] == "late"]
    return DelaySummary(
        late=orders,
        late_by_attribution=totals(late, 0, 3),
        late_by_region=totals(late, 1, 3),
        late_by_stage=totals(late, 2, 3),
        mean_late_min=minutes / orders if orders else None,
        max_late_min=max((int(r[5]) for r in late), default=None),
        detections=sum(int(r[2]) for r in detected),
        detections_by_stage=totals(detected, 0, 2),
        detections_by_region=totals(detected, 1, 2),
        open_at_risk_by_stage=totals(at_risk, 0, 3),
        open_at_risk_by_region=totals(at_risk, 1, 3),
        open_late_by_stage=totals(open_late, 0, 3),
        open_late_by_region=totals(open_late, 1, 3),
    )


def totals(rows: Sequence[Row], key: int, count: int) -> dict[str, int]:
    summed: Counter[str] = Counter()
    for row in rows:
        summed[row[key]] += int(row[count])
    return dict(summed)


def order_row(row: Row) -> OrderDelay:
    return OrderDelay(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        from_epoch(row[5]),
        optional_time(row[6]),
        row[7],
        row[8],
        row[9],
        row[10],
        optional_time(row[11]),
        int(row[12]),
        bool(row[13]),
        (float(row[5]), row[0]),
    )


def optional_time(seconds: float | None) -> datetime | None:
    return None if seconds is None else from_epoch(seconds)
