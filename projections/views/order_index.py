"""Order index: every order, open or ended, by status, region and lateness, with the times lists
sort by. The delay monitor lists only the open orders at risk; this keeps them all.

A row per order, never removed. An order is late once OrderLate is recorded (by the delay
watchdog or by hand): `late_min` holds its minutes late and `late_key` their negation (0 while
not late), so sorting by it puts the latest first and the orders not late last. `delay_risk`
mirrors the aggregate's. `position` is the log position of the order's last event this index
read. Ids and labels only: no address, no items, no restaurant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.order_types import DelayRisk, OrderStatus
from projections.engine.keyset import Page, keyset_page
from projections.engine.projection import Envelope, Projection
from projections.engine.reading import epoch, from_epoch, update_entries
from projections.engine.store import Row, Tx, ViewStore

S = OrderStatus
COLUMNS = (
    "order_id",
    "customer_id",
    "status",
    "region",
    "channel",
    "placed_at",
    "promised_at",
    "delay_risk",
    "late_min",
    "attributed_to",
    "late",
    "late_key",
    "position",
)
FILTERS = ("status", "region", "late")
# each sort key is followed by the order id; its value type is the type of its cursor part
SORTS: dict[str, tuple[str, type]] = {
    "placed": ("placed_at", float),
    "promised": ("promised_at", float),
    "minutes_late": ("late_key", int),
}
STATUSES = {
    "OrderConfirmed": S.CONFIRMED,
    "PreparationStarted": S.IN_PREPARATION,
    "OrderPacked": S.PACKED,
    "CourierAssigned": S.COURIER_ASSIGNED,
    "OrderPickedUp": S.PICKED_UP,
    "OrderDelivered": S.DELIVERED,
    "DeliveryFailed": S.DELIVERY_FAILED,
    "OrderReturned": S.RETURNED,
    "OrderCancelled": S.CANCELLED,
    "OrderRejected": S.REJECTED,
    "OrderExpired": S.EXPIRED,
}


class OrderIndexProjection(Projection):
    name = "order_index"
    events = ("OrderReceived", *STATUSES, "DelayDetected", "OrderLate")

    def tables(self) -> tuple[str, ...]:
        return ("orders",)

    def create_tables(self, tx: Tx, prefix: str) -> None:
        tx.execute(
            f"CREATE TABLE {prefix}orders (order_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL,"
            " status TEXT NOT NULL, region TEXT NOT NULL, channel TEXT NOT NULL,"
            " placed_at DOUBLE PRECISION NOT NULL, promised_at DOUBLE PRECISION NOT NULL,"
            " delay_risk TEXT NOT NULL, late_min INTEGER, attributed_to TEXT,"
            " late INTEGER NOT NULL, late_key BIGINT NOT NULL, position BIGINT NOT NULL)"
        )
        table = f"{prefix}orders"
        for key, _ in SORTS.values():
            tx.execute(f"CREATE INDEX {table}_{key} ON {table} ({key}, order_id)")
            for column in FILTERS:
                tx.execute(
                    f"CREATE INDEX {table}_{column}_{key} ON {table} ({column}, {key}, order_id)"
                )
        tx.execute(f"CREATE INDEX {table}_customer ON {table} (customer_id, placed_at, order_id)")

    def process(self, tx: Tx, prefix: str, batch: Sequence[Envelope]) -> None:
        update_entries(tx, f"{prefix}orders", COLUMNS, batch, Entry.of, apply)


@dataclass(slots=True)
class Entry:
    """One order as the index keeps it, changed in memory while a batch is applied."""

    order_id: str
    customer_id: str
    status: str
    region: str
    channel: str
    placed_at: float
    promised_at: float
    position: int
    delay_risk: str = DelayRisk.ON_TRACK.value
    late_min: int | None = None
    attributed_to: str | None = None

    @classmethod
    def of(cls, row: Row) -> Entry:
        return cls(
            order_id=row[0],
            customer_id=row[1],
            status=row[2],
            region=row[3],
            channel=row[4],
            placed_at=float(row[5]),
            promised_at=float(row[6]),
            position=int(row[12]),
            delay_risk=row[7],
            late_min=None if row[8] is None else int(row[8]),
            attributed_to=row[9],
        )

    def row(self) -> tuple[Any, ...]:
        late = self.late_min is not None
        return (
            self.order_id,
            self.customer_id,
            self.status,
            self.region,
            self.channel,
            self.placed_at,
            self.promised_at,
            self.delay_risk,
            self.late_min,
            self.attributed_to,
            int(late),
            -(self.late_min or 0),
            self.position,
        )


def received(event: Any, position: int) -> Entry:
    return Entry(
        str(event.originator_id),
        str(event.customer_id),
        S.RECEIVED.value,
        event.region,
        str(event.channel),
        epoch(event.meta.occurred_at),
        epoch(event.promised_at),
        position,
    )


def change(entry: Entry, name: str, event: Any) -> None:
    if name in STATUSES:
        entry.status = STATUSES[name].value
    elif name == "DelayDetected":
        if entry.delay_risk != DelayRisk.LATE:
            entry.delay_risk = DelayRisk.AT_RISK.value
    else:  # OrderLate
        entry.late_min, entry.attributed_to = int(event.late_min), str(event.attributed_to)
        entry.delay_risk = DelayRisk.LATE.value


def apply(entries: dict[str, Entry], envelope: Envelope) -> None:
    event = envelope.event
    order_id = str(event.originator_id)
    if envelope.name == "OrderReceived":
        entries[order_id] = received(event, envelope.position)
        return
    entry = entries.get(order_id)
    if entry is not None:  # None: its receipt was parked as a dead letter
        change(entry, envelope.name, event)
        entry.position = envelope.position


@dataclass(frozen=True)
class IndexedOrder:
    order_id: str
    customer_id: str
    status: str
    region: str
    channel: str
    placed_at: datetime
    promised_at: datetime
    delay_risk: str  # on_track | at_risk | late
    late_min: int | None  # None: not recorded late
    attributed_to: str | None
    position: int  # of the order's last event the index read
    sort_key: tuple[Any, str]  # in the order it was read by: pass as `after` for the next


def order_index(
    store: ViewStore,
    *,
    status: str | None = None,
    region: str | None = None,
    late: bool | None = None,
    customer_id: str | None = None,
    order_by: str = "placed",
    after: tuple[Any, str] | None = None,
    limit: int = 50,
) -> Page[IndexedOrder]:
    """Orders by (placed time, id), (promised time, id) or (minutes late, most first, then
    the orders not late; id); every filter given must match."""
    if order_by not in SORTS:
        raise ValueError(f"orders sort by {', '.join(SORTS)}, not {order_by!r}")
    key, kind = SORTS[order_by]
    filters = {
        "status": status,
        "region": region,
        "late": None if late is None else int(late),
        "customer_id": customer_id,
    }
    return keyset_page(
        store,
        OrderIndexProjection.name,
        "orders",
        (*COLUMNS[:10], "position", key),
        filters=filters,
        order=(key, "order_id"),
        after=after,
        limit=limit,
        convert=lambda row: indexed_order(row, kind),
    )


def indexed_order(row: Row, kind: type) -> IndexedOrder:
    """The row read with its sort key last, that key made a `kind`."""
    return IndexedOrder(
        order_id=row[0],
        customer_id=row[1],
        status=row[2],
        region=row[3],
        channel=row[4],
        placed_at=from_epoch(row[5]),
        promised_at=from_epoch(row[6]),
        delay_risk=row[7],
        late_min=None if row[8] is None else int(row[8]),
        attributed_to=row[9],
        position=int(row[10]),
        sort_key=(kind(row[11]), row[0]),
    )
