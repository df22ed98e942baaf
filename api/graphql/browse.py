"""Browsing every complaint, order and incident, the ended ones too, by filters and sort orders:
keyset-paged connections over the index read models.

A customer may browse complaints and orders, and gets only their own: the list is narrowed to
the caller, and naming another customer is refused (docs/architecture.md#who-may-do-what).
"""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

import api.graphql.enums  # noqa: F401  (gives the domain enums their GraphQL names)
from api.graphql.browse_types import (
    ComplaintSort,
    ListedComplaint,
    ListedIncident,
    ListedOrder,
    OrderSort,
)
from api.graphql.context import Context, Info, parse_id
from api.graphql.dashboards import AtPosition
from api.graphql.lists import After, First
from api.graphql.paging import DEFAULT_PAGE, Connection, keyset_connection
from api.graphql.problems import ForbiddenError
from api.permissions import OWN_DATA
from domain.complaint_types import Category, ComplaintStatus, Department, Severity
from domain.incident_types import IncidentStatus, IncidentType
from domain.incident_types import Severity as IncidentSeverity
from domain.order_types import OrderStatus
from projections.views.complaint_index import ComplaintIndexProjection, complaint_index
from projections.views.incident_index import IncidentIndexProjection, incident_index
from projections.views.order_index import SORTS as ORDER_SORTS
from projections.views.order_index import OrderIndexProjection, order_index

INCIDENTS = "incidents"

CustomerId = Annotated[
    strawberry.ID | None,
    strawberry.argument(description="Only this customer's; a customer always gets their own"),
]


@strawberry.type
class BrowseQueries:
    @strawberry.field(
        description="Every complaint, open or ended, by received time or by next SLA due time"
        " (those without a running clock last)"
    )
    async def complaints(
        self,
        info: Info,
        status: ComplaintStatus | None = None,
        category: Category | None = None,
        severity: Severity | None = None,
        department: Department | None = None,
        customer_id: CustomerId = None,
        order_by: ComplaintSort = ComplaintSort.RECEIVED,
        first: First = DEFAULT_PAGE,
        after: After = None,
        at_position: AtPosition = None,
    ) -> Connection[ListedComplaint]:
        customer = customer_scope(info.context, customer_id, "complaints")
        return await keyset_connection(
            info.context,
            f"complaints-{order_by.value}",
            (float, str),
            first,
            after,
            at_position,
            ComplaintIndexProjection.name,
            complaint_index,
            ListedComplaint.of,
            status=_value(status),
            category=_value(category),
            severity=_value(severity),
            department=_value(department),
            customer_id=customer,
            order_by=order_by.value,
        )

    @strawberry.field(
        description="Every order, open or ended, by placed time, promised time or minutes late"
        " (the latest first, those not recorded late last)"
    )
    async def orders(
        self,
        info: Info,
        status: OrderStatus | None = None,
        region: str | None = None,
        late: Annotated[
            bool | None,
            strawberry.argument(description="true: recorded late; false: not recorded late"),
        ] = None,
        customer_id: CustomerId = None,
        order_by: OrderSort = OrderSort.PLACED,
        first: First = DEFAULT_PAGE,
        after: After = None,
        at_position: AtPosition = None,
    ) -> Connection[ListedOrder]:
        customer = customer_scope(info.context, customer_id, "orders")
        _, sort_type = ORDER_SORTS[order_by.value]
        return await keyset_connection(
            info.context,
            f"orders-{order_by.value}",
            (sort_type, str),
            first,
            after,
            at_position,
            OrderIndexProjection.name,
            order_index,
            ListedOrder.of,
            status=_value(status),
            region=region,
            late=late,
            customer_id=customer,
            order_by=order_by.value,
        )

    @strawberry.field(description="Every incident, open or ended, oldest report first")
    async def incidents(
        self,
        info: Info,
        status: IncidentStatus | None = None,
        type: IncidentType | None = None,
        severity: IncidentSeverity | None = None,
        first: First = DEFAULT_PAGE,
        after: After = None,
        at_position: AtPosition = None,
    ) -> Connection[ListedIncident]:
        info.context.authorize("incidents")
        return await keyset_connection(
            info.context,
            INCIDENTS,
            (float, str),
            first,
            after,
            at_position,
            IncidentIndexProjection.name,
            incident_index,
            ListedIncident.of,
            status=_value(status),
            type=_value(type),
            severity=_value(severity),
        )


def customer_scope(context: Context, customer_id: strawberry.ID | None, what: str) -> str | None:
    """The customer a list is narrowed to: for staff the one named, if any; for a customer
    always themselves, naming anyone else being refused."""
    caller = context.authorize(what)
    named = None if customer_id is None else parse_id("customerId", customer_id)
    if not OWN_DATA.binds(caller.role):
        return None if named is None else str(named)
    own = caller.customer_id
    if own is None or named not in (None, own):
        raise ForbiddenError(f"customers see only their own {what}")
    return str(own)


def _value(choice: Any) -> str | None:
    return None if choice is None else str(choice.value)
