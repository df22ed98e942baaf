"""Every survey command as a mutation: input in, `SurveyResult` out."""

from __future__ import annotations

import strawberry

import api.graphql.enums  # noqa: F401  (gives the domain enums their GraphQL names)
from api.graphql.context import CommandInput, Info, parse_id
from api.graphql.outcomes import EntityCommands, answer, call
from api.graphql.surveys import SURVEY, SurveyResult, changed
from application.app import CareLedger
from domain.survey import Scores, SurveySubject, SurveyVia


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


SURVEYS = EntityCommands(
    "survey", changed, check=SURVEY.own_data("customers may answer only their own surveys")
)


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
