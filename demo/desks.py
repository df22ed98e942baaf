"""The desks' SLA calendars: the reception works around the clock, the after-sales desk keeps
Shanghai office hours with China's official holidays and make-up working days. Recorded before
the day's first step, under command ids derived from the plan, so a repeated day adds nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from uuid import UUID, uuid5

from application.app import CareLedger
from domain.calendars import china_office_calendar
from domain.meta import Actor, ActorKind, Meta
from domain.sla import SLA_POLICY_V1, ClockName

ADMIN = Actor(ActorKind.SUPERVISOR, "demo-admin", "admin")
AFTER_SALES_OFFICE = "after-sales-office"


def keep_office_hours(app: CareLedger, namespace: UUID, start: datetime) -> None:
    at = start - timedelta(minutes=1)
    office = china_office_calendar(AFTER_SALES_OFFICE, [at.year, at.year + 1])
    policy = replace(SLA_POLICY_V1, calendars={ClockName.AFTER_SALES_HANDBACK: AFTER_SALES_OFFICE})
    app.define_sla_calendar(_meta(namespace, "sla-calendar", at), office)
    app.define_sla_policy(_meta(namespace, "sla-policy", at), policy)


def _meta(namespace: UUID, name: str, at: datetime) -> Meta:
    command_id = str(uuid5(namespace, name))
    return Meta(actor=ADMIN, occurred_at=at, command_id=command_id, correlation_id=command_id)
