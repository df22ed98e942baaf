"""What-if replay: the recorded policy reproduces the complaint dashboard exactly; another policy
moves the outcomes it should, and only those."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from application.app import CareLedger
from domain.calendar import working_s
from domain.errors import InvalidInputError
from domain.sla import SLA_POLICY_V1, ClockName, SlaPolicy
from domain.sla_proposal import proposal
from projections.engine.store import ViewStore
from projections.views.complaint_dashboard import ComplaintDashboardProjection, complaint_dashboard
from projections.views.sla_timeline import SlaTimelineProjection, micros
from projections.views.sla_whatif import SlaFigures, WhatIf, sla_what_if
from tests.projections.batch_invariance import live_and_rebuilt
from tests.projections.catch_up import Project
from tests.projections.swept_day import DAY_END, OFFICE, at, keep_office_hours, swept_day

WINDOWS = [
    (at(8, 0), at(9, 0)),
    (at(9, 0), at(10, 0)),
    (at(9, 0), at(12, 0)),
    (at(10, 0), at(11, 30)),
    (at(11, 0), at(13, 0)),
    (at(0, 0), DAY_END),
    (at(8, 0), DAY_END - timedelta(minutes=30)),
]


def what_if(
    views: ViewStore,
    app: CareLedger,
    start: datetime,
    end: datetime,
    policy: SlaPolicy,
    *calendars: object,
) -> WhatIf:
    return sla_what_if(views, start, end, proposal(app.sla_book(), policy, list(calendars)))  # type: ignore[arg-type]


def recorded(views: ViewStore, start: datetime, end: datetime) -> SlaFigures:
    return SlaFigures.of(complaint_dashboard(views, start, end))


@pytest.fixture
def day(app: CareLedger, views: ViewStore, project: Project) -> dict[str, str]:
    ids = swept_day(app, views)
    project(ComplaintDashboardProjection(), SlaTimelineProjection(), batch_size=7)
    return {name: str(c) for name, c in ids.items()}


def test_the_recorded_policy_reproduces_the_dashboard_in_every_window(
    app: CareLedger, views: ViewStore, day: dict[str, str]
) -> None:
    # given the day recorded under standard version 1, swept as live
    for start, end in WINDOWS:
        # when it is replayed under that same policy
        replayed = what_if(views, app, start, end, SLA_POLICY_V1)
        # then every SLA figure is the dashboard's, and no outcome changes
        assert replayed.proposed == recorded(views, start, end), (start, end)
        assert (replayed.changed, replayed.changes) == (0, [])
    # and the day's dashboard has results of every kind to reproduce
    whole = recorded(views, at(0, 0), DAY_END)
    assert whole.sla_warnings == {
        "first_response": 3,
        "resolution": 1,
        "technical_handback": 1,
    }
    assert whole.sla_breached == {"first_response": 2, "technical_handback": 1}
    assert whole.sla_met["first_response"] == 5
    # G, never answered, counts in first-response time at its age
    assert whole.first_response_time.unanswered == 1
    assert (whole.first_response_time.count, whole.resolution_time.count) == (7, 4)


def test_a_stricter_policy_breaches_the_complaints_it_should(
    app: CareLedger, views: ViewStore, day: dict[str, str]
) -> None:
    # given a policy of one minute to answer and one hour to resolve a general complaint
    strict = replace(
        SLA_POLICY_V1,
        name="strict",
        first_response_s=60,
        resolution_s={**SLA_POLICY_V1.resolution_s, "general": 3600},
    )
    # when 08:00-12:00 is replayed under it
    replayed = what_if(views, app, at(8, 0), at(12, 0), strict)
    # then D (90 s) and F (120 s) breach their first response, A's answer in 60 s still meets it,
    # B and G stay breached; A (resolved after 2 h 10 min) and E (open) breach their resolution
    assert replayed.proposed.sla_breached == {
        "first_response": 4,
        "resolution": 2,
        "technical_handback": 1,
    }
    assert replayed.proposed.sla_met["first_response"] == 3
    changed = {
        (c.complaint_id, c.run.clock): (c.run.recorded, c.run.proposed) for c in replayed.changes
    }
    assert changed == {
        (day["D"], "first_response"): ("met", "breached"),
        (day["F"], "first_response"): ("met", "breached"),
        (day["A"], "resolution"): ("met", "breached"),
        (day["E"], "resolution"): ("running", "breached"),
    }
    assert replayed.changed == 4
    # and E's breach is at its new due time, 10:20 + 1 h, as a sweeper would have recorded it
    (e,) = [c.run for c in replayed.changes if c.complaint_id == day["E"]]
    assert (e.proposed_at, e.due_at) == (at(11, 20), at(11, 20))
    # and the first-response and resolution times are the same spans as recorded (24/7)
    assert (
        replayed.proposed.first_response_time
        == recorded(views, at(8, 0), at(12, 0)).first_response_time
    )


def test_replaying_writes_nothing(app: CareLedger, views: ViewStore, day: dict[str, str]) -> None:
    # given the day and its views
    position = app.recorder.max_notification_id()
    before = recorded(views, at(0, 0), DAY_END)
    # when a window is replayed under another policy
    what_if(views, app, at(0, 0), DAY_END, replace(SLA_POLICY_V1, first_response_s=1))
    # then the log and the dashboard are as they were
    assert app.recorder.max_notification_id() == position
    assert recorded(views, at(0, 0), DAY_END) == before


def test_a_working_calendar_moves_due_times_out_of_the_night(
    app: CareLedger, views: ViewStore, day: dict[str, str]
) -> None:
    # given a 20-minute after-sales hand-back: C's desk was asked at 09:45 UTC, 17:45 in
    # Shanghai, and replied at 10:10
    quick = replace(SLA_POLICY_V1, after_sales_handback_s=20 * 60)
    # when it counts around the clock, then the reply came 5 minutes late
    around = what_if(views, app, at(9, 0), at(11, 0), quick)
    assert around.proposed.sla_breached.get("after_sales_handback") == 1
    # when it counts the office's hours, the desk's 15 minutes before 18:00 count and the
    # other 5 fall on Tuesday morning: the reply after hours met it
    office = replace(quick, calendars={ClockName.AFTER_SALES_HANDBACK: "office"})
    inside = what_if(views, app, at(9, 0), at(11, 0), office, OFFICE)
    assert inside.proposed.sla_met.get("after_sales_handback") == 1
    assert "after_sales_handback" not in inside.proposed.sla_breached
    # and a resolution clock on the office calendar measures resolution times in its hours
    hours = replace(SLA_POLICY_V1, calendars={ClockName.RESOLUTION: "office"})
    timed = what_if(views, app, at(10, 0), at(11, 0), hours, OFFICE)
    expected = working_s(OFFICE, at(9, 30), at(10, 50))  # C, received 17:30, resolved 18:50
    assert timed.proposed.resolution_time.count == 1
    assert timed.proposed.resolution_time.mean == expected == 30 * 60


@pytest.mark.parametrize(
    ("policy", "calendars", "field"),
    [
        (replace(SLA_POLICY_V1, first_response_s=-5), [], "policy.firstResponseSeconds"),
        (replace(SLA_POLICY_V1, calendars={"resolution": "nowhere"}), [], "policy.calendars"),
        (SLA_POLICY_V1, [replace(OFFICE, zone="Mars/Olympus")], "calendars[0].zone"),
        (SLA_POLICY_V1, [OFFICE, OFFICE], "calendars[1].name"),
    ],
)
def test_a_bad_proposal_is_refused_by_field(
    app: CareLedger, policy: SlaPolicy, calendars: list[object], field: str
) -> None:
    with pytest.raises(InvalidInputError) as refused:
        proposal(app.sla_book(), policy, calendars)  # type: ignore[arg-type]
    assert refused.value.field == field


def test_the_recorded_office_policy_reproduces_the_dashboard(
    app: CareLedger, views: ViewStore, project: Project
) -> None:
    # given the day recorded with the after-sales desk on office hours (version 2 of standard)
    policy = keep_office_hours(app)
    swept_day(app, views)
    project(ComplaintDashboardProjection(), SlaTimelineProjection())
    # when it is replayed under that policy and the recorded calendar
    for start, end in WINDOWS:
        replayed = what_if(views, app, start, end, policy)
        # then the figures are the dashboard's
        assert replayed.proposed == recorded(views, start, end), (start, end)
        assert replayed.changed == 0


def test_the_timeline_does_not_depend_on_batch_boundaries(
    app: CareLedger, views: ViewStore, day: dict[str, str]
) -> None:
    # given the day's timelines, projected in batches of 7 events
    # when the view is rebuilt one event per batch into a new generation
    live, rebuilt = live_and_rebuilt(app, views, SlaTimelineProjection(), batch_size=1)
    # then it holds the same rows, one per complaint, the merged D idle since its merge
    assert live == rebuilt
    rows = {row[0]: row for row in live["sla_timelines"]}
    assert len(rows) == 7
    assert rows[day["D"]][2:4] == ("", micros(at(10, 30)))
    assert rows[day["E"]][3] is None  # its resolution clock still runs
