from __future__ import annotations

from uuid import UUID

from application.handling import CommandHandling, Outcome, command, new_id
from application.vault import Vault
from domain.meta import Meta
from domain.survey import Scores, Survey
from domain.values import optional_text

COMMENT_MAX = 4000


class SurveyCommands(CommandHandling):
    vault: Vault

    @command()
    def send_survey(
        self, meta: Meta, customer_id: UUID, subject: str, subject_id: UUID, via: str
    ) -> Outcome:
        return self.create(
            meta,
            Survey,
            lambda: Survey.send(
                meta,
                customer_id,
                subject=subject,
                subject_id=subject_id,
                via=via,
                id=new_id(meta, Survey),
            ),
        )

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
