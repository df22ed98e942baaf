"""Complaints over GraphQL: the complaint with its SLA clocks, and its history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Annotated, TypeVar

import strawberry
from strawberry import relay

import api.graphql.enums  # noqa: F401  (gives the domain enums below their GraphQL names)
from api.graphql.access import (
    Field,
    PersonalDataAccess,
    access_of,
    open_if_allowed,
    open_recorded,
)
from api.graphql.context import Info
from api.graphql.entity import Changed, Entity, Loaded
from api.graphql.problems import Problems
from api.need_to_know import complaint_handling
from domain.complaint import Complaint
from domain.complaint_types import (
    Category,
    ClosedBy,
    ComplaintStatus,
    Department,
    Remedy,
    Resolution,
    Severity,
    WaitingOn,
)
from domain.meta import Channel
from domain.sla import ClockName, ClockState, SlaClock
from domain.values import Sealed, Unsealed

E = TypeVar("E")


@strawberry.type(
    name="SlaClock", description="One SLA clock of a complaint (docs/architecture.md#sla-clocks)"
)
class SlaClockView:
    name: ClockName
    state: ClockState
    started_at: datetime
    target_seconds: int
    warn_at: datetime
    due_at: datetime = strawberry.field(description="Moved on by the time spent paused")
    warned: bool
    breached: bool
    stopped_at: datetime | None

    @classmethod
    def of(cls, clock: SlaClock) -> SlaClockView:
        return cls(
            name=clock.name,
            state=clock.state,
            started_at=clock.started_at,
            target_seconds=clock.target_s,
            warn_at=clock.warn_at,
            due_at=clock.due_at,
            warned=clock.warned,
            breached=clock.breached,
            stopped_at=clock.stopped_at,
        )


@strawberry.type
class RootCause:
    incident_id: str | None
    _complaint: strawberry.Private[Complaint]

    @strawberry.field(
        description='Personal data: what caused it, in words, "[sealed]" unless the caller'
        ' needs to know the complaint\'s personal data (`access` says why), "[erased]" once the'
        " customer was erased"
    )
    async def cause(self, info: Info) -> str:
        return await self._opened(info, "cause", self._complaint.root_cause)

    @strawberry.field(description="Personal data, as `cause`: what was done about it")
    async def corrective_action(self, info: Info) -> str:
        return await self._opened(info, "corrective_action", self._complaint.corrective_action)

    @strawberry.field(description="Whether `cause` and `correctiveAction` opened, and why")
    async def access(self, info: Info) -> PersonalDataAccess:
        return PersonalDataAccess.of(await access_of(info, complaint_handling(self._complaint)))

    async def _opened(self, info: Info, name: str, value: Sealed | Unsealed | str | None) -> str:
        complaint = self._complaint
        where = Field("Complaint", complaint.id, name)
        opened = await open_recorded(info, complaint_handling(complaint), value, where)
        return opened or ""


@strawberry.type(name="Complaint")
class ComplaintView(Loaded, relay.Node):
    key: relay.NodeID[str]
    complaint_id: str = strawberry.field(description="The complaint's own id (a UUID)")
    version: int
    status: ComplaintStatus
    customer_id: str
    order_id: str | None
    channel: Channel
    category: Category | None
    subcategory: str | None
    severity: Severity | None
    department: Department | None
    assignee: str | None
    waiting_on: WaitingOn | None
    escalation_level: int = strawberry.field(description="0 to 3")
    received_at: datetime
    classified_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    remedy: Remedy | None
    proposed_amount: Decimal | None
    compensated_total: Decimal
    outcome: Resolution | None
    customer_satisfied: bool
    closed_by: ClosedBy | None
    reopen_count: int
    root_cause: RootCause | None
    linked_incident_ids: list[str]
    linked_order_ids: list[str]
    merged_into: str | None
    message_count: int
    reply_count: int
    sla_clocks: list[SlaClockView]
    next_sla_check_at: datetime | None = strawberry.field(
        description="When a sweep could next record a warning or a breach; null: nothing pending"
    )
    _complaint: strawberry.Private[Complaint]

    @strawberry.field(
        description='Personal data: the complaint\'s text, or "[sealed]" unless the caller needs'
        " to know it (`contentAccess` says why)"
    )
    async def content(self, info: Info) -> str | None:
        complaint = self._complaint
        where = Field("Complaint", complaint.id, "content")
        opened = await open_if_allowed(
            info, complaint_handling(complaint), complaint.content, where
        )
        return opened

    @strawberry.field(description="Whether `content` opened for the caller, and why")
    async def content_access(self, info: Info) -> PersonalDataAccess:
        return PersonalDataAccess.of(await access_of(info, complaint_handling(self._complaint)))

    @classmethod
    def of(cls, c: Complaint) -> ComplaintView:
        return cls(
            key=str(c.id),
            complaint_id=str(c.id),
            version=c.version,
            status=ComplaintStatus(c.status),
            customer_id=str(c.customer_id),
            order_id=_str(c.order_id),
            channel=Channel(c.channel),
            category=_maybe(Category, c.category),
            subcategory=c.subcategory,
            severity=_maybe(Severity, c.severity),
            department=_maybe(Department, c.department),
            assignee=c.assignee,
            waiting_on=_maybe(WaitingOn, c.waiting_on),
            escalation_level=c.escalation_level,
            received_at=c.received_at,
            classified_at=c.classified_at,
            first_response_at=c.first_response_at,
            resolved_at=c.resolved_at,
            closed_at=c.closed_at,
            remedy=_maybe(Remedy, c.remedy),
            proposed_amount=c.proposed_amount,
            compensated_total=c.compensated_total,
            outcome=_maybe(Resolution, c.outcome),
            customer_satisfied=c.customer_satisfied,
            closed_by=_maybe(ClosedBy, c.closed_by),
            reopen_count=c.reopen_count,
            root_cause=_root_cause(c),
            linked_incident_ids=[str(i) for i in c.linked_incident_ids],
            linked_order_ids=[str(i) for i in c.linked_order_ids],
            merged_into=_str(c.merged_into),
            message_count=c.message_count,
            reply_count=c.reply_count,
            sla_clocks=[SlaClockView.of(c.clocks[n]) for n in ClockName if n in c.clocks],
            next_sla_check_at=c.next_sla_check_at,
            _complaint=c,
        )


def _str(value: object) -> str | None:
    return None if value is None else str(value)


def _maybe(kind: Callable[[str], E], value: str | None) -> E | None:
    """An enum attribute as its enum (the store may hand one back as plain text)."""
    return None if value is None else kind(value)


def _root_cause(c: Complaint) -> RootCause | None:
    if not c.root_cause_recorded:
        return None
    return RootCause(incident_id=_str(c.root_cause_incident_id), _complaint=c)


COMPLAINT = Entity("complaint", Complaint, ComplaintView, owner=lambda c: c.customer_id)
ComplaintResult = Annotated[Changed[ComplaintView] | Problems, strawberry.union("ComplaintResult")]
changed, load_complaint = COMPLAINT.changed, COMPLAINT.load
ComplaintQueries = COMPLAINT.queries()
