"""Need-to-know as the tests expect it, written out by hand: role by relation to the data,
opened (with the basis) or sealed (with the reason). The unit test checks the rule against it,
the API test every personal field through GraphQL."""

from __future__ import annotations

from api.auth import Role
from api.need_to_know import AccessBasis, SealedReason

B, R = AccessBasis, SealedReason
ROLES = (
    Role.CUSTOMER,
    Role.AGENT,
    Role.SUPERVISOR,
    Role.INCIDENT_COMMANDER,
    Role.COMPLIANCE_OFFICER,
    Role.ANALYST,
    Role.ADMIN,
)
# relation: customer, agent, supervisor, commander, compliance officer, analyst, admin
MATRIX = {
    "their own (the customer)": (
        B.OWN,
        *(R.NOT_HANDLING, R.NOT_HANDLING, R.ROLE, R.NO_PRIVACY_CASE, R.ROLE, R.NOT_HANDLING),
    ),
    "assigned to them, open": (
        R.NOT_YOURS,
        *(B.ASSIGNED, B.ASSIGNED, R.ROLE, R.NO_PRIVACY_CASE, R.ROLE, R.NOT_HANDLING),
    ),
    "queued in their department, open": (
        R.NOT_YOURS,
        *(B.DEPARTMENT, B.DEPARTMENT, R.ROLE, R.NO_PRIVACY_CASE, R.ROLE, R.NOT_HANDLING),
    ),
    "theirs, ended within the grace period": (
        R.NOT_YOURS,
        *(B.ASSIGNED, B.ASSIGNED, R.ROLE, R.NO_PRIVACY_CASE, R.ROLE, R.NOT_HANDLING),
    ),
    "theirs, ended before the grace period": (
        R.NOT_YOURS,
        *(R.GRACE_ENDED, R.GRACE_ENDED, R.ROLE, R.NO_PRIVACY_CASE, R.ROLE, R.NOT_HANDLING),
    ),
    "none (another department, not assigned)": (
        R.NOT_YOURS,
        *(R.NOT_HANDLING, R.NOT_HANDLING, R.ROLE, R.NO_PRIVACY_CASE, R.ROLE, R.NOT_HANDLING),
    ),
    "none, the glass broken by them (open)": (
        R.NOT_YOURS,
        *(B.BROKEN_GLASS, B.BROKEN_GLASS, R.ROLE, R.NO_PRIVACY_CASE, R.ROLE, B.BROKEN_GLASS),
    ),
    "none, the glass broken by them (closed)": (
        R.NOT_YOURS,
        *(R.GLASS_CLOSED, R.GLASS_CLOSED, R.ROLE, R.NO_PRIVACY_CASE, R.ROLE, R.GLASS_CLOSED),
    ),
    "none, a privacy case of theirs open": (
        R.NOT_YOURS,
        *(R.NOT_HANDLING, R.NOT_HANDLING, R.ROLE, B.PRIVACY_CASE, R.ROLE, B.PRIVACY_CASE),
    ),
}
