"""Customer tiers from spend through the application: delivered orders raise the tier, the tier
chooses the SLA policy and orders the agent queue, and a supervisor may set one by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from application.app import CareLedger
from application.handling import created_by
from domain.complaint import Complaint
from domain.customer import Customer, Tier
from domain.meta import Reason
from domain.sla import SLA_POLICY_V1, ClockName
from domain.sla_book import PolicyRule
from projections.engine.store import ViewStore
from projections.views.agent_queue import AgentQueueProjection, agent_queue
from tests.application.builders import customer, order
from tests.projections.catch_up import Project
from tests.support import T0, meta

DAY = timedelta(days=1)
WHY = Reason("key_account", "buys for a restaurant group")


def delivered(app: CareLedger, customer_id: UUID, amount: str, at: datetime) -> UUID:
    order_id = order(app, customer_id, amount)
    app.confirm_order(meta(at), order_id)
    app.start_preparation(meta(at), order_id)
    app.pack_order(meta(at), order_id)
    app.assign_courier(meta(at), order_id, "courier-1", "shunfeng")
    app.pick_up_order(meta(at), order_id)
    app.deliver_order(meta(at), order_id)
    return order_id


def file(app: CareLedger, customer_id: UUID, at: datetime, command_id: str) -> UUID:
    return app.file_complaint(
        meta(at, command_id=command_id),
        customer_id=customer_id,
        order_id=None,
        content="Cold soup",
        channel="app",
    ).aggregate_id


def test_completed_orders_raise_the_tier_over_the_window(app: CareLedger) -> None:
    # given a customer who spent 400 and then 700 on delivered orders (built-in: 90 days,
    # silver 300, gold 1000)
    buyer = customer(app)
    assert app.tier_of(buyer, T0) == Tier.STANDARD
    delivered(app, buyer, "400.00", T0)
    assert app.tier_of(buyer, T0) == Tier.SILVER
    delivered(app, buyer, "700.00", T0 + DAY)
    # then gold while both count, silver once the first left the window
    assert app.tier_of(buyer, T0 + DAY) == Tier.GOLD
    assert app.tier_of(buyer, T0 + 90 * DAY) == Tier.SILVER
    assert app.tier_of(buyer, T0 + 91 * DAY) == Tier.STANDARD
    # and an order placed but never delivered counts nothing
    order(app, buyer, "5000.00")
    assert app.tier_of(buyer, T0 + DAY) == Tier.GOLD
    # and new thresholds (30 days, gold from 1500) apply from their business time on
    app.define_tier_thresholds(meta(T0 + 2 * DAY), 30, Decimal(200), Decimal(1500), Decimal(4000))
    assert app.tier_of(buyer, T0 + 2 * DAY) == Tier.SILVER
    assert app.tier_of(buyer, T0 + DAY) == Tier.GOLD
    assert [v.version for v in app.tier_thresholds()] == [1, 2]


def test_a_tier_set_by_hand_is_recorded_with_its_reason_and_can_follow_the_spend_again(
    app: CareLedger,
) -> None:
    buyer = customer(app)
    delivered(app, buyer, "400.00", T0)
    # when a supervisor sets platinum by hand, with a reason
    app.assign_tier(meta(T0, reason=WHY), buyer, "platinum")
    events: list[Any] = list(app.events.get(buyer))
    assert (type(events[-1]).__name__, events[-1].tier, events[-1].meta.reason.code) == (
        "TierAssigned",
        "platinum",
        WHY.code,
    )
    # the reason's words sealed under the customer's key
    assert app.vault.open(events[-1].meta.reason.sealed) == WHY.text
    assert app.tier_of(buyer, T0 + 200 * DAY) == Tier.PLATINUM
    # and returns the customer to their spend
    app.assign_tier(meta(T0 + DAY, reason=WHY), buyer, None)
    assert app.tier_of(buyer, T0 + DAY) == Tier.SILVER
    assert app.load(Customer, buyer).tier_set_by_hand is None


def test_the_tier_chooses_the_policy(app: CareLedger) -> None:
    # given a gold desk answering in 60 s, chosen for gold customers
    gold_desk = replace(SLA_POLICY_V1, name="gold-desk", first_response_s=60)
    app.define_sla_policy(meta(T0), gold_desk)
    app.set_sla_policy_rules(meta(T0), [PolicyRule("gold-desk", tier="gold")])
    # when a customer who spent 1,200 and one who spent nothing complain
    gold, plain = customer(app), customer(app)
    delivered(app, gold, "1200.00", T0)
    by_gold, by_plain = file(app, gold, T0, "c-gold"), file(app, plain, T0, "c-plain")
    # then only the gold customer's complaint runs on the gold desk
    first = app.load(Complaint, by_gold).clocks[ClockName.FIRST_RESPONSE]
    assert (first.policy, first.target_s) == ("gold-desk", 60)
    assert app.load(Complaint, by_plain).clocks[ClockName.FIRST_RESPONSE].target_s == 120
    assert app.load(Complaint, by_gold).tier == Tier.GOLD


def test_of_two_equally_due_complaints_the_higher_tiers_comes_first(
    app: CareLedger, views: ViewStore, project: Project
) -> None:
    # given a silver and a standard customer complaining at the same moment, the standard
    # one's complaint having the lower id (ids derive from the command ids)
    silver, plain = customer(app), customer(app)
    delivered(app, silver, "400.00", T0)
    low, high = sorted(["c-0", "c-1"], key=lambda c: created_by(c, Complaint))
    by_plain = file(app, plain, T0 + DAY, low)
    by_silver = file(app, silver, T0 + DAY, high)
    assert by_plain < by_silver
    # and one filed a second earlier, so due a second earlier
    earlier = file(app, plain, T0 + DAY - timedelta(seconds=1), "c-2")
    # then the queue has the earliest due first, then silver before standard
    project(AgentQueueProjection())
    page = agent_queue(views)
    order_of = [
        UUID(r.complaint_id)
        for r in page.rows
        if UUID(r.complaint_id) in (earlier, by_silver, by_plain)
    ]
    assert order_of == [earlier, by_silver, by_plain]
    assert {UUID(r.complaint_id): r.tier for r in page.rows}[by_silver] == "silver"
    # and the cursor carries the tier: paging one at a time gives the same order
    paged, after = [], None
    while True:
        one = agent_queue(views, limit=1, after=after)
        paged += [UUID(r.complaint_id) for r in one.rows]
        if (after := one.after) is None:
            break
    assert [c for c in paged if c in (earlier, by_silver, by_plain)] == order_of
