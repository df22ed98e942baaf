"""Reads of personal data on the record, over GraphQL: who has seen a customer's data, and the
privacy audit report of a period (projections/views/personal_data_reads.py, privacy_audit.py).
Per actor, the `PersonalDataRead` events are in `auditTrail(actorId:)`."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.graphql.consistency import read_at
from api.graphql.context import Info, parse_id
from api.graphql.dashboards import AtPosition, From, To, window
from api.graphql.lists import After, First
from api.graphql.paging import DEFAULT_PAGE, Connection, connection, decode_cursor, page_size
from api.graphql.problems import ForbiddenError
from api.permissions import OWN_DATA
from projections.views import privacy_audit as audit
from projections.views.personal_data_reads import (
    PersonalDataReadsProjection,
    Read,
    reads_of_customer,
)

VIEWS = [PersonalDataReadsProjection.name]


@strawberry.type(name="PersonalDataRead", description="Personal fields of one entity opened")
class PersonalDataReadView:
    position: int = strawberry.field(description="The log position of the record")
    customer_id: str
    actor_id: str
    actor_role: str
    entity_type: str
    entity_id: str
    fields: list[str]
    basis: str = strawberry.field(
        description="Why they opened: own, assigned, department, broken_glass, privacy_case"
    )
    operation: str = strawberry.field(description="The GraphQL operation's root fields")
    correlation_id: str
    read_at: datetime

    @classmethod
    def of(cls, read: Read) -> PersonalDataReadView:
        return cls(
            position=read.position,
            customer_id=read.customer_id,
            actor_id=read.actor_id,
            actor_role=read.actor_role,
            entity_type=read.entity_type,
            entity_id=read.entity_id,
            fields=list(read.fields),
            basis=read.basis,
            operation=read.operation,
            correlation_id=read.correlation_id,
            read_at=read.read_at,
        )


@strawberry.type
class RoleReads:
    role: str
    reads: int = strawberry.field(description="Entities whose personal data opened")
    customers: int
    actors: int


@strawberry.type
class ActorReads:
    actor_id: str
    role: str
    reads: int
    customers: int = strawberry.field(description="Distinct customers: the actor's volume")
    unusual: bool = strawberry.field(
        description=f"More than {audit.UNUSUAL_MIN} customers and more than"
        f" {audit.UNUSUAL_FACTOR:g} times the median of the others of the role"
    )


@strawberry.type
class GlassUse:
    actor_id: str
    role: str
    customer_id: str
    reason_code: str
    broken_at: datetime
    until: datetime


@strawberry.type
class ExportMade:
    actor_id: str
    customer_id: str
    at: datetime
    correlation_id: str


@strawberry.type
class ErasureMade:
    actor_id: str
    customer_id: str
    at: datetime


@strawberry.type(description="Who read personal data in a period, and how")
class PrivacyAuditReport:
    start: datetime
    end: datetime
    by_role: list[RoleReads]
    by_actor: list[ActorReads]
    unusual: list[ActorReads] = strawberry.field(description="The actors whose volume stands out")
    break_glass: list[GlassUse]
    exports: list[ExportMade]
    erasures: list[ErasureMade]

    @classmethod
    def of(cls, report: audit.PrivacyAudit) -> PrivacyAuditReport:
        def actor(a: audit.ActorReads) -> ActorReads:
            return ActorReads(
                actor_id=a.actor_id,
                role=a.role,
                reads=a.reads,
                customers=a.customers,
                unusual=a.unusual,
            )

        return cls(
            start=report.start,
            end=report.end,
            by_role=[
                RoleReads(role=r.role, reads=r.reads, customers=r.customers, actors=r.actors)
                for r in report.by_role
            ],
            by_actor=[actor(a) for a in report.by_actor],
            unusual=[actor(a) for a in report.unusual],
            break_glass=[
                GlassUse(
                    actor_id=g.actor_id,
                    role=g.role,
                    customer_id=g.customer_id,
                    reason_code=g.reason_code,
                    broken_at=g.broken_at,
                    until=g.until,
                )
                for g in report.glass
            ],
            exports=[
                ExportMade(
                    actor_id=e.actor_id,
                    customer_id=e.customer_id,
                    at=e.at,
                    correlation_id=e.correlation_id,
                )
                for e in report.exports
            ],
            erasures=[
                ErasureMade(actor_id=e.actor_id, customer_id=e.customer_id, at=e.at)
                for e in report.erasures
            ],
        )


@strawberry.type
class PrivacyQueries:
    @strawberry.field(
        description="Who has seen a customer's personal data: every entity of theirs whose"
        " personal fields opened, for whom, why, through which operation, oldest first. The"
        " customer (their own), compliance officers and admins"
    )
    async def personal_data_reads(
        self,
        info: Info,
        customer_id: strawberry.ID,
        first: First = DEFAULT_PAGE,
        after: After = None,
        at_position: AtPosition = None,
    ) -> Connection[PersonalDataReadView]:
        caller = info.context.authorize("personalDataReads")
        customer = parse_id("customerId", customer_id)
        if not OWN_DATA.allows(caller, customer):
            raise ForbiddenError("customers see only who has seen their own data")
        key = decode_cursor("reads", after, (int, int))
        start = None if key is None else (int(key[0]), int(key[1]))
        reads, more = await read_at(
            info.context,
            VIEWS,
            at_position,
            reads_of_customer,
            str(customer),
            start,
            page_size(first),
        )
        return connection(
            "reads",
            reads,
            more=more,
            after=key is not None,
            key=lambda r: (r.position, r.seq),
            node=PersonalDataReadView.of,
        )

    @strawberry.field(
        description="The privacy audit of a period: reads by role and by actor, unusual volume,"
        " break-glass uses, exports and erasures; compliance officers and admins"
    )
    async def privacy_audit_report(
        self, info: Info, start: From, to: To, at_position: AtPosition = None
    ) -> PrivacyAuditReport:
        info.context.authorize("privacyAuditReport")
        begin, finish = window(start, to)
        report = await read_at(info.context, VIEWS, at_position, audit.privacy_audit, begin, finish)
        return PrivacyAuditReport.of(report)
