"""What the plan knows of a complaint, and the traits that shape its story: how fast the first
answer comes, whether it waits on someone, how the customer takes the resolution."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from demo.complaint_kinds import Kind
from demo.draw import Draw
from demo.facts import CustomerFacts, OrderFacts

HOLD_ON = (("customer", 60), ("restaurant", 25), ("courier", 15))
REACTIONS = (("satisfied", 80), ("dispute", 12), ("silent", 8))


@dataclass
class ComplaintFacts:
    index: int
    customer: CustomerFacts
    order: OrderFacts | None
    filed_at: datetime
    kind: Kind
    channel: str
    slot: int
    incident_key: str | None = None  # a food-safety cluster: the incident it belongs to
    investigated_at: datetime | None = None  # when that incident's findings are known
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    satisfied: bool | None = None  # None: the customer never answered
    disputed: bool = False

    @property
    def key(self) -> str:
        return f"complaint:{self.index}"


@dataclass
class Traits:
    first_response: timedelta
    hold: str | None
    reaction: str  # satisfied | dispute | silent
    chase: bool
    reclassify: bool
    escalate: bool
    duplicate: bool


def traits_of(draw: Draw, complaint: ComplaintFacts) -> Traits:
    """Drawn; the first complaints of the day (slots 0-5) take every path, even on a tiny day:
    a dispute, a slow first response with a hold for the customer, a fast one, a
    reclassification, a duplicate and a manual escalation."""
    slot = complaint.slot
    fast = draw.chance(0.4) or complaint.channel == "phone"
    hold = draw.weighted(HOLD_ON) if draw.chance(0.3) else None
    reaction = draw.weighted(REACTIONS)
    return Traits(
        first_response=first_response(draw, fast=slot == 2 or (slot > 2 and fast)),
        hold="customer" if slot == 1 else hold,
        reaction="dispute" if slot == 0 else "satisfied" if slot < 6 else reaction,
        chase=draw.chance(0.15),
        reclassify=slot == 4 or draw.chance(0.06),
        escalate=slot == 5 or draw.chance(0.04),
        duplicate=slot == 5 or draw.chance(0.03),
    )


def first_response(draw: Draw, fast: bool) -> timedelta:
    """Within the 2-minute target when fast; else mostly 2-10 minutes, sometimes 10-30."""
    if fast:
        return draw.seconds(15, 110)
    if draw.chance(0.85):
        return draw.minutes(4, 0.45, 2.1, 10)
    return draw.minutes(14, 0.4, 10, 30)
