"""SLA policies and calendars as recorded data: versions in force by business time, the rules
that choose them, the explicit re-target, and histories recorded before policies were data."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from application.app import CareLedger
from domain.calendar import WorkCalendar, WorkingSpan
from domain.calendars import china_office_calendar
from domain.complaint import Complaint
from domain.errors import InvalidInputError
from domain.sla import SLA_POLICY_V1, ClockName
from domain.sla_book import PolicyRule
from tests.application.builders import customer
from tests.support import T0, meta

HOUR = timedelta(hours=1)
OFFICE = china_office_calendar("cn-office", [2026])
# version 2 of the standard policy: the after-sales desk keeps Shanghai office hours
OFFICE_POLICY = replace(SLA_POLICY_V1, calendars={ClockName.AFTER_SALES_HANDBACK: "cn-office"})


def file(app: CareLedger, at: timedelta = timedelta(0), channel: str = "web") -> UUID:
    customer_id = customer(app)
    return app.file_complaint(
        meta(at), customer_id=customer_id, order_id=None, content="Cold soup", channel=channel
    ).aggregate_id


def to_after_sales(app: CareLedger, complaint: UUID, at: timedelta) -> None:
    app.classify_complaint(meta(at), complaint, "after_sales", "refund", "general")
    app.assign_responsibility(meta(at), complaint, "after_sales", "p-4")


def define_office_hours(app: CareLedger, at: timedelta) -> None:
    app.define_sla_calendar(meta(at), OFFICE)
    app.define_sla_policy(meta(at), OFFICE_POLICY)


def test_a_new_version_applies_to_clocks_started_after_it(app: CareLedger) -> None:
    # given a complaint handed to after-sales before the office-hours version took effect
    before = file(app)
    to_after_sales(app, before, 30 * 60 * timedelta(seconds=1))
    define_office_hours(app, HOUR)
    # when another is handed over after it, Monday 18:00 in Shanghai
    after = file(app, HOUR)
    to_after_sales(app, after, 2 * HOUR)
    # then the first keeps 24 h of calendar time, the second counts 24 working hours:
    # Tuesday 9 h, Wednesday 9 h, Thursday 6 h, due Thursday 15:00 Shanghai
    old = app.load(Complaint, before).clocks[ClockName.AFTER_SALES_HANDBACK]
    new = app.load(Complaint, after).clocks[ClockName.AFTER_SALES_HANDBACK]
    assert (old.policy, old.policy_version, old.calendar) == ("standard", 1, "always")
    assert old.due_at == T0 + timedelta(minutes=30) + 24 * HOUR
    assert (new.policy, new.policy_version, new.calendar, new.calendar_version) == (
        "standard",
        2,
        "cn-office",
        1,
    )
    assert new.due_at == datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
    # and the clocks started at filing took the version in force then
    assert app.load(Complaint, after).clocks[ClockName.RESOLUTION].policy_version == 2
    assert app.load(Complaint, before).clocks[ClockName.RESOLUTION].policy_version == 1


def test_retargeting_moves_running_clocks_and_records_old_and_new_due_times(
    app: CareLedger,
) -> None:
    # given a clock that has run 2.5 h of its 24 h under version 1
    complaint = file(app)
    to_after_sales(app, complaint, 30 * timedelta(minutes=1))
    define_office_hours(app, HOUR)
    # when the re-target command runs at 20:00 Shanghai
    outcome = app.retarget_complaint_sla(meta(3 * HOUR), complaint)
    # then the clock keeps its 2.5 h and has 21.5 working hours left: due Thursday 12:30
    events: list[Any] = list(app.events.get(complaint, gt=outcome.version - 3))
    moved = [e for e in events if type(e).__name__ == "SlaPolicyReapplied"]
    after_sales = next(e for e in moved if e.clock == ClockName.AFTER_SALES_HANDBACK)
    assert after_sales.previous_due_at == T0 + timedelta(minutes=30) + 24 * HOUR
    assert after_sales.due_at == datetime(2026, 11, 26, 4, 30, tzinfo=UTC)
    assert (after_sales.policy_version, after_sales.calendar) == (2, "cn-office")
    clock = app.load(Complaint, complaint).clocks[ClockName.AFTER_SALES_HANDBACK]
    assert (clock.due_at, clock.calendar) == (after_sales.due_at, "cn-office")
    # and repeating it (new command) moves nothing more
    again = app.retarget_complaint_sla(meta(3 * HOUR), complaint)
    assert again.version == outcome.version


def test_rules_choose_a_policy_by_channel_and_tier(app: CareLedger) -> None:
    # given a phone desk policy answering in 60 s, chosen for phone complaints
    phone = replace(SLA_POLICY_V1, name="phone-desk", first_response_s=60)
    app.define_sla_policy(meta(), phone)
    app.set_sla_policy_rules(meta(), [PolicyRule("phone-desk", channel="phone")])
    # when complaints arrive by phone and by web
    by_phone, by_web = file(app, channel="phone"), file(app, channel="web")
    # then only the phone one is on it
    first = app.load(Complaint, by_phone).clocks[ClockName.FIRST_RESPONSE]
    assert (first.policy, first.target_s) == ("phone-desk", 60)
    assert app.load(Complaint, by_web).clocks[ClockName.FIRST_RESPONSE].target_s == 120
    # and a rule on a tier the customer does not have chooses nothing
    app.set_sla_policy_rules(meta(HOUR), [PolicyRule("phone-desk", tier="gold")])
    later = file(app, HOUR, channel="phone")
    assert app.load(Complaint, later).clocks[ClockName.FIRST_RESPONSE].target_s == 120


@pytest.mark.parametrize(
    ("define", "field"),
    [
        (lambda a: a.define_sla_policy(meta(), replace(SLA_POLICY_V1, registration_s=-5)), None),
        (
            lambda a: a.define_sla_policy(
                meta(), replace(SLA_POLICY_V1, calendars={"resolution": "nowhere"})
            ),
            "calendars",
        ),
        (
            lambda a: a.define_sla_calendar(
                meta(), WorkCalendar("x", "Mars/Olympus", (WorkingSpan(0, 540, 600),))
            ),
            "zone",
        ),
        (
            lambda a: a.define_sla_calendar(
                meta(),
                WorkCalendar("x", "UTC", (WorkingSpan(0, 540, 720), WorkingSpan(0, 600, 700))),
            ),
            "hours",
        ),
        (lambda a: a.set_sla_policy_rules(meta(), [PolicyRule("nobody")]), "rules"),
        (lambda a: a.set_sla_policy_rules(meta(), [PolicyRule("standard", tier="x")]), None),
    ],
)
def test_an_invalid_definition_is_a_validation_error_and_records_nothing(
    app: CareLedger, define: object, field: str | None
) -> None:
    with pytest.raises(InvalidInputError) as invalid:
        define(app)  # type: ignore[operator]
    if field is not None:
        assert invalid.value.field == field
    assert app.sla_book().policies == (SLA_POLICY_V1,)


def test_a_clock_recorded_before_policies_were_data_reads_as_policy_1_on_24_7(
    app: CareLedger,
) -> None:
    # given a SlaClockStarted in its version 1 shape (no policy name, no calendar)
    complaint = file(app)
    stored = app.recorder.select_events(complaint)
    started = next(s for s in stored if s.topic == "careledger.SlaClockStarted")
    state = json.loads(started.state)
    assert state.pop("class_version") == 2
    for name in ("policy", "calendar", "calendar_version"):
        del state[name]
    old_id = uuid4()
    received = stored[0]
    app.recorder.insert_events(
        [
            StoredEvent(old_id, 1, received.topic, received.state),
            StoredEvent(old_id, 2, started.topic, json.dumps(state).encode()),
        ]
    )
    # when today's code reads it, then the clock is on standard version 1, 24/7
    clock = app.load(Complaint, old_id).clocks[ClockName.FIRST_RESPONSE]
    assert (clock.policy, clock.policy_version, clock.calendar, clock.calendar_version) == (
        "standard",
        1,
        "always",
        1,
    )


def test_the_explanation_reads_back_exactly_each_clocks_events(app: CareLedger) -> None:
    # given office hours, a complaint answered late, handed to after-sales Monday 18:00 Shanghai,
    # swept on Thursday 17:00 Shanghai and answered by the desk an hour later
    define_office_hours(app, HOUR)
    complaint = file(app, HOUR)
    app.send_first_response(meta(HOUR + timedelta(minutes=5)), complaint)
    to_after_sales(app, complaint, 2 * HOUR)
    app.check_complaint_sla(meta(timedelta(days=3)), complaint)
    app.record_department_reply(meta(timedelta(days=3) + HOUR), complaint, "after_sales")
    # when it is explained
    stories = {s.clock: s for s in app.explain_complaint_sla(complaint)}
    # then each clock's steps are its own events, in order, and the events that stopped it
    events: list[Any] = list(app.events.get(complaint))
    for name, story in stories.items():
        own = [(type(e).__name__, e.originator_version) for e in events if _of(e, name)]
        steps = [(s.event, s.version) for s in story.steps if s.event.startswith("Sla")]
        assert steps == own
    after_sales = stories["after_sales_handback"]
    assert [s.step for s in after_sales.steps] == ["started", "warning", "breached", "stopped late"]
    started, _, breached, _ = after_sales.steps
    assert (started.calendar, started.policy_version, started.actor) == (
        "cn-office",
        2,
        "agent:agent-7",
    )
    # Tuesday 9 h, Wednesday 9 h, Thursday 8 h of working time: 2 h over the 24 h target
    assert (breached.elapsed_s, breached.remaining_s) == (26 * 3600, -2 * 3600)
    assert "working time on calendar cn-office version 1 (Asia/Shanghai" in after_sales.why
    first = stories["first_response"]
    assert [s.step for s in first.steps] == ["started", "stopped late", "breached"]
    assert first.steps[1].event == "FirstResponseSent"


def _of(event: Any, clock: str) -> bool:
    return type(event).__name__.startswith("Sla") and str(getattr(event, "clock", "")) == clock
