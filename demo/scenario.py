"""A short scripted day: one order, one complaint, one survey, one incident (from a detected
complaint cluster), one erasure."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from application.app import CareLedger
from application.customers import ContactDetails
from application.handling import created_by
from domain.cluster import ClusterDetection, detection_id
from domain.clusters import RULES_BY_NAME
from domain.complaint import Complaint
from domain.customer import Customer
from domain.incident import Incident
from domain.meta import Actor, ActorKind, Channel, Meta, Reason
from domain.order import Order
from domain.order_types import OrderItem
from domain.survey import Scores, Survey
from policies.cluster_detector import ClusterDetector
from projections.engine.store import ViewStore

AGENT = Actor(ActorKind.AGENT, "agent-ana", "agent")
SYSTEM = Actor(ActorKind.SYSTEM, "delay-watchdog", "system")
COMMANDER = Actor(ActorKind.SUPERVISOR, "sup-zhou", "incident_commander")
NEIGHBOURS = (("Zhang Min", "+86 139 0013 9001"), ("Wang Fang", "+86 139 0013 9002"))
FOOD_RULE = RULES_BY_NAME["food_safety_restaurant"]


class Script:
    """Issues commands in business time, minute by minute, under one correlation id."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.correlation = f"scenario-{uuid4().hex[:8]}"

    def at(
        self,
        minutes: float,
        actor: Actor = AGENT,
        reason: str | None = None,
        command_id: str | None = None,
    ) -> Meta:
        self.now += timedelta(minutes=minutes)
        return Meta(
            actor=actor,
            occurred_at=self.now,
            command_id=command_id or str(uuid4()),
            correlation_id=self.correlation,
            channel=Channel.APP,
            reason=Reason(reason) if reason else None,
        )


def as_customer(customer_id: UUID) -> Actor:
    """Customers act as themselves: their actor id is their customer id."""
    return Actor(ActorKind.CUSTOMER, str(customer_id), "customer")


def register(app: CareLedger, s: Script, contact: ContactDetails) -> tuple[UUID, Actor]:
    """A customer who registers themselves: the id is known before the command runs."""
    command_id = str(uuid4())
    me = as_customer(created_by(command_id, Customer))
    customer = app.register_customer(s.at(0, me, command_id=command_id), contact).aggregate_id
    return customer, me


def run_scenario(
    app: CareLedger, store: ViewStore, start: datetime | None = None
) -> dict[str, UUID]:
    s = Script(start or datetime.now(UTC).replace(microsecond=0) - timedelta(hours=6))
    contact = ContactDetails(
        "Li Wei", "+86 138 0013 8000", "li.wei@example.com", "88 Jianguo Road, Beijing"
    )
    customer, me = register(app, s, contact)
    order = app.receive_order(
        s.at(1, me),
        customer_id=customer,
        restaurant="Golden Dumpling",
        region="chaoyang",
        items=[
            OrderItem("pork dumplings", 2, Decimal("24.00")),
            OrderItem("hot and sour soup", 1, Decimal("10.00")),
        ],
        amount="58.00",
        promised_at=s.now + timedelta(minutes=40),
        address=contact.address or "",
        channel="app",
    ).aggregate_id
    steps: list[Callable[[], object]] = [
        lambda: app.confirm_order(s.at(1), order),
        lambda: app.send_order_confirmation(s.at(0), order, "sms"),
        lambda: app.start_preparation(s.at(5), order),
        lambda: app.pack_order(s.at(20), order),
        lambda: app.assign_courier(s.at(2), order, "courier-19", "fleet-east"),
        lambda: app.pick_up_order(s.at(10), order),
        lambda: app.detect_delay(s.at(2, SYSTEM), order, 12),
        lambda: app.send_delay_notice(s.at(0, SYSTEM), order, "app"),
        lambda: app.deliver_order(s.at(15), order),
        lambda: app.record_order_late(s.at(0, SYSTEM, "promise_missed"), order, "courier"),
    ]
    for step in steps:
        step()
    complaint = app.file_complaint(
        s.at(5, me),
        customer_id=customer,
        order_id=order,
        channel="app",
        content="The soup arrived cold and 14 minutes late.",
    ).aggregate_id
    for step in [
        lambda: app.reply_to_customer(s.at(1), complaint, "Sorry! We are looking into it."),
        lambda: app.classify_complaint(s.at(1), complaint, "logistics", "late_delivery", "major"),
        lambda: app.assign_responsibility(s.at(2), complaint, "logistics", "agent-ana"),
        lambda: app.start_work(s.at(1), complaint),
        lambda: app.propose_solution(s.at(10), complaint, "partial_refund", "10.00"),
        lambda: app.issue_compensation(s.at(1), complaint, "10.00", "courier"),
        lambda: app.record_refund(s.at(0, SYSTEM), order, "10.00", "complaint"),
        lambda: app.resolve_complaint(s.at(1), complaint, "compensated"),
        lambda: app.confirm_satisfied(s.at(30, me), complaint),
        lambda: app.record_root_cause(
            s.at(5), complaint, "courier_overbooked", "cap concurrent pickups per courier at 3"
        ),
        lambda: app.close_complaint(s.at(1), complaint, "customer"),
    ]:
        step()
    survey = app.send_survey(s.at(1, SYSTEM), customer, "complaint", complaint, "app").aggregate_id
    app.respond_to_survey(s.at(20, me), survey, Scores(4, 5, 4, 3, 4), "Quick refund.")
    incident = food_poisoning(app, store, s, order)
    for step in [
        lambda: app.issue_warning(s.at(1, COMMANDER), incident, "orange"),
        lambda: app.confirm_incident(s.at(4, COMMANDER), incident),
        lambda: app.assess_severity(s.at(1, COMMANDER), incident, "II", "several customers"),
        lambda: app.establish_command(s.at(2, COMMANDER), incident, "sup-zhou"),
        lambda: app.take_action(s.at(5, COMMANDER), incident, "recall", "kitchen paused"),
        lambda: app.link_orders(s.at(1, COMMANDER), incident, [order]),
        lambda: app.mitigate_incident(s.at(30, COMMANDER), incident),
        lambda: app.resolve_incident(s.at(60, COMMANDER), incident),
        lambda: app.start_review(s.at(60, COMMANDER), incident),
        lambda: app.complete_review(
            s.at(60, COMMANDER), incident, "fridge failure", ["daily fridge log"]
        ),
        lambda: app.close_incident(s.at(5, COMMANDER), incident),
    ]:
        step()
    return {
        "customer": customer,
        "order": order,
        "complaint": complaint,
        "survey": survey,
        "incident": incident,
    }


