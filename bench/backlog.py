"""What bench/history.py leaves out and the query benchmark needs: complaints still open (every
complaint of the history is closed, so the agent queue would be empty), and one complaint
recorded through the application's commands, with real sealed personal data, whose audit trail
is read.

The open complaints were received in the two days before the history starts (a backlog carried
over, overdue by now): they fill the agent queue without changing any dashboard window at the
history's end.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from application.app import CareLedger
from application.customers import ContactDetails
from bench.history import (
    AGENT,
    CATEGORIES,
    SEVERITIES,
    START,
    received,
    sealed,
)
from domain.complaint import Complaint
from domain.meta import Meta

ASSIGNEES = [f"agent-{n}" for n in range(1, 41)]
PER_SAVE = 200


def open_complaint(rng: random.Random, at: datetime) -> Complaint:
    """A complaint left at a random stage of its handling, from just received to on hold."""
    c, customer, x = received(rng, at)
    stage = rng.random()
    if stage < 0.2:
        return x
    x.reply(c.meta(rng.uniform(0.5, 5)), sealed(customer))
    x.classify(
        c.meta(rng.uniform(1, 10)), rng.choice(CATEGORIES), "general", rng.choice(SEVERITIES)
    )
    if stage < 0.4:
        return x
    x.assign_responsibility(c.meta(2), "customer_service", rng.choice(ASSIGNEES))
    if stage < 0.6:
        return x
    x.start_work(c.meta(5))
    if stage >= 0.85:
        x.put_on_hold(c.meta(10), "customer")
    return x


def add_open_complaints(app: CareLedger, count: int, seed: int = 11) -> int:
    """Saves `count` open complaints received before the history starts; returns events."""
    rng = random.Random(seed)
    events, pending = 0, []
    for _ in range(count):
        at = START - timedelta(seconds=rng.uniform(60, 2 * 86400))
        pending.append(open_complaint(rng, at))
        events += len(pending[-1].pending_events)
        if len(pending) == PER_SAVE:
            app.save(*pending)
            pending.clear()
    if pending:
        app.save(*pending)
    return events


def audited_complaint(app: CareLedger) -> UUID:
    """A complaint handled through the application's commands (7 events, after its customer's
    registration); its id."""
    contact = ContactDetails("Li Wei", "+86 138 0013 8000")
    customer = app.register_customer(_meta(), contact).aggregate_id
    filed = app.file_complaint(
        _meta(),
        customer_id=customer,
        order_id=None,
        channel="app",
        content="The soup arrived cold and the driver was rude.",
    )
    complaint = filed.aggregate_id
    app.reply_to_customer(_meta(), complaint, "Sorry to hear that: we are looking into it.")
    app.classify_complaint(_meta(), complaint, "logistics", "general", "major")
    app.assign_responsibility(_meta(), complaint, "customer_service", "agent-7")
    app.start_work(_meta(), complaint)
    app.put_on_hold(_meta(), complaint, "customer")
    app.resume_complaint(_meta(), complaint)
    return complaint


def _meta() -> Meta:
    return Meta(AGENT, datetime.now(UTC), str(uuid4()), "bench-audit")
