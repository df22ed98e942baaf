"""The day's incidents: food poisoning from one kitchen (a detected complaint cluster the
commander accepts: public health, severity II, closed after its review), an evening dispatch
outage (system failure, reviewed too), and a rainstorm warning that is declined."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from application.handling import Outcome
from demo import cast
from demo.facts import OrderFacts
from demo.plan import Context, Plan, Story
from domain.cluster import ClusterDetection, detection_id
from domain.clusters import RULES_BY_NAME
from domain.incident import Incident
from domain.meta import Actor, Meta

FOOD_SAFETY = "incident:food_safety"
OUTAGE = "incident:system_failure"
RAINSTORM = "incident:rainstorm"
FOOD_RULE = RULES_BY_NAME["food_safety_restaurant"]
FINDINGS_AFTER = timedelta(minutes=40)  # from the report to the kitchen's inspection findings


@dataclass(frozen=True)
class Keys:
    """Plan keys standing for their entities' ids, looked up when the step runs."""

    keys: tuple[str, ...]

    def ids(self, x: Context) -> list[UUID]:
        return [x[k] for k in self.keys]


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


class IncidentStory:
    def __init__(self, plan: Plan, key: str, start: datetime, actor: Actor) -> None:
        self.story = Story(plan, start, key.replace(":", "-"))
        self.key = key
        self.actor = actor

    def report(self, type: str, source: str, title: str, description: str, reporter: Actor) -> None:
        self.story.then(
            minutes(0),
            reporter,
            f"report_incident {self.key}",
            lambda x, m: x.app.report_incident(
                m, type=type, source=source, title=title, description=description
            ),
            creates=self.key,
        )

    def accept(self, detection: UUID) -> None:
        """The commander accepts the detected cluster: the incident it opens is this story's."""

        def act(x: Context, m: Meta) -> Outcome:
            accepted = x.app.accept_cluster(m, detection)
            incident = x.app.load(ClusterDetection, detection).incident_id
            assert incident is not None
            return Outcome(incident, x.app.load(Incident, incident).version, accepted.position)

        self.story.then(minutes(0), self.actor, f"accept_cluster {self.key}", act, creates=self.key)

    def step(self, at: datetime, name: str, *args: object, reason: str | None = None) -> None:
        key = self.key

        def act(x: Context, m: Meta) -> Outcome:
            command: Callable[..., Outcome] = getattr(x.app, name)
            return command(m, x[key], *(a.ids(x) if isinstance(a, Keys) else a for a in args))

        self.story.at(at, self.actor, f"{name} {key}", act, reason=reason)

    def links(self, at: datetime, name: str, keys: Sequence[str]) -> None:
        """Links the entities with these plan keys (none: no step)."""
        if keys:
            self.step(at, name, Keys(tuple(keys)))


