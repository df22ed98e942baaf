from __future__ import annotations

from uuid import UUID

import pytest

from application.app import CareLedger
from projections.engine import reading
from projections.engine.store import ViewStore
from projections.views.sla_schedule import (
    DueCheck,
    ScheduledClock,
    SlaScheduleProjection,
    due_checks,
    next_check_at,
    scheduled_clocks,
)
from tests.application.builders import customer
from tests.projections.batch_invariance import live_and_rebuilt
from tests.projections.catch_up import Project
from tests.support import meta
from tests.unit.complaint_builders import at


def file_at(app: CareLedger, customer_id: UUID, when: str) -> UUID:
    return app.file_complaint(
        meta(at(when)),
        customer_id=customer_id,
        order_id=None,
        content="the rider threw the bag",
        channel="app",
    ).aggregate_id


def clock(
    name: str,
    warn: str,
    due: str,
    *,
    warned: bool = False,
    breached: bool = False,
    paused: bool = False,
    day: int = 0,
    due_day: int | None = None,
) -> ScheduledClock:
    return ScheduledClock(
        name, at(warn, day), at(due, day if due_day is None else due_day), warned, breached, paused
    )


def test_the_schedule_follows_each_clock_from_start_to_breach(
    app: CareLedger,
    views: ViewStore,
    project: Project,
) -> None:
    view = SlaScheduleProjection()

    def step() -> None:  # the live view, one event per batch
        project(view, batch_size=1)

    # given a complaint received at 09:00: three clocks, targets 120 s, 24 h, 24 h (general)
    # first response warns at 09:00 + 96 s, registration and resolution at 09:00 + 19.2 h
    customer_id = customer(app)
    cid = file_at(app, customer_id, "09:00")
    step()
    assert scheduled_clocks(views, cid) == [
        clock("first_response", "09:01:36", "09:02"),
        clock("registration", "04:12", "09:00", day=1),
        clock("resolution", "04:12", "09:00", day=1),
    ]
    assert due_checks(views, at("09:01:35")) == []
    assert due_checks(views, at("09:01:36")) == [DueCheck(cid, at("09:01:36"))]
    # when it is classified urgent at 09:01 (registration met; resolution 4 h: warn 12:12,
    # due 13:00) and answered at 09:01:30 (first response met)
    app.classify_complaint(meta(at("09:01")), cid, "logistics", "late_delivery", "urgent")
    app.reply_to_customer(meta(at("09:01:30")), cid, "sorry, looking into it")
    step()
    # then only the resolution clock is left, due to warn at 12:12
    assert scheduled_clocks(views, cid) == [clock("resolution", "12:12", "13:00")]
    assert next_check_at(views) == at("12:12")
    # when the warning is recorded at 12:12, the next check is the due time
    app.assign_responsibility(meta(at("09:05")), cid, "customer_service", "agent-7")
    app.start_work(meta(at("09:06")), cid)
    app.check_complaint_sla(meta(at("12:12")), cid)
    step()
    assert due_checks(views, at("12:59:59")) == []
    assert due_checks(views, at("13:00")) == [DueCheck(cid, at("13:00"))]
    # when reclassified general at 12:30: 24 h again, the new warning (04:12 + 1 d) is ahead,
    # so the clock is not warned any more
    app.reclassify_complaint(meta(at("12:30")), cid, "logistics", "late_delivery", "general")
    step()
    assert scheduled_clocks(views, cid) == [clock("resolution", "04:12", "09:00", day=1)]
    # when put on hold for the customer 13:00-15:00 the clock is paused: nothing pending
    app.put_on_hold(meta(at("13:00")), cid, "customer")
    step()
    assert scheduled_clocks(views, cid)[0].paused
    assert next_check_at(views) is None
    assert due_checks(views, at("12:00", day=3)) == []
    # and resuming at 15:00 moves both times by 2 h: warn 06:12 + 1 d, due 11:00 + 1 d
    app.resume_complaint(meta(at("15:00")), cid)
    step()
    assert scheduled_clocks(views, cid) == [clock("resolution", "06:12", "11:00", day=1)]
    assert next_check_at(views) == at("06:12", day=1)
    # when the warning and then the breach are recorded, nothing is pending any more
    app.check_complaint_sla(meta(at("06:12", day=1)), cid)
    step()
    assert next_check_at(views) == at("11:00", day=1)
    app.check_complaint_sla(meta(at("11:00", day=1)), cid)
    step()
    assert scheduled_clocks(views, cid) == [
        clock("resolution", "06:12", "11:00", day=1, warned=True, breached=True)
    ]
    assert next_check_at(views) is None
    assert due_checks(views, at("12:00", day=9)) == []
    # and a rebuild in batches of 1000 (ids loaded 2 at a time) gives the same tables
    live, rebuilt = live_and_rebuilt(app, views, view)
    assert live == rebuilt


