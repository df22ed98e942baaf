"""The compliance export: everything recorded about one customer, personal data opened.

No read model indexes entities by customer, so the customer's orders, complaints and surveys
are found in the audit trail view by scanning their creation events for the customer's id
(a full scan of that table: fine for a rare export, not for a hot path).
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import strawberry

from api.graphql.access import NeedToKnow, PersonalDataAccess, need_to_know
from api.graphql.consistency import read_at
from api.graphql.context import Info, parse_id
from api.graphql.customers import CustomerView
from api.graphql.history import HistoryEvent, history_of
from api.graphql.privacy import PersonalDataReadView
from application.app import CareLedger
from application.errors import NotFoundError
from domain.base import CareAggregate
from domain.complaint import Complaint
from domain.customer import Customer
from domain.order import Order
from domain.survey import Survey
from projections.engine.reading import active_prefix
from projections.engine.store import ViewStore
from projections.views.audit_trail import AuditTrailProjection
from projections.views.personal_data_reads import (
    PersonalDataReadsProjection,
    Read,
    every_read_of_customer,
)

CREATIONS: dict[str, type[CareAggregate]] = {
    "OrderReceived": Order,
    "ComplaintReceived": Complaint,
    "SurveySent": Survey,
}
PAGE = 500


@strawberry.type(description="One entity of the customer's: its state and every event")
class ExportedEntity:
    entity: str
    id: str
    status: str
    version: int
    events: list[HistoryEvent]


@strawberry.type(
    description="Everything recorded about one customer, personal data opened for a compliance"
    " officer with a privacy case open on them (or broken glass), sealed for anyone else"
)
class CustomerExport:
    customer_id: str
    access: PersonalDataAccess = strawberry.field(
        description="Whether the customer's personal data opened for the caller (a compliance"
        " officer with a privacy case open on them, or broken glass), and why"
    )
    customer: CustomerView | None = strawberry.field(description="None: never registered")
    customer_events: list[HistoryEvent]
    reads: list[PersonalDataReadView] = strawberry.field(
        description="Who has seen the customer's personal data, oldest first"
    )
    orders: list[ExportedEntity]
    complaints: list[ExportedEntity]
    surveys: list[ExportedEntity]


def customer_entities(store: ViewStore, customer_id: UUID) -> list[tuple[str, UUID]]:
    """(creation event, entity id) of every order, complaint and survey of the customer, in log
    order, from the audit trail view."""
    wanted = str(customer_id)
    marker = f'%"customer_id":"{wanted}"%'
    with store.transaction() as tx:
        prefix = active_prefix(tx, AuditTrailProjection.name)
        rows = tx.all(
            f"SELECT event, entity_id, payload FROM {prefix}entries"
            f" WHERE event IN ({', '.join('?' for _ in CREATIONS)}) AND payload LIKE ?"
            " ORDER BY position",
            (*CREATIONS, marker),
        )
    # LIKE only narrows the scan (`_` matches any character): the payload decides.
    return [(e, UUID(i)) for e, i, p in rows if json.loads(p).get("customer_id") == wanted]


def export_lists(store: ViewStore, customer_id: UUID) -> tuple[list[tuple[str, UUID]], list[Read]]:
    return customer_entities(store, customer_id), every_read_of_customer(store, str(customer_id))


def every_event(ledger: CareLedger, entity_id: UUID, checker: NeedToKnow) -> list[HistoryEvent]:
    events: list[HistoryEvent] = []
    while True:
        page = history_of(ledger.events, entity_id, checker.reveal(entity_id), len(events), PAGE)
        events += page
        if len(page) < PAGE:
            return events


def build_export(
    ledger: CareLedger,
    checker: NeedToKnow,
    customer_id: UUID,
    found: tuple[list[tuple[str, UUID]], list[Read]],
) -> CustomerExport:
    entities, reads = found
    try:
        customer: Customer | None = ledger.load(Customer, customer_id)
    except NotFoundError:
        customer = None
    if customer is None and not entities:
        raise NotFoundError("Customer", customer_id)
    by_kind: dict[str, list[ExportedEntity]] = {name: [] for name in CREATIONS}
    for event, entity_id in entities:
        aggregate: Any = ledger.load(CREATIONS[event], entity_id)
        by_kind[event].append(
            ExportedEntity(
                entity=CREATIONS[event].__name__,
                id=str(entity_id),
                status=str(aggregate.status),
                version=aggregate.version,
                events=every_event(ledger, entity_id, checker),
            )
        )
    return CustomerExport(
        customer_id=str(customer_id),
        access=PersonalDataAccess.of(checker.customer(customer_id)),
        customer=None if customer is None else CustomerView.of(customer),
        customer_events=[] if customer is None else every_event(ledger, customer_id, checker),
        reads=[PersonalDataReadView.of(read) for read in reads],
        orders=by_kind["OrderReceived"],
        complaints=by_kind["ComplaintReceived"],
        surveys=by_kind["SurveySent"],
    )


@strawberry.type
class CustomerExportQueries:
    @strawberry.field(
        description="Everything recorded about a customer (subject access); compliance officers"
        " and admins only. `atPosition`: wait until the audit trail has reached that write"
    )
    async def customer_export(
        self, info: Info, id: strawberry.ID, at_position: int | None = None
    ) -> CustomerExport:
        context = info.context
        context.authorize("customerExport")
        customer_id = parse_id("id", id)
        views = [AuditTrailProjection.name, PersonalDataReadsProjection.name]
        found = await read_at(context, views, at_position, export_lists, customer_id)
        ledger = context.services.ledger
        checker = need_to_know(info)
        return await context.call(build_export, ledger, checker, customer_id, found)
