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
from uuid import UUID

from projections.engine.projection import Envelope, Projection
from projections.engine.reading import active_prefix, epoch, from_epoch
from projections.engine.store import Row, Tx, ViewStore

CHUNK = 500
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
COLUMNS = (
    "order_id, promised_at, promise_due, picked_up, delay_detected, late, notice_sent, eta,"
    " overdue_at, delay_pending"
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

    def row(self, order_id: str) -> tuple[object, ...]:
        return (
            order_id,
            self.promised_at,
            self.promise_due,
            int(self.picked_up),
            int(self.delay_detected),
            int(self.late),
            int(self.notice_sent),
            self.eta,
            self.overdue_at,
            int(self.delay_pending),
        )


class PromiseWatchProjection(Projection):
    name = "promise_watch"
    events = ("OrderReceived", "OrderConfirmed", "EtaUpdated", *FLAGS, *sorted(GONE))

    def tables(self) -> tuple[str, ...]:
        return ("orders",)

    def create_tables(self, tx: Tx, prefix: str) -> None:
        tx.execute(
            f"CREATE TABLE {prefix}orders (order_id TEXT PRIMARY KEY,"
            " promised_at DOUBLE PRECISION NOT NULL, promise_due DOUBLE PRECISION,"
            " picked_up INTEGER NOT NULL, delay_detected INTEGER NOT NULL,"
            " late INTEGER NOT NULL, notice_sent INTEGER NOT NULL, eta DOUBLE PRECISION,"
            " overdue_at DOUBLE PRECISION, delay_pending INTEGER NOT NULL)"
        )
        tx.execute(f"CREATE INDEX {prefix}orders_overdue ON {prefix}orders (overdue_at, order_id)")
        tx.execute(
            f"CREATE INDEX {prefix}orders_delayed"
            f" ON {prefix}orders (delay_pending, promise_due, order_id)"
        )

    def process(self, tx: Tx, prefix: str, batch: Sequence[Envelope]) -> None:
        ids = sorted({str(envelope.event.originator_id) for envelope in batch})
        orders: dict[str, Watched | None] = dict(_load(tx, prefix, ids))
        before = set(orders)
        for envelope in batch:
            order_id = str(envelope.event.originator_id)
            orders[order_id] = _apply(orders.get(order_id), envelope)
        tx.executemany(
            f"DELETE FROM {prefix}orders WHERE order_id = ?",
            [(oid,) for oid in sorted(before) if orders[oid] is None],
        )
        tx.executemany(
            f"INSERT INTO {prefix}orders ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (order_id) DO UPDATE SET promise_due = excluded.promise_due,"
            " picked_up = excluded.picked_up, delay_detected = excluded.delay_detected,"
            " late = excluded.late, notice_sent = excluded.notice_sent, eta = excluded.eta,"
            " overdue_at = excluded.overdue_at, delay_pending = excluded.delay_pending",
            [w.row(oid) for oid, w in sorted(orders.items()) if w is not None],
        )


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
    orders: dict[str, Watched] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        marks = ", ".join("?" for _ in chunk)
        for row in tx.all(
            f"SELECT {COLUMNS} FROM {prefix}orders WHERE order_id IN ({marks})", chunk
        ):
            orders[row[0]] = _watched(row)
    return orders


def _watched(row: Row) -> Watched:
    _, promised_at, due, picked_up, detected, late, notice, eta = row[:8]
    return Watched(
        float(promised_at),
        None if due is None else float(due),
        bool(picked_up),
        bool(detected),
        bool(late),
        bool(notice),
        None if eta is None else float(eta),
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


def _order(row: Row) -> WatchedOrder:
    watched = _watched(row)
    assert watched.promise_due is not None
    return WatchedOrder(
        UUID(str(row[0])),
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
            f"SELECT {COLUMNS} FROM {prefix}orders WHERE overdue_at < ?"
            " ORDER BY overdue_at, order_id LIMIT ?",
            (epoch(now), _checked(limit)),
        )
    return [_order(row) for row in rows]


def eta_beyond_promise(store: ViewStore, limit: int = 500) -> list[WatchedOrder]:
    """Orders not yet late whose latest ETA is past the promise, with their DelayDetected or a
    delay notice still missing; the earliest promise first."""
    with store.transaction() as tx:
        prefix = active_prefix(tx, PromiseWatchProjection.name)
        rows = tx.all(
            f"SELECT {COLUMNS} FROM {prefix}orders WHERE delay_pending = 1"
            " ORDER BY promise_due, order_id LIMIT ?",
            (_checked(limit),),
        )
    return [_order(row) for row in rows]


def next_promise_due(store: ViewStore) -> datetime | None:
    """The earliest promise whose OrderLate or delay notice is missing (None: no such order)."""
    with store.transaction() as tx:
        prefix = active_prefix(tx, PromiseWatchProjection.name)
        row = tx.one(f"SELECT MIN(overdue_at) FROM {prefix}orders")
    return None if row is None or row[0] is None else from_epoch(float(row[0]))
