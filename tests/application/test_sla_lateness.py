"""A paused clock neither gains nor loses time: a clock already past due when it is paused is
exactly as late when it resumes as when it paused, on the 24/7 and on a working calendar."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from application.app import CareLedger
from domain.calendars import china_office_calendar
from domain.sla import SLA_POLICY_V1, ClockName
from tests.application.builders import customer
from tests.support import meta

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE = china_office_calendar("cn-office", [2026])
OFFICE_RESOLUTION = replace(SLA_POLICY_V1, calendars={ClockName.RESOLUTION: "cn-office"})


def cn(day: int, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"2026-11-{day:02d}T{hhmm}").replace(tzinfo=SHANGHAI)


def urgent_in_progress(app: CareLedger, at: datetime) -> UUID:
    complaint = app.file_complaint(
        meta(at), customer_id=customer(app), order_id=None, content="Glass", channel="app"
    ).aggregate_id
    app.classify_complaint(meta(at), complaint, "food_safety", "foreign_object", "urgent")
    app.assign_responsibility(meta(at), complaint, "quality", "q-1")
    app.start_work(meta(at), complaint)
    app.send_first_response(meta(at), complaint)
    return complaint


def breaches(app: CareLedger, complaint: UUID) -> list[Any]:
    return [e for e in app.events.get(complaint) if type(e).__name__ == "SlaBreached"]


def late_by_s(app: CareLedger, complaint: UUID) -> list[int]:
    return [b.late_by_s for b in breaches(app, complaint) if b.clock == ClockName.RESOLUTION]


def test_a_clock_paused_past_due_on_office_hours_is_as_late_when_it_resumes(
    app: CareLedger,
) -> None:
    # given a resolution clock on Shanghai office hours, 4 working hours from Monday 17:00:
    # due Tuesday 12:00
    app.define_sla_calendar(meta(cn(23, "08:00")), OFFICE)
    app.define_sla_policy(meta(cn(23, "08:00")), OFFICE_RESOLUTION)
    complaint = urgent_in_progress(app, cn(23, "17:00"))
    # when it is put on hold for the customer at 12:30, half an hour past due, before a sweep
    app.put_on_hold(meta(cn(24, "12:30")), complaint, "customer")
    # then a sweep during the pause records nothing
    app.check_complaint_sla(meta(cn(25, "08:00")), complaint)
    assert late_by_s(app, complaint) == []
    # and resumed on Wednesday 09:10, the sweep finds it 30 minutes late, not the night as well
    app.resume_complaint(meta(cn(25, "09:10")), complaint)
    app.check_complaint_sla(meta(cn(25, "09:10")), complaint)
    assert late_by_s(app, complaint) == [1800]
    # and the explanation says the same: 30 minutes over at the pause and at the resume
    story = next(s for s in app.explain_complaint_sla(complaint) if s.clock == "resolution")
    by_step = {s.step: s for s in story.steps}
    assert by_step["paused"].remaining_s == by_step["resumed"].remaining_s == -1800


def test_a_clock_paused_past_due_around_the_clock_is_as_late_when_it_resumes(
    app: CareLedger,
) -> None:
    # given an urgent complaint on the 24/7 calendar, due at 13:00
    complaint = urgent_in_progress(app, cn(23, "09:00"))
    # when it waits on the customer from 13:20 to 18:00 without a sweep in between
    app.put_on_hold(meta(cn(23, "13:20")), complaint, "customer")
    app.check_complaint_sla(meta(cn(23, "17:00")), complaint)
    app.resume_complaint(meta(cn(23, "18:00")), complaint)
    # then the sweep at the resume finds it 20 minutes late
    app.check_complaint_sla(meta(cn(23, "18:00")), complaint)
    assert late_by_s(app, complaint) == [1200]
