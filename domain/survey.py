from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain.base import CareAggregate, Meta, recorded
from domain.errors import InvalidInputError, RuleViolationError
from domain.values import Sealed, one_of


class SurveyStatus(StrEnum):
    SENT = "Sent"
    RESPONDED = "Responded"
    EXPIRED = "Expired"


class SurveySubject(StrEnum):
    ORDER = "order"
    COMPLAINT = "complaint"


class SurveyVia(StrEnum):
    SMS = "sms"
    EMAIL = "email"
    APP = "app"


DIMENSIONS = (
    "product_quality",
    "service_attitude",
    "after_sales",
    "response_speed",
    "problem_solving",
)


@dataclass(frozen=True)
class Scores:
    """One score from 1 to 5 on each of the five dimensions the business tracks."""

    product_quality: int
    service_attitude: int
    after_sales: int
    response_speed: int
    problem_solving: int

    def __post_init__(self) -> None:
        for dimension in DIMENSIONS:
            score = getattr(self, dimension)
            if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
                raise InvalidInputError(f"scores.{dimension}", "must be a whole number from 1 to 5")

    def as_dict(self) -> dict[str, int]:
        return {dimension: getattr(self, dimension) for dimension in DIMENSIONS}


SURVEY_NAMESPACE = UUID("c4e2a9d1-6b3f-5e08-a7d4-2f91b6c3e85a")


def survey_id_for(subject: SurveySubject, subject_id: UUID) -> UUID:
    """The one survey about an order or a complaint (surveys recorded before this rule have
    ids of their own, derived from the command that sent them)."""
    return uuid5(SURVEY_NAMESPACE, f"Survey/{subject}/{subject_id}")


class SurveyAlreadySentError(RuleViolationError):
    code = "SURVEY_ALREADY_SENT"

    def __init__(self, subject: str, subject_id: UUID) -> None:
        super().__init__(f"a survey about {subject} {subject_id} was sent already")
        self.subject = subject
        self.subject_id = str(subject_id)


class Survey(CareAggregate):
    TOPIC = "careledger.Survey"

    class Created(CareAggregate.Created):
        TOPIC = "careledger.Survey.Created"

    class Sent(Created):
        """Version 2 renamed the field `channel` to `via`: the survey's channel is not the
        channel the customer spoke to us through (that one lives in the metadata)."""

        TOPIC = "careledger.SurveySent"
        class_version = 2
        customer_id: UUID
        subject: SurveySubject
        subject_id: UUID
        via: SurveyVia

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["via"] = state.pop("channel")

    @event(Sent)
    def __init__(
        self,
        meta: Meta,
        customer_id: UUID,
        subject: SurveySubject,
        subject_id: UUID,
        via: SurveyVia,
        *,
        id: UUID,
    ) -> None:
        self.customer_id = customer_id
        self.subject = SurveySubject(subject)
        self.subject_id = subject_id
        self.via = SurveyVia(via)
        self.status = SurveyStatus.SENT
        self.sent_at = meta.occurred_at
        self.scores: Scores | None = None
        self.comment: Sealed | None = None

    @classmethod
    def send(
        cls,
        meta: Meta,
        customer_id: UUID,
        subject: str,
        subject_id: UUID,
        via: str,
        *,
        id: UUID,
    ) -> Survey:
        return cls(
            meta=meta,
            customer_id=customer_id,
            subject=one_of("subject", subject, SurveySubject),
            subject_id=subject_id,
            via=one_of("via", via, SurveyVia),
            id=id,
        )

    def respond(self, meta: Meta, scores: Scores, comment: Sealed | None) -> None:
        self.require("respond", {SurveyStatus.SENT})
        if comment is not None and comment.subject != str(self.customer_id):
            raise InvalidInputError("comment", "must be sealed with the respondent's own key")
        self._responded(meta=meta, scores=scores, comment=comment)

    @recorded("SurveyResponded")
    def _responded(self, meta: Meta, scores: Scores, comment: Sealed | None) -> None:
        self.scores = scores
        self.comment = comment
        self.status = SurveyStatus.RESPONDED

    def expire(self, meta: Meta) -> None:
        self.require("expire", {SurveyStatus.SENT})
        self._expired(meta=meta)

    @recorded("SurveyExpired")
    def _expired(self, meta: Meta) -> None:
        self.status = SurveyStatus.EXPIRED
