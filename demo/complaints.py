"""One complaint's story: received, answered, classified, worked on (perhaps on hold), solved,
compensated, resolved, and confirmed or disputed by the customer."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from demo import cast
from demo.complaint_kinds import (
    FUNDED_BY,
    GENERIC_ROOT_CAUSE,
    OUTCOMES,
    REMEDIES,
    ROOT_CAUSES,
    text_of,
)
from demo.complaint_traits import ComplaintFacts, traits_of
from demo.draw import Draw
from demo.plan import SECOND, Plan, Story
from domain.meta import Actor, ActorKind

WORK = {"general": (55, 8, 480), "major": (45, 8, 420), "urgent": (40, 5, 330)}
HANDBACK = {"technical": (35, 5, 150), "after_sales": (90, 10, 600)}
ZERO = Decimal("0.00")


class ComplaintStory:
    def __init__(self, plan: Plan, draw: Draw, complaint: ComplaintFacts) -> None:
        self.plan = plan
        self.draw = draw
        self.c = complaint
        self.key = complaint.key
        self.story = Story(plan, complaint.filed_at - SECOND, f"complaint-{complaint.index}")
        self.agent = draw.pick(cast.AGENTS)
        self.desk = f"{complaint.kind.department}-desk-{draw.integer(1, 4)}"
        self.compensated = ZERO
        self.traits = traits_of(draw, complaint)
        self.severity = complaint.kind.severity
        self.classified_at: datetime | None = None

    def write(self) -> None:
        self.begin()
        self.finish()

    def begin(self) -> None:
        """Up to the classification (`classified_at`): what a cluster detector sees."""
        self.receive()
        self.answer()
        self.triage()

    def finish(self) -> None:
        self.work()
        self.solve(first=True)
        self.react()

    def receive(self) -> None:
        c, key = self.c, self.key
        text, customer = text_of(c.kind, c.order), c.customer.key
        order = None if c.order is None else c.order.key
        self.story.at(
            c.filed_at,
            c.customer.actor,
            f"file_complaint {key}",
            lambda x, m: x.app.file_complaint(
                m,
                customer_id=x[customer],
                order_id=None if order is None else x[order],
                content=text,
                channel=c.channel,
            ),
            creates=key,
            channel=c.channel,
        )
        if self.traits.duplicate:
            self.duplicate()

    def duplicate(self) -> None:
        c, key, dup = self.c, self.key, f"{self.key}:duplicate"
        customer, text = c.customer.key, "Calling again about the complaint I sent in the app."
        story = Story(self.plan, c.filed_at, f"complaint-{c.index}")
        story.then(
            self.draw.minutes(6, 0.5, 2, 20),
            c.customer.actor,
            f"file_complaint {dup}",
            lambda x, m: x.app.file_complaint(
                m, customer_id=x[customer], order_id=None, content=text, channel="phone"
            ),
            creates=dup,
            channel="phone",
        )
        story.then(
            self.draw.minutes(3, 0.5, 1, 15),
            self.agent,
            f"merge_complaint {dup}",
            lambda x, m: x.app.merge_complaint(m, x[dup], x[key]),
            reason="duplicate",
        )

    def answer(self) -> None:
        key, t = self.key, self.traits
        if t.chase:
            self.customer_says(
                "Hello? Is anyone looking at this?",
                min(t.first_response * 0.6, timedelta(minutes=3)),
            )
        self.story.at(
            self.c.filed_at + t.first_response,
            self.agent,
            f"reply {key}",
            lambda x, m: x.app.reply_to_customer(
                m, x[key], "Sorry about this - we are looking into it right now."
            ),
            channel=self.c.channel,
        )

    def triage(self) -> None:
        key, kind, t = self.key, self.c.kind, self.traits
        self.classified_at = self.story.then(
            self.draw.minutes(3, 0.6, 0.5, 20),
            self.agent,
            f"classify {key}",
            lambda x, m: x.app.classify_complaint(
                m, x[key], kind.category, kind.subcategory, kind.severity
            ),
        ).at
        if t.reclassify:
            severity = self.severity = "major" if kind.severity == "general" else kind.severity
            self.story.then(
                self.draw.minutes(12, 0.5, 3, 40),
                self.agent,
                f"reclassify {key}",
                lambda x, m: x.app.reclassify_complaint(
                    m, x[key], kind.category, kind.subcategory, severity
                ),
                reason="new_information",
            )
        if t.escalate:
            self.story.then(
                self.draw.minutes(6, 0.5, 1, 20),
                cast.SUPERVISOR,
                f"escalate {key}",
                lambda x, m: x.app.escalate_complaint(m, x[key]),
                reason="repeat_customer",
            )
        desk = self.desk
        self.story.then(
            self.draw.minutes(4, 0.6, 0.5, 30),
            self.agent,
            f"assign {key}",
            lambda x, m: x.app.assign_responsibility(m, x[key], kind.department, desk),
        )

    def handback(self) -> None:
        """The department the complaint went to answers the agent (its hand-back clock)."""
        key, department = self.key, self.c.kind.department
        if department not in HANDBACK:
            return
        median, low, high = HANDBACK[department]
        self.story.then(
            self.draw.minutes(median, 0.6, low, high),
            Actor(ActorKind.AGENT, self.desk, department),
            f"department_reply {key}",
            lambda x, m: x.app.record_department_reply(m, x[key], department),
        )

    def work(self) -> None:
        key, hold = self.key, self.traits.hold
        self.story.then(
            self.draw.minutes(3, 0.7, 0.5, 30),
            self.agent,
            f"start_work {key}",
            lambda x, m: x.app.start_work(m, x[key]),
        )
        self.handback()
        if self.c.investigated_at is not None:
            hold = "restaurant"
        if hold is None:
            return
        self.story.then(
            self.draw.minutes(8, 0.6, 1, 40),
            self.agent,
            f"put_on_hold {key}",
            lambda x, m: x.app.put_on_hold(m, x[key], hold),
            reason=f"waiting_on_{hold}",
        )
        if self.c.investigated_at is not None:
            self.story.now = max(self.story.now, self.c.investigated_at)
            self.link_incident()
        elif hold == "customer":
            self.customer_says(
                "Here are the photos you asked for.", self.draw.minutes(20, 0.8, 2, 180)
            )
        self.story.then(
            self.draw.minutes(4, 0.6, 1, 40),
            self.agent,
            f"resume {key}",
            lambda x, m: x.app.resume_complaint(m, x[key]),
        )

    def link_incident(self) -> None:
        key, incident = self.key, self.c.incident_key
        assert incident is not None
        self.story.then(
            self.draw.seconds(30, 300),
            self.agent,
            f"link_incident {key}",
            lambda x, m: x.app.link_complaint(m, x[key], incident_id=x[incident]),
        )

    def solve(self, first: bool) -> None:
        key = self.key
        remedy, amount = self.remedy(first)
        median, low, high = WORK[self.severity] if first else (25, 5, 120)
        self.story.then(
            self.draw.minutes(median, 0.8, low, high),
            self.agent,
            f"propose_solution {key}",
            lambda x, m: x.app.propose_solution(m, x[key], remedy, amount),
        )
        if amount is not None and self.c.order is not None:
            self.compensate(remedy, amount)
        outcome = OUTCOMES[remedy]
        if remedy == "apology" and self.draw.chance(0.1):
            outcome = "rejected"
        self.story.then(
            self.draw.minutes(2, 0.6, 0.3, 10),
            self.agent,
            f"resolve {key}",
            lambda x, m: x.app.resolve_complaint(m, x[key], outcome),
        )
        self.c.resolved_at = self.story.now
        if first and self.severity in ("major", "urgent"):
            self.root_cause()

    def remedy(self, first: bool) -> tuple[str, Decimal | None]:
        order, category = self.c.order, self.c.kind.category
        if order is None:
            return "apology", None
        remedy = self.draw.weighted(REMEDIES[category]) if first else "voucher"
        if self.c.incident_key is not None:
            remedy = "full_refund"  # the kitchen made them ill: every yuan back
        room = min(order.amount - self.compensated, order.room)
        if remedy in ("full_refund", "partial_refund") and min(order.refundable, room) <= ZERO:
            remedy = "voucher"
        if remedy == "full_refund":
            return remedy, min(order.refundable, room)
        if remedy == "partial_refund":
            share = self.draw.money(float(order.amount) * 0.2, float(order.amount) * 0.5)
            return remedy, min(share, order.refundable, room)
        if remedy == "voucher":
            voucher = min(self.draw.money(5, 20, "5.00"), room)
            return ("voucher", voucher) if voucher > ZERO else ("apology", None)
        return remedy, None

    def compensate(self, remedy: str, amount: Decimal) -> None:
        order = self.c.order
        assert order is not None
        key, order_key = self.key, order.key
        funder = FUNDED_BY.get(self.c.kind.category, "platform")
        self.story.then(
            self.draw.seconds(20, 240),
            self.agent,
            f"issue_compensation {key}",
            lambda x, m: x.app.issue_compensation(m, x[key], amount, funder),
        )
        self.compensated += amount
        order.paid_out += amount
        if remedy in ("full_refund", "partial_refund"):
            self.story.then(
                self.draw.seconds(10, 90),
                cast.PAYMENTS,
                f"record_refund {order_key}",
                lambda x, m: x.app.record_refund(m, x[order_key], amount, "complaint"),
                reason="complaint",
                caused=True,
            )
            order.refunded += amount

    def root_cause(self) -> None:
        key, incident = self.key, self.c.incident_key
        cause, action = ROOT_CAUSES.get(self.c.kind.subcategory, GENERIC_ROOT_CAUSE)
        self.story.then(
            self.draw.minutes(10, 0.6, 2, 60),
            self.agent,
            f"root_cause {key}",
            lambda x, m: x.app.record_root_cause(
                m, x[key], cause, action, None if incident is None else x[incident]
            ),
        )

    def react(self) -> None:
        reaction, key = self.traits.reaction, self.key
        if reaction == "silent":
            return
        customer = self.c.customer.actor
        if reaction == "dispute":
            self.customer_says(
                "This does not solve my problem.", self.draw.minutes(30, 0.7, 5, 180)
            )
            self.story.then(
                self.draw.seconds(10, 60),
                customer,
                f"dispute {key}",
                lambda x, m: x.app.dispute_resolution(m, x[key]),
                reason="not_satisfied",
            )
            self.c.disputed = True
            self.story.then(
                self.draw.minutes(10, 0.6, 2, 60),
                self.agent,
                f"start_again {key}",
                lambda x, m: x.app.start_work(m, x[key]),
            )
            self.solve(first=False)
        self.story.then(
            self.draw.minutes(25, 0.8, 3, 240),
            customer,
            f"confirm {key}",
            lambda x, m: x.app.confirm_satisfied(m, x[key]),
            channel=self.c.channel,
        )
        self.story.then(
            self.draw.seconds(5, 60),
            customer,
            f"close {key}",
            lambda x, m: x.app.close_complaint(m, x[key], "customer"),
        )
        self.c.satisfied = True
        self.c.closed_at = self.story.now

    def customer_says(self, text: str, after: timedelta) -> None:
        key = self.key
        self.story.then(
            after,
            self.c.customer.actor,
            f"customer_message {key}",
            lambda x, m: x.app.receive_customer_message(m, x[key], text),
            channel=self.c.channel,
        )
