"""Every incident command as a mutation: input in, `IncidentResult` out.

Incident commanders and supervisors run incidents; agents may also report one.
"""

from __future__ import annotations

from uuid import UUID

import strawberry

import api.graphql.enums  # noqa: F401  (gives the domain enums their GraphQL names)
from api.graphql.context import CommandInput, Info, parse_id
from api.graphql.incidents import IncidentResult, changed
from api.graphql.outcomes import EntityCommands, answer, call
from application.app import CareLedger
from domain.incident import Incident
from domain.incident_types import (
    ActionKind,
    Audience,
    IncidentSource,
    IncidentType,
    WarningColour,
)
from domain.incident_types import Role as IncidentRole
from domain.incident_types import Severity as IncidentSeverity


@strawberry.input
class ReportIncidentInput(CommandInput):
    type: IncidentType
    source: IncidentSource
    title: str
    description: str


@strawberry.input
class IncidentInput(CommandInput):
    incident_id: strawberry.ID


@strawberry.input
class IssueWarningInput(IncidentInput):
    colour: WarningColour


@strawberry.input
class AssessSeverityInput(IncidentInput):
    level: IncidentSeverity
    reason: str


@strawberry.input
class ReportToSuperiorInput(IncidentInput):
    to: str


@strawberry.input
class EstablishCommandInput(IncidentInput):
    commander: str


@strawberry.input
class AssignIncidentRoleInput(IncidentInput):
    role: IncidentRole
    person: str


@strawberry.input
class AllocateResourceInput(IncidentInput):
    resource: str


@strawberry.input
class TakeActionInput(IncidentInput):
    kind: ActionKind
    detail: str


@strawberry.input
class PublishStatusUpdateInput(IncidentInput):
    audience: Audience
    message: str


@strawberry.input
class RecordImpactInput(IncidentInput):
    orders: int
    customers: int
    regions: list[str]


@strawberry.input
class LinkOrdersInput(IncidentInput):
    order_ids: list[strawberry.ID]


@strawberry.input
class LinkComplaintsInput(IncidentInput):
    complaint_ids: list[strawberry.ID]


@strawberry.input
class CompleteReviewInput(IncidentInput):
    root_cause: str
    follow_ups: list[str]


@strawberry.input
class MergeIncidentInput(IncidentInput):
    into: strawberry.ID = strawberry.field(description="The incident this one continues in")


INCIDENTS = EntityCommands("incident", changed)


def _ids(field: str, values: list[strawberry.ID]) -> list[UUID]:
    return [parse_id(f"{field}[{n}]", value) for n, value in enumerate(values)]


