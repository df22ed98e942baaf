"""Who orders what, when and through which channel; and what becomes of each order.

Arrivals follow the hour-by-hour demand of world.HOURLY_DEMAND. Each order's fate is chosen by
exact counts (so even a small day has some of each): rejected 1.5 %, expired 0.5 %, cancelled 3 %,
failed deliveries 1.5 % (60 % delivered on a second attempt), late 10 %; orders in a storm or the
dispatch outage are likelier to be late, expire or fail, and carry that cause.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from demo import cast
from demo.draw import Draw
from demo.facts import CustomerFacts, Fate, OrderFacts
from demo.order_times import quote
from demo.people import person
from demo.plan import Plan
from demo.world import (
    DELIVERY_FEE,
    FOOD_SAFETY_BRAND,
    HOURLY_DEMAND,
    ORDER_CHANNELS,
    REGIONS,
    RESTAURANTS,
    Restaurant,
)
from domain.order_types import OrderItem

RATES = {Fate.REJECTED: 0.015, Fate.EXPIRED: 0.005, Fate.CANCELLED: 0.03, Fate.LATE: 0.10}
FAILED_RATE = 0.015
CANCELLING = (("customer", 60), ("merchant", 25), ("platform", 10), ("courier", 5))
LAST_SETTLED = time(21, 45)  # orders after this are left to run past the day's end


@dataclass(frozen=True)
class Windows:
    """The day's special hours."""

    day: datetime  # midnight
    lunch: tuple[datetime, datetime]
    storm: tuple[datetime, datetime]
    storm_regions: tuple[str, ...]
    outage: tuple[datetime, datetime]
    food_safety_kitchen: Restaurant

    def during(self, window: tuple[datetime, datetime], at: datetime) -> bool:
        return window[0] <= at < window[1]

    def in_storm(self, order: OrderFacts) -> bool:
        in_region = order.restaurant.region.code in self.storm_regions
        return in_region and self.during(self.storm, order.received_at)

    def in_outage(self, order: OrderFacts) -> bool:
        return self.during(self.outage, order.received_at)

    def poisoned(self, order: OrderFacts) -> bool:
        return order.restaurant == self.food_safety_kitchen and self.during(
            self.lunch, order.received_at
        )


def windows_of(day: datetime) -> Windows:
    def at(hour: int, minute: int = 0) -> datetime:
        return day + timedelta(hours=hour, minutes=minute)

    kitchen = next(
        r for r in RESTAURANTS if r.brand.name == FOOD_SAFETY_BRAND and r.region.code == "chaoyang"
    )
    return Windows(
        day,
        (at(11), at(13, 30)),
        (at(16, 30), at(18, 30)),
        ("chaoyang", "tongzhou"),
        (at(18, 40), at(19, 20)),
        kitchen,
    )


def arrivals(plan: Plan, draw: Draw, windows: Windows, count: int) -> list[datetime]:
    hours = list(HOURLY_DEMAND.items())
    times = []
    for _ in range(count):
        hour = draw.weighted(hours)
        at = windows.day + timedelta(hours=hour, seconds=draw.integer(0, 3599))
        times.append(max(at, windows.day + timedelta(hours=8, minutes=2)))
    return [plan.distinct("received", at) for at in sorted(times)]


def orders(plan: Plan, draw: Draw, windows: Windows, count: int) -> list[OrderFacts]:
    customers: list[CustomerFacts] = []
    forced = max(4, round(0.004 * count))  # lunches from the kitchen that will make people ill
    made: list[OrderFacts] = []
    for index, received in enumerate(arrivals(plan, draw, windows, count)):
        customer = customer_for(plan, draw, customers, received)
        restaurant = restaurant_for(draw, customer, index)
        if forced and windows.during(windows.lunch, received):
            restaurant, forced = windows.food_safety_kitchen, forced - 1
        made.append(order_of(plan, draw, index, customer, restaurant, received))
    return made


