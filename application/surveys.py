from __future__ import annotations

from uuid import UUID

from application.errors import NotFoundError, NotYoursError
from application.handling import CommandHandling, Outcome, command
from application.vault import Vault
from domain.complaint import Complaint
from domain.meta import Meta
from domain.order import Order
from domain.survey import (
    Scores,
    Survey,
    SurveyAlreadySentError,
    SurveySubject,
    survey_id_for,
)
from domain.values import one_of, optional_text

COMMENT_MAX = 4000


class SurveyCommands(CommandHandling):
    vault: Vault

    @command()
    def send_survey(
        self, meta: Meta, customer_id: UUID, subject: str, subject_id: UUID, via: str
    ) -> Outcome:
        """One survey per order or complaint: its id derives from what it asks about, so a
        second one (even sent at the same moment) finds the first."""
        kind = one_of("subject", subject, SurveySubject)
        self.registered(customer_id)
        self._subject_of(customer_id, kind, subject_id)
        survey_id = survey_id_for(kind, subject_id)

        def send() -> Survey:
            if self._sent(survey_id):
                raise SurveyAlreadySentError(kind, subject_id)
            return Survey.send(
                meta, customer_id, subject=kind, subject_id=subject_id, via=via, id=survey_id
            )

        return self.create(meta, Survey, send)

    def _subject_of(self, customer_id: UUID, kind: SurveySubject, subject_id: UUID) -> None:
        """The order or complaint exists and is the customer's."""
        entity: Order | Complaint
        if kind == SurveySubject.ORDER:
            entity = self.load(Order, subject_id)
        else:
            entity = self.load(Complaint, subject_id)
        if entity.customer_id != customer_id:
            raise NotYoursError(type(entity).__name__, subject_id, customer_id)

    def _sent(self, survey_id: UUID) -> bool:
        try:
            self.load(Survey, survey_id)
        except NotFoundError:
            return False
        return True

    @command(personal=("comment",))
    def respond_to_survey(
        self, meta: Meta, survey_id: UUID, scores: Scores, comment: str | None = None
    ) -> Outcome:
        optional_text("comment", comment, COMMENT_MAX)

        def respond(survey: Survey) -> None:
            sealed = self.vault.seal(survey.customer_id, comment) if comment else None
            survey.respond(meta, scores, sealed)

        return self.change(meta, Survey, survey_id, respond)

    @command()
    def expire_survey(self, meta: Meta, survey_id: UUID) -> Outcome:
        return self.change(meta, Survey, survey_id, lambda s: s.expire(meta))
