"""Histories written late over GraphQL: `importComplaintHistory` records a complaint from a
previous system whole, its clocks judged at its own steps' business times
(docs/architecture.md#sla-clocks)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from api.graphql.complaints import ComplaintResult, changed
from api.graphql.context import CommandInput, Info, parse_id
from api.graphql.outcomes import answer
from domain.complaint_history import HistoryStep, StepAction
from domain.complaint_types import ClosedBy, Department, Remedy, Resolution, Severity, WaitingOn
from domain.meta import Channel

strawberry.enum(StepAction, name="HistoryStepAction")


@strawberry.input(description="One step of the history; each action reads the fields it needs")
class HistoryStepInput:
    action: StepAction
    at: datetime = strawberry.field(description="Its business time (timezone required)")
    text: str | None = strawberry.field(default=None, description="REPLY; stored sealed")
    category: str | None = strawberry.field(default=None, description="CLASSIFY")
    subcategory: str | None = strawberry.field(default=None, description="CLASSIFY")
    severity: Severity | None = strawberry.field(default=None, description="CLASSIFY")
    department: Department | None = strawberry.field(
        default=None, description="ASSIGN, DEPARTMENT_REPLY"
    )
    person: str | None = strawberry.field(default=None, description="ASSIGN")
    waiting_on: WaitingOn | None = strawberry.field(default=None, description="HOLD")
    remedy: Remedy | None = strawberry.field(default=None, description="PROPOSE_SOLUTION")
    amount: Decimal | None = strawberry.field(default=None, description="PROPOSE_SOLUTION")
    outcome: Resolution | None = strawberry.field(default=None, description="RESOLVE")
    closed_by: ClosedBy | None = strawberry.field(default=None, description="CLOSE")
    cause: str | None = strawberry.field(default=None, description="RECORD_ROOT_CAUSE")
    corrective_action: str | None = strawberry.field(default=None, description="RECORD_ROOT_CAUSE")

    def step(self) -> HistoryStep:
        return HistoryStep(
            action=self.action,
            at=self.at,
            text=self.text,
            category=self.category,
            subcategory=self.subcategory,
            severity=self.severity,
            department=self.department,
            person=self.person,
            waiting_on=self.waiting_on,
            remedy=self.remedy,
            amount=self.amount,
            outcome=self.outcome,
            closed_by=self.closed_by,
            cause=self.cause,
            corrective_action=self.corrective_action,
        )


@strawberry.input
class ImportComplaintHistoryInput(CommandInput):
    customer_id: strawberry.ID
    order_id: strawberry.ID | None = None
    channel: Channel
    content: str = strawberry.field(description="Personal data: stored sealed")
    received_at: datetime = strawberry.field(description="When the complaint was filed")
    steps: list[HistoryStepInput] = strawberry.field(
        description="In business-time order, none after the import (its occurredAt or now)"
    )


@strawberry.type
class HistoryImportMutations:
    @strawberry.mutation(
        description="Record a complaint's whole history from a previous system in one command:"
        " its clocks are judged at the business times of its own steps, and no live policy"
        " (the SLA sweeper, notices) acts on what it records"
    )
    async def import_complaint_history(
        self, info: Info, input: ImportComplaintHistoryInput
    ) -> ComplaintResult:
        async def attempt() -> object:
            context = info.context
            context.authorize("importComplaintHistory")
            order_id = input.order_id
            outcome = await context.run(
                context.services.ledger.import_complaint_history,
                context.meta(input, input.channel),
                customer_id=parse_id("customerId", input.customer_id),
                order_id=None if order_id is None else parse_id("orderId", order_id),
                channel=input.channel,
                content=input.content,
                received_at=input.received_at,
                steps=[s.step() for s in input.steps],
            )
            return await changed(info, outcome)

        return await answer(attempt)