def customer_for(
    plan: Plan, draw: Draw, customers: list[CustomerFacts], at: datetime
) -> CustomerFacts:
    if customers and draw.chance(0.25):
        return draw.pick(customers)
    index = len(customers)
    actor = cast.customer(plan.namespace, index)
    customers.append(CustomerFacts(index, person(draw), actor, at))
    return customers[-1]


def restaurant_for(draw: Draw, customer: CustomerFacts, index: int) -> Restaurant:
    """Mostly near the customer; the day's first orders visit every region once."""
    region = customer.person.region if draw.chance(0.85) else None
    if index < len(REGIONS):
        region = REGIONS[index]
    choices = [r for r in RESTAURANTS if region is None or r.region == region]
    return draw.pick(choices)


def order_of(
    plan: Plan,
    draw: Draw,
    index: int,
    customer: CustomerFacts,
    restaurant: Restaurant,
    received: datetime,
) -> OrderFacts:
    menu = restaurant.brand.menu
    dishes = draw.sample(menu, draw.weighted(((1, 35), (2, 40), (3, 20), (4, 5))))
    items = [
        OrderItem(name, draw.weighted(((1, 80), (2, 17), (3, 3))), Decimal(price))
        for name, price in dishes
    ]
    amount = sum((i.unit_price * i.quantity for i in items), draw.pick(DELIVERY_FEE))
    promise = plan.distinct("promise", received + quote(restaurant.brand))
    channel = draw.weighted(ORDER_CHANNELS)
    if index < len(ORDER_CHANNELS):  # the day's first orders come through every channel once
        channel = ORDER_CHANNELS[index][0]
    return OrderFacts(index, customer, restaurant, channel, received, items, amount, promise)


def assign_fates(draw: Draw, windows: Windows, made: list[OrderFacts]) -> None:
    last = windows.day + timedelta(hours=LAST_SETTLED.hour, minutes=LAST_SETTLED.minute)
    pool = [o for o in made if o.received_at <= last and not windows.poisoned(o)]
    n = len(made)

    def choose(rate: float, minimum: int, weight: dict[str, float]) -> list[OrderFacts]:
        chosen = draw.weighted_sample(
            pool, [_weight(windows, o, weight) for o in pool], max(minimum, round(rate * n))
        )
        for order in chosen:
            pool.remove(order)
        return chosen

    late_ones = choose(RATES[Fate.LATE], 3, {"storm": 3, "outage": 3})
    for i, order in enumerate(late_ones):
        order.fate = Fate.LATE
        order.late_by = draw.minutes(8, 0.7, 2, 90)
        order.cause = late_cause(draw, windows, order, i)
    for order in choose(RATES[Fate.REJECTED], 1, {}):
        order.fate = Fate.REJECTED
    for order in choose(RATES[Fate.EXPIRED], 1, {"outage": 12}):
        order.fate = Fate.EXPIRED
    for order in choose(RATES[Fate.CANCELLED], 1, {"outage": 3}):
        order.fate = Fate.CANCELLED
        order.cause = "platform" if windows.in_outage(order) else draw.weighted(CANCELLING)
    for i, order in enumerate(choose(FAILED_RATE, 2, {"storm": 4})):
        order.fate = Fate.REDELIVERED if i % 5 in (0, 2, 4) else Fate.RETURNED
        order.cause = "force_majeure" if windows.in_storm(order) else None


def late_cause(draw: Draw, windows: Windows, order: OrderFacts, i: int) -> str:
    if windows.in_storm(order):
        return "force_majeure"
    if windows.in_outage(order):
        return "platform"
    if i < 2:  # both kinds of lateness the watchdog tells apart, even on a tiny day
        return ("merchant", "courier")[i]
    return draw.weighted((("merchant", 45), ("courier", 55)))


def _weight(windows: Windows, order: OrderFacts, weight: dict[str, float]) -> float:
    if windows.in_storm(order):
        return weight.get("storm", 1)
    if windows.in_outage(order):
        return weight.get("outage", 1)
    return 1
