"""The order rows of the delay monitor and how each order event changes one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, NamedTuple

from domain.order_types import CLOSED
from projections.engine.reading import epoch, hour_of
from projections.engine.rollup import day_of
from projections.engine.tables import INTEGER, Index, Table
from projections.views.order_delays_late import NO_COURIER, LateOrderRecord, minutes_late


class OrderRecord(NamedTuple):
    """One order as the monitor stores it; `is_open` and `watched` are 0 or 1."""

    order_id: str
    region: str
    restaurant: str
    status: str
    stage: str | None
    promised_at: float
    eta: float | None
    delay_risk: str
    expected_late_min: Annotated[int, INTEGER] | None
    late_min: Annotated[int, INTEGER] | None
    attributed_to: str | None
    delivered_at: float | None
    delay_notices: Annotated[int, INTEGER]
    is_open: Annotated[int, INTEGER]
    watched: Annotated[int, INTEGER]
    channel: str  # the order came in through
    courier_company: str  # of its courier now (NO_COURIER before one is assigned)


ORDERS = Table(
    "orders",
    OrderRecord,
    primary_key=("order_id",),
    indexes=[
        Index(f"watched{suffix}", ("watched", *columns, "promised_at", "order_id"))
        for suffix, columns in (("", ()), ("_region", ("region",)), ("_stage", ("stage",)))
    ],
)
LateKey = tuple[int, str, str, str]  # hour, attributed_to, region, stage
SliceKey = tuple[int, str, str, str]  # hour, region, slice_by, slice_value


@dataclass(slots=True)
class Tracked:
    """One order as the monitor keeps it, changed in memory while a batch is applied."""

    order_id: str
    region: str
    restaurant: str
    status: str
    stage: str | None
    promised_at: float
    eta: float | None = None
    delay_risk: str = "on_track"
    expected_late_min: int | None = None
    late_min: int | None = None
    attributed_to: str | None = None
    delivered_at: float | None = None
    delay_notices: int = 0
    channel: str = ""
    courier_company: str = NO_COURIER

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED

    @property
    def watched(self) -> bool:
        return self.is_open and self.delay_risk != "on_track"

    def counted(self) -> list[tuple[str, str, str]]:
        if not self.watched:
            return []
        return [(self.stage or self.status, self.region, self.delay_risk)]

    def record(self) -> OrderRecord:
        return OrderRecord(
            order_id=self.order_id,
            region=self.region,
            restaurant=self.restaurant,
            status=self.status,
            stage=self.stage,
            promised_at=self.promised_at,
            eta=self.eta,
            delay_risk=self.delay_risk,
            expected_late_min=self.expected_late_min,
            late_min=self.late_min,
            attributed_to=self.attributed_to,
            delivered_at=self.delivered_at,
            delay_notices=self.delay_notices,
            is_open=int(self.is_open),
            watched=int(self.watched),
            channel=self.channel,
            courier_company=self.courier_company,
        )


def from_record(record: OrderRecord) -> Tracked:
    return Tracked(
        order_id=record.order_id,
        region=record.region,
        restaurant=record.restaurant,
        status=record.status,
        stage=record.stage,
        promised_at=float(record.promised_at),
        eta=record.eta,
        delay_risk=record.delay_risk,
        expected_late_min=record.expected_late_min,
        late_min=record.late_min,
        attributed_to=record.attributed_to,
        delivered_at=record.delivered_at,
        delay_notices=int(record.delay_notices),
        channel=record.channel,
        courier_company=record.courier_company,
    )


@dataclass
class Tally:
    """What a batch adds to the hourly counters, and the late orders it records or changes."""

    detections: Counter[tuple[int, str, str]]
    late: dict[LateKey, list[int]]  # -> [orders, late minutes, longest]
    late_orders: dict[str, LateOrderRecord] = field(default_factory=dict)
    changed_late: set[str] = field(default_factory=set)
    late_by: dict[SliceKey, list[int]] = field(default_factory=dict)  # -> [orders, minutes]

    def add_late_by(self, record: LateOrderRecord, orders: int, minutes: int) -> None:
        for key in record.sliced_under:
            counts = self.late_by.setdefault(key, [0, 0])
            counts[0] += orders
            counts[1] += minutes

    def add_late(self, key: LateKey, late_min: int, orders: int = 1) -> None:
        counts = self.late.setdefault(key, [0, 0, 0])
        counts[0] += orders
        counts[1] += late_min
        counts[2] = max(counts[2], late_min)

    def recorded_late(self, record: LateOrderRecord) -> None:
        self.late_orders[record.order_id] = record
        self.changed_late.add(record.order_id)
        self.add_late(
            (record.hour, record.attributed_to, record.region, record.stage), record.late_min
        )
        self.add_late_by(record, 1, record.late_min)

    def delivered_late(self, order_id: str, late_min: int) -> int:
        """The late order arrived `late_min` past its promise: its minutes where it was
        counted grow to that (never shrink); returns what it is counted late by now."""
        record = self.late_orders.get(order_id)
        if record is None or late_min <= record.late_min:
            return late_min if record is None else record.late_min
        self.add_late(record.counted_under, late_min - record.late_min, orders=0)
        counts = self.late[record.counted_under]
        counts[2] = max(counts[2], late_min)
        self.add_late_by(record, 0, late_min - record.late_min)
        self.late_orders[order_id] = record._replace(late_min=late_min)
        self.changed_late.add(order_id)
        return late_min

    def courier_changed(self, order_id: str, company: str) -> None:
        """A late order's courier now works for `company`: its late count goes with it."""
        record = self.late_orders.get(order_id)
        if record is None or record.courier_company == company:
            return
        self.add_late_by(record, -1, -record.late_min)
        record = record._replace(courier_company=company)
        self.add_late_by(record, 1, record.late_min)
        self.late_orders[order_id] = record
        self.changed_late.add(order_id)

    def late_by_days(self) -> dict[SliceKey, list[int]]:
        days: dict[SliceKey, list[int]] = {}
        for (hour, region, by, value), (n, minutes) in self.late_by.items():
            counts = days.setdefault((day_of(hour), region, by, value), [0, 0])
            counts[0] += n
            counts[1] += minutes
        return days

    def late_by_day(self) -> dict[LateKey, list[int]]:
        """The late orders keyed by UTC day instead of hour: counts added, the longest kept."""
        days: dict[LateKey, list[int]] = {}
        for (hour, attributed_to, region, stage), (n, minutes, longest) in self.late.items():
            counts = days.setdefault((day_of(hour), attributed_to, region, stage), [0, 0, 0])
            counts[0] += n
            counts[1] += minutes
            counts[2] = max(counts[2], longest)
        return days


