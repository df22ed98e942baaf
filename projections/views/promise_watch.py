"""Promise watch: every undelivered open order against its promise, for the delay watchdog.

An order's promise is due from its confirmation on (docs/architecture.md#sla-clocks: the promise
clock starts at OrderConfirmed, a later ETA does not move it). A row leaves when the order is
delivered, cancelled, rejected, expired or returned. Two derived columns keep the watchdog's
work on an index: `overdue_at` (the promise, while its OrderLate or a delay notice is missing)
and `delay_pending` (the latest ETA is past the promise, the order is not late, and its
DelayDetected or a delay notice is missing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, NamedTuple
from uuid import UUID

from projections.engine.projection import Envelope, Projection
from projections.engine.reading import (
    active_prefix,
    epoch,
    from_epoch,
    records_by_ids,
    upsert_records,
)
from projections.engine.store import Tx, ViewStore
from projections.engine.tables import INTEGER, Index, Table

MAX_LIMIT = 1000
GONE = frozenset(
    {"OrderDelivered", "OrderCancelled", "OrderRejected", "OrderExpired", "OrderReturned"}
)
FLAGS = {
    "OrderPickedUp": "picked_up",
    "DelayDetected": "delay_detected",
    "OrderLate": "late",
    "DelayNoticeSent": "notice_sent",
}
Flag = Annotated[int, INTEGER]  # 0 or 1


class WatchRecord(NamedTuple):
    """One watched order as stored; `overdue_at` and `delay_pending` are derived (Watched)."""

    order_id: str
    promised_at: float
    promise_due: float | None
    picked_up: Flag
    delay_detected: Flag
    late: Flag
    notice_sent: Flag
    eta: float | None
    overdue_at: float | None
    delay_pending: Flag


ORDERS = Table(
    "orders",
    WatchRecord,
    primary_key=("order_id",),
    indexes=[
        Index("overdue", ("overdue_at", "order_id")),
        Index("delayed", ("delay_pending", "promise_due", "order_id")),
    ],
)


@dataclass(slots=True)
class Watched:
    promised_at: float
    promise_due: float | None = None
    picked_up: bool = False
    delay_detected: bool = False
    late: bool = False
    notice_sent: bool = False
    eta: float | None = None

    @property
    def overdue_at(self) -> float | None:
        if self.promise_due is None or (self.late and self.notice_sent):
            return None
        return self.promise_due

    @property
    def delay_pending(self) -> bool:
        if self.promise_due is None or self.eta is None or self.late:
            return False
        return self.eta > self.promise_due and not (self.delay_detected and self.notice_sent)

    def record(self, order_id: str) -> WatchRecord:
        return WatchRecord(
            order_id=order_id,
            promised_at=self.promised_at,
            promise_due=self.promise_due,
            picked_up=int(self.picked_up),
            delay_detected=int(self.delay_detected),
            late=int(self.late),
            notice_sent=int(self.notice_sent),
            eta=self.eta,
            overdue_at=self.overdue_at,
            delay_pending=int(self.delay_pending),
        )


class PromiseWatchProjection(Projection):
    name = "promise_watch"
    events = ("OrderReceived", "OrderConfirmed", "EtaUpdated", *FLAGS, *sorted(GONE))

    declared = (ORDERS,)

    def process(self, tx: Tx, prefix: str, batch: Sequence[Envelope]) -> None:
        ids = sorted({str(envelope.event.originator_id) for envelope in batch})
        orders: dict[str, Watched | None] = dict(_load(tx, prefix, ids))
        before = set(orders)
        for envelope in batch:
            order_id = str(envelope.event.originator_id)
            orders[order_id] = _apply(orders.get(order_id), envelope)
        tx.executemany(
            f"DELETE FROM {prefix}{ORDERS.name} WHERE order_id = ?",
            [(oid,) for oid in sorted(before) if orders[oid] is None],
        )
        kept = [w.record(oid) for oid, w in sorted(orders.items()) if w is not None]
        upsert_records(tx, ORDERS, prefix, kept)


def _apply(order: Watched | None, envelope: Envelope) -> Watched | None:
    """The order after one event; None once it left (or before it was received)."""
    event, name = envelope.event, envelope.name
    if name == "OrderReceived":
        return Watched(epoch(event.promised_at))
    if order is None or name in GONE:
        return None
    if name == "OrderConfirmed":
        order.promise_due = order.promised_at
    elif name == "EtaUpdated":
        order.eta = epoch(event.eta)
    else:
        setattr(order, FLAGS[name], True)
    return order


def _load(tx: Tx, prefix: str, ids: Sequence[str]) -> dict[str, Watched]:
    return {r.order_id: _watched(r) for r in records_by_ids(tx, ORDERS, prefix, ids)}


def _watched(record: WatchRecord) -> Watched:
    due, eta = record.promise_due, record.eta
    return Watched(
        promised_at=float(record.promised_at),
        promise_due=None if due is None else float(due),
        picked_up=bool(record.picked_up),
        delay_detected=bool(record.delay_detected),
        late=bool(record.late),
        notice_sent=bool(record.notice_sent),
        eta=None if eta is None else float(eta),
    )


# --- the read side ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WatchedOrder:
    order_id: UUID
    promise_due: datetime
    picked_up: bool
    delay_detected: bool
    late: bool
    notice_sent: bool
    eta: datetime | None


def _order(record: WatchRecord) -> WatchedOrder:
    watched = _watched(record)
    assert watched.promise_due is not None
    return WatchedOrder(
        UUID(record.order_id),
        from_epoch(watched.promise_due),
        watched.picked_up,
        watched.delay_detected,
        watched.late,
        watched.notice_sent,
        None if watched.eta is None else from_epoch(watched.eta),
    )


def _checked(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be from 1 to {MAX_LIMIT}")
    return limit


def overdue_orders(store: ViewStore, now: datetime, limit: int = 500) -> list[WatchedOrder]:
    """Orders past their promise at `now` whose OrderLate or delay notice is still missing,
    the longest overdue first."""
    with store.transaction() as tx:
        prefix = active_prefix(tx, PromiseWatchProjection.name)
        rows = tx.all(
            f"SELECT {ORDERS.select_list} FROM {prefix}{ORDERS.name} WHERE overdue_at < ?"
            " ORDER BY overdue_at, order_id LIMIT ?",
            (epoch(now), _checked(limit)),
        )
    return [_order(record) for record in ORDERS.records(rows)]


def eta_beyond_promise(store: ViewStore, limit: int = 500) -> list[WatchedOrder]:
    """Orders not yet late whose latest ETA is past the promise, with their DelayDetected or a
    delay notice still missing; the earliest promise first."""
    with store.transaction() as tx:
        prefix = active_prefix(tx, PromiseWatchProjection.name)
        rows = tx.all(
            f"SELECT {ORDERS.select_list} FROM {prefix}{ORDERS.name} WHERE delay_pending = 1"
            " ORDER BY promise_due, order_id LIMIT ?",
            (_checked(limit),),
        )
    return [_order(record) for record in ORDERS.records(rows)]


def next_promise_due(store: ViewStore) -> datetime | None:
    """The earliest promise whose OrderLate or delay notice is missing (None: no such order)."""
    with store.transaction() as tx:
        prefix = active_prefix(tx, PromiseWatchProjection.name)
        earliest = tx.scalar(f"SELECT MIN(overdue_at) FROM {prefix}{ORDERS.name}")
    return None if earliest is None else from_epoch(float(earliest))
