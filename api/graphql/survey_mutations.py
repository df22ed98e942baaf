"""Every survey command as a mutation: input in, `SurveyResult` out."""

from __future__ import annotations

from uuid import UUID

import strawberry

import api.graphql.enums  # noqa: F401  (gives the domain enums their GraphQL names)
from api.auth import Principal
from api.graphql.context import CommandInput, Info, parse_id
from api.graphql.outcomes import EntityCommands, answer, call
from api.graphql.problems import ForbiddenError
from api.graphql.surveys import SurveyResult, changed
from api.permissions import OWN_DATA
from application.app import CareLedger
from domain.survey import Scores, Survey, SurveySubject, SurveyVia


@strawberry.input
class SendSurveyInput(CommandInput):
    customer_id: strawberry.ID
    subject: SurveySubject
    subject_id: strawberry.ID = strawberry.field(description="The order or complaint asked about")
    via: SurveyVia


@strawberry.input
class SurveyInput(CommandInput):
    survey_id: strawberry.ID


@strawberry.input
class SurveyScoresInput:
    product_quality: int
    service_attitude: int
    after_sales: int
    response_speed: int
    problem_solving: int


@strawberry.input
class RespondToSurveyInput(SurveyInput):
    scores: SurveyScoresInput = strawberry.field(description="1 to 5 on each dimension")
    comment: str | None = strawberry.field(default=None, description="Personal data: sealed")


async def _own_survey(info: Info, caller: Principal, survey_id: UUID) -> None:
    if not OWN_DATA.binds(caller.role):
        return
    context = info.context
    survey = await context.call(context.services.ledger.load, Survey, survey_id)
    if not OWN_DATA.allows(caller, survey.customer_id):
        raise ForbiddenError("customers may answer only their own surveys")


SURVEYS = EntityCommands("survey", changed, check=_own_survey)


@strawberry.type
class SurveyMutations:
    @strawberry.mutation(description="Ask a customer about an order or a complaint; staff only")
    async def send_survey(self, info: Info, input: SendSurveyInput) -> SurveyResult:
        async def attempt() -> object:
            context = info.context
            context.authorize("sendSurvey")
            outcome = await context.run(
                context.services.ledger.send_survey,
                context.meta(input),
                parse_id("customerId", input.customer_id),
                input.subject,
                parse_id("subjectId", input.subject_id),
                input.via,
            )
            return await changed(info, outcome)

        return await answer(attempt)

    @strawberry.mutation(description="The customer answers their own survey")
    async def respond_to_survey(self, info: Info, input: RespondToSurveyInput) -> SurveyResult:
        return await SURVEYS.run(
            info,
            input,
            lambda: call(CareLedger.respond_to_survey, _scores(input.scores), input.comment),
        )

    @strawberry.mutation(description="Close an unanswered survey; staff only")
    async def expire_survey(self, info: Info, input: SurveyInput) -> SurveyResult:
        return await SURVEYS.run(info, input, call(CareLedger.expire_survey))


def _scores(given: SurveyScoresInput) -> Scores:
    return Scores(
        product_quality=given.product_quality,
        service_attitude=given.service_attitude,
        after_sales=given.after_sales,
        response_speed=given.response_speed,
        problem_solving=given.problem_solving,
    )
