"""Bulk reassignment: a supervisor moves many complaints to one person, one command each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from application.clusters import step_meta
from application.complaints import ComplaintCommands
from application.handling import Outcome
from domain.complaint_types import Department
from domain.errors import DomainError, InvalidInputError
from domain.meta import ID_MAX, Meta
from domain.values import bounded_text, one_of

BULK_MAX = 500


@dataclass(frozen=True)
class Reassignment:
    """What happened to one complaint of a bulk reassignment: its outcome or its typed error."""

    complaint_id: UUID
    result: Outcome | DomainError

    @property
    def failed(self) -> bool:
        return isinstance(self.result, DomainError)


class ReassignmentCommands(ComplaintCommands):
    def reassign_complaints(
        self, meta: Meta, complaint_ids: Sequence[UUID], department: str, person: str
    ) -> list[Reassignment]:
        """`assign_responsibility` for each complaint under an id derived from the bulk
        command's id and the complaint's: a retried bulk request replays each complaint's
        first outcome (or records only those that failed before), nothing twice."""
        one_of("department", department, Department)
        bounded_text("person", person, ID_MAX)
        unique = list(dict.fromkeys(complaint_ids))
        if not 1 <= len(unique) <= BULK_MAX:
            raise InvalidInputError("complaintIds", f"must name 1 to {BULK_MAX} complaints")
        return [
            self._reassign_one(meta, complaint_id, department, person) for complaint_id in unique
        ]

    def _reassign_one(
        self, meta: Meta, complaint_id: UUID, department: str, person: str
    ) -> Reassignment:
        step = step_meta(meta, f"reassign:{complaint_id}")
        try:
            outcome = self.assign_responsibility(step, complaint_id, department, person)
        except DomainError as error:
            return Reassignment(complaint_id, error)
        return Reassignment(complaint_id, outcome)
