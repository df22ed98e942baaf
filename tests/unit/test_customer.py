from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from dataclasses import replace
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from domain.customer import Customer, CustomerStatus, Tier
from domain.errors import DomainError, InvalidInputError, TransitionRefusedError
from domain.meta import Meta, Reason
from domain.values import Sealed
from tests.support import T0, meta, minutes
from tests.unit.replay import assert_replays_equal, state_of

S = CustomerStatus
WHY = Reason("key_account", "a restaurant group's buyer")


def sealed_for(customer_id: UUID, token: str = "v1:contact") -> Sealed:
    return Sealed(subject=str(customer_id), token=token)


def registered() -> Customer:
    customer_id = uuid4()
    return Customer.register(meta(), id=customer_id, contact=sealed_for(customer_id))


def erased() -> Customer:
    customer = registered()
    customer.erase(meta(minutes(1)))
    return customer


def last_event(customer: Customer) -> Any:
    return customer.pending_events[-1]


def assert_untouched(customer: Customer, attempt: Callable[[], None]) -> DomainError:
    before, events = deepcopy(state_of(customer)), len(customer.pending_events)
    with pytest.raises(DomainError) as refused:
        attempt()
    assert len(customer.pending_events) == events
    assert state_of(customer) == before
    return refused.value


def test_a_registered_customer_is_active_standard_and_keeps_the_sealed_contact() -> None:
    # given an id, and a contact sealed with that customer's key
    customer_id = uuid4()
    contact = sealed_for(customer_id)
    # when registered
    customer = Customer.register(meta(minutes(2)), id=customer_id, contact=contact)
    # then the customer is active, standard tier, with that contact
    assert (customer.id, customer.status, customer.tier) == (customer_id, S.ACTIVE, Tier.STANDARD)
    assert customer.contact == contact
    assert (customer.registered_at, customer.erased_at) == (T0 + minutes(2), None)
    assert type(last_event(customer)).__name__ == "CustomerRegistered"
    assert last_event(customer).contact == contact
    assert_replays_equal(customer)


def test_a_contact_sealed_for_someone_else_cannot_register() -> None:
    with pytest.raises(InvalidInputError) as invalid:
        Customer.register(meta(), id=uuid4(), contact=sealed_for(uuid4()))
    assert invalid.value.field == "contact"


def test_a_contact_that_is_not_sealed_cannot_register() -> None:
    with pytest.raises(InvalidInputError) as invalid:
        Customer.register(meta(), id=uuid4(), contact="+86 138 0000 0000")  # type: ignore[arg-type]
    assert invalid.value.field == "contact"


def test_the_contact_can_be_changed() -> None:
    # given a registered customer
    customer = registered()
    # when the contact changes
    customer.change_contact(meta(minutes(5)), sealed_for(customer.id, "v2:new-phone"))
    # then the new sealed contact is kept
    assert customer.contact == sealed_for(customer.id, "v2:new-phone")
    assert type(last_event(customer)).__name__ == "ContactChanged"
    assert_replays_equal(customer)


def test_a_changed_contact_sealed_for_someone_else_is_invalid() -> None:
    customer = registered()
    invalid = assert_untouched(
        customer, lambda: customer.change_contact(meta(), sealed_for(uuid4()))
    )
    assert isinstance(invalid, InvalidInputError) and invalid.field == "contact"


@pytest.mark.parametrize("tier", ["silver", "gold", "platinum", "standard"])
def test_a_tier_can_be_assigned(tier: str) -> None:
    customer = registered()
    customer.assign_tier(meta(reason=WHY), tier)
    assert customer.tier == Tier(tier)
    assert (type(last_event(customer)).__name__, last_event(customer).tier) == (
        "TierAssigned",
        tier,
    )


def test_an_unknown_tier_is_invalid() -> None:
    customer = registered()
    invalid = assert_untouched(customer, lambda: customer.assign_tier(meta(reason=WHY), "diamond"))
    assert isinstance(invalid, InvalidInputError) and invalid.field == "tier"


def test_erasure_records_when_and_keeps_only_the_unreadable_contact() -> None:
    # given a gold customer
    customer = registered()
    customer.assign_tier(meta(reason=WHY), "gold")
    # when erased
    customer.erase(meta(minutes(30)))
    # then the customer is erased at that time
    assert (customer.status, customer.erased_at) == (S.ERASED, T0 + minutes(30))
    assert type(last_event(customer)).__name__ == "CustomerErased"
    assert_replays_equal(customer)


ERASED_REFUSES: list[tuple[str, Callable[[Customer], None]]] = [
    ("change the contact", lambda c: c.change_contact(meta(), sealed_for(c.id))),
    ("assign a tier", lambda c: c.assign_tier(meta(reason=WHY), "gold")),
    ("erase", lambda c: c.erase(meta())),
]


@pytest.mark.parametrize(("action", "command"), ERASED_REFUSES, ids=[a for a, _ in ERASED_REFUSES])
def test_an_erased_customer_refuses_everything(
    action: str, command: Callable[[Customer], None]
) -> None:
    # given an erased customer
    customer = erased()
    # when anything is asked of it, then it is refused naming the state and the action
    refused = assert_untouched(customer, lambda: command(customer))
    assert isinstance(refused, TransitionRefusedError)
    assert (refused.entity, refused.state, refused.action) == ("Customer", "Erased", action)


class CustomerMachine(RuleBasedStateMachine):
    """Random commands, valid or not: the customer stays coherent and replayable."""

    def __init__(self) -> None:
        super().__init__()
        self.customer = registered()
        self.clock = 0

    def attempt(self, command: Callable[[Customer, Meta], None]) -> None:
        """Runs the command at the next minute; a refusal must leave no trace."""
        self.clock += 1
        before, events = deepcopy(state_of(self.customer)), len(self.customer.pending_events)
        try:
            command(self.customer, meta(minutes(self.clock)))
        except DomainError:
            assert len(self.customer.pending_events) == events
            assert state_of(self.customer) == before

    @rule(own=st.booleans(), token=st.sampled_from(["v2:a", "v3:b"]))
    def change_contact(self, own: bool, token: str) -> None:
        self.attempt(lambda c, m: c.change_contact(m, sealed_for(c.id if own else uuid4(), token)))

    @rule(tier=st.sampled_from(["standard", "silver", "gold", "platinum", "diamond"]))
    def assign_tier(self, tier: str) -> None:
        self.attempt(lambda c, m: c.assign_tier(replace(m, reason=WHY), tier))

    @rule()
    def erase(self) -> None:
        self.attempt(lambda c, m: c.erase(m))

    @invariant()
    def contact_is_always_sealed_for_this_customer(self) -> None:
        assert self.customer.contact.subject == str(self.customer.id)

    @invariant()
    def erased_exactly_when_an_erasure_time_is_kept(self) -> None:
        assert self.customer.status in set(S)
        assert self.customer.tier in set(Tier)
        assert (self.customer.status == S.ERASED) == (self.customer.erased_at is not None)

    @invariant()
    def nothing_is_recorded_after_erasure(self) -> None:
        names = [type(event).__name__ for event in self.customer.pending_events]
        if "CustomerErased" in names:
            assert names[-1] == "CustomerErased"
            assert names.count("CustomerErased") == 1

    @invariant()
    def replay_rebuilds_an_equal_customer(self) -> None:
        assert_replays_equal(self.customer)


CustomerMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)
TestCustomerMachine = CustomerMachine.TestCase
