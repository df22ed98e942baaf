"""The personal columns of an export, for one caller: a complaint's text and an order's
delivery address under need-to-know (api/need_to_know.py, as `complaint.content` and
`order.address` over GraphQL), a survey's comment under the
personal-data rule (api/permissions.py). Each row says why in its `*_access` column:
`opened:<basis>`, `sealed:<reason>`, or `none` for a survey answered without a comment.
Only what opens is read from the event store and decrypted, one aggregate at a time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from api.auth import Principal
from api.export.kinds import text
from api.need_to_know import FRONT_DESK, HANDLERS, SEALED, Access, Handling, SealedReason, access
from api.permissions import PERSONAL_DATA
from application.app import CareLedger
from domain.complaint import Complaint
from domain.order import Order
from domain.survey import Survey
from projections.engine.reading import from_epoch
from projections.views.export_order_rows import OrderRow, assignees
from projections.views.export_rows import ComplaintRow, SurveyRow

Cells = list[str | None]


@dataclass(frozen=True)
class PersonalColumns:
    caller: Principal
    ledger: CareLedger
    now: datetime
    grace: timedelta

    @classmethod
    def of(cls, caller: Principal, ledger: CareLedger) -> PersonalColumns:
        grace = timedelta(seconds=ledger.settings.access_grace_s)
        return cls(caller, ledger, datetime.now(UTC), grace)

    def cells(self, kind: str, rows: Sequence[Any]) -> list[Cells]:
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
        """The caller's access to every complaint, when their role alone decides it (neither
        a customer nor a handler: never opened)."""
        if self.caller.role in HANDLERS or self.caller.customer_id is not None:
            return None
        anyone = Handling(UUID(int=0), frozenset(), frozenset(), None)
        return access(self.caller, anyone, self.now, self.grace)

    def complaint(self, row: ComplaintRow) -> Cells:
        handling = Handling(
            customer_id=UUID(row.customer_id),
            assignees=frozenset({row.assignee} if row.assignee else ()),
            departments=frozenset({row.department or FRONT_DESK}),
            ended_at=None if row.ended_at is None else from_epoch(row.ended_at),
        )
        found = access(self.caller, handling, self.now, self.grace)
        if found.basis is None:
            return [SEALED, f"sealed:{found.reason}"]
        complaint = self.ledger.load(Complaint, UUID(row.complaint_id), 1, shared=True)
        return [text(self.ledger.vault.open(complaint.content)), f"opened:{found.basis}"]

    def order(self, row: OrderRow) -> Cells:
        handling = Handling(
            customer_id=UUID(row.customer_id),
            assignees=frozenset(assignees(row).values()),
            departments=frozenset({FRONT_DESK}),  # every order is queued in customer service
            ended_at=None if row.ended_at is None else from_epoch(row.ended_at),
        )
        found = access(self.caller, handling, self.now, self.grace)
        if found.basis is None:
            return [SEALED, f"sealed:{found.reason}"]
        order = self.ledger.load(Order, UUID(row.order_id), 1, shared=True)
        return [text(self.ledger.vault.open(order.address)), f"opened:{found.basis}"]

    def survey(self, row: SurveyRow) -> Cells:
        if not row.has_comment:
            return [None, "none"]
        if not PERSONAL_DATA.allows(self.caller, UUID(row.customer_id)):
            return [SEALED, f"sealed:{SealedReason.ROLE}"]
        survey = self.ledger.load(Survey, UUID(row.survey_id), shared=True)
        basis = "own" if self.caller.is_customer(UUID(row.customer_id)) else "role"
        return [text(self.ledger.vault.open_optional(survey.comment)), f"opened:{basis}"]
