"""Broken glass and privacy cases on a customer's record: each needs a reason, glass closes
by itself, a case is the officer's own until they close it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest

from domain.customer import Customer
from domain.customer_access import NoOpenPrivacyCaseError, PrivacyCaseAlreadyOpenError
from domain.errors import InvalidInputError, TransitionRefusedError
from domain.meta import Actor, ActorKind, Reason
from domain.values import Sealed
from tests.support import T0, meta, minutes

WHY = Reason("customer_on_the_line", "asks about a refund")
AGENT = Actor(ActorKind.AGENT, "agent-3", "agent")
OFFICER = Actor(ActorKind.AGENT, "dpo-1", "compliance_officer")


def registered() -> Customer:
    customer_id = uuid4()
    contact = Sealed(subject=str(customer_id), token="v1:contact")
    return Customer.register(meta(), id=customer_id, contact=contact)


def test_broken_glass_opens_to_the_one_who_broke_it_for_the_minutes_asked() -> None:
    customer = registered()
    customer.break_glass(meta(minutes(1), AGENT, reason=WHY), 30)
    event: Any = customer.pending_events[-1]
    assert (type(event).__name__, event.until, event.role) == (
        "GlassBroken",
        T0 + timedelta(minutes=31),
        "agent",
    )
    grants = customer.grants
    assert grants.glass_open("agent-3", T0 + timedelta(minutes=30))
    assert not grants.glass_open("agent-3", T0 + timedelta(minutes=31))
    assert grants.glass_expired("agent-3", T0 + timedelta(minutes=31))
    assert not grants.glass_open("agent-4", T0 + timedelta(minutes=5))


@pytest.mark.parametrize("minutes_asked", [0, 241, -5])
def test_glass_opens_for_one_minute_to_four_hours(minutes_asked: int) -> None:
    customer = registered()
    with pytest.raises(InvalidInputError) as refused:
        customer.break_glass(meta(minutes(1), AGENT, reason=WHY), minutes_asked)
    assert refused.value.field == "minutes"
    assert len(customer.pending_events) == 1


@pytest.mark.parametrize("code", [None, "other"])
def test_glass_and_cases_need_a_reason(code: str | None) -> None:
    # no reason at all, or a code without a text
    reason = None if code is None else Reason(code)
    customer = registered()
    with pytest.raises(InvalidInputError) as refused:
        customer.break_glass(meta(minutes(1), AGENT, reason=reason), 30)
    assert refused.value.field == "reasonText"
    with pytest.raises(InvalidInputError):
        customer.open_privacy_case(meta(minutes(1), OFFICER, reason=reason))
    assert len(customer.pending_events) == 1


def test_an_erased_customer_has_no_glass_to_break_but_may_have_a_case() -> None:
    customer = registered()
    customer.erase(meta(minutes(1)))
    with pytest.raises(TransitionRefusedError):
        customer.break_glass(meta(minutes(2), AGENT, reason=WHY), 30)
    customer.open_privacy_case(meta(minutes(2), OFFICER, reason=WHY))
    assert customer.grants.cases == {"dpo-1"}


def test_a_privacy_case_is_the_officers_own_until_they_close_it() -> None:
    customer = registered()
    customer.open_privacy_case(meta(minutes(1), OFFICER, reason=WHY))
    with pytest.raises(PrivacyCaseAlreadyOpenError):
        customer.open_privacy_case(meta(minutes(2), OFFICER, reason=WHY))
    other = Actor(ActorKind.AGENT, "dpo-2", "compliance_officer")
    with pytest.raises(NoOpenPrivacyCaseError):
        customer.close_privacy_case(meta(minutes(2), other, reason=WHY))
    customer.close_privacy_case(meta(minutes(3), OFFICER, reason=WHY))
    assert customer.grants.cases == frozenset()
    names = [type(e).__name__ for e in customer.pending_events]
    assert names == ["CustomerRegistered", "PrivacyCaseOpened", "PrivacyCaseClosed"]
