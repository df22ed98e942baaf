"""Personal data opened, on the record: one `PersonalDataRead` event per request that opened
any, listing every customer's fields it opened (a list of a hundred rows is one event)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.base import CareAggregate, Meta, recorded
from domain.errors import InvalidInputError

MAX_OPENINGS = 10_000  # one request's, at most (a page is at most 100 rows of a few fields)


@dataclass(frozen=True)
class Opening:
    """One entity's personal fields opened for the reader, and why (the access basis)."""

    customer_id: str
    entity: str  # the aggregate: "Complaint", "Customer", ...
    entity_id: str
    fields: tuple[str, ...]
    basis: str  # own, assigned, department, broken_glass, privacy_case


class PersonalDataReads(CareAggregate):
    """What one request opened; the reader, the correlation id and the time are its meta."""

    TOPIC = "careledger.PersonalDataReads"

    class Created(CareAggregate.Created):
        TOPIC = "careledger.PersonalDataReads.Created"

    @recorded("PersonalDataRead")
    def __init__(self, meta: Meta, operation: str, openings: list[Opening], *, id: UUID) -> None:
        self.operation = operation
        self.openings = list(openings)

    @classmethod
    def record(
        cls, meta: Meta, *, id: UUID, operation: str, openings: list[Opening]
    ) -> PersonalDataReads:
        if not openings:
            raise InvalidInputError("openings", "nothing was opened")
        if len(openings) > MAX_OPENINGS:
            raise InvalidInputError("openings", f"at most {MAX_OPENINGS} a record")
        if not operation.strip():
            raise InvalidInputError("operation", "must name the operation")
        return cls(meta=meta, operation=operation, openings=openings, id=id)
