"""Who acts in the demo: customers, merchants, couriers, agents, supervisors and the system."""

from __future__ import annotations

from uuid import UUID, uuid5

from application.handling import created_by
from domain.customer import Customer
from domain.meta import Actor, ActorKind

AGENT_NAMES = (
    "agent-lin",
    "agent-chen",
    "agent-wang",
    "agent-zhao",
    "agent-sun",
    "agent-huang",
    "agent-he",
    "agent-ma",
)
AGENTS = tuple(Actor(ActorKind.AGENT, name, "agent") for name in AGENT_NAMES)
SUPERVISOR = Actor(ActorKind.SUPERVISOR, "sup-zhou", "supervisor")
COMMANDER = Actor(ActorKind.SUPERVISOR, "sup-zhou", "incident_commander")
SRE_LEAD = Actor(ActorKind.SUPERVISOR, "sre-guo", "incident_commander")
DISPATCH_DESK = Actor(ActorKind.AGENT, "dispatch-desk", "dispatcher")


def system(name: str) -> Actor:
    return Actor(ActorKind.SYSTEM, name, "system")


NOTIFIER = system("notifier")
ORDER_TIMEOUT = system("order-timeout")
DISPATCH = system("dispatch")
ETA_ESTIMATOR = system("eta-estimator")
PAYMENTS = system("payments")
GUARANTEE = system("ontime-guarantee")
LOYALTY = system("loyalty")
SURVEYS = system("survey-mailer")
UPTIME_MONITOR = system("uptime-monitor")
WEATHER_FEED = Actor(ActorKind.INTEGRATION, "cma-weather-feed", "integration")


def registration(namespace: UUID, index: int) -> str:
    """The command id of the day's registration of customer `index`."""
    return str(uuid5(namespace, f"register-customer-{index}"))


def customer(namespace: UUID, index: int) -> Actor:
    """Customers act as themselves: their actor id is the id their registration creates, so
    the audit trail of an actor finds what a customer did."""
    customer_id = created_by(registration(namespace, index), Customer)
    return Actor(ActorKind.CUSTOMER, str(customer_id), "customer")


def merchant(restaurant: str) -> Actor:
    slug = restaurant.lower().replace(" · ", "-").replace(" ", "-")
    return Actor(ActorKind.MERCHANT, f"merchant-{slug}", "merchant")


def courier(number: int) -> Actor:
    return Actor(ActorKind.COURIER, f"courier-{number:04d}", "courier")
