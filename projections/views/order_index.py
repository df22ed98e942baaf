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
from typing import Annotated, Any, NamedTuple

from domain.order_types import DelayRisk, OrderStatus
from projections.engine.keyset import Page, keyset_page
from projections.engine.projection import Envelope, Projection
from projections.engine.reading import epoch, from_epoch, update_entries
from projections.engine.store import Tx, ViewStore
from projections.engine.tables import INTEGER, Index, Table

S = OrderStatus
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


class OrderRecord(NamedTuple):
    order_id: str
    customer_id: str
    status: str
    region: str
    channel: str
    placed_at: float
    promised_at: float
    delay_risk: str
    late_min: Annotated[int, INTEGER] | None
    attributed_to: str | None
    late: Annotated[int, INTEGER]
    late_key: int
    position: int


ORDERS = Table(
    "orders",
    OrderRecord,
    primary_key=("order_id",),
    indexes=[
        *(
            index
            for key, _ in SORTS.values()
            for index in (
                Index(key, (key, "order_id")),
                *(Index(f"{column}_{key}", (column, key, "order_id")) for column in FILTERS),
            )
        ),
        Index("customer", ("customer_id", "placed_at", "order_id")),
    ],
)


class OrderIndexProjection(Projection):
    name = "order_index"
    events = ("OrderReceived", *STATUSES, "DelayDetected", "OrderLate")

    declared = (ORDERS,)

    def process(self, tx: Tx, prefix: str, batch: Sequence[Envelope]) -> None:
        update_entries(tx, ORDERS, prefix, batch, Entry.of, apply)


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
    def of(cls, record: OrderRecord) -> Entry:
        return cls(
            order_id=record.order_id,
            customer_id=record.customer_id,
            status=record.status,
            region=record.region,
            channel=record.channel,
            placed_at=float(record.placed_at),
            promised_at=float(record.promised_at),
            position=int(record.position),
            delay_risk=record.delay_risk,
            late_min=None if record.late_min is None else int(record.late_min),
            attributed_to=record.attributed_to,
        )

    def record(self) -> OrderRecord:
        return OrderRecord(
            order_id=self.order_id,
            customer_id=self.customer_id,
            status=self.status,
            region=self.region,
            channel=self.channel,
            placed_at=self.placed_at,
            promised_at=self.promised_at,
            delay_risk=self.delay_risk,
            late_min=self.late_min,
            attributed_to=self.attributed_to,
            late=int(self.late_min is not None),
            late_key=-(self.late_min or 0),
            position=self.position,
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
        ORDERS,
        filters=filters,
        order=(key, "order_id"),
        after=after,
        limit=limit,
        convert=lambda record: indexed_order(record, key, kind),
    )


def indexed_order(record: OrderRecord, key: str, kind: type) -> IndexedOrder:
    """The record with the value of its sort key `key` made a `kind`."""
    late_min = record.late_min
    return IndexedOrder(
        order_id=record.order_id,
        customer_id=record.customer_id,
        status=record.status,
        region=record.region,
        channel=record.channel,
        placed_at=from_epoch(record.placed_at),
        promised_at=from_epoch(record.promised_at),
        delay_risk=record.delay_risk,
        late_min=None if late_min is None else int(late_min),
        attributed_to=record.attributed_to,
        position=int(record.position),
        sort_key=(kind(getattr(record, key)), record.order_id),
    )
