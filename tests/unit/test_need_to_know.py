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
    access_any,
    example_access,
)
from domain.customer_access import Grants
from tests.need_to_know_matrix import MATRIX, ROLES

B, R = AccessBasis, SealedReason


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("relation", sorted(RELATIONS))
def test_each_role_opens_what_its_relation_to_the_entity_allows(role: Role, relation: str) -> None:
    expected = MATRIX[relation][ROLES.index(role)]
    found = example_access(role, relation)
    if isinstance(expected, AccessBasis):
        assert found == Access(expected)
    else:
        assert found == Access(reason=SealedReason(expected))
    assert found.opened == isinstance(expected, AccessBasis)


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


def test_a_customers_record_opens_through_any_entity_of_theirs_the_caller_handles() -> None:
    customer, now, grace = UUID(int=7), datetime(2026, 3, 1, tzinfo=UTC), timedelta(days=3)
    agent = Principal("agent-9", Role.AGENT, department="technical")
    elsewhere = Handling(customer, frozenset(), frozenset({"quality"}), None)
    ended = Handling(customer, frozenset({"agent-9"}), frozenset({"quality"}), now - 2 * grace)
    theirs = Handling(customer, frozenset(), frozenset({"technical"}), None)
    assert access_any(agent, [elsewhere, theirs], customer, now, grace).basis is B.DEPARTMENT
    assert access_any(agent, [elsewhere, ended], customer, now, grace).reason is R.GRACE_ENDED
    assert access_any(agent, [], customer, now, grace).reason is R.NOT_HANDLING
    # broken glass opens the record whatever the entities say
    glass = Grants(glass={"agent-9": now + timedelta(minutes=5)})
    assert access_any(agent, [ended], customer, now, grace, glass).basis is B.BROKEN_GLASS
