"""Every complaint command as a mutation: input in, `ComplaintResult` out."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

import strawberry

from api.auth import Principal
from api.graphql.complaints import COMPLAINT, ComplaintResult, changed
from api.graphql.context import CommandInput, Info, parse_id
from api.graphql.outcomes import EntityCommands, answer, call
from api.graphql.problems import ForbiddenError
from api.permissions import OWN_DATA
from application.app import CareLedger
from domain.complaint_types import (
    Category,
    ClosedBy,
    Department,
    FundedBy,
    Remedy,
    Resolution,
    Severity,
    WaitingOn,
)
from domain.meta import Channel
from domain.order import Order


@strawberry.input
class FileComplaintInput(CommandInput):
    customer_id: strawberry.ID
    order_id: strawberry.ID | None = None
    content: str = strawberry.field(description="Personal data: stored sealed")
    channel: Channel


@strawberry.input
class ComplaintInput(CommandInput):
    complaint_id: strawberry.ID


@strawberry.input
class ClassifyComplaintInput(ComplaintInput):
    category: Category
    subcategory: str
    severity: Severity


@strawberry.input
class AssignResponsibilityInput(ComplaintInput):
    department: Department
    person: str


@strawberry.input
class DepartmentReplyInput(ComplaintInput):
    department: Department


@strawberry.input
class ComplaintMessageInput(ComplaintInput):
    content: str = strawberry.field(description="Personal data: stored sealed")
    channel: Channel | None = strawberry.field(
        default=None, description="Where it came from, e.g. PHONE when staff record it"
    )


@strawberry.input
class PutOnHoldInput(ComplaintInput):
    waiting_on: WaitingOn


@strawberry.input
class ProposeSolutionInput(ComplaintInput):
    remedy: Remedy
    amount: Decimal | None = strawberry.field(
        default=None, description="Above 0 for refunds and vouchers; none otherwise"
    )


@strawberry.input
class IssueCompensationInput(ComplaintInput):
    amount: Decimal
    funded_by: FundedBy


@strawberry.input
class ResolveComplaintInput(ComplaintInput):
    outcome: Resolution


@strawberry.input
class RecordRootCauseInput(ComplaintInput):
    cause: str = strawberry.field(
        description="Personal data: in words, sealed under the customer's key (erased with them)"
    )
    corrective_action: str = strawberry.field(description="Personal data, as `cause`")
    incident_id: strawberry.ID | None = None


@strawberry.input
class LinkComplaintInput(ComplaintInput):
    incident_id: strawberry.ID | None = None
    order_id: strawberry.ID | None = None


@strawberry.input
class MergeComplaintInput(ComplaintInput):
    into: strawberry.ID = strawberry.field(description="The complaint this one joins")


@strawberry.input
class CloseComplaintInput(ComplaintInput):
    by: ClosedBy


def _id(field: str, value: strawberry.ID | None) -> UUID | None:
    return None if value is None else parse_id(field, value)


COMPLAINTS = EntityCommands(
    "complaint", changed, check=COMPLAINT.own_data("customers may act only on their own complaints")
)


async def _check_filing(
    info: Info, caller: Principal, customer_id: UUID, order_id: UUID | None
) -> None:
    """Customers file only for themselves, and only about their own orders."""
    context = info.context
    if not OWN_DATA.binds(caller.role):
        return
    if not OWN_DATA.allows(caller, customer_id):
        raise ForbiddenError("customers may file complaints only for themselves")
    if order_id is not None:
        order = await context.call(context.services.ledger.load, Order, order_id)
        if order.customer_id != customer_id:
            raise ForbiddenError("customers may complain only about their own orders")


@strawberry.type
class ComplaintMutations:
    @strawberry.mutation(description="Take a complaint from any channel; customers for themselves")
    async def file_complaint(self, info: Info, input: FileComplaintInput) -> ComplaintResult:
        async def attempt() -> object:
            context = info.context
            caller = context.authorize("fileComplaint")
            customer_id = parse_id("customerId", input.customer_id)
            order_id = _id("orderId", input.order_id)
            await _check_filing(info, caller, customer_id, order_id)
            outcome = await context.run(
                context.services.ledger.file_complaint,
                context.meta(input, input.channel),
                customer_id=customer_id,
                order_id=order_id,
                content=input.content,
                channel=input.channel,
            )
            return await changed(info, outcome)

        return await answer(attempt)

    @strawberry.mutation
    async def classify_complaint(
        self, info: Info, input: ClassifyComplaintInput
    ) -> ComplaintResult:
        return await COMPLAINTS.run(
            info,
            input,
            call(CareLedger.classify_complaint, input.category, input.subcategory, input.severity),
        )

    @strawberry.mutation
    async def reclassify_complaint(
        self, info: Info, input: ClassifyComplaintInput
    ) -> ComplaintResult:
        return await COMPLAINTS.run(
            info,
            input,
            call(
                CareLedger.reclassify_complaint, input.category, input.subcategory, input.severity
            ),
        )

    @strawberry.mutation
    async def assign_responsibility(
        self, info: Info, input: AssignResponsibilityInput
    ) -> ComplaintResult:
        return await COMPLAINTS.run(
            info, input, call(CareLedger.assign_responsibility, input.department, input.person)
        )

    @strawberry.mutation
    async def record_department_reply(
        self, info: Info, input: DepartmentReplyInput
    ) -> ComplaintResult:
        return await COMPLAINTS.run(
            info, input, call(CareLedger.record_department_reply, input.department)
        )

    @strawberry.mutation
    async def send_first_response(self, info: Info, input: ComplaintInput) -> ComplaintResult:
        return await COMPLAINTS.run(info, input, call(CareLedger.send_first_response))

    @strawberry.mutation(
        description="The customer, on their own complaint; or staff recording one (e.g. by phone)"
    )
    async def receive_customer_message(
        self, info: Info, input: ComplaintMessageInput
    ) -> ComplaintResult:
        return await COMPLAINTS.run(
            info,
            input,
            call(CareLedger.receive_customer_message, input.content),
            channel=input.channel,
        )

    @strawberry.mutation
    async def reply_to_customer(self, info: Info, input: ComplaintMessageInput) -> ComplaintResult:
        return await COMPLAINTS.run(
            info, input, call(CareLedger.reply_to_customer, input.content), channel=input.channel
        )

    @strawberry.mutation
    async def start_work(self, info: Info, input: ComplaintInput) -> ComplaintResult:
        return await COMPLAINTS.run(info, input, call(CareLedger.start_work))

    @strawberry.mutation
    async def put_on_hold(self, info: Info, input: PutOnHoldInput) -> ComplaintResult:
        return await COMPLAINTS.run(info, input, call(CareLedger.put_on_hold, input.waiting_on))

    @strawberry.mutation
    async def resume_complaint(self, info: Info, input: ComplaintInput) -> ComplaintResult:
        return await COMPLAINTS.run(info, input, call(CareLedger.resume_complaint))

    @strawberry.mutation
    async def propose_solution(self, info: Info, input: ProposeSolutionInput) -> ComplaintResult:
        return await COMPLAINTS.run(
            info, input, call(CareLedger.propose_solution, input.remedy, input.amount)
        )

    @strawberry.mutation(description="Capped, with earlier compensation, by the order's amount")
    async def issue_compensation(
        self, info: Info, input: IssueCompensationInput
    ) -> ComplaintResult:
        return await COMPLAINTS.run(
            info, input, call(CareLedger.issue_compensation, input.amount, input.funded_by)
        )

    @strawberry.mutation
    async def resolve_complaint(self, info: Info, input: ResolveComplaintInput) -> ComplaintResult:
        return await COMPLAINTS.run(info, input, call(CareLedger.resolve_complaint, input.outcome))

    @strawberry.mutation(description="The customer, on their own complaint; staff on their behalf")
    async def confirm_satisfied(self, info: Info, input: ComplaintInput) -> ComplaintResult:
        return await COMPLAINTS.run(info, input, call(CareLedger.confirm_satisfied))

    @strawberry.mutation(description="The customer, on their own complaint; staff on their behalf")
    async def dispute_resolution(self, info: Info, input: ComplaintInput) -> ComplaintResult:
        return await COMPLAINTS.run(info, input, call(CareLedger.dispute_resolution))

    @strawberry.mutation(description="Required before a major or urgent complaint closes")
    async def record_root_cause(self, info: Info, input: RecordRootCauseInput) -> ComplaintResult:
        return await COMPLAINTS.run(
            info,
            input,
            lambda: call(
                CareLedger.record_root_cause,
                input.cause,
                input.corrective_action,
                _id("incidentId", input.incident_id),
            ),
        )

    @strawberry.mutation(description="One level up, by hand (at most level 3)")
    async def escalate_complaint(self, info: Info, input: ComplaintInput) -> ComplaintResult:
        return await COMPLAINTS.run(info, input, call(CareLedger.escalate_complaint))

    @strawberry.mutation(description="Link to an incident or an order: give exactly one")
    async def link_complaint(self, info: Info, input: LinkComplaintInput) -> ComplaintResult:
        return await COMPLAINTS.run(
            info,
            input,
            lambda: call(
                CareLedger.link_complaint,
                incident_id=_id("incidentId", input.incident_id),
                order_id=_id("orderId", input.order_id),
            ),
        )

    @strawberry.mutation
    async def merge_complaint(self, info: Info, input: MergeComplaintInput) -> ComplaintResult:
        return await COMPLAINTS.run(
            info, input, lambda: call(CareLedger.merge_complaint, parse_id("into", input.into))
        )

    @strawberry.mutation(description="A major or urgent complaint needs its root cause first")
    async def close_complaint(self, info: Info, input: CloseComplaintInput) -> ComplaintResult:
        return await COMPLAINTS.run(info, input, call(CareLedger.close_complaint, input.by))

    @strawberry.mutation(
        description="Move the running SLA clocks to the policy versions and calendars in force"
        " now, recording each clock's old and new due time (SlaPolicyReapplied)"
    )
    async def retarget_complaint_sla(self, info: Info, input: ComplaintInput) -> ComplaintResult:
        return await COMPLAINTS.run(info, input, call(CareLedger.retarget_complaint_sla))

    @strawberry.mutation(description="The SLA sweeper's check, by hand: records what is due now")
    async def check_complaint_sla(self, info: Info, input: ComplaintInput) -> ComplaintResult:
        return await COMPLAINTS.run(info, input, call(CareLedger.check_complaint_sla))
