"""One order's story, from checkout to the door (or to a refusal, a cancellation, a return)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from demo import cast
from demo.draw import Draw
from demo.facts import Fate, OrderFacts
from demo.order_times import COURIER, PICKUP, PREP, START, Timeline, late, natural
from demo.order_times import on_time as squeezed
from demo.plan import SECOND, Plan, Story
from demo.world import CONFIRMATION_VIA, PROVIDERS

REJECT_REASONS = ("restaurant_busy", "out_of_stock", "closed_early", "outside_delivery_area")
CANCELLED_INSTEAD_OF = {"customer": START, "merchant": PREP, "platform": COURIER, "courier": PICKUP}
CANCEL_REASONS = {
    "customer": "changed_mind",
    "merchant": "out_of_stock",
    "platform": "no_courier_available",
    "courier": "courier_accident",
}
FAILURES = (("unreachable", 40), ("address", 25), ("refused", 15), ("force_majeure", 20))
ATTRIBUTED_BY_DESK = {"platform": "dispatch_outage", "force_majeure": "storm"}
GUARANTEE_AFTER = timedelta(minutes=20)
GUARANTEE = Decimal("5.00")


class OrderStory:
    def __init__(self, plan: Plan, draw: Draw, order: OrderFacts) -> None:
        self.plan = plan
        self.draw = draw
        self.order = order
        self.key = order.key
        self.story = Story(plan, order.received_at - SECOND, order.correlation)
        self.merchant = cast.merchant(order.restaurant.name)
        self.courier = cast.courier(draw.integer(1, 2400))

    def write(self) -> None:
        self.receive()
        fate = self.order.fate
        if fate is Fate.REJECTED:
            return self.reject()
        if fate is Fate.EXPIRED:
            return self.expire()
        timeline = self.timeline()
        cut = CANCELLED_INSTEAD_OF.get(self.order.cause or "") if fate is Fate.CANCELLED else None
        self.accept(timeline)
        for stage, run in (
            (START, self.cook),
            (PREP, self.pack),
            (COURIER, self.dispatch),
            (PICKUP, self.pick_up),
        ):
            if cut is not None and stage == cut:
                return self.cancel()
            run(timeline)
        self.ride(timeline)

    def timeline(self) -> Timeline:
        order = self.order
        shape = natural(self.draw, order.restaurant.brand, order.received_at)
        if order.fate is Fate.LATE:
            assert order.cause is not None
            shape = late(shape, order.promised_at, order.cause, order.late_by)
            order.late_by = shape.delivered - order.promised_at
            return shape
        return squeezed(shape, order.promised_at)

    def receive(self) -> None:
        o, key = self.order, self.key
        address = o.customer.person.contact.address or ""
        customer = o.customer.key
        self.story.at(
            o.received_at,
            o.customer.actor,
            f"receive_order {key}",
            lambda c, m: c.app.receive_order(
                m,
                customer_id=c[customer],
                restaurant=o.restaurant.name,
                region=o.restaurant.region.code,
                items=o.items,
                amount=o.amount,
                promised_at=o.promised_at,
                address=address,
                channel=o.channel,
            ),
            creates=key,
            channel=o.channel,
        )

    def reject(self) -> None:
        key, reason = self.key, self.draw.pick(REJECT_REASONS)
        self.story.then(
            self.draw.minutes(2, 0.5, 0.5, 8),
            self.merchant,
            f"reject_order {key}",
            lambda c, m: c.app.reject_order(m, c[key], reason),
            reason=reason,
        )
        self.order.ended_at = self.story.now

    def expire(self) -> None:
        key = self.key
        self.story.then(
            timedelta(minutes=10),
            cast.ORDER_TIMEOUT,
            f"expire_order {key}",
            lambda c, m: c.app.expire_order(m, c[key]),
            reason="not_accepted_in_time",
        )
        self.order.ended_at = self.story.now

    def accept(self, timeline: Timeline) -> None:
        key, via = self.key, self.draw.weighted(CONFIRMATION_VIA)
        self.story.at(
            timeline.at(0),
            self.merchant,
            f"confirm_order {key}",
            lambda c, m: c.app.confirm_order(m, c[key]),
        )
        self.story.then(
            self.draw.seconds(3, 20),
            cast.NOTIFIER,
            f"send_confirmation {key}",
            lambda c, m: c.app.send_order_confirmation(m, c[key], via),
            caused=True,
        )
        if self.draw.chance(0.3):
            station = f"station-{self.draw.integer(1, 6)}"
            self.story.then(
                self.draw.seconds(10, 60),
                self.merchant,
                f"assign_kitchen {key}",
                lambda c, m: c.app.assign_order_department(m, c[key], "kitchen", station),
            )

    def cook(self, timeline: Timeline) -> None:
        key = self.key
        self.story.at(
            timeline.at(START),
            self.merchant,
            f"start_preparation {key}",
            lambda c, m: c.app.start_preparation(m, c[key]),
        )
        if self.order.fate is Fate.LATE and self.order.cause == "merchant":
            started = self.story.now
            self.eta_update(started + (timeline.at(PREP) - started) * 0.5, timeline.delivered)

    def pack(self, timeline: Timeline) -> None:
        key = self.key
        self.story.at(
            timeline.at(PREP),
            self.merchant,
            f"pack_order {key}",
            lambda c, m: c.app.pack_order(m, c[key]),
        )

    def dispatch(self, timeline: Timeline) -> None:
        key, provider = self.key, self.draw.pick(PROVIDERS)
        courier = self.courier.id
        self.story.at(
            timeline.at(COURIER),
            cast.DISPATCH,
            f"assign_courier {key}",
            lambda c, m: c.app.assign_courier(m, c[key], courier, provider),
        )
        if self.order.fate is Fate.LATE and self.order.cause == "platform":
            self.eta_update(timeline.at(PREP) + timedelta(minutes=5), timeline.delivered)

    def pick_up(self, timeline: Timeline) -> None:
        key = self.key
        self.story.at(
            timeline.at(PICKUP),
            self.courier,
            f"pick_up_order {key}",
            lambda c, m: c.app.pick_up_order(m, c[key]),
        )
        if self.order.fate is Fate.LATE and self.order.cause in ("courier", "force_majeure"):
            self.eta_update(self.story.now + timedelta(minutes=2), timeline.delivered)
        elif self.order.fate is Fate.DELIVERED and self.draw.chance(0.12):
            self.eta_update(self.story.now + timedelta(minutes=1), timeline.delivered)

    def ride(self, timeline: Timeline) -> None:
        if self.order.fate in (Fate.REDELIVERED, Fate.RETURNED):
            return self.fail(timeline.delivered)
        self.deliver(timeline.delivered)
        if self.order.fate is Fate.LATE:
            self.record_late()

    def deliver(self, at: datetime) -> None:
        key = self.key
        self.story.at(
            at, self.courier, f"deliver_order {key}", lambda c, m: c.app.deliver_order(m, c[key])
        )
        self.order.ended_at = self.order.delivered_at = self.story.now

    def fail(self, at: datetime) -> None:
        key = self.key
        reason = self.order.cause or self.draw.weighted(FAILURES)
        self.story.at(
            at,
            self.courier,
            f"fail_delivery {key}",
            lambda c, m: c.app.fail_delivery(m, c[key], reason),
            reason=reason,
        )
        if self.order.fate is Fate.REDELIVERED:
            self.story.then(
                self.draw.minutes(15, 0.4, 5, 40),
                self.courier,
                f"pick_up_again {key}",
                lambda c, m: c.app.pick_up_order(m, c[key]),
            )
            return self.deliver(self.story.now + self.draw.minutes(8, 0.4, 3, 25))
        self.story.then(
            self.draw.minutes(20, 0.4, 8, 60),
            self.courier,
            f"mark_returned {key}",
            lambda c, m: c.app.mark_order_returned(m, c[key]),
        )
        self.order.ended_at = self.story.now
        self.refund(self.order.refundable, "cancellation")

    def cancel(self) -> None:
        key, party = self.key, self.order.cause or "customer"
        reason = CANCEL_REASONS[party]
        actor = {
            "customer": self.order.customer.actor,
            "merchant": self.merchant,
            "platform": cast.DISPATCH,
        }.get(party, self.courier)
        self.story.then(
            self.draw.minutes(3, 0.6, 0.5, 15),
            actor,
            f"cancel_order {key}",
            lambda c, m: c.app.cancel_order(m, c[key], reason, party),
            reason=reason,
        )
        self.order.ended_at = self.story.now
        self.refund(self.order.refundable, "cancellation")

    def refund(self, amount: Decimal, origin: str) -> None:
        key, amount = self.key, min(amount, self.order.room)
        if amount <= 0:
            return  # the order's ledger has paid out all the customer paid
        self.story.then(
            self.draw.seconds(30, 150),
            cast.PAYMENTS,
            f"record_refund {key}",
            lambda c, m: c.app.record_refund(m, c[key], amount, origin),
            reason=origin,
            caused=True,
        )
        self.order.refunded += amount
        self.order.paid_out += amount

    def eta_update(self, at: datetime, delivered: datetime) -> None:
        """A new ETA from the estimator, if it comes a minute before the promise or more."""
        if at > self.order.promised_at - timedelta(minutes=1):
            return
        key = self.key
        eta = max(delivered + self.draw.seconds(-120, 180), at + timedelta(minutes=2))
        self.plan.add(
            at,
            cast.ETA_ESTIMATOR,
            f"update_eta {key}",
            lambda c, m: c.app.update_eta(m, c[key], eta),
            correlation=self.order.correlation,
        )

    def record_late(self) -> None:
        """The dispatch desk attributes a storm or an outage itself, the second the promise
        passes (before the watchdog, which can only tell the kitchen from the ride)."""
        order, key = self.order, self.key
        cause = order.cause or ""
        if cause in ATTRIBUTED_BY_DESK:
            self.plan.add(
                order.promised_at + SECOND,
                cast.DISPATCH_DESK,
                f"record_order_late {key}",
                lambda c, m: c.app.record_order_late(m, c[key], cause),
                correlation=order.correlation,
                reason=ATTRIBUTED_BY_DESK[cause],
            )
        if order.late_by >= GUARANTEE_AFTER:
            self.refund(min(GUARANTEE, order.refundable), "guarantee")
