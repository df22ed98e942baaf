"""What each export kind is: the view and table it pages through, the time that puts a row in
the window, and its CSV columns. Personal columns (a complaint's text, an order's address, a
survey's comment)
are filled by api/export/personal.py for each caller; the rest comes from the row alone."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from domain.errors import InvalidInputError
from projections.engine.tables import Table
from projections.views.complaint_dashboard_slices import checked_value
from projections.views.export_order_rows import ORDER_ROWS, OrderRow
from projections.views.export_rows import (
    CLOCKS,
    COMPLAINT_ROWS,
    LABELS,
    SURVEY_ROWS,
    ComplaintRow,
    ExportRowsProjection,
    SurveyRow,
)

Cell = str | int | float | None


FORMULA = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would evaluate a cell starting so


def text(cell: str | None) -> str | None:
    """Free text a spreadsheet shows as text, never evaluates (OWASP's CSV injection): the
    cells whose text a person typed (a reason, a person's id, a complaint, a comment); labels
    from a fixed set, ids and times never start so."""
    if cell is not None and cell.startswith(FORMULA):
        return "'" + cell
    return cell


def when(seconds: float | None) -> str | None:
    """Epoch seconds as an ISO 8601 UTC time."""
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC).isoformat()


def elapsed(start: float, end: float | None) -> float | None:
    return None if end is None else round(end - start, 3)


@dataclass(frozen=True)
class Kind:
    name: str
    view: str
    table: Table[Any]
    key: str  # the time that puts a row in the window
    header: tuple[str, ...]
    cells: Callable[[Any], list[Cell]]
    personal: tuple[str, ...] = ()  # the personal columns, after the others
    # the filters it takes: name -> (its column, the dashboard slice its values are checked as)
    filters: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def where(self, asked: Mapping[str, str]) -> dict[str, str]:
        """{column: value} for the filters asked for, each value checked as the dashboards
        check it (an unknown department is refused, not an empty file), AND-ed; a filter
        this kind does not take is refused too: InvalidInputError naming it."""
        where: dict[str, str] = {}
        for name, value in asked.items():
            if name not in self.filters:
                takes = ", ".join(self.filters) or "none"
                raise InvalidInputError(
                    name, f"{self.name} take no such filter; they take: {takes}"
                )
            column, checked_as = self.filters[name]
            where[column] = checked_value(checked_as, value, name)
        return where


def complaint_cells(row: ComplaintRow) -> list[Cell]:
    return [
        row.complaint_id,
        row.customer_id,
        row.order_id,
        row.channel,
        row.status,
        row.category,
        text(row.subcategory),
        row.severity,
        row.department,
        text(row.assignee),
        row.escalation_level,
        row.reopened,
        row.outcome,
        when(row.received_at),
        when(row.first_response_at),
        elapsed(row.received_at, row.first_response_at),
        when(row.classified_at),
        when(row.resolved_at),
        elapsed(row.received_at, row.resolved_at),
        when(row.ended_at),
        *(getattr(row, f"sla_{clock}") for clock in CLOCKS),
        row.survey_status,
        row.csat,
    ]


COMPLAINTS = Kind(
    "complaints",
    ExportRowsProjection.name,
    COMPLAINT_ROWS,
    "received_at",
    (
        *LABELS,  # the complaint's labels, as the view keeps them
        "reopened",
        "outcome",
        "received_at",
        "first_response_at",
        "first_response_s",
        "classified_at",
        "resolved_at",
        "resolution_s",
        "ended_at",
        *(f"sla_{clock}" for clock in CLOCKS),
        "survey_status",
        "csat",
    ),
    complaint_cells,
    ("content", "content_access"),
    {
        "department": ("department", "department"),
        "agent": ("assignee", "agent"),
        "channel": ("channel", "channel"),
        "category": ("category", "category"),
    },
)


def order_cells(row: OrderRow) -> list[Cell]:
    delivered = row.delivered_at
    late = None if delivered is None else round((delivered - row.promised_at) / 60, 1)
    return [
        row.order_id,
        row.customer_id,
        row.status,
        text(row.region),
        row.channel,
        when(row.placed_at),
        when(row.promised_at),
        when(delivered),
        late,
        row.late_min,
        row.attributed_to,
        when(row.ended_at),
    ]


ORDERS_KIND = Kind(
    "orders",
    ExportRowsProjection.name,
    ORDER_ROWS,
    "placed_at",
    (
        "order_id",
        "customer_id",
        "status",
        "region",
        "channel",
        "placed_at",
        "promised_at",
        "delivered_at",
        "late_at_delivery_min",
        "late_min",
        "attributed_to",
        "ended_at",
    ),
    order_cells,
    ("address", "address_access"),
    {"channel": ("channel", "channel"), "region": ("region", "region")},
)


def survey_cells(row: SurveyRow) -> list[Cell]:
    return [
        row.survey_id,
        row.customer_id,
        row.subject,
        row.subject_id,
        row.via,
        row.status,
        when(row.sent_at),
        when(row.responded_at),
        when(row.expired_at),
        row.product_quality,
        row.service_attitude,
        row.after_sales,
        row.response_speed,
        row.problem_solving,
        row.csat,
    ]


SURVEYS = Kind(
    "surveys",
    ExportRowsProjection.name,
    SURVEY_ROWS,
    "sent_at",
    (
        "survey_id",
        "customer_id",
        "subject",
        "subject_id",
        "via",
        "status",
        "sent_at",
        "responded_at",
        "expired_at",
        "product_quality",
        "service_attitude",
        "after_sales",
        "response_speed",
        "problem_solving",
        "csat",
    ),
    survey_cells,
    ("comment", "comment_access"),
)

KINDS = {kind.name: kind for kind in (COMPLAINTS, ORDERS_KIND, SURVEYS)}