def test_a_retarget_keeps_a_warning_whose_new_time_has_passed(
    app: CareLedger,
    views: ViewStore,
    project: Project,
) -> None:
    # given a general complaint, answered and classified at once, warned at 04:12 the next day
    cid = file_at(app, customer(app), "09:00")
    app.classify_complaint(meta(at("09:00")), cid, "logistics", "late_delivery", "general")
    app.reply_to_customer(meta(at("09:00")), cid, "on it")
    app.check_complaint_sla(meta(at("04:12", day=1)), cid)
    # when reclassified major at 04:30: 12 h, warn 18:36 (passed: still warned), due 21:00
    app.reclassify_complaint(meta(at("04:30", day=1)), cid, "logistics", "late_delivery", "major")
    project(SlaScheduleProjection())
    # then the breach is due at once, at the new due time
    assert scheduled_clocks(views, cid) == [clock("resolution", "18:36", "21:00", warned=True)]
    assert due_checks(views, at("04:30", day=1)) == [DueCheck(cid, at("21:00"))]


def test_closed_and_merged_complaints_leave_the_schedule(
    app: CareLedger,
    views: ViewStore,
    project: Project,
) -> None:
    # given three complaints received at 09:00, 09:10 and 09:20
    customer_id = customer(app)
    kept, merged, closed = (file_at(app, customer_id, t) for t in ("09:00", "09:10", "09:20"))
    # when the second is merged into the first, and the third is worked to its close
    app.merge_complaint(meta(at("09:11")), merged, kept)
    app.classify_complaint(meta(at("09:21")), closed, "logistics", "late_delivery", "general")
    app.assign_responsibility(meta(at("09:22")), closed, "customer_service", "agent-7")
    app.start_work(meta(at("09:23")), closed)
    app.propose_solution(meta(at("09:24")), closed, "apology")
    app.resolve_complaint(meta(at("09:25")), closed, "explained")
    app.close_complaint(meta(at("09:26")), closed, "agent")
    project(SlaScheduleProjection())
    # then only the first is scheduled (its first response still due at 09:01:36)
    assert scheduled_clocks(views, merged) == []
    assert scheduled_clocks(views, closed) == []
    assert len(scheduled_clocks(views, kept)) == 3
    assert due_checks(views, at("12:00", day=5)) == [DueCheck(kept, at("09:01:36"))]


def test_a_department_reply_stops_only_its_hand_back_clock(
    app: CareLedger,
    views: ViewStore,
    project: Project,
) -> None:
    # given a complaint handed to the technical department at 09:05 (1 h: warn 09:53, due 10:05)
    cid = file_at(app, customer(app), "09:00")
    app.classify_complaint(meta(at("09:01")), cid, "logistics", "late_delivery", "general")
    app.reply_to_customer(meta(at("09:01")), cid, "on it")
    app.assign_responsibility(meta(at("09:05")), cid, "technical", "tech-2")
    project(SlaScheduleProjection())
    assert [c.clock for c in scheduled_clocks(views, cid)] == ["resolution", "technical_handback"]
    assert next_check_at(views) == at("09:53")
    # when another department replies, then the technical one
    app.record_department_reply(meta(at("09:30")), cid, "after_sales")
    project(SlaScheduleProjection())
    assert next_check_at(views) == at("09:53")
    app.record_department_reply(meta(at("09:40")), cid, "technical")
    project(SlaScheduleProjection())
    # then only the resolution clock is left
    assert [c.clock for c in scheduled_clocks(views, cid)] == ["resolution"]
    assert next_check_at(views) == at("04:12", day=1)


def test_a_page_is_bounded(views: ViewStore, project: Project) -> None:
    project(SlaScheduleProjection())
    with pytest.raises(ValueError):
        due_checks(views, at("09:00"), limit=0)
    with pytest.raises(ValueError):
        due_checks(views, at("09:00"), limit=1001)


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loads rows 2 ids at a time, so every test crosses chunk boundaries."""
    monkeypatch.setattr(reading, "IDS_PER_QUERY", 2)
