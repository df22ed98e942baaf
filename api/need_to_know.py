"""Need-to-know access to personal data: who opens the sealed fields of the entity at hand.

A customer opens their own. An agent or a supervisor opens those of a complaint or an order
assigned to them, or queued in their department (the token's `department` claim), while it is
open and for the grace period after it ended (`CARELEDGER_ACCESS_GRACE_S`). A complaint not yet
handed to a department is queued in customer service, and so is every order (its departments,
kitchen, warehouse and delivery, are not desks of staff; the one assigned there opens it).
Everyone else gets the field sealed, with the reason, never an error for the whole query.
The rule is `NEED_TO_KNOW` in api/permissions.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from api.auth import Principal, Role
from domain.complaint import Complaint
from domain.complaint_types import ComplaintStatus, Department
from domain.order import Order
from domain.order_types import CLOSED

SEALED = "[sealed]"
FRONT_DESK = Department.CUSTOMER_SERVICE.value
HANDLERS = frozenset({Role.AGENT, Role.SUPERVISOR})
NEVER = frozenset({Role.ANALYST, Role.INCIDENT_COMMANDER})


class AccessBasis(StrEnum):
    OWN = "own"
    ASSIGNED = "assigned"
    DEPARTMENT = "department"


class SealedReason(StrEnum):
    ROLE = "role"  # the role never reads personal data
    NOT_HANDLING = "not_handling"  # not assigned to it, nor is it queued in their department
    GRACE_ENDED = "grace_ended"  # handled by them, but ended longer ago than the grace period
    NOT_YOURS = "not_yours"  # another customer's


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


def access(caller: Principal, handling: Handling, now: datetime, grace: timedelta) -> Access:
    """Whether `caller` opens the personal data of the entity `handling` describes, and why."""
    if caller.role is Role.CUSTOMER:
        if caller.is_customer(handling.customer_id):
            return Access(AccessBasis.OWN)
        return Access(reason=SealedReason.NOT_YOURS)
    if caller.role not in HANDLERS:
        return Access(
            reason=SealedReason.ROLE if caller.role in NEVER else SealedReason.NOT_HANDLING
        )
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
RELATIONS = {
    "their own (the customer)": (CUSTOMER, frozenset(), FRONT_DESK, None),
    "assigned to them, open": (OTHER, frozenset({"them"}), "technical", None),
    "queued in their department, open": (OTHER, frozenset(), "technical", None),
    "theirs, ended within the grace period": (OTHER, frozenset({"them"}), "technical", AT),
    "theirs, ended before the grace period": (
        OTHER,
        frozenset({"them"}),
        "technical",
        AT - 2 * GRACE,
    ),
    "none (another department, not assigned)": (OTHER, frozenset(), "quality", None),
}


def example_access(role: Role, relation: str) -> Access:
    """The rule applied to one row of the matrix that docs/permissions.md shows: a caller
    `them` of the technical department (the customer `CUSTOMER`) and an entity so related."""
    customer, assignees, department, ended = RELATIONS[relation]
    subject = str(CUSTOMER) if role is Role.CUSTOMER else "them"
    caller = Principal(subject, role, department="technical")
    handling = Handling(customer, assignees, frozenset({department}), ended)
    return access(caller, handling, AT, GRACE)
