"""Customer tiers from spend: thresholds as data, the window, and a tier set by hand."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.customer import Customer, Tier
from domain.errors import InvalidInputError
from domain.meta import Reason
from domain.tiers import BUILT_IN_THRESHOLDS, TierCatalog, thresholds_at
from domain.values import Sealed
from tests.support import T0, meta
from tests.unit.replay import assert_replays_equal

WHY = Reason("key_account", "buys for a restaurant group")
DAY = timedelta(days=1)


def customer() -> Customer:
    customer_id = uuid4()
    contact = Sealed(subject=str(customer_id), token="v1:contact")
    return Customer.register(meta(), id=customer_id, contact=contact)


def test_the_tier_follows_the_spend_over_the_window_and_falls_back_after_it() -> None:
    # given 90-day thresholds (silver 300, gold 1000) and orders of 400 and 700 delivered
    buyer = customer()
    buyer.record_spend(meta(T0), uuid4(), Decimal("400.00"))
    assert buyer.tier_at(T0, BUILT_IN_THRESHOLDS) == Tier.SILVER
    buyer.record_spend(meta(T0 + 10 * DAY), uuid4(), Decimal("700.00"))
    # then they are gold while both count, silver once the first leaves the window
    assert buyer.tier_at(T0 + 10 * DAY, BUILT_IN_THRESHOLDS) == Tier.GOLD
    assert buyer.tier_at(T0 + 90 * DAY, BUILT_IN_THRESHOLDS) == Tier.SILVER
    assert buyer.tier_at(T0 + 100 * DAY, BUILT_IN_THRESHOLDS) == Tier.STANDARD
    # and before the orders they were standard
    assert buyer.tier_at(T0 - DAY, BUILT_IN_THRESHOLDS) == Tier.STANDARD
    assert_replays_equal(buyer)


def test_an_order_counts_once() -> None:
    buyer, order = customer(), uuid4()
    buyer.record_spend(meta(T0), order, Decimal("400.00"))
    buyer.record_spend(meta(T0), order, Decimal("400.00"))
    assert buyer.spend_within(T0, 90) == Decimal("400.00")


def test_a_tier_set_by_hand_wins_until_it_follows_the_spend_again() -> None:
    # given a silver spender set to platinum by a supervisor, with a reason
    buyer = customer()
    buyer.record_spend(meta(T0), uuid4(), Decimal("400.00"))
    buyer.assign_tier(meta(T0, reason=WHY), "platinum")
    assert buyer.tier_at(T0, BUILT_IN_THRESHOLDS) == Tier.PLATINUM
    last: Any = buyer.pending_events[-1]
    assert last.meta.reason == WHY
    # when returned to the spend, then silver again
    buyer.assign_tier(meta(T0 + DAY, reason=WHY), None)
    assert type(buyer.pending_events[-1]).__name__ == "TierFollowsSpend"
    assert buyer.tier_at(T0 + DAY, BUILT_IN_THRESHOLDS) == Tier.SILVER
    assert_replays_equal(buyer)


def test_a_tier_set_by_hand_without_a_reason_is_invalid_and_records_nothing() -> None:
    buyer = customer()
    before = len(buyer.pending_events)
    with pytest.raises(InvalidInputError) as invalid:
        buyer.assign_tier(meta(), "gold")
    assert invalid.value.field == "reasonText"
    assert len(buyer.pending_events) == before


@given(st.decimals(min_value=0, max_value=10_000, places=2), st.decimals(0, 10_000, places=2))
def test_more_spend_never_means_a_lower_tier(a: Decimal, b: Decimal) -> None:
    low, high = sorted((a, b))
    rank = list(Tier).index
    assert rank(BUILT_IN_THRESHOLDS.tier_for(low)) <= rank(BUILT_IN_THRESHOLDS.tier_for(high))


def test_thresholds_are_versions_in_force_from_their_business_time() -> None:
    catalog = TierCatalog.open(meta(T0))
    catalog.define(meta(T0 + DAY), 30, Decimal(100), Decimal(500), Decimal(900))
    assert thresholds_at(catalog.versions, T0).version == 1
    later = thresholds_at(catalog.versions, T0 + DAY)
    assert (later.version, later.window_days, later.tier_for(Decimal(600))) == (2, 30, Tier.GOLD)


@pytest.mark.parametrize(
    ("window", "silver", "gold", "platinum", "field"),
    [
        (0, 100, 500, 900, "windowDays"),
        (400, 100, 500, 900, "windowDays"),
        (30, 500, 100, 900, "silver"),
        (30, 0, 100, 900, "silver"),
        (30, "1.234", 100, 900, "silver"),
    ],
)
def test_invalid_thresholds_are_validation_errors(
    window: int, silver: object, gold: int, platinum: int, field: str
) -> None:
    catalog = TierCatalog.open(meta(T0))
    with pytest.raises(InvalidInputError) as invalid:
        catalog.define(meta(T0), window, Decimal(str(silver)), Decimal(gold), Decimal(platinum))
    assert invalid.value.field == field
    assert catalog.versions == [BUILT_IN_THRESHOLDS]


def test_a_tier_in_a_snapshot_from_before_spend_tiers_reads_as_set_by_hand() -> None:
    # given a gold customer as a snapshot taken before tiers followed spend holds them
    buyer = customer()
    buyer.assign_tier(meta(reason=WHY), "gold")
    del buyer.__dict__["_manual_tier"]
    # then the gold, which only a supervisor could have set, still holds; standard does not
    assert buyer.tier_at(T0, BUILT_IN_THRESHOLDS) == Tier.GOLD
    assert customer().tier_set_by_hand is None
