"""The whole day's plan: customers, orders, complaints (about 6 % of orders), the incidents and
the surveys, from one seed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from uuid import NAMESPACE_URL, uuid5

from demo import cast
from demo.complaint_kinds import Kind, kind_of
from demo.complaint_traits import ComplaintFacts
from demo.complaints import ComplaintStory
from demo.demand import Windows, assign_fates, orders, windows_of
from demo.draw import Draw
from demo.execute import TICK
from demo.facts import CustomerFacts, Fate, OrderFacts
from demo.incidents import FINDINGS_AFTER, FOOD_RULE, FOOD_SAFETY, food_safety, outage, rainstorm
from demo.orders import OrderStory
from demo.plan import Plan
from demo.surveys import Subject, plan_surveys
from demo.world import COMPLAINT_CHANNELS
from domain.meta import Reason

OPENS, CLOSES = time(8), time(23)
COMPLAINT_RATE = 0.06
MIN_COMPLAINTS = 8
TIERS = (("silver", 60), ("gold", 30), ("platinum", 10))
CLUSTER_FILED_BY = time(17, 30)
CLUSTER_SPREAD = timedelta(minutes=100)  # the first complaints of the cluster, at most apart
ACCEPT_AFTER = timedelta(minutes=5)  # from the detection to the commander's acceptance


@dataclass(frozen=True)
class DaySpec:
    orders: int
    seed: int
    day: date


@dataclass
class DayPlan:
    plan: Plan
    customers: list[CustomerFacts]
    orders: list[OrderFacts]
    complaints: list[ComplaintFacts]


def plan_day(spec: DaySpec) -> DayPlan:
    midnight = datetime.combine(spec.day, time(0), UTC)
    namespace = uuid5(NAMESPACE_URL, f"careledger-demo/{spec.seed}/{spec.day}/{spec.orders}")
    plan = Plan(namespace, midnight + _hours(OPENS), midnight + _hours(CLOSES))
    draw = Draw(spec.seed)
    windows = windows_of(midnight)
    made = orders(plan, draw, windows, spec.orders)
    assign_fates(draw, windows, made)
    customers = list({o.customer.index: o.customer for o in made}.values())
    register(plan, draw, customers)
    for order in made:
        OrderStory(plan, draw, order).write()
    cluster = poisoned(plan, draw, windows, made)
    others = complaints(plan, draw, made, customers, windows, len(cluster))
    # the food-poisoning incident opens when the commander accepts the detected cluster
    stories = [ComplaintStory(plan, draw, complaint) for complaint in cluster]
    for story in stories:
        story.begin()
    accepted = cluster_accepted_at(cluster, stories)
    for complaint in cluster:
        complaint.investigated_at = accepted + FINDINGS_AFTER
    incidents(plan, windows, made, cluster, accepted)
    for story in stories:
        story.finish()
    for complaint in others:
        ComplaintStory(plan, draw, complaint).write()
    surveys(plan, draw, made, cluster + others)
    return DayPlan(plan, customers, made, cluster + others)


def register(plan: Plan, draw: Draw, customers: list[CustomerFacts]) -> None:
    for customer in customers:
        register_one(plan, draw, customer)


def register_one(plan: Plan, draw: Draw, customer: CustomerFacts) -> None:
    key, contact = customer.key, customer.person.contact
    correlation = f"customer-{customer.index}"
    at = max(
        customer.first_order_at - draw.minutes(10, 0.8, 1, 60),
        plan.start + (customer.first_order_at - plan.start) / 2,
    )
    plan.add(
        at,
        customer.actor,
        f"register_customer {key}",
        lambda x, m: x.app.register_customer(m, contact),
        creates=key,
        correlation=correlation,
        channel="app",
        command_id=cast.registration(plan.namespace, customer.index),
    )
    if draw.chance(0.12):
        tier = draw.weighted(TIERS)
        plan.add(
            at + draw.seconds(30, 300),
            cast.LOYALTY,
            f"assign_tier {key}",
            lambda x, m: x.app.assign_tier(m, x[key], tier),
            correlation=correlation,
            # a tier set by hand needs a reason in words (sealed under the customer's key)
            reason=Reason("spend_threshold", "a regular big spender the loyalty desk knows"),
        )


def poisoned(
    plan: Plan, draw: Draw, windows: Windows, made: list[OrderFacts]
) -> list[ComplaintFacts]:
    """The customers who fall ill after lunch from the one kitchen, and complain."""
    lunches = [o for o in made if windows.poisoned(o) and o.delivered_at is not None]
    ill = draw.sample(lunches, max(3, round(0.35 * len(lunches))))
    last = windows.day + _hours(CLUSTER_FILED_BY)
    kind = Kind("food_safety", "food_poisoning", "urgent", "quality")
    filed = []
    for order in ill:
        assert order.delivered_at is not None
        at = min(order.delivered_at + draw.minutes(180, 0.3, 90, 330), last)
        filed.append((at, order, draw.weighted((("phone", 60), ("app", 40)))))
    filed.sort(key=lambda f: f[0])
    # the first few fall ill close together: within the food-safety rule's window
    first = filed[0][0]
    filed = [
        (min(at, first + CLUSTER_SPREAD) if n < FOOD_RULE.threshold else at, order, channel)
        for n, (at, order, channel) in enumerate(filed)
    ]
    cluster = [
        ComplaintFacts(
            index,
            order.customer,
            order,
            plan.distinct("complaint", at),
            kind,
            channel,
            99,
            incident_key=FOOD_SAFETY,
        )
        for index, (at, order, channel) in enumerate(filed)
    ]
    cluster.sort(key=lambda c: c.filed_at)
    return cluster


def cluster_accepted_at(cluster: list[ComplaintFacts], stories: list[ComplaintStory]) -> datetime:
    """When the commander accepts the cluster: a few minutes after the detector (running each
    minute) sees `threshold` classified complaints filed within the rule's window."""
    seen: list[datetime] = []
    times = [(s.classified_at, c.filed_at) for s, c in zip(stories, cluster, strict=True)]
    for classified, filed in sorted((at, filed) for at, filed in times if at is not None):
        seen.append(filed)
        if formed(sorted(seen)):
            return classified + TICK + ACCEPT_AFTER
    raise ValueError("the poisoned complaints form no cluster: the plan and the rule disagree")


