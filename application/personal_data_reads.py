from __future__ import annotations

from application.handling import CommandHandling, Outcome, command, new_id
from domain.meta import Meta
from domain.personal_data_reads import Opening, PersonalDataReads


class PersonalDataReadCommands(CommandHandling):
    @command()
    def record_personal_data_reads(
        self, meta: Meta, operation: str, openings: list[Opening]
    ) -> Outcome:
        """One record of everything a request opened (its command id is the request's)."""
        reads_id = new_id(meta, PersonalDataReads)
        return self.create(
            meta,
            PersonalDataReads,
            lambda: PersonalDataReads.record(
                meta, id=reads_id, operation=operation, openings=openings
            ),
        )
