"""Need-to-know access to personal data: who opens the sealed fields of the entity at hand.

A customer opens their own. An agent or a supervisor opens those of a complaint or an order
assigned to them, or queued in their department (the token's `department` claim), while it is
open and for the grace period after it ended (`CARELEDGER_ACCESS_GRACE_S`). A complaint not yet
handed to a department is queued in customer service, and so is every order (its departments,
kitchen, warehouse and delivery, are not desks of staff; the one assigned there opens it).
A customer's own record (contact details) opens to who handles any of their complaints or
orders; a survey's comment to who handles what it asks about.
Beyond handling, the customer's record grants (domain/customer_access.py): an agent, a
supervisor or an admin who broke the glass with a reason opens that customer's data until it
closes again; a compliance officer (or an admin) opens it while a privacy case of theirs is
open on the customer, and a compliance officer never otherwise. Everyone else gets the field
sealed, with the reason, never an error for the whole query. The rule's text and matrix are
in api/permissions.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from api.auth import Principal, Role
from domain.complaint import Complaint
from domain.complaint_types import ComplaintStatus, Department
from domain.customer_access import NO_GRANTS, Grants
from domain.order import Order
from domain.order_types import CLOSED

SEALED = "[sealed]"
FRONT_DESK = Department.CUSTOMER_SERVICE.value
HANDLERS = frozenset({Role.AGENT, Role.SUPERVISOR})
NEVER = frozenset({Role.ANALYST, Role.INCIDENT_COMMANDER})
GLASS_BREAKERS = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})
GRANTED = GLASS_BREAKERS | {Role.COMPLIANCE_OFFICER}  # whom a customer's grants may open to


class AccessBasis(StrEnum):
    OWN = "own"
    ASSIGNED = "assigned"
    DEPARTMENT = "department"
    BROKEN_GLASS = "broken_glass"
    PRIVACY_CASE = "privacy_case"


class SealedReason(StrEnum):
    ROLE = "role"  # the role never reads personal data
    NOT_HANDLING = "not_handling"  # not assigned to it, nor is it queued in their department
    GRACE_ENDED = "grace_ended"  # handled by them, but ended longer ago than the grace period
    NOT_YOURS = "not_yours"  # another customer's
    NO_PRIVACY_CASE = "no_privacy_case"  # a compliance officer without an open case on them
    GLASS_CLOSED = "glass_closed"  # not handling it, and the glass they broke has closed again


@dataclass(frozen=True)
class Access:
    basis: AccessBasis | None = None
    reason: SealedReason | None = None

    @property
    def opened(self) -> bool:
        return self.basis is not None


@dataclass(frozen=True)
class Handling:
    """Who handles an entity of a customer's, and when it ended (None: still open)."""

    customer_id: UUID
    assignees: frozenset[str]
    departments: frozenset[str]
    ended_at: datetime | None


def complaint_handling(complaint: Complaint) -> Handling:
    ended = complaint.status in (ComplaintStatus.CLOSED, ComplaintStatus.MERGED)
    return Handling(
        customer_id=complaint.customer_id,
        assignees=frozenset({complaint.assignee} if complaint.assignee else ()),
        departments=frozenset({str(complaint.department or FRONT_DESK)}),
        ended_at=(complaint.closed_at or complaint.modified_on) if ended else None,
    )


def order_handling(order: Order) -> Handling:
    ended = order.status in CLOSED
    return Handling(
        customer_id=order.customer_id,
        assignees=frozenset(order.departments.values()),
        departments=frozenset({FRONT_DESK}),
        ended_at=(order.closed_at or order.delivered_at or order.modified_on) if ended else None,
    )


def access(
    caller: Principal,
    handling: Handling,
    now: datetime,
    grace: timedelta,
    grants: Grants = NO_GRANTS,
) -> Access:
    """Whether `caller` opens the personal data of the entity `handling` describes, and why;
    `grants` are those of its customer's record."""
    if caller.role is Role.CUSTOMER:
        if caller.is_customer(handling.customer_id):
            return Access(AccessBasis.OWN)
        return Access(reason=SealedReason.NOT_YOURS)
    if caller.role in NEVER:
        return Access(reason=SealedReason.ROLE)
    if caller.role is Role.COMPLIANCE_OFFICER:
        if caller.subject in grants.cases:
            return Access(AccessBasis.PRIVACY_CASE)
        return Access(reason=SealedReason.NO_PRIVACY_CASE)
    if caller.role is Role.ADMIN and caller.subject in grants.cases:
        return Access(AccessBasis.PRIVACY_CASE)
    handled = _handled(caller, handling, now, grace)
    if handled.opened or not grants.glass_open(caller.subject, now):
        if not handled.opened and grants.glass_expired(caller.subject, now):
            return Access(reason=SealedReason.GLASS_CLOSED)
        return handled
    return Access(AccessBasis.BROKEN_GLASS)


