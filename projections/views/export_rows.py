"""Export rows: one row per complaint, per survey and per order (export_order_rows), with what
an analyst's spreadsheet wants of each (times, labels, SLA results, scores), read in keyset
pages by the row-level export (api/export/).

A complaint's row takes its labels the way the complaint index does (the agent queue's
transitions), and adds the times of its first response, classification, last resolution and
end (closed or merged), each clock's last settled result (met or breached), and the survey
about it: its status and CSAT, the share of its five scores that are 4 or 5. A survey's row
keeps its subject, channel, times and scores, and whether it came with a comment (the comment
itself is sealed personal data, never kept here). Ids and labels only, like every view.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, NamedTuple, TypeVar

from domain.sla import ClockName
from domain.survey import DIMENSIONS, SurveySubject
from projections.engine.projection import Envelope, Projection
from projections.engine.reading import epoch, records_by_ids, upsert_records
from projections.engine.store import Tx
from projections.engine.tables import INTEGER, Index, Table
from projections.views import export_order_rows
from projections.views.agent_queue_tickets import CHANGES, Ticket, received
from projections.views.export_order_rows import ORDER_EVENTS, ORDER_ROWS, OrderRow

CLOCKS = tuple(clock.value for clock in ClockName)
KEPT_CHANGES = frozenset(
    {
        "ComplaintClassified",
        "ComplaintReclassified",
        "ResponsibilityAssigned",
        "WorkStarted",
        "PutOnHold",
        "Resumed",
        "SolutionProposed",
        "ComplaintResolved",
        "ComplaintReopened",
        "ComplaintEscalated",
        "ComplaintLinked",
    }
)
ENDED = {"ComplaintClosed": "Closed", "ComplaintMerged": "Merged"}
SURVEY_EVENTS = ("SurveySent", "SurveyResponded", "SurveyExpired")
Score = Annotated[int, INTEGER]
R = TypeVar("R")
# the row's fields the queue's ticket keeps, and those a new complaint has none of yet
LABELS = (
    "complaint_id",
    "customer_id",
    "order_id",
    "channel",
    "status",
    "category",
    "subcategory",
    "severity",
    "department",
    "assignee",
    "escalation_level",
)


class ComplaintRow(NamedTuple):
    complaint_id: str
    customer_id: str
    order_id: str | None
    channel: str
    status: str
    category: str | None
    subcategory: str | None
    severity: str | None
    department: str | None
    assignee: str | None
    escalation_level: Annotated[int, INTEGER]
    reopened: Annotated[int, INTEGER]
    outcome: str | None
    received_at: float
    first_response_at: float | None
    classified_at: float | None
    resolved_at: float | None  # the last resolution
    ended_at: float | None  # closed (business time) or merged (recorded time)
    sla_first_response: str | None  # each clock's last result: met, breached, or None
    sla_registration: str | None
    sla_resolution: str | None
    sla_technical_handback: str | None
    sla_after_sales_handback: str | None
    survey_status: str | None
    csat: float | None
    position: int


class SurveyRow(NamedTuple):
    survey_id: str
    customer_id: str
    subject: str
    subject_id: str
    via: str
    status: str
    sent_at: float
    responded_at: float | None
    expired_at: float | None
    product_quality: Score | None
    service_attitude: Score | None
    after_sales: Score | None
    response_speed: Score | None
    problem_solving: Score | None
    csat: float | None
    has_comment: Annotated[int, INTEGER]
    position: int


COMPLAINT_ROWS = Table(
    "complaint_rows",
    ComplaintRow,
    primary_key=("complaint_id",),
    indexes=[Index("received", ("received_at", "complaint_id"))],
)
SURVEY_ROWS = Table(
    "survey_rows",
    SurveyRow,
    primary_key=("survey_id",),
    indexes=[Index("sent", ("sent_at", "survey_id"))],
)


def csat_of(scores: dict[str, int]) -> float:
    """One survey's CSAT: the share of its scores that are 4 or 5 (the report's overall CSAT
    is the same share over every score of the window)."""
    return sum(1 for score in scores.values() if score >= 4) / len(scores)


@dataclass(slots=True)
class ComplaintEntry:
    """A complaint's row while a batch is applied: the queue's ticket for the labels, and the
    rest of the row as it stands."""

    ticket: Ticket
    row: ComplaintRow

    @classmethod
    def of(cls, row: ComplaintRow) -> ComplaintEntry:
        ticket = Ticket(
            complaint_id=row.complaint_id,
            customer_id=row.customer_id,
            order_id=row.order_id,
            status=row.status,
            category=row.category,
            subcategory=row.subcategory,
            severity=row.severity,
            department=row.department,
            assignee=row.assignee,
            escalation_level=int(row.escalation_level),
            channel=row.channel,
            waiting_on=None,
            received_at=float(row.received_at),
            clocks={},
        )
        return cls(ticket, row)

    @classmethod
    def received(cls, event: Any, position: int) -> ComplaintEntry:
        ticket = received(event)
        fields: dict[str, Any] = {name: getattr(ticket, name) for name in LABELS}
        fields |= dict.fromkeys(UNSET, None)
        fields |= {"reopened": 0, "received_at": ticket.received_at, "position": position}
        return cls(ticket, ComplaintRow(**fields))

    def record(self) -> ComplaintRow:
        return self.row._replace(**{name: getattr(self.ticket, name) for name in LABELS})


@dataclass(slots=True)
class Entry(Generic[R]):
    """A survey's or an order's row while a batch is applied."""

    row: R

    def record(self) -> R:
        return self.row


class ExportRowsProjection(Projection):
    name = "export_rows"
    events = ("ComplaintReceived", *KEPT_CHANGES, *ENDED, "FirstResponseSent", "SlaMet")
    events += ("SlaBreached", *SURVEY_EVENTS, *ORDER_EVENTS)

    declared = (COMPLAINT_ROWS, SURVEY_ROWS, ORDER_ROWS)

    def process(self, tx: Tx, prefix: str, batch: Sequence[Envelope]) -> None:
        surveys = _load(tx, SURVEY_ROWS, prefix, _ids(batch, SURVEY_EVENTS), Entry)
        about = {e.row.subject_id for e in surveys.values() if e.row.subject == "complaint"}
        about |= {str(e.event.subject_id) for e in batch if e.name == "SurveySent"}
        wanted = about | _ids(batch, ("ComplaintReceived", *COMPLAINT_CHANGES))
        complaints = _load(tx, COMPLAINT_ROWS, prefix, wanted, ComplaintEntry.of)
        orders = _load(tx, ORDER_ROWS, prefix, _ids(batch, ORDER_EVENTS), Entry)
        apply = Applying(complaints, surveys, orders)
        for envelope in batch:
            apply(envelope)
        upsert_records(tx, COMPLAINT_ROWS, prefix, (e.record() for e in complaints.values()))
        upsert_records(tx, SURVEY_ROWS, prefix, (e.record() for e in surveys.values()))
        upsert_records(tx, ORDER_ROWS, prefix, (e.record() for e in orders.values()))


def _ids(batch: Sequence[Envelope], names: Sequence[str]) -> set[str]:
    return {str(e.event.originator_id) for e in batch if e.name in names}


def _load(
    tx: Tx, table: Table[Any], prefix: str, ids: set[str], entry: Callable[[Any], Any]
) -> dict[str, Any]:
    (key,) = table.primary_key
    return {getattr(r, key): entry(r) for r in records_by_ids(tx, table, prefix, ids)}


class Applying:
    """Applies one envelope at a time to the batch's complaint and survey entries."""

    def __init__(
        self,
        complaints: dict[str, ComplaintEntry],
        surveys: dict[str, Entry[SurveyRow]],
        orders: dict[str, Entry[OrderRow]],
    ):
        self.complaints = complaints
        self.surveys = surveys
        self.orders = orders

    def __call__(self, envelope: Envelope) -> None:
        event, name = envelope.event, envelope.name
        if name in ORDER_EVENTS:
            self.order(event, name, envelope.position)
            return
        if name in SURVEY_HANDLERS:
            SURVEY_HANDLERS[name](self, event, envelope.position)
            return
        complaint_id = str(event.originator_id)
        if name == "ComplaintReceived":
            self.complaints[complaint_id] = ComplaintEntry.received(event, envelope.position)
            return
        entry = self.complaints.get(complaint_id)
        if entry is None or entry.row.ended_at is not None:
            return  # its receipt was parked as a dead letter, or it has ended
        if name in KEPT_CHANGES:
            CHANGES[name](entry.ticket, event)
        elif name in ENDED:
            entry.ticket.status = ENDED[name]
        entry.row = COMPLAINT_CHANGES[name](entry.row, event)._replace(position=envelope.position)

    def order(self, event: Any, name: str, position: int) -> None:
        order_id = str(event.originator_id)
        if name == "OrderReceived":
            self.orders[order_id] = Entry(export_order_rows.received(event, position))
            return
        entry = self.orders.get(order_id)
        if entry is not None:  # None: its receipt was parked as a dead letter
            changed = export_order_rows.ORDER_CHANGES[name](entry.row, event)
            entry.row = changed._replace(position=position)

    def survey_sent(self, event: Any, position: int) -> None:
        survey_id = str(event.originator_id)
        self.surveys[survey_id] = Entry(
            SurveyRow(
                survey_id=survey_id,
                customer_id=str(event.customer_id),
                subject=str(event.subject),
                subject_id=str(event.subject_id),
                via=str(event.via),
                status="Sent",
                sent_at=epoch(event.meta.occurred_at),
                **dict.fromkeys(("responded_at", "expired_at", *DIMENSIONS, "csat"), None),
                has_comment=0,
                position=position,
            )
        )
        self._to_complaint(self.surveys[survey_id].row)

    def survey_responded(self, event: Any, position: int) -> None:
        entry = self.surveys.get(str(event.originator_id))
        if entry is None:
            return
        scores = event.scores.as_dict()
        entry.row = entry.row._replace(
            status="Responded",
            responded_at=epoch(event.meta.occurred_at),
            csat=csat_of(scores),
            has_comment=int(event.comment is not None),
            position=position,
            **scores,
        )
        self._to_complaint(entry.row)

    def survey_expired(self, event: Any, position: int) -> None:
        entry = self.surveys.get(str(event.originator_id))
        if entry is None:
            return
        at = epoch(event.meta.occurred_at)
        entry.row = entry.row._replace(status="Expired", expired_at=at, position=position)
        self._to_complaint(entry.row)

    def _to_complaint(self, survey: SurveyRow) -> None:
        if survey.subject != SurveySubject.COMPLAINT:
            return
        entry = self.complaints.get(survey.subject_id)
        if entry is not None:
            entry.row = entry.row._replace(survey_status=survey.status, csat=survey.csat)