def received(event: Any) -> Tracked:
    return Tracked(
        str(event.originator_id),
        event.region,
        event.restaurant,
        "Received",
        None,
        epoch(event.promised_at),
        channel=str(event.channel),
    )


def _status(status: str) -> Callable[[Tracked, Any, Tally], None]:
    def apply(order: Tracked, event: Any, tally: Tally) -> None:
        order.status = status

    return apply


def _courier_assigned(order: Tracked, event: Any, tally: Tally) -> None:
    order.status, order.courier_company = "CourierAssigned", str(event.provider)
    tally.courier_changed(order.order_id, order.courier_company)


def _delivered(order: Tracked, event: Any, tally: Tally) -> None:
    order.status, order.delivered_at = "Delivered", epoch(event.meta.occurred_at)
    if order.late_min is not None:
        at_delivery = minutes_late(order.promised_at, order.delivered_at)
        order.late_min = tally.delivered_late(order.order_id, at_delivery)


def _eta_updated(order: Tracked, event: Any, tally: Tally) -> None:
    order.eta = epoch(event.eta)


def _delay_detected(order: Tracked, event: Any, tally: Tally) -> None:
    order.expected_late_min, order.stage = event.expected_late_min, event.stage
    if order.delay_risk != "late":
        order.delay_risk = "at_risk"
    tally.detections[hour_of(event.meta.occurred_at), event.stage, order.region] += 1


def _delay_notice_sent(order: Tracked, event: Any, tally: Tally) -> None:
    order.delay_notices += 1


def _late(order: Tracked, event: Any, tally: Tally) -> None:
    order.late_min, order.attributed_to = event.late_min, event.attributed_to
    order.delay_risk, order.stage = "late", order.stage or order.status
    record = LateOrderRecord(
        order_id=order.order_id,
        hour=hour_of(event.meta.occurred_at),
        attributed_to=str(event.attributed_to),
        region=order.region,
        stage=order.stage,
        late_min=event.late_min,
        channel=order.channel,
        restaurant=order.restaurant,
        courier_company=order.courier_company,
    )
    tally.recorded_late(record)


# Mirrors the order's transitions (domain/order.py); OrderReceived creates the row.
CHANGES: dict[str, Callable[[Tracked, Any, Tally], None]] = {
    "OrderConfirmed": _status("Confirmed"),
    "PreparationStarted": _status("InPreparation"),
    "OrderPacked": _status("Packed"),
    "CourierAssigned": _courier_assigned,
    "OrderPickedUp": _status("PickedUp"),
    "OrderDelivered": _delivered,
    "DeliveryFailed": _status("DeliveryFailed"),
    "OrderReturned": _status("Returned"),
    "OrderCancelled": _status("Cancelled"),
    "OrderRejected": _status("Rejected"),
    "OrderExpired": _status("Expired"),
    "EtaUpdated": _eta_updated,
    "DelayDetected": _delay_detected,
    "DelayNoticeSent": _delay_notice_sent,
    "OrderLate": _late,
}