def access_any(
    caller: Principal,
    handlings: list[Handling],
    customer_id: UUID,
    now: datetime,
    grace: timedelta,
    grants: Grants = NO_GRANTS,
) -> Access:
    """Access to a customer's own record: opened through any of their entities the caller
    handles, else as for an entity of theirs that nobody handles."""
    found = [access(caller, h, now, grace, grants) for h in handlings]
    opened = [a for a in found if a.opened]
    if opened:
        return opened[0]
    nobody = Handling(customer_id, frozenset(), frozenset(), None)
    fallback = access(caller, nobody, now, grace, grants)
    if fallback.opened or fallback.reason is not SealedReason.NOT_HANDLING:
        return fallback
    ended = [a for a in found if a.reason is SealedReason.GRACE_ENDED]
    return ended[0] if ended else fallback


def needs_grants(caller: Principal, found: Access) -> bool:
    """Whether the customer's grants could change `found`: worth loading them."""
    return not found.opened and caller.role in GRANTED


def _handled(caller: Principal, handling: Handling, now: datetime, grace: timedelta) -> Access:
    if caller.role not in HANDLERS:
        return Access(reason=SealedReason.NOT_HANDLING)
    basis = _relation(caller, handling)
    if basis is None:
        return Access(reason=SealedReason.NOT_HANDLING)
    if handling.ended_at is not None and now - handling.ended_at > grace:
        return Access(reason=SealedReason.GRACE_ENDED)
    return Access(basis)


def _relation(caller: Principal, handling: Handling) -> AccessBasis | None:
    if caller.subject in handling.assignees:
        return AccessBasis.ASSIGNED
    if caller.department is not None and caller.department in handling.departments:
        return AccessBasis.DEPARTMENT
    return None


CUSTOMER, OTHER = UUID(int=1), UUID(int=2)
AT = datetime(2026, 1, 1, 12, 0)
GRACE = timedelta(days=3)
THEIRS = frozenset({"them"})
OPEN_GLASS = Grants(glass={"them": AT + timedelta(minutes=30)})
CLOSED_GLASS = Grants(glass={"them": AT - timedelta(minutes=1)})
THEIR_CASE = Grants(cases=frozenset({"them"}))
RELATIONS: dict[str, tuple[UUID, frozenset[str], str, datetime | None, Grants]] = {
    "their own (the customer)": (CUSTOMER, frozenset(), FRONT_DESK, None, NO_GRANTS),
    "assigned to them, open": (OTHER, THEIRS, "technical", None, NO_GRANTS),
    "queued in their department, open": (OTHER, frozenset(), "technical", None, NO_GRANTS),
    "theirs, ended within the grace period": (OTHER, THEIRS, "technical", AT, NO_GRANTS),
    "theirs, ended before the grace period": (
        OTHER,
        THEIRS,
        "technical",
        AT - 2 * GRACE,
        NO_GRANTS,
    ),
    "none (another department, not assigned)": (OTHER, frozenset(), "quality", None, NO_GRANTS),
    "none, the glass broken by them (open)": (OTHER, frozenset(), "quality", None, OPEN_GLASS),
    "none, the glass broken by them (closed)": (
        OTHER,
        frozenset(),
        "quality",
        None,
        CLOSED_GLASS,
    ),
    "none, a privacy case of theirs open": (OTHER, frozenset(), "quality", None, THEIR_CASE),
}


def example_access(role: Role, relation: str) -> Access:
    """The rule applied to one row of the matrix that docs/permissions.md shows: a caller
    `them` of the technical department (the customer `CUSTOMER`) and an entity so related."""
    customer, assignees, department, ended, grants = RELATIONS[relation]
    subject = str(CUSTOMER) if role is Role.CUSTOMER else "them"
    caller = Principal(subject, role, department="technical")
    handling = Handling(customer, assignees, frozenset({department}), ended)
    return access(caller, handling, AT, GRACE, grants)