def food_safety(
    plan: Plan,
    accepted: datetime,
    orders: Sequence[OrderFacts],
    late: Sequence[str],
    last_filed: datetime,
) -> None:
    """The cluster detector proposes the incident; the commander accepts it at `accepted`,
    which opens it with the complaints filed so far and the kitchen's orders linked. `late`:
    the complaints filed after."""
    region = orders[0].restaurant.region
    kitchen = orders[0].restaurant.name
    s = IncidentStory(plan, FOOD_SAFETY, accepted - timedelta(seconds=1), cast.COMMANDER)
    s.accept(detection_id(FOOD_RULE.name, kitchen, 1))
    r = accepted
    s.step(r + minutes(1), "issue_warning", "orange")
    s.step(r + minutes(6), "confirm_incident")
    s.step(
        r + minutes(12),
        "report_to_superior",
        f"Beijing {region.code.title()} Market Supervision Bureau",
    )
    s.step(r + minutes(14), "establish_command", cast.COMMANDER.id)
    for role, person in (
        ("ops_lead", "ops-tang"),
        ("comms_lead", "pr-xu"),
        ("scribe", "agent-he"),
        ("liaison", "legal-feng"),
    ):
        s.step(r + minutes(15), "assign_role", role, person)
    s.step(r + minutes(20), "allocate_resource", "food-safety inspection team")
    s.step(r + minutes(22), "take_action", "recall", "cold noodle batch withdrawn from the kitchen")
    s.step(r + minutes(23), "take_action", "contain", "the kitchen's listing suspended")
    s.step(r + minutes(25), "publish_status_update", "internal", "Kitchen suspended, inspecting.")
    customers = len({o.customer.key for o in orders})
    s.step(r + minutes(30), "record_impact", len(orders), customers, [region.code])
    s.links(r + minutes(31), "link_orders", [o.key for o in orders])
    s.step(r + minutes(35), "publish_status_update", "regulator", "Samples sent for testing.")
    s.step(
        r + minutes(40),
        "publish_status_update",
        "customers",
        "Affected customers are being refunded in full.",
    )
    s.step(r + minutes(45), "publish_status_update", "merchants", "Cold dishes: check fridges.")
    s.links(max(r + minutes(60), last_filed + minutes(5)), "link_complaints", late)
    s.step(r + minutes(120), "mitigate_incident")
    s.step(r + minutes(210), "resolve_incident")
    s.step(r + minutes(225), "start_review")
    s.step(
        r + minutes(280),
        "complete_review",
        "fridge failure kept the cold noodles above 8 °C",
        ["daily fridge temperature log", "cold-chain check in merchant onboarding"],
    )
    s.step(r + minutes(300), "close_incident")


def outage(plan: Plan, start: datetime, orders: Sequence[OrderFacts]) -> None:
    r = start + minutes(2)
    s = IncidentStory(plan, OUTAGE, r - timedelta(seconds=1), cast.SRE_LEAD)
    s.report(
        "system_failure",
        "monitor",
        "Dispatch degraded: courier assignment failing",
        "Courier assignment latency above 5 minutes in every region.",
        cast.UPTIME_MONITOR,
    )
    s.step(r + minutes(1), "issue_warning", "yellow")
    s.step(r + minutes(5), "confirm_incident")
    s.step(r + minutes(6), "assess_severity", "III", "orders delayed city-wide; no data lost")
    s.step(r + minutes(8), "report_to_superior", "CTO on call")
    s.step(r + minutes(9), "establish_command", cast.SRE_LEAD.id)
    s.step(r + minutes(10), "assign_role", "ops_lead", "sre-lin")
    s.step(r + minutes(10), "assign_role", "comms_lead", "pr-xu")
    s.step(r + minutes(12), "take_action", "troubleshoot", "dispatch DB connection pool exhausted")
    s.step(r + minutes(20), "take_action", "restore", "dispatch DB failed over to the replica")
    s.step(r + minutes(22), "publish_status_update", "customers", "Some deliveries are delayed.")
    s.step(r + minutes(25), "publish_status_update", "internal", "Failover done, queue draining.")
    s.step(r + minutes(38), "mitigate_incident")
    s.step(r + minutes(50), "resolve_incident")
    regions = sorted({o.restaurant.region.code for o in orders})
    s.step(
        r + minutes(52),
        "record_impact",
        len(orders),
        len({o.customer.key for o in orders}),
        regions,
    )
    s.links(r + minutes(53), "link_orders", [o.key for o in orders])
    s.step(r + minutes(80), "start_review")
    s.step(
        r + minutes(170),
        "complete_review",
        "connection pool sized for last year's peak",
        ["alert on pool saturation", "load test before each holiday"],
    )
    s.step(r + minutes(180), "close_incident")


def rainstorm(plan: Plan, start: datetime, regions: Sequence[str]) -> None:
    where = ", ".join(region.title() for region in regions)
    s = IncidentStory(plan, RAINSTORM, start - minutes(20), cast.COMMANDER)
    s.report(
        "natural_disaster",
        "authority",
        f"Rainstorm blue warning: {where}",
        "The weather service expects heavy rain for the next two hours.",
        cast.WEATHER_FEED,
    )
    s.step(start - minutes(19), "issue_warning", "blue")
    s.step(start - minutes(5), "decline_incident", reason="handled_by_dispatch")
