"""A complaint's history written late, recorded whole (docs/architecture.md#sla-clocks).

An import from a previous system sends a complaint's filing and every later step at once, each
at its own business time. The complaint is built step by step and, before each step and at the
import's own time, its clocks are judged at every warning and due time that had passed by then
(a step at the very due time first, as a clock stopped at its due time is met),
as a sweeper in step with that history would have judged them: a clock is judged at the business
time of the events the complaint has, never at the wall time at which the history arrives. Every
event carries the reason `history_import`, by which the live policies know it for history.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from domain.complaint import Complaint
from domain.errors import InvalidInputError
from domain.meta import HISTORY_IMPORT, Meta, Reason
from domain.sla_book import SlaContext
from domain.values import Sealed, aware, one_of

MAX_STEPS = 500


class StepAction(StrEnum):
    REPLY = "reply"
    FIRST_RESPONSE = "first_response"
    CLASSIFY = "classify"
    ASSIGN = "assign"
    DEPARTMENT_REPLY = "department_reply"
    START_WORK = "start_work"
    HOLD = "hold"
    RESUME = "resume"
    PROPOSE_SOLUTION = "propose_solution"
    RESOLVE = "resolve"
    CONFIRM_SATISFIED = "confirm_satisfied"
    RECORD_ROOT_CAUSE = "record_root_cause"
    CLOSE = "close"


@dataclass(frozen=True)
class HistoryStep:
    """One recorded step; each action reads the fields it needs (REQUIRED) and no others."""

    action: str
    at: datetime
    text: str | None = None
    category: str | None = None
    subcategory: str | None = None
    severity: str | None = None
    department: str | None = None
    person: str | None = None
    waiting_on: str | None = None
    remedy: str | None = None
    amount: Decimal | None = None
    outcome: str | None = None
    closed_by: str | None = None
    cause: str | None = None
    corrective_action: str | None = None


REQUIRED: dict[StepAction, tuple[str, ...]] = {
    StepAction.REPLY: ("text",),
    StepAction.CLASSIFY: ("category", "subcategory", "severity"),
    StepAction.ASSIGN: ("department", "person"),
    StepAction.DEPARTMENT_REPLY: ("department",),
    StepAction.HOLD: ("waiting_on",),
    StepAction.PROPOSE_SOLUTION: ("remedy",),
    StepAction.RESOLVE: ("outcome",),
    StepAction.RECORD_ROOT_CAUSE: ("cause", "corrective_action"),
    StepAction.CLOSE: ("closed_by",),
}


def history_meta(meta: Meta) -> Meta:
    """The import command's metadata with the reason that marks its events as history."""
    given = meta.reason
    if given is None:
        return replace(meta, reason=Reason(HISTORY_IMPORT))
    # The words were sealed before the command ran: they go with the code, still sealed.
    return replace(meta, reason=Reason(HISTORY_IMPORT, given.text, given.sealed))


def checked_steps(meta: Meta, received_at: datetime, steps: Sequence[HistoryStep]) -> None:
    """Steps in business-time order, from the filing to the import's own time."""
    aware("receivedAt", received_at)
    if received_at > meta.occurred_at:
        raise InvalidInputError("receivedAt", "must not be after the import")
    if len(steps) > MAX_STEPS:
        raise InvalidInputError("steps", f"at most {MAX_STEPS} steps")
    previous = received_at
    for number, step in enumerate(steps):
        field = f"steps[{number}]"
        action = one_of(f"{field}.action", step.action, StepAction)
        aware(f"{field}.at", step.at)
        if not previous <= step.at <= meta.occurred_at:
            raise InvalidInputError(
                f"{field}.at", "must follow the step before it and not be after the import"
            )
        for name in REQUIRED.get(action, ()):
            if getattr(step, name) is None:
                raise InvalidInputError(f"{field}.{name}", f"is required to {action}")
        previous = step.at


def judge_until(
    complaint: Complaint, meta: Meta, at: datetime, sla: SlaContext, *, inclusive: bool = True
) -> None:
    """Records every warning and breach that fell due by `at` (before it, not `inclusive`),
    each at its own time."""
    while (due := complaint.next_sla_check_at) is not None and (
        due < at or (inclusive and due == at)
    ):
        complaint.check_sla(replace(meta, occurred_at=due), sla)


def apply_step(
    complaint: Complaint,
    meta: Meta,
    step: HistoryStep,
    sla: SlaContext,
    seal: Callable[[str], Sealed],
    order_amount: Decimal | None,
) -> None:
    c, m, s = complaint, meta, step
    actions: dict[StepAction, Callable[[], None]] = {
        StepAction.REPLY: lambda: c.reply(m, seal(s.text or ""), sla),
        StepAction.FIRST_RESPONSE: lambda: c.send_first_response(m, sla),
        StepAction.CLASSIFY: lambda: c.classify(
            m, s.category or "", s.subcategory or "", s.severity or "", sla
        ),
        StepAction.ASSIGN: lambda: c.assign_responsibility(
            m, s.department or "", s.person or "", sla
        ),
        StepAction.DEPARTMENT_REPLY: lambda: c.record_department_reply(m, s.department or "", sla),
        StepAction.START_WORK: lambda: c.start_work(m),
        StepAction.HOLD: lambda: c.put_on_hold(m, s.waiting_on or ""),
        StepAction.RESUME: lambda: c.resume(m, sla),
        StepAction.PROPOSE_SOLUTION: lambda: c.propose_solution(
            m, s.remedy or "", s.amount, order_amount
        ),
        StepAction.RESOLVE: lambda: c.resolve(m, s.outcome or "", sla),
        StepAction.CONFIRM_SATISFIED: lambda: c.confirm_satisfied(m),
        StepAction.RECORD_ROOT_CAUSE: lambda: c.record_root_cause(
            m, seal(s.cause or ""), seal(s.corrective_action or ""), None
        ),
        StepAction.CLOSE: lambda: c.close(m, s.closed_by or ""),
    }
    actions[StepAction(step.action)]()


@dataclass(frozen=True)
class Filing:
    id: UUID
    customer_id: UUID
    order_id: UUID | None
    channel: str
    content: Sealed
    received_at: datetime


def imported_complaint(
    meta: Meta,
    filing: Filing,
    steps: Sequence[HistoryStep],
    sla: SlaContext,
    seal: Callable[[str], Sealed],
    order_amount: Decimal | None = None,
) -> Complaint:
    """The complaint as its history made it, its clocks judged through to the import."""
    checked_steps(meta, filing.received_at, steps)
    marked = history_meta(meta)
    complaint = Complaint.receive(
        replace(marked, occurred_at=filing.received_at),
        id=filing.id,
        customer_id=filing.customer_id,
        order_id=filing.order_id,
        content=filing.content,
        channel=filing.channel,
        sla=sla,
    )
    for number, step in enumerate(steps):
        # a step at a due time comes first: a clock stopped at its due time is met
        judge_until(complaint, marked, step.at, sla, inclusive=False)
        try:
            apply_step(
                complaint, replace(marked, occurred_at=step.at), step, sla, seal, order_amount
            )
        except InvalidInputError as invalid:  # name the step the field belongs to
            raise InvalidInputError(f"steps[{number}].{invalid.field}", invalid.message) from None
    judge_until(complaint, marked, meta.occurred_at, sla)
    return complaint
