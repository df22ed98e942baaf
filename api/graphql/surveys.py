"""Surveys over GraphQL: the survey with its guarded comment, and its history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay

import api.graphql.enums  # noqa: F401  (gives the domain enums their GraphQL names)
from api.graphql.access import Field, PersonalDataAccess, need_to_know, open_for
from api.graphql.context import Info
from api.graphql.entity import Changed, Entity, Loaded
from api.graphql.problems import Problems
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

    @strawberry.field(
        description='Personal data: the comment, or "[sealed]" unless the caller needs to know'
        " it (`commentAccess` says why)"
    )
    async def comment(self, info: Info) -> str | None:
        found = await info.context.call(need_to_know(info).survey, self._survey)
        where = Field("Survey", self._survey.id, "comment")
        return await open_for(info, found, self._survey.comment, where)

    @strawberry.field(
        description="Whether `comment` opened for the caller, and why: as for the order or"
        " complaint the survey asks about"
    )
    async def comment_access(self, info: Info) -> PersonalDataAccess:
        found = await info.context.call(need_to_know(info).survey, self._survey)
        return PersonalDataAccess.of(found)

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
SurveyQueries = SURVEY.queries()