def formed(filed: list[datetime]) -> bool:
    n = FOOD_RULE.threshold
    return any(filed[i + n - 1] - filed[i] <= FOOD_RULE.window for i in range(len(filed) - n + 1))


def complaints(
    plan: Plan,
    draw: Draw,
    made: list[OrderFacts],
    customers: list[CustomerFacts],
    windows: Windows,
    taken: int,
) -> list[ComplaintFacts]:
    wanted = max(MIN_COMPLAINTS, round(COMPLAINT_RATE * len(made))) - taken
    until = windows.day + timedelta(hours=20)
    pool = [
        o
        for o in made
        if o.ended_at is not None
        and o.ended_at <= until
        and o.fate not in (Fate.REJECTED, Fate.EXPIRED)
        and not windows.poisoned(o)
    ]
    weights = {Fate.LATE: 6, Fate.REDELIVERED: 8, Fate.RETURNED: 8, Fate.CANCELLED: 3}
    chosen: list[OrderFacts | None] = list(
        draw.weighted_sample(pool, [weights.get(o.fate, 1) for o in pool], wanted - wanted // 12)
    )
    chosen += [None] * (wanted // 12)  # about accounts and marketing, no order
    filed = []
    for order in chosen:
        if order is None:
            customer = draw.pick(customers)
            at = max(customer.first_order_at, windows.day + timedelta(hours=9))
            at += draw.minutes(120, 0.8, 5, 480)
        else:
            assert order.ended_at is not None
            customer, at = order.customer, order.ended_at + draw.minutes(25, 0.8, 3, 150)
        filed.append((plan.distinct("complaint", at), customer, order))
    filed.sort(key=lambda f: f[0])
    return [
        ComplaintFacts(
            taken + slot,
            customer,
            order,
            at,
            kind_of(draw, order, slot),
            draw.weighted(COMPLAINT_CHANNELS),
            slot,
        )
        for slot, (at, customer, order) in enumerate(filed)
    ]


def incidents(
    plan: Plan,
    windows: Windows,
    made: list[OrderFacts],
    cluster: list[ComplaintFacts],
    accepted: datetime,
) -> None:
    food_safety(
        plan,
        accepted,
        [o for o in made if windows.poisoned(o) and o.delivered_at],
        [c.key for c in cluster if c.filed_at >= accepted],
        cluster[-1].filed_at,
    )
    hit = [o for o in made if windows.in_outage(o) and o.fate in (Fate.LATE, Fate.EXPIRED)]
    outage(plan, windows.outage[0], hit)
    rainstorm(plan, windows.storm[0], windows.storm_regions)


def surveys(plan: Plan, draw: Draw, made: list[OrderFacts], filed: list[ComplaintFacts]) -> None:
    subjects = [
        Subject(
            "order",
            o.key,
            o.customer,
            o.delivered_at,
            "late" if o.fate is Fate.LATE else "good",
            o.correlation,
        )
        for o in made
        if o.delivered_at is not None and draw.chance(0.4)
    ]
    subjects += [
        Subject(
            "complaint",
            c.key,
            c.customer,
            c.closed_at,
            "disputed" if c.disputed else "helped",
            f"complaint-{c.index}",
        )
        for c in filed
        if c.closed_at is not None
    ]
    plan_surveys(plan, draw, subjects)


def _hours(moment: time) -> timedelta:
    return timedelta(hours=moment.hour, minutes=moment.minute)
