"""A large, realistic event history for benchmarks, built fast.

Aggregates are driven through their own command methods (so every event is a real, valid domain
event with metadata), then saved many aggregates per transaction. Idempotency receipts are not
written: they matter to commands, not to reading the log.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from application.app import CareLedger
from domain.complaint import Complaint
from domain.meta import Actor, ActorKind, Channel, Meta
from domain.order import Order
from domain.order_types import OrderItem
from domain.survey import Scores, Survey
from domain.values import Sealed

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
AGENT = Actor(ActorKind.AGENT, "agent-1", "agent")
CUSTOMER = Actor(ActorKind.CUSTOMER, "customer", "customer")
CATEGORIES = ["product_quality", "service_attitude", "after_sales", "logistics", "food_safety"]
SEVERITIES = ["general"] * 6 + ["major"] * 3 + ["urgent"]
CHANNELS = ["app", "web", "phone", "chat", "email"]
REGIONS = ["chaoyang", "haidian", "dongcheng", "xicheng", "fengtai"]


class Clock:
    def __init__(self, rng: random.Random, start: datetime) -> None:
        self.rng = rng
        self.now = start

    def meta(self, minutes: float, actor: Actor = AGENT) -> Meta:
        self.now += timedelta(minutes=minutes)
        return Meta(
            actor=actor,
            occurred_at=self.now,
            command_id=str(uuid4()),
            correlation_id="bench",
            channel=Channel.APP,
        )


def sealed(customer: UUID) -> Sealed:
    return Sealed(subject=str(customer), token="v1.bench-not-personal-data")


def order(rng: random.Random, at: datetime) -> Order:
    c = Clock(rng, at)
    customer = uuid4()
    o = Order.receive(
        c.meta(0, CUSTOMER),
        id=uuid4(),
        customer_id=customer,
        restaurant="r-1",
        region=rng.choice(REGIONS),
        items=[OrderItem("noodles", 1, Decimal("30"))],
        amount="30.00",
        promised_at=c.now + timedelta(minutes=40),
        address=sealed(customer),
        channel=rng.choice(CHANNELS),
    )
    o.confirm(c.meta(1))
    o.start_preparation(c.meta(3))
    o.pack(c.meta(rng.uniform(8, 20)))
    o.assign_courier(c.meta(1), "courier-1", "fleet")
    o.pick_up(c.meta(rng.uniform(3, 10)))
    o.deliver(c.meta(rng.uniform(10, 25)))
    return o


def received(rng: random.Random, at: datetime) -> tuple[Clock, UUID, Complaint]:
    """A complaint received at `at` by a new customer, about no order, by a random channel;
    with the clock that goes on from there and the customer's id."""
    c = Clock(rng, at)
    customer = uuid4()
    x = Complaint.receive(
        c.meta(0, CUSTOMER),
        id=uuid4(),
        customer_id=customer,
        order_id=None,
        content=sealed(customer),
        channel=rng.choice(CHANNELS),
    )
    return c, customer, x


def complaint(rng: random.Random, at: datetime) -> Complaint:
    c, customer, x = received(rng, at)
    x.reply(c.meta(rng.uniform(0.5, 5)), sealed(customer))
    x.classify(
        c.meta(rng.uniform(1, 10)), rng.choice(CATEGORIES), "general", rng.choice(SEVERITIES)
    )
    x.assign_responsibility(c.meta(2), "customer_service", "agent-1")
    x.start_work(c.meta(5))
    if rng.random() < 0.3:
        x.put_on_hold(c.meta(10), "customer")
        x.resume(c.meta(rng.uniform(30, 240)))
    x.propose_solution(c.meta(rng.uniform(20, 600)), "apology", None, None)
    x.resolve(c.meta(5), "explained")
    if rng.random() < 0.1:
        x.dispute_resolution(c.meta(60, CUSTOMER))
        x.start_work(c.meta(10))
        x.propose_solution(c.meta(60), "voucher", "5.00", None)
        x.resolve(c.meta(5), "compensated")
    if x.severity != "general":
        x.record_root_cause(c.meta(30), sealed(customer), sealed(customer), None)
    x.close(c.meta(60), "agent")
    return x


def survey(rng: random.Random, at: datetime) -> Survey:
    c = Clock(rng, at)
    customer = uuid4()
    s = Survey.send(c.meta(0), customer, "order", uuid4(), "sms", id=uuid4())
    if rng.random() < 0.7:
        s.respond(
            c.meta(rng.uniform(5, 600), CUSTOMER),
            Scores(*(rng.randint(1, 5) for _ in range(5))),
            None,
        )
    else:
        s.expire(c.meta(72 * 60))
    return s


def aggregates(seed: int) -> Iterator[Order | Complaint | Survey]:
    """An endless mix: per 10 entities about 5 orders, 3 complaints and 2 surveys."""
    rng = random.Random(seed)
    at = START
    while True:
        at += timedelta(seconds=rng.uniform(5, 40))
        kind = rng.random()
        if kind < 0.5:
            yield order(rng, at)
        elif kind < 0.8:
            yield complaint(rng, at)
        else:
            yield survey(rng, at)


def fill(app: CareLedger, events: int, seed: int = 7, per_save: int = 200) -> int:
    """Saves aggregates until at least `events` events are stored; returns how many were."""
    stored = app.recorder.max_notification_id() or 0
    pending: list[Order | Complaint | Survey] = []
    for aggregate in aggregates(seed):
        pending.append(aggregate)
        stored += len(aggregate.pending_events)
        if len(pending) == per_save or stored >= events:
            app.save(*pending)
            pending.clear()
        if stored >= events:
            return stored
    raise AssertionError("unreachable")