@strawberry.type
class IncidentMutations:
    @strawberry.mutation(description="Report an emergency; agents may report too")
    async def report_incident(self, info: Info, input: ReportIncidentInput) -> IncidentResult:
        async def attempt() -> object:
            context = info.context
            context.authorize("reportIncident")
            outcome = await context.run(
                context.services.ledger.report_incident,
                context.meta(input),
                type=input.type,
                source=input.source,
                title=input.title,
                description=input.description,
            )
            return await changed(info, outcome)

        return await answer(attempt)

    @strawberry.mutation
    async def issue_warning(self, info: Info, input: IssueWarningInput) -> IncidentResult:
        return await INCIDENTS.run(info, input, call(CareLedger.issue_warning, input.colour))

    @strawberry.mutation
    async def confirm_incident(self, info: Info, input: IncidentInput) -> IncidentResult:
        return await INCIDENTS.run(info, input, call(CareLedger.confirm_incident))

    @strawberry.mutation
    async def decline_incident(self, info: Info, input: IncidentInput) -> IncidentResult:
        return await INCIDENTS.run(info, input, call(CareLedger.decline_incident))

    @strawberry.mutation
    async def assess_severity(self, info: Info, input: AssessSeverityInput) -> IncidentResult:
        return await INCIDENTS.run(
            info, input, call(CareLedger.assess_severity, input.level, input.reason)
        )

    @strawberry.mutation
    async def report_to_superior(self, info: Info, input: ReportToSuperiorInput) -> IncidentResult:
        return await INCIDENTS.run(info, input, call(CareLedger.report_to_superior, input.to))

    @strawberry.mutation
    async def establish_command(self, info: Info, input: EstablishCommandInput) -> IncidentResult:
        return await INCIDENTS.run(info, input, call(CareLedger.establish_command, input.commander))

    @strawberry.mutation
    async def assign_role(self, info: Info, input: AssignIncidentRoleInput) -> IncidentResult:
        return await INCIDENTS.run(
            info, input, call(CareLedger.assign_role, input.role, input.person)
        )

    @strawberry.mutation
    async def allocate_resource(self, info: Info, input: AllocateResourceInput) -> IncidentResult:
        return await INCIDENTS.run(info, input, call(CareLedger.allocate_resource, input.resource))

    @strawberry.mutation
    async def take_action(self, info: Info, input: TakeActionInput) -> IncidentResult:
        return await INCIDENTS.run(
            info, input, call(CareLedger.take_action, input.kind, input.detail)
        )

    @strawberry.mutation
    async def publish_status_update(
        self, info: Info, input: PublishStatusUpdateInput
    ) -> IncidentResult:
        return await INCIDENTS.run(
            info, input, call(CareLedger.publish_status_update, input.audience, input.message)
        )

    @strawberry.mutation
    async def record_impact(self, info: Info, input: RecordImpactInput) -> IncidentResult:
        return await INCIDENTS.run(
            info,
            input,
            call(CareLedger.record_impact, input.orders, input.customers, input.regions),
        )

    @strawberry.mutation
    async def link_orders(self, info: Info, input: LinkOrdersInput) -> IncidentResult:
        return await INCIDENTS.run(
            info, input, lambda: call(CareLedger.link_orders, _ids("orderIds", input.order_ids))
        )

    @strawberry.mutation
    async def link_complaints(self, info: Info, input: LinkComplaintsInput) -> IncidentResult:
        return await INCIDENTS.run(
            info,
            input,
            lambda: call(CareLedger.link_complaints, _ids("complaintIds", input.complaint_ids)),
        )

    @strawberry.mutation
    async def mitigate_incident(self, info: Info, input: IncidentInput) -> IncidentResult:
        return await INCIDENTS.run(info, input, call(CareLedger.mitigate_incident))

    @strawberry.mutation
    async def resolve_incident(self, info: Info, input: IncidentInput) -> IncidentResult:
        return await INCIDENTS.run(info, input, call(CareLedger.resolve_incident))

    @strawberry.mutation
    async def start_review(self, info: Info, input: IncidentInput) -> IncidentResult:
        return await INCIDENTS.run(info, input, call(CareLedger.start_review))

    @strawberry.mutation
    async def complete_review(self, info: Info, input: CompleteReviewInput) -> IncidentResult:
        return await INCIDENTS.run(
            info, input, call(CareLedger.complete_review, input.root_cause, input.follow_ups)
        )

    @strawberry.mutation(description="Severity I-II incidents close only after a review")
    async def close_incident(self, info: Info, input: IncidentInput) -> IncidentResult:
        return await INCIDENTS.run(info, input, call(CareLedger.close_incident))

    @strawberry.mutation(description="Fold a duplicate into the incident it continues in")
    async def merge_incident(self, info: Info, input: MergeIncidentInput) -> IncidentResult:
        async def attempt() -> object:
            context = info.context
            context.authorize("mergeIncident")
            incident_id = parse_id("incidentId", input.incident_id)
            into = parse_id("into", input.into)
            # The application does not check the target exists (complaints' merge does).
            await context.call(context.services.ledger.load, Incident, into)
            outcome = await context.run(
                context.services.ledger.merge_incident, context.meta(input), incident_id, into
            )
            return await changed(info, outcome)

        return await answer(attempt)
