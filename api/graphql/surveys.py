"""Surveys over GraphQL: the survey with its guarded comment, and its history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import strawberry
from strawberry import relay

import api.graphql.enums  # noqa: F401  (gives the domain enums their GraphQL names)
from api.graphql.context import Info
from api.graphql.entity import Changed, Entity, Loaded
from api.graphql.problems import ForbiddenError, Problems
from api.permissions import PERSONAL_DATA
from domain.survey import Survey, SurveyStatus, SurveySubject, SurveyVia


@strawberry.type
class SurveyScores:
    product_quality: int
    service_attitude: int
    after_sales: int
    response_speed: int
    problem_solving: int


@strawberry.type(name="Survey")
class SurveyView(Loaded, relay.Node):
    key: relay.NodeID[str]
    survey_id: str = strawberry.field(description="The survey's own id (a UUID)")
    version: int
    status: SurveyStatus
    subject: SurveySubject
    subject_id: str = strawberry.field(description="The order or complaint asked about")
    customer_id: str
    via: SurveyVia
    sent_at: datetime
    scores: SurveyScores | None = strawberry.field(description="Once responded: 1 to 5 each")
    _survey: strawberry.Private[Survey]

    @strawberry.field(description="Personal data: the customer, staff and compliance only")
    async def comment(self, info: Info) -> str | None:
        caller = info.context.caller
        if not PERSONAL_DATA.allows(caller, self._survey.customer_id):
            raise ForbiddenError(f"the {caller.role} role may not read survey comments")
        vault = info.context.services.ledger.vault
        return await info.context.call(vault.open_optional, self._survey.comment)

    @classmethod
    def of(cls, survey: Survey) -> SurveyView:
        scores = survey.scores
        return cls(
            key=str(survey.id),
            survey_id=str(survey.id),
            version=survey.version,
            status=SurveyStatus(survey.status),
            subject=survey.subject,
            subject_id=str(survey.subject_id),
            customer_id=str(survey.customer_id),
            via=survey.via,
            sent_at=survey.sent_at,
            scores=None if scores is None else SurveyScores(**scores.as_dict()),
            _survey=survey,
        )


SURVEY = Entity("survey", Survey, SurveyView, owner=lambda survey: survey.customer_id)
SurveyResult = Annotated[Changed[SurveyView] | Problems, strawberry.union("SurveyResult")]
changed, load_survey = SURVEY.changed, SURVEY.load
SurveyQueries = SURVEY.queries(lambda survey: UUID(survey.customer_id))
