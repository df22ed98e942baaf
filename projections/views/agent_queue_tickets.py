"""The complaint rows of the agent queue and how each complaint event changes one.

A row's active SLA clocks are kept as compact text (`name r|p due_at;...`, r running, p paused).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, NamedTuple

from domain.complaint_types import HANDBACK_CLOCKS
from domain.tiers import TIER_RANK, Tier
from projections.engine.reading import epoch
from projections.engine.tables import INTEGER, Index, Table

NO_DUE = 1e15  # the sort key of a complaint without a running clock: after every due time
UNCLASSIFIED = "unclassified"
FILTERS = ("department", "assignee", "severity", "status")
STANDARD_KEY = 3  # the tier key sorts a higher tier first: platinum 0, gold 1, silver 2


class TicketRecord(NamedTuple):
    """One open complaint as the queue stores it."""

    complaint_id: str
    customer_id: str
    order_id: str | None
    status: str
    category: str | None
    subcategory: str | None
    severity: str | None
    department: str | None
    assignee: str | None
    escalation_level: Annotated[int, INTEGER]
    channel: str
    waiting_on: str | None
    received_at: float
    next_due_at: float | None
    next_clock: str | None
    due_key: float
    clocks: str
    tier_key: Annotated[int, INTEGER]


TICKETS = Table(
    "tickets",
    TicketRecord,
    primary_key=("complaint_id",),
    indexes=[
        Index("due", ("due_key", "tier_key", "complaint_id")),
        *(Index(column, (column, "due_key", "tier_key", "complaint_id")) for column in FILTERS),
    ],
)


@dataclass(slots=True)
class Ticket:
    """One complaint as the queue keeps it, changed in memory while a batch is applied."""

    complaint_id: str
    customer_id: str
    order_id: str | None
    status: str
    category: str | None
    subcategory: str | None
    severity: str | None
    department: str | None
    assignee: str | None
    escalation_level: int
    channel: str
    waiting_on: str | None
    received_at: float
    clocks: dict[str, tuple[bool, float]]  # active clock -> (running, due_at)
    is_open: bool = True
    tier_key: int = STANDARD_KEY

    def next_due(self) -> tuple[float, str] | None:
        running = [(due, name) for name, (run, due) in self.clocks.items() if run]
        return min(running, default=None)

    def counted(self) -> list[tuple[str, str]]:
        if not self.is_open:
            return []
        return [("status", self.status), ("severity", self.severity or UNCLASSIFIED)]

    def record(self) -> TicketRecord:
        due_at, clock = self.next_due() or (None, None)
        return TicketRecord(
            complaint_id=self.complaint_id,
            customer_id=self.customer_id,
            order_id=self.order_id,
            status=self.status,
            category=self.category,
            subcategory=self.subcategory,
            severity=self.severity,
            department=self.department,
            assignee=self.assignee,
            escalation_level=self.escalation_level,
            channel=self.channel,
            waiting_on=self.waiting_on,
            received_at=self.received_at,
            next_due_at=due_at,
            next_clock=clock,
            due_key=NO_DUE if due_at is None else due_at,
            clocks=encode(self.clocks),
            tier_key=self.tier_key,
        )


def encode(clocks: Mapping[str, tuple[bool, float]]) -> str:
    return ";".join(
        f"{name} {'r' if running else 'p'} {due!r}"
        for name, (running, due) in sorted(clocks.items())
    )


def decode(text: str) -> dict[str, tuple[bool, float]]:
    clocks = {}
    for part in filter(None, text.split(";")):
        name, state, due = part.split(" ")
        clocks[name] = (state == "r", float(due))
    return clocks


def from_record(record: TicketRecord) -> Ticket:
    return Ticket(
        complaint_id=record.complaint_id,
        customer_id=record.customer_id,
        order_id=record.order_id,
        status=record.status,
        category=record.category,
        subcategory=record.subcategory,
        severity=record.severity,
        department=record.department,
        assignee=record.assignee,
        escalation_level=int(record.escalation_level),
        channel=record.channel,
        waiting_on=record.waiting_on,
        received_at=float(record.received_at),
        clocks=decode(record.clocks),
        tier_key=int(record.tier_key),
    )


def received(event: Any) -> Ticket:
    order_id = None if event.order_id is None else str(event.order_id)
    return Ticket(
        str(event.originator_id),
        str(event.customer_id),
        order_id,
        "Received",
        None,
        None,
        None,
        None,
        None,
        0,
        event.channel,
        None,
        epoch(event.meta.occurred_at),
        {},
    )


def _status(status: str, clock: str | None = None) -> Callable[[Ticket, Any], None]:
    def apply(ticket: Ticket, event: Any) -> None:
        ticket.status = status
        if clock is not None:
            ticket.clocks.pop(clock, None)

    return apply


def _classification(ticket: Ticket, event: Any) -> None:
    ticket.category, ticket.subcategory = event.category, event.subcategory
    ticket.severity = event.severity


def _classified(ticket: Ticket, event: Any) -> None:
    _classification(ticket, event)
    _status("Classified", "registration")(ticket, event)


def _assigned(ticket: Ticket, event: Any) -> None:
    ticket.department, ticket.assignee = event.department, event.person
    if ticket.status == "Classified":
        ticket.status = "Assigned"


def _on_hold(ticket: Ticket, event: Any) -> None:
    ticket.status, ticket.waiting_on = "OnHold", event.waiting_on


def _resumed(ticket: Ticket, event: Any) -> None:
    ticket.status, ticket.waiting_on = "InProgress", None


def _ended(ticket: Ticket, event: Any) -> None:
    ticket.is_open = False
    ticket.clocks.clear()


def _linked(ticket: Ticket, event: Any) -> None:
    if ticket.order_id is None and event.order_id is not None:
        ticket.order_id = str(event.order_id)


def _escalated(ticket: Ticket, event: Any) -> None:
    ticket.escalation_level = event.level


def _department_replied(ticket: Ticket, event: Any) -> None:
    clock = HANDBACK_CLOCKS.get(event.department)
    if clock is not None:
        ticket.clocks.pop(clock, None)


def _clock_started(ticket: Ticket, event: Any) -> None:
    ticket.clocks[event.clock] = (True, epoch(event.due_at))


def _clock_retargeted(ticket: Ticket, event: Any) -> None:
    if event.clock in ticket.clocks:
        ticket.clocks[event.clock] = (ticket.clocks[event.clock][0], epoch(event.due_at))


def _clock_paused(ticket: Ticket, event: Any) -> None:
    if event.clock in ticket.clocks:
        ticket.clocks[event.clock] = (False, ticket.clocks[event.clock][1])


def _clock_met(ticket: Ticket, event: Any) -> None:
    ticket.clocks.pop(event.clock, None)


def _tier_noted(ticket: Ticket, event: Any) -> None:
    ticket.tier_key = STANDARD_KEY - TIER_RANK[Tier(event.tier)]


def _first_response(ticket: Ticket, event: Any) -> None:
    ticket.clocks.pop("first_response", None)


# Mirrors the complaint's transitions; the events that stop a clock stop it here too (SlaMet
# and SlaBreached follow them, and a breach by the sweeper leaves the clock running).
CHANGES: dict[str, Callable[[Ticket, Any], None]] = {
    "ComplaintClassified": _classified,
    "ComplaintReclassified": _classification,
    "ResponsibilityAssigned": _assigned,
    "WorkStarted": _status("InProgress"),
    "PutOnHold": _on_hold,
    "Resumed": _resumed,
    "SolutionProposed": _status("SolutionProposed"),
    "ComplaintResolved": _status("Resolved", "resolution"),
    "ComplaintReopened": _status("Reopened"),
    "ComplaintClosed": _ended,
    "ComplaintMerged": _ended,
    "ComplaintEscalated": _escalated,
    "ComplaintLinked": _linked,
    "FirstResponseSent": _first_response,
    "ComplaintTierNoted": _tier_noted,
    "DepartmentReplied": _department_replied,
    "SlaClockStarted": _clock_started,
    "SlaClockRetargeted": _clock_retargeted,
    "SlaPolicyReapplied": _clock_retargeted,
    "SlaClockPaused": _clock_paused,
    "SlaClockResumed": _clock_started,
    "SlaMet": _clock_met,
}
