"""The personal columns of an export, for one caller, under need-to-know as over GraphQL
(api/graphql/access.py): a complaint's text as `complaint.content`, an order's delivery address
as `order.address`, a survey's comment as `survey.comment` (through what it asks about), with
the customer's grants (broken glass, a privacy case). Each row says why in its `*_access` column:
`opened:<basis>`, `sealed:<reason>`, or `none` for a survey answered without a comment.
Only what opens is decrypted; a survey's subject is loaded to judge its comment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from api.auth import Principal
from api.export.kinds import text
from api.graphql.access import NeedToKnow
from api.need_to_know import FRONT_DESK, NEVER, SEALED, Access, Handling, access
from application.app import CareLedger
from domain.complaint import Complaint
from domain.meta import Meta
from domain.order import Order
from domain.survey import Survey
from projections.engine.reading import from_epoch
from projections.engine.store import ViewStore
from projections.views.export_order_rows import OrderRow, assignees
from projections.views.export_rows import ComplaintRow, SurveyRow

Cells = list[str | None]


@dataclass(frozen=True)
class PersonalColumns:
    checker: NeedToKnow
    correlation_id: str = ""  # set: each page's openings are recorded under it

    @classmethod
    def of(
        cls, caller: Principal, ledger: CareLedger, views: ViewStore, correlation_id: str = ""
    ) -> PersonalColumns:
        grace = timedelta(seconds=ledger.settings.access_grace_s)
        return cls(NeedToKnow(ledger, views, caller, grace), correlation_id)

    @property
    def caller(self) -> Principal:
        return self.checker.caller

    @property
    def ledger(self) -> CareLedger:
        return self.checker.ledger

    def cells(self, kind: str, rows: Sequence[Any]) -> list[Cells]:
        """The page's personal cells; what opened is recorded, one record for the page."""
        made = self._cells(kind, rows)
        openings = self.checker.take_openings()
        if openings and self.correlation_id:
            meta = Meta(
                actor=self.caller.actor,
                occurred_at=datetime.now(UTC),
                command_id=f"reads/{uuid4()}",
                correlation_id=self.correlation_id,
            )
            self.ledger.record_personal_data_reads(meta, f"export/{kind}", openings)
        return made

    def _cells(self, kind: str, rows: Sequence[Any]) -> list[Cells]:
        if kind == "surveys":
            return [self.survey(row) for row in rows]
        fixed = self.row_independent()
        if fixed is not None:  # the same answer for every row: decided once
            cells: Cells = [SEALED, f"sealed:{fixed.reason}"]
            return [cells for _ in rows]
        if kind == "complaints":
            return [self.complaint(row) for row in rows]
        return [self.order(row) for row in rows]

    def row_independent(self) -> Access | None:
        """The caller's access to every row, when their role alone decides it (analysts and
        commanders: never opened)."""
        if self.caller.role not in NEVER:
            return None
        anyone = Handling(UUID(int=0), frozenset(), frozenset(), None)
        return access(self.caller, anyone, self.checker.now, self.checker.grace)

    def complaint(self, row: ComplaintRow) -> Cells:
        handling = Handling(
            customer_id=UUID(row.customer_id),
            assignees=frozenset({row.assignee} if row.assignee else ()),
            departments=frozenset({row.department or FRONT_DESK}),
            ended_at=None if row.ended_at is None else from_epoch(row.ended_at),
        )
        found = self.checker.of(handling)
        if found.basis is None:
            return [SEALED, f"sealed:{found.reason}"]
        complaint = self.ledger.load(Complaint, UUID(row.complaint_id), 1, shared=True)
        self._note(complaint.content.subject, "Complaint", complaint.id, "content", found)
        return [text(self.ledger.vault.open(complaint.content)), f"opened:{found.basis}"]

    def order(self, row: OrderRow) -> Cells:
        handling = Handling(
            customer_id=UUID(row.customer_id),
            assignees=frozenset(assignees(row).values()),
            departments=frozenset({FRONT_DESK}),  # every order is queued in customer service
            ended_at=None if row.ended_at is None else from_epoch(row.ended_at),
        )
        found = self.checker.of(handling)
        if found.basis is None:
            return [SEALED, f"sealed:{found.reason}"]
        order = self.ledger.load(Order, UUID(row.order_id), 1, shared=True)
        if order.address is not None:
            self._note(order.address.subject, "Order", order.id, "address", found)
        return [text(self.ledger.vault.open(order.address)), f"opened:{found.basis}"]

    def survey(self, row: SurveyRow) -> Cells:
        if not row.has_comment:
            return [None, "none"]
        survey = self.ledger.load(Survey, UUID(row.survey_id), shared=True)
        found = self.checker.survey(survey)
        if found.basis is None:
            return [SEALED, f"sealed:{found.reason}"]
        comment = self.ledger.vault.open_optional(survey.comment)
        if survey.comment is not None:
            self._note(survey.comment.subject, "Survey", survey.id, "comment", found)
        return [text(comment), f"opened:{found.basis}"]

    def _note(self, subject: str, entity: str, entity_id: UUID, field: str, found: Access) -> None:
        if found.basis is not None:
            self.checker.note(subject, entity, entity_id, field, found.basis)
