"""SLA clocks: the policy, one clock's arithmetic, and timed scenarios on a complaint."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from functools import partial

import pytest

from domain.complaint import Complaint
from domain.errors import InvalidInputError
from domain.meta import Meta
from domain.sla import (
    SLA_POLICY_V1,
    ClockName,
    ClockState,
    SlaClock,
    known_policy,
    policy_for,
    schedule,
)
from tests.support import T0, meta
from tests.unit.complaint_builders import (
    ORDER_AMOUNT,
    OTHER_ID,
    at,
    describe,
    received,
    recorded_by,
    sealed,
)
from tests.unit.replay import assert_replays_equal


def test_policy_v1_holds_the_targets_of_the_service_plans() -> None:
    assert policy_for(1) is SLA_POLICY_V1
    assert [SLA_POLICY_V1.target_s(name) for name in ClockName] == [120, 86400, 86400, 3600, 86400]
    assert SLA_POLICY_V1.warn_percent == 80


@pytest.mark.parametrize(
    ("severity", "target_s"),
    [
        ("urgent", 14400),
        ("major", 43200),
        ("general", 86400),
        (None, 86400),
    ],
)
def test_the_resolution_target_depends_on_severity(severity: str | None, target_s: int) -> None:
    assert SLA_POLICY_V1.target_s(ClockName.RESOLUTION, severity) == target_s


def test_an_unregistered_policy_is_invalid() -> None:
    # given a policy that claims version 1 but has other targets
    forged = replace(SLA_POLICY_V1, first_response_s=600)
    # then it is refused, as is an unknown version
    with pytest.raises(InvalidInputError) as invalid:
        known_policy("policy", forged)
    assert invalid.value.field == "policy"
    with pytest.raises(InvalidInputError):
        known_policy("policy", replace(SLA_POLICY_V1, version=99))


def test_schedule_warns_at_80_percent_and_shifts_both_times_by_pauses() -> None:
    assert schedule(at("09:00"), 14400, 0, 80) == (at("12:12"), at("13:00"))
    assert schedule(at("09:00"), 14400, 3600, 80) == (at("13:12"), at("14:00"))
    assert schedule(at("09:00"), 120, 0, 80) == (at("09:01:36"), at("09:02"))


def clock(target_s: int = 14400) -> SlaClock:
    warn_at, due_at = schedule(at("09:00"), target_s, 0, 80)
    return SlaClock(ClockName.RESOLUTION, at("09:00"), target_s, warn_at, due_at, 1)


def test_elapsed_time_leaves_out_pauses() -> None:
    # given a clock paused 10:00-11:00
    sla = clock()
    sla.pause(at("10:00"))
    assert sla.elapsed_s(at("10:30")) == 3600
    sla.resume(at("11:00"), *sla.resumed_schedule(at("11:00")))
    # then two hours after the start one hour ran, and the times moved by the pause
    assert sla.elapsed_s(at("11:00")) == 3600
    assert (sla.paused_s, sla.warn_at, sla.due_at) == (3600, at("13:12"), at("14:00"))


@pytest.mark.parametrize(
    ("when", "warning", "breach"),
    [
        ("12:11:59", False, False),
        ("12:12", True, False),
        ("12:59:59", True, False),
        ("13:00", True, True),
    ],
)
def test_warning_and_breach_fall_due_at_their_exact_times(
    when: str, warning: bool, breach: bool
) -> None:
    sla = clock()
    assert (sla.warning_due(at(when)), sla.breach_due(at(when))) == (warning, breach)


def test_a_paused_or_stopped_clock_has_nothing_due() -> None:
    paused, stopped = clock(), clock()
    paused.pause(at("10:00"))
    stopped.stop(at("10:00"))
    for sla in (paused, stopped):
        assert (sla.warning_due(at("23:00")), sla.breach_due(at("23:00"))) == (False, False)
        assert sla.next_check_at() is None


@pytest.mark.parametrize(
    ("stop", "breached_before", "state"),
    [
        ("12:59", False, ClockState.MET),
        ("13:00", False, ClockState.MET),
        ("13:00:01", False, ClockState.BREACHED),
        ("12:00", True, ClockState.BREACHED),
    ],
)
def test_stopping_a_clock_meets_it_unless_late_or_already_breached(
    stop: str, breached_before: bool, state: ClockState
) -> None:
    sla = clock()
    sla.breached = breached_before
    sla.stop(at(stop))
    assert (sla.state, sla.stopped_at, sla.is_active) == (state, at(stop), False)


def test_a_clock_stopped_while_paused_counts_the_pause_out() -> None:
    sla = clock()
    sla.pause(at("10:00"))
    sla.stop(at("12:00"))
    assert (sla.state, sla.elapsed_s(at("18:00")), sla.due_at) == (
        ClockState.MET,
        3600,
        at("15:00"),
    )


def test_a_warned_clock_is_warned_again_when_retargeted_to_a_later_warning() -> None:
    sla = clock()
    sla.warned = True
    sla.retarget(at("12:30"), 86400, at("04:12", day=1), at("09:00", day=1))
    assert sla.warned is False
    sla.warned = True
    sla.retarget(at("12:30"), 14400, at("12:12"), at("13:00"))
    assert sla.warned is True


def test_a_clock_rebuilt_from_plain_strings_coerces_its_enums() -> None:
    sla = SlaClock("resolution", T0, 60, T0, T0, 1, "paused")  # type: ignore[arg-type]
    assert (sla.name, sla.state) == (ClockName.RESOLUTION, ClockState.PAUSED)


# Timed scenarios: (time, command, events it records, next_sla_check_at afterwards).
Command = Callable[[Complaint, Meta], object]
Scenario = list[tuple[datetime, Command, list[str], datetime | None]]


def check(c: Complaint, m: Meta) -> None:
    c.check_sla(m)


def run(scenario: Scenario, start: datetime = T0) -> Complaint:
    complaint = received(start)
    for number, (when, command, expected, next_check) in enumerate(scenario, start=1):
        recorded = recorded_by(complaint, partial(command, complaint, meta(when)))
        assert recorded == expected, f"step {number} at {when:%H:%M:%S}"
        assert complaint.next_sla_check_at == next_check, f"step {number}: next check"
    assert_replays_equal(complaint)
    return complaint


def test_receiving_starts_three_clocks() -> None:
    # when a complaint arrives at 09:00
    complaint = received(at("09:00"))
    # then it starts the first-response, registration and (general) resolution clocks
    assert [describe(e) for e in complaint.pending_events] == [
        "ComplaintReceived",
        "SlaClockStarted first_response due 09:02 warn 09:01:36",
        "SlaClockStarted registration due 09:00+1d warn 04:12+1d",
        "SlaClockStarted resolution due 09:00+1d warn 04:12+1d",
    ]
    started = {name: (c.due_at, c.warn_at, c.target_s) for name, c in complaint.clocks.items()}
    assert started == {
        "first_response": (at("09:02"), at("09:01:36"), 120),
        "registration": (at("09:00", day=1), at("04:12", day=1), 86400),
        "resolution": (at("09:00", day=1), at("04:12", day=1), 86400),
    }
    assert complaint.next_sla_check_at == at("09:01:36")


def test_an_urgent_complaint_on_hold_for_the_customer_breaches_an_hour_later() -> None:
    complaint = run(
        [
            # given an urgent complaint answered and classified one minute after it arrived
            (
                at("09:01"),
                lambda c, m: c.reply(m, sealed()),
                ["AgentReplied", "FirstResponseSent", "SlaMet first_response 60s"],
                at("04:12", 1),
            ),
            (
                at("09:01"),
                lambda c, m: c.classify(m, "food_safety", "foreign_object", "urgent"),
                [
                    "ComplaintClassified",
                    "SlaMet registration 60s",
                    "SlaClockRetargeted resolution due 13:00 warn 12:12",
                    "ComplaintEscalated 1 severity",
                ],
                at("12:12"),
            ),
            (
                at("09:05"),
                lambda c, m: c.assign_responsibility(m, "quality", "q-1"),
                ["ResponsibilityAssigned"],
                at("12:12"),
            ),
            (at("09:06"), lambda c, m: c.start_work(m), ["WorkStarted"], at("12:12")),
            # when it waits on the customer from 10:00 to 11:00
            (
                at("10:00"),
                lambda c, m: c.put_on_hold(m, "customer"),
                ["PutOnHold", "SlaClockPaused resolution"],
                None,
            ),
            (at("10:30"), check, [], None),
            (
                at("11:00"),
                lambda c, m: c.resume(m),
                ["Resumed", "SlaClockResumed resolution due 14:00 warn 13:12"],
                at("13:12"),
            ),
            # then the warning comes at 13:12 and the breach at 14:00 exactly, each once
            (at("13:11:59"), check, [], at("13:12")),
            (at("13:12"), check, ["SlaWarning resolution due 14:00"], at("14:00")),
            (at("13:59"), check, [], at("14:00")),
            (
                at("14:00"),
                check,
                ["SlaBreached resolution late 0s", "ComplaintEscalated 2 sla"],
                None,
            ),
            (at("14:00"), check, [], None),
            # and resolving it later records nothing more for that clock
            (
                at("14:30"),
                lambda c, m: c.propose_solution(m, "apology", None, None),
                ["SolutionProposed"],
                None,
            ),
            (at("14:45"), lambda c, m: c.resolve(m, "explained"), ["ComplaintResolved"], None),
        ]
    )
    resolution = complaint.clocks["resolution"]
    assert (resolution.state, resolution.paused_s, complaint.escalation_level) == (
        ClockState.BREACHED,
        3600,
        2,
    )


def test_waiting_on_the_restaurant_does_not_pause_the_resolution_clock() -> None:
    run(
        [
            (
                at("09:01"),
                lambda c, m: c.classify(m, "logistics", "late", "major"),
                [
                    "ComplaintClassified",
                    "SlaMet registration 60s",
                    "SlaClockRetargeted resolution due 21:00 warn 18:36",
                ],
                at("09:01:36"),
            ),
            (
                at("09:01:30"),
                lambda c, m: c.send_first_response(m),
                ["FirstResponseSent", "SlaMet first_response 90s"],
                at("18:36"),
            ),
            (
                at("09:02"),
                lambda c, m: c.assign_responsibility(m, "logistics", "l-1"),
                ["ResponsibilityAssigned"],
                at("18:36"),
            ),
            (at("09:03"), lambda c, m: c.start_work(m), ["WorkStarted"], at("18:36")),
            (at("10:00"), lambda c, m: c.put_on_hold(m, "restaurant"), ["PutOnHold"], at("18:36")),
            (at("18:36"), check, ["SlaWarning resolution due 21:00"], at("21:00")),
        ]
    )


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (at("09:01:59"), ["FirstResponseSent", "SlaMet first_response 119s"]),
        (at("09:02"), ["FirstResponseSent", "SlaMet first_response 120s"]),
        (
            at("09:03"),
            [
                "FirstResponseSent",
                "SlaBreached first_response late 60s",
                "ComplaintEscalated 1 sla",
            ],
        ),
    ],
)
def test_the_first_response_is_met_within_two_minutes_and_breached_after(
    when: datetime, expected: list[str]
) -> None:
    # given a complaint received at 09:00 and no sweep in between
    complaint = received(at("09:00"))
    # when the first response goes out
    recorded = recorded_by(complaint, lambda: complaint.send_first_response(meta(when)))
    # then the clock is met, or breached late and the complaint escalated
    assert recorded == expected


def test_the_sweeper_breaches_the_first_response_and_the_late_reply_adds_nothing() -> None:
    run(
        [
            (at("09:01:35"), check, [], at("09:01:36")),
            (at("09:01:36"), check, ["SlaWarning first_response due 09:02"], at("09:02")),
            (
                at("09:02"),
                check,
                ["SlaBreached first_response late 0s", "ComplaintEscalated 1 sla"],
                at("04:12", 1),
            ),
            (
                at("09:05"),
                lambda c, m: c.reply(m, sealed()),
                ["AgentReplied", "FirstResponseSent"],
                at("04:12", 1),
            ),
        ]
    )


def test_a_late_sweep_records_the_warning_and_the_breach_together() -> None:
    run(
        [
            (
                at("09:10"),
                check,
                [
                    "SlaWarning first_response due 09:02",
                    "SlaBreached first_response late 480s",
                    "ComplaintEscalated 1 sla",
                ],
                at("04:12", 1),
            ),
        ]
    )


def classified_and_answered() -> Scenario:
    return [
        (
            at("09:01"),
            lambda c, m: c.reply(m, sealed()),
            ["AgentReplied", "FirstResponseSent", "SlaMet first_response 60s"],
            at("04:12", 1),
        ),
        (
            at("09:10"),
            lambda c, m: c.classify(m, "after_sales", "broken_box", "general"),
            ["ComplaintClassified", "SlaMet registration 600s"],
            at("04:12", 1),
        ),
    ]


def test_the_technical_hand_back_clock_runs_one_hour_from_assignment_to_reply() -> None:
    run(
        [
            *classified_and_answered(),
            (
                at("09:20"),
                lambda c, m: c.assign_responsibility(m, "technical", "t-1"),
                [
                    "ResponsibilityAssigned",
                    "SlaClockStarted technical_handback due 10:20 warn 10:08",
                ],
                at("10:08"),
            ),
            # reassigning within technical does not restart its clock
            (
                at("09:30"),
                lambda c, m: c.assign_responsibility(m, "technical", "t-2"),
                ["ResponsibilityAssigned"],
                at("10:08"),
            ),
            (
                at("10:00"),
                lambda c, m: c.record_department_reply(m, "technical"),
                ["DepartmentReplied", "SlaMet technical_handback 2400s"],
                at("04:12", 1),
            ),
            # a department without a running clock replies: nothing to stop
            (
                at("10:05"),
                lambda c, m: c.record_department_reply(m, "technical"),
                ["DepartmentReplied"],
                at("04:12", 1),
            ),
            # a new hand-back to technical starts a fresh clock
            (
                at("11:00"),
                lambda c, m: c.assign_responsibility(m, "technical", "t-3"),
                [
                    "ResponsibilityAssigned",
                    "SlaClockStarted technical_handback due 12:00 warn 11:48",
                ],
                at("11:48"),
            ),
            (
                at("12:30"),
                lambda c, m: c.record_department_reply(m, "technical"),
                [
                    "DepartmentReplied",
                    "SlaBreached technical_handback late 1800s",
                    "ComplaintEscalated 1 sla",
                ],
                at("04:12", 1),
            ),
        ]
    )


def test_the_after_sales_hand_back_clock_breaches_after_24_hours() -> None:
    run(
        [
            *classified_and_answered(),
            (
                at("09:20"),
                lambda c, m: c.assign_responsibility(m, "after_sales", "a-1"),
                [
                    "ResponsibilityAssigned",
                    "SlaClockStarted after_sales_handback due 09:20+1d warn 04:32+1d",
                ],
                at("04:12", 1),
            ),
            (at("04:12", 1), check, ["SlaWarning resolution due 09:00+1d"], at("04:32", 1)),
            (
                at("04:32", 1),
                check,
                ["SlaWarning after_sales_handback due 09:20+1d"],
                at("09:00", 1),
            ),
            (
                at("09:00", 1),
                check,
                ["SlaBreached resolution late 0s", "ComplaintEscalated 1 sla"],
                at("09:20", 1),
            ),
            (
                at("09:20", 1),
                check,
                ["SlaBreached after_sales_handback late 0s", "ComplaintEscalated 2 sla"],
                None,
            ),
            (
                at("10:00", 1),
                lambda c, m: c.record_department_reply(m, "after_sales"),
                ["DepartmentReplied"],
                None,
            ),
        ]
    )


def test_a_reopened_complaint_starts_a_fresh_resolution_clock_by_its_severity() -> None:
    complaint = run(
        [
            (
                at("09:01"),
                lambda c, m: c.send_first_response(m),
                ["FirstResponseSent", "SlaMet first_response 60s"],
                at("04:12", 1),
            ),
            (
                at("09:10"),
                lambda c, m: c.classify(m, "product_quality", "cold_food", "major"),
                [
                    "ComplaintClassified",
                    "SlaMet registration 600s",
                    "SlaClockRetargeted resolution due 21:00 warn 18:36",
                ],
                at("18:36"),
            ),
            (
                at("09:20"),
                lambda c, m: c.assign_responsibility(m, "quality", "q-1"),
                ["ResponsibilityAssigned"],
                at("18:36"),
            ),
            (at("09:30"), lambda c, m: c.start_work(m), ["WorkStarted"], at("18:36")),
            (
                at("11:00"),
                lambda c, m: c.propose_solution(m, "partial_refund", "8.50", ORDER_AMOUNT),
                ["SolutionProposed"],
                at("18:36"),
            ),
            (
                at("12:00"),
                lambda c, m: c.resolve(m, "compensated"),
                ["ComplaintResolved", "SlaMet resolution 10800s"],
                None,
            ),
            (
                at("13:00"),
                lambda c, m: c.dispute_resolution(m),
                [
                    "ResolutionDisputed",
                    "ComplaintReopened",
                    "SlaClockStarted resolution due 01:00+1d warn 22:36",
                ],
                at("22:36"),
            ),
        ]
    )
    assert (complaint.reopen_count, complaint.clocks["resolution"].started_at) == (1, at("13:00"))


def test_reclassifying_moves_a_paused_clock_and_resuming_adds_the_pause() -> None:
    run(
        [
            *classified_and_answered(),
            (
                at("09:20"),
                lambda c, m: c.assign_responsibility(m, "customer_service", "c-1"),
                ["ResponsibilityAssigned"],
                at("04:12", 1),
            ),
            (at("09:30"), lambda c, m: c.start_work(m), ["WorkStarted"], at("04:12", 1)),
            (
                at("10:00"),
                lambda c, m: c.put_on_hold(m, "customer"),
                ["PutOnHold", "SlaClockPaused resolution"],
                None,
            ),
            # reclassified as urgent during the pause: due at 13:00 before the pause is added
            (
                at("10:30"),
                lambda c, m: c.reclassify(m, "food_safety", "sick", "urgent"),
                [
                    "ComplaintReclassified",
                    "SlaClockRetargeted resolution due 13:00 warn 12:12",
                    "ComplaintEscalated 1 severity",
                ],
                None,
            ),
            (
                at("11:00"),
                lambda c, m: c.resume(m),
                ["Resumed", "SlaClockResumed resolution due 14:00 warn 13:12"],
                at("13:12"),
            ),
        ]
    )


def test_a_warned_clock_retargeted_later_is_warned_again_at_its_new_time() -> None:
    run(
        [
            (
                at("09:01"),
                lambda c, m: c.send_first_response(m),
                ["FirstResponseSent", "SlaMet first_response 60s"],
                at("04:12", 1),
            ),
            (
                at("09:05"),
                lambda c, m: c.classify(m, "food_safety", "sick", "urgent"),
                [
                    "ComplaintClassified",
                    "SlaMet registration 300s",
                    "SlaClockRetargeted resolution due 13:00 warn 12:12",
                    "ComplaintEscalated 1 severity",
                ],
                at("12:12"),
            ),
            (at("12:30"), check, ["SlaWarning resolution due 13:00"], at("13:00")),
            (
                at("12:40"),
                lambda c, m: c.reclassify(m, "logistics", "late", "general"),
                [
                    "ComplaintReclassified",
                    "SlaClockRetargeted resolution due 09:00+1d warn 04:12+1d",
                ],
                at("04:12", 1),
            ),
        ]
    )


def test_a_breach_at_the_top_level_records_no_further_escalation() -> None:
    # given a complaint escalated by hand to level 3
    complaint = received(at("09:00"))
    for _ in range(3):
        complaint.escalate(meta(at("09:00")))
    # when its first response breaches
    recorded = recorded_by(complaint, lambda: complaint.check_sla(meta(at("09:02"))))
    # then only the warning and the breach are recorded
    assert recorded == ["SlaWarning first_response due 09:02", "SlaBreached first_response late 0s"]
    assert complaint.escalation_level == 3


@pytest.mark.parametrize("ending", ["merge", "close"])
def test_merging_or_closing_stops_running_clocks_silently(ending: str) -> None:
    # given a complaint whose first response never went out
    complaint = received(at("09:00"))
    if ending == "close":
        complaint.classify(meta(at("09:01")), "logistics", "late", "general")
        complaint.assign_responsibility(meta(at("09:01")), "technical", "t-1")
        complaint.start_work(meta(at("09:01")))
        complaint.propose_solution(meta(at("09:01")), "apology", None, None)
        complaint.resolve(meta(at("09:01")), "explained")
    # when it is merged or closed, then no SLA event is recorded
    end: Callable[[], None] = (
        (lambda: complaint.merge_into(meta(at("09:01:30")), OTHER_ID))
        if ending == "merge"
        else (lambda: complaint.close(meta(at("09:01:30")), "agent"))
    )
    assert recorded_by(complaint, end) == [
        "ComplaintMerged" if ending == "merge" else "ComplaintClosed"
    ]
    # and its clocks are cancelled: a sweep records nothing and schedules nothing
    assert recorded_by(complaint, lambda: complaint.check_sla(meta(at("23:00")))) == []
    assert complaint.next_sla_check_at is None
    assert {c.state for c in complaint.clocks.values()} <= {ClockState.MET, ClockState.CANCELLED}
    assert complaint.clocks["first_response"].state == ClockState.CANCELLED
    assert_replays_equal(complaint)