SURVEY_HANDLERS: dict[str, Callable[[Applying, Any, int], None]] = {
    "SurveySent": Applying.survey_sent,
    "SurveyResponded": Applying.survey_responded,
    "SurveyExpired": Applying.survey_expired,
}


def _at(field: str, first_only: bool = False) -> Callable[[ComplaintRow, Any], ComplaintRow]:
    def change(row: ComplaintRow, event: Any) -> ComplaintRow:
        if first_only and getattr(row, field) is not None:
            return row
        changes: dict[str, Any] = {field: epoch(event.meta.occurred_at)}
        return row._replace(**changes)

    return change


def _resolved(row: ComplaintRow, event: Any) -> ComplaintRow:
    return row._replace(resolved_at=epoch(event.meta.occurred_at), outcome=str(event.outcome))


def _reopened(row: ComplaintRow, event: Any) -> ComplaintRow:
    return row._replace(reopened=row.reopened + 1)


def _ended(status: str) -> Callable[[ComplaintRow, Any], ComplaintRow]:
    def change(row: ComplaintRow, event: Any) -> ComplaintRow:
        # as api/need_to_know.py dates the end: closed_at, or the merge's recorded time
        moment = event.meta.occurred_at if status == "Closed" else event.timestamp
        return row._replace(status=status, ended_at=epoch(moment))

    return change


def _sla(result: str) -> Callable[[ComplaintRow, Any], ComplaintRow]:
    def change(row: ComplaintRow, event: Any) -> ComplaintRow:
        changes: dict[str, Any] = {f"sla_{event.clock}": result}
        return row._replace(**changes)

    return change


def _unchanged(row: ComplaintRow, event: Any) -> ComplaintRow:
    return row


COMPLAINT_CHANGES: dict[str, Callable[[ComplaintRow, Any], ComplaintRow]] = {
    **dict.fromkeys(KEPT_CHANGES, _unchanged),
    "ComplaintClassified": _at("classified_at"),
    "ComplaintResolved": _resolved,
    "ComplaintReopened": _reopened,
    "FirstResponseSent": _at("first_response_at", first_only=True),
    "SlaMet": _sla("met"),
    "SlaBreached": _sla("breached"),
    **{name: _ended(status) for name, status in ENDED.items()},
}
UNSET = tuple(
    name
    for name in ComplaintRow._fields
    if name not in {*LABELS, "reopened", "received_at", "position"}
)
assert {f"sla_{clock}" for clock in CLOCKS} <= set(ComplaintRow._fields)