def food_poisoning(app: CareLedger, store: ViewStore, s: Script, order: UUID) -> UUID:
    """Two neighbours who ordered from the same kitchen fall ill too: with the first order's
    customer, three food-safety complaints within minutes, which the cluster detector proposes
    as an incident and the commander accepts. The incident's id."""
    orders = [order, *(kitchen_order(app, s, *neighbour) for neighbour in NEIGHBOURS)]
    for kitchen_order_id in orders:
        ill = app.load(Order, kitchen_order_id).customer_id
        complaint = app.file_complaint(
            s.at(20, as_customer(ill)),
            customer_id=ill,
            order_id=kitchen_order_id,
            channel="app",
            content="Stomach cramps and vomiting since the dumplings.",
        ).aggregate_id
        app.classify_complaint(s.at(1), complaint, "food_safety", "food_poisoning", "urgent")
    detector = ClusterDetector(app, store)
    detector.detect(s.at(1, SYSTEM).occurred_at)
    detection = detection_id(FOOD_RULE.name, "Golden Dumpling", 1)
    app.accept_cluster(s.at(3, COMMANDER), detection)
    incident = app.load(ClusterDetection, detection).incident_id
    assert incident is not None, "the cluster detector proposed no incident"
    return incident


def kitchen_order(app: CareLedger, s: Script, name: str, phone: str) -> UUID:
    neighbour = ContactDetails(name, phone, address="90 Jianguo Road, Beijing")
    customer, me = register(app, s, neighbour)
    return app.receive_order(
        s.at(0, me),
        customer_id=customer,
        restaurant="Golden Dumpling",
        region="chaoyang",
        items=[OrderItem("pork dumplings", 2, Decimal("24.00"))],
        amount="48.00",
        promised_at=s.now + timedelta(minutes=40),
        address="90 Jianguo Road, Beijing",
        channel="app",
    ).aggregate_id


def describe(app: CareLedger, ids: dict[str, UUID]) -> list[tuple[str, str, str]]:
    """One line per entity: what it is, its state, and the facts worth seeing."""
    order = app.load(Order, ids["order"])
    complaint = app.load(Complaint, ids["complaint"])
    survey = app.load(Survey, ids["survey"])
    incident = app.load(Incident, ids["incident"])
    customer = app.load(Customer, ids["customer"])
    contact = app.contact_of(ids["customer"])
    clocks = ", ".join(f"{name}={clock.state}" for name, clock in complaint.clocks.items())
    scores = survey.scores.as_dict() if survey.scores else "-"
    return [
        ("customer", str(customer.status), f"phone {contact.phone}, tier {customer.tier}"),
        (
            "order",
            str(order.status),
            f"v{order.version}, late {order.late_min} min, "
            f"refunded {order.refunded_total}, address {app.vault.open(order.address)}",
        ),
        (
            "complaint",
            str(complaint.status),
            f"v{complaint.version}, {complaint.severity}, "
            f"escalation {complaint.escalation_level}, clocks: {clocks}",
        ),
        ("survey", str(survey.status), f"scores {scores}"),
        (
            "incident",
            str(incident.status),
            f"v{incident.version}, severity {incident.severity}, from {incident.source}",
        ),
    ]
