from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from application.app import CareLedger
from domain.meta import Actor, ActorKind
from policies.sla_sweeper import SlaSweeper
from projections.engine.store import ViewStore
from projections.views.sla_schedule import SlaScheduleProjection, due_checks
from tests.application.builders import customer
from tests.policies.history import History, names
from tests.projections.catch_up import Project
from tests.support import T0, hours, meta, minutes

SWEEPER = Actor(ActorKind.SYSTEM, "sla-sweeper", "system")


def seconds(n: float) -> timedelta:
    return timedelta(seconds=n)


def urgent_complaint(app: CareLedger) -> UUID:
    """Received at T0, classified urgent 10 s later (escalated to level 1 on severity)."""
    cid = app.file_complaint(
        meta(T0),
        customer_id=customer(app),
        order_id=None,
        content="food poisoning after the fish",
        channel="phone",
    )
    app.classify_complaint(meta(seconds(10)), cid.aggregate_id, "food_safety", "illness", "urgent")
    return cid.aggregate_id


def test_the_first_response_clock_warns_at_96_s_and_breaches_after_120_s_once(
    app: CareLedger,
    views: ViewStore,
) -> None:
    # given an urgent complaint: first response warns at +96 s (80 % of 120 s), due at +120 s
    cid = urgent_complaint(app)
    history = History(app, cid)
    sweeper = SlaSweeper(app, views)
    # when swept at +95 s, then nothing is due
    assert sweeper.sweep(T0 + seconds(95)) == 0
    assert history.new() == []
    assert sweeper.next_wake() == T0 + seconds(96)
    # when swept at +96 s, then one warning is recorded, by the sweeper, at +96 s
    assert sweeper.sweep(T0 + seconds(96)) == 1
    [warning] = history.new()
    assert (type(warning).__name__, warning.clock) == ("SlaWarning", "first_response")
    assert (warning.meta.actor, warning.meta.occurred_at) == (SWEEPER, T0 + seconds(96))
    assert warning.meta.command_id == f"sla-sweeper:{cid}:2026-11-23T09:01:36+00:00"
    assert sweeper.next_wake() == T0 + seconds(120)
    # when swept at +121 s, then the breach (1 s late) and the escalation to level 2
    assert sweeper.sweep(T0 + seconds(121)) == 1
    breach, escalation = history.new()
    assert (type(breach).__name__, breach.clock, breach.late_by_s) == (
        "SlaBreached",
        "first_response",
        1,
    )
    assert (type(escalation).__name__, escalation.level, escalation.trigger) == (
        "ComplaintEscalated",
        2,
        "sla",
    )
    # when swept again at the same time, and by a restarted sweeper, then nothing more
    assert sweeper.sweep(T0 + seconds(121)) == 0
    assert SlaSweeper(app, views).sweep(T0 + seconds(121)) == 0
    assert history.new() == []
    assert (history.count("SlaWarning"), history.count("SlaBreached")) == (1, 1)
    # and the next thing due is the resolution warning: 80 % of 4 h = 3 h 12 min
    assert sweeper.next_wake() == T0 + hours(3.2)


def test_a_late_sweep_records_the_warning_and_the_breach_together(
    app: CareLedger,
    views: ViewStore,
) -> None:
    # given an urgent complaint nobody swept until +5 min
    cid = urgent_complaint(app)
    history = History(app, cid)
    # when swept at +5 min, then one check records both, 180 s late
    assert SlaSweeper(app, views).sweep(T0 + minutes(5)) == 1
    assert names(history.new()) == ["SlaWarning", "SlaBreached", "ComplaintEscalated"]
    assert history.all()[-2].late_by_s == 180


def test_a_second_sweeper_repeating_a_check_is_recognised_by_its_command_id(
    app: CareLedger,
    views: ViewStore,
    project: Project,
) -> None:
    # given two sweepers that both read the warning due at +96 s
    cid = urgent_complaint(app)
    project(SlaScheduleProjection())
    [due] = due_checks(views, T0 + seconds(96))
    first, second = SlaSweeper(app, views), SlaSweeper(app, views)
    history = History(app, cid)
    # when the first records it and the second then checks the same due time
    assert first.sweep(T0 + seconds(96)) == 1
    assert second.check(due, T0 + seconds(97)) == 0
    # then the warning is recorded once
    assert names(history.new()) == ["SlaWarning"]


def test_a_paused_resolution_clock_is_not_swept(app: CareLedger, views: ViewStore) -> None:
    # given a general complaint answered and classified at once, worked, and put on hold for
    # the customer at +1 h: only its resolution clock runs (warn +19 h 12 min, due +24 h)
    cid = app.file_complaint(
        meta(T0), customer_id=customer(app), order_id=None, content="wrong dish", channel="app"
    ).aggregate_id
    app.reply_to_customer(meta(minutes(1)), cid, "we are sorry")
    app.classify_complaint(meta(minutes(2)), cid, "product_quality", "wrong_item", "general")
    app.assign_responsibility(meta(minutes(3)), cid, "customer_service", "agent-7")
    app.start_work(meta(minutes(4)), cid)
    app.put_on_hold(meta(hours(1)), cid, "customer")
    history = History(app, cid)
    sweeper = SlaSweeper(app, views)
    # when swept at +30 h, past both times, then nothing is recorded
    assert sweeper.sweep(T0 + hours(30)) == 0
    assert sweeper.next_wake() is None
    assert history.new() == []
    # when resumed at +30 h, both times move by the 29 h pause: warn +48 h 12 min, due +53 h
    app.resume_complaint(meta(hours(30)), cid)
    assert sweeper.sweep(T0 + hours(30)) == 0
    assert sweeper.next_wake() == T0 + hours(48.2)
    assert sweeper.sweep(T0 + hours(48.2)) == 1
    assert names(history.new()) == ["Resumed", "SlaClockResumed", "SlaWarning"]


def test_a_closed_complaint_leaves_the_schedule(app: CareLedger, views: ViewStore) -> None:
    # given a general complaint worked to its close within 10 min
    cid = app.file_complaint(
        meta(T0), customer_id=customer(app), order_id=None, content="cold soup", channel="web"
    ).aggregate_id
    app.classify_complaint(meta(minutes(1)), cid, "product_quality", "temperature", "general")
    app.assign_responsibility(meta(minutes(2)), cid, "customer_service", "agent-7")
    app.start_work(meta(minutes(3)), cid)
    app.propose_solution(meta(minutes(4)), cid, "apology")
    app.resolve_complaint(meta(minutes(5)), cid, "explained")
    app.close_complaint(meta(minutes(10)), cid, "agent")
    history = History(app, cid)
    sweeper = SlaSweeper(app, views)
    # then there is nothing to sweep, ever
    assert sweeper.next_wake() is None
    assert sweeper.sweep(T0 + hours(100)) == 0
    assert history.new() == []
