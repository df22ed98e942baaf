"""Need-to-know as a table: role by relation to the entity → opened (and why) or sealed (and
why), as api/permissions.py shows it in docs/permissions.md."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from api.auth import Principal, Role
from api.need_to_know import (
    RELATIONS,
    Access,
    AccessBasis,
    Handling,
    SealedReason,
    access,
    example_access,
)

B, R = AccessBasis, SealedReason
ROLES = (Role.CUSTOMER, Role.AGENT, Role.SUPERVISOR, Role.INCIDENT_COMMANDER)
OTHERS = (Role.COMPLIANCE_OFFICER, Role.ANALYST, Role.ADMIN)
# relation                                 customer     agent         supervisor    commander
MATRIX = {
    "their own (the customer)": (B.OWN, R.NOT_HANDLING, R.NOT_HANDLING, R.ROLE),
    "assigned to them, open": (R.NOT_YOURS, B.ASSIGNED, B.ASSIGNED, R.ROLE),
    "queued in their department, open": (R.NOT_YOURS, B.DEPARTMENT, B.DEPARTMENT, R.ROLE),
    "theirs, ended within the grace period": (R.NOT_YOURS, B.ASSIGNED, B.ASSIGNED, R.ROLE),
    "theirs, ended before the grace period": (R.NOT_YOURS, R.GRACE_ENDED, R.GRACE_ENDED, R.ROLE),
    "none (another department, not assigned)": (
        R.NOT_YOURS,
        R.NOT_HANDLING,
        R.NOT_HANDLING,
        R.ROLE,
    ),
}
OTHER_ROLES = {
    Role.COMPLIANCE_OFFICER: R.NOT_HANDLING,
    Role.ANALYST: R.ROLE,
    Role.ADMIN: R.NOT_HANDLING,
}


@pytest.mark.parametrize("relation", sorted(RELATIONS))
def test_each_role_opens_what_its_relation_to_the_entity_allows(relation: str) -> None:
    for role, expected in zip(ROLES, MATRIX[relation], strict=True):
        found = example_access(role, relation)
        wanted = (
            Access(expected)
            if isinstance(expected, AccessBasis)
            else Access(reason=SealedReason(expected))
        )
        assert found == wanted, (role, relation)
        assert found.opened == isinstance(expected, AccessBasis)
    for role, reason in OTHER_ROLES.items():
        assert example_access(role, relation) == Access(reason=reason), (role, relation)


def test_the_matrix_names_every_relation() -> None:
    assert set(MATRIX) == set(RELATIONS)


def test_grace_counts_from_when_the_entity_ended() -> None:
    # an assignee three days and a second after the close, with three days' grace
    ended = datetime(2026, 3, 1, tzinfo=UTC)
    handling = Handling(UUID(int=7), frozenset({"agent-9"}), frozenset({"quality"}), ended)
    agent = Principal("agent-9", Role.AGENT, department="technical")
    grace = timedelta(days=3)
    assert access(agent, handling, ended + grace, grace).basis is B.ASSIGNED
    assert access(agent, handling, ended + grace + timedelta(seconds=1), grace).reason is (
        R.GRACE_ENDED
    )


def test_staff_without_a_department_open_only_what_is_assigned_to_them() -> None:
    handling = Handling(UUID(int=7), frozenset(), frozenset({"customer_service"}), None)
    now, grace = datetime(2026, 3, 1, tzinfo=UTC), timedelta(0)
    assert access(Principal("agent-1", Role.AGENT), handling, now, grace).reason is (R.NOT_HANDLING)
