"""The export's order rows (a table of the export_rows view): one row per order with its
status, times, lateness and who it is assigned to in each department, which need-to-know asks
for before an order's address opens (api/export/personal.py). No address, no items."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NamedTuple

from domain.order_types import CLOSED
from projections.engine.reading import epoch
from projections.engine.tables import Index, Table
from projections.views.order_index import STATUSES


class OrderRow(NamedTuple):
    order_id: str
    customer_id: str
    status: str
    region: str
    channel: str
    placed_at: float
    promised_at: float
    delivered_at: float | None
    ended_at: float | None  # delivered, rejected, expired, cancelled or returned
    late_min: int | None  # as OrderLate last recorded it
    attributed_to: str | None
    assignees: str  # JSON: department -> the person assigned there
    position: int


ORDER_ROWS = Table(
    "order_rows",
    OrderRow,
    primary_key=("order_id",),
    indexes=[Index("placed", ("placed_at", "order_id"))],
)
ENDS = frozenset(name for name, status in STATUSES.items() if status in CLOSED)
ORDER_EVENTS = ("OrderReceived", *STATUSES, "OrderLate", "AssignedToDepartment")


def received(event: Any, position: int) -> OrderRow:
    return OrderRow(
        order_id=str(event.originator_id),
        customer_id=str(event.customer_id),
        status="Received",
        region=event.region,
        channel=str(event.channel),
        placed_at=epoch(event.meta.occurred_at),
        promised_at=epoch(event.promised_at),
        delivered_at=None,
        ended_at=None,
        late_min=None,
        attributed_to=None,
        assignees="{}",
        position=position,
    )


def assignees(row: OrderRow) -> dict[str, str]:
    people: dict[str, str] = json.loads(row.assignees)
    return people


def _assigned(row: OrderRow, event: Any) -> OrderRow:
    people = assignees(row) | {str(event.department): str(event.assignee)}
    return row._replace(assignees=json.dumps(people, sort_keys=True))


def _late(row: OrderRow, event: Any) -> OrderRow:
    return row._replace(late_min=int(event.late_min), attributed_to=str(event.attributed_to))


def _status(name: str) -> Callable[[OrderRow, Any], OrderRow]:
    status = STATUSES[name].value

    def change(row: OrderRow, event: Any) -> OrderRow:
        row = row._replace(status=status)
        if name in ENDS:
            row = row._replace(ended_at=epoch(event.meta.occurred_at))
        if name == "OrderDelivered":
            row = row._replace(delivered_at=epoch(event.meta.occurred_at))
        return row

    return change


ORDER_CHANGES: dict[str, Callable[[OrderRow, Any], OrderRow]] = {
    **{name: _status(name) for name in STATUSES},
    "OrderLate": _late,
    "AssignedToDepartment": _assigned,
}
