"""The complaint's input validation, business rules and the facts its events keep."""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from domain.complaint import Complaint
from domain.complaint_types import (
    Category,
    ClosedBy,
    CompensationNeedsOrderError,
    ComplaintAtTopEscalationError,
    ComplaintStatus,
    Department,
    Remedy,
    Resolution,
    Severity,
    WaitingOn,
)
from domain.errors import (
    CompensationExceedsOrderAmountError,
    InvalidInputError,
    RootCauseRequiredError,
)
from domain.meta import Channel, Meta
from tests.support import T0, meta
from tests.unit.complaint_builders import (
    COMPLAINT_ID,
    CUSTOMER_ID,
    ORDER_AMOUNT,
    ORDER_ID,
    OTHER_ID,
    in_state,
    received,
    sealed,
)
from tests.unit.replay import assert_replays_equal, state_of

S = ComplaintStatus
Command = Callable[[Complaint, Meta], None]
LONG = "x" * 101
STRANGER = sealed(subject=OTHER_ID)


def later(minutes: int = 30) -> Meta:
    return meta(timedelta(minutes=minutes))


def event_fields(event: Any) -> dict[str, Any]:
    skip = {"meta", "originator_id", "originator_version", "timestamp", "originator_topic"}
    return {k: v for k, v in vars(event).items() if k not in skip}


def last_events(complaint: Complaint, count: int) -> list[tuple[str, dict[str, Any]]]:
    return [(type(e).__name__, event_fields(e)) for e in complaint.pending_events[-count:]]


INVALID: list[tuple[ComplaintStatus, str, Command]] = [
    (S.RECEIVED, "category", lambda c, m: c.classify(m, "weather", "rain", "general")),
    (S.RECEIVED, "subcategory", lambda c, m: c.classify(m, "logistics", " ", "general")),
    (S.RECEIVED, "subcategory", lambda c, m: c.classify(m, "logistics", LONG, "general")),
    (S.RECEIVED, "severity", lambda c, m: c.classify(m, "logistics", "late", "critical")),
    (S.ASSIGNED, "severity", lambda c, m: c.reclassify(m, "logistics", "late", "low")),
    (S.ASSIGNED, "category", lambda c, m: c.reclassify(m, "", "late", "major")),
    (S.CLASSIFIED, "department", lambda c, m: c.assign_responsibility(m, "kitchen", "k-1")),
    (S.CLASSIFIED, "person", lambda c, m: c.assign_responsibility(m, "technical", "")),
    (S.ASSIGNED, "department", lambda c, m: c.record_department_reply(m, "legal")),
    (S.ASSIGNED, "content", lambda c, m: c.receive_customer_message(m, STRANGER)),
    (S.ASSIGNED, "content", lambda c, m: c.reply(m, STRANGER)),
    (S.IN_PROGRESS, "waiting_on", lambda c, m: c.put_on_hold(m, "merchant")),
    (S.IN_PROGRESS, "remedy", lambda c, m: c.propose_solution(m, "cash", "5", None)),
    (S.IN_PROGRESS, "amount", lambda c, m: c.propose_solution(m, "full_refund", None, None)),
    (S.IN_PROGRESS, "amount", lambda c, m: c.propose_solution(m, "voucher", "0", None)),
    (S.IN_PROGRESS, "amount", lambda c, m: c.propose_solution(m, "apology", "5", None)),
    (S.IN_PROGRESS, "amount", lambda c, m: c.propose_solution(m, "redelivery", "x", None)),
    (S.IN_PROGRESS, "amount", lambda c, m: c.propose_solution(m, "partial_refund", "1.234", None)),
    (
        S.IN_PROGRESS,
        "order_amount",
        lambda c, m: c.propose_solution(m, "voucher", "5", Decimal("-1")),
    ),
    (
        S.SOLUTION_PROPOSED,
        "amount",
        lambda c, m: c.issue_compensation(m, "0", "platform", ORDER_AMOUNT),
    ),
    (
        S.SOLUTION_PROPOSED,
        "amount",
        lambda c, m: c.issue_compensation(m, "-5", "platform", ORDER_AMOUNT),
    ),
    (
        S.SOLUTION_PROPOSED,
        "funded_by",
        lambda c, m: c.issue_compensation(m, "5", "customer", ORDER_AMOUNT),
    ),
    (
        S.SOLUTION_PROPOSED,
        "order_amount",
        lambda c, m: c.issue_compensation(m, "5", "platform", Decimal("NaN")),
    ),
    (S.SOLUTION_PROPOSED, "outcome", lambda c, m: c.resolve(m, "maybe")),
    # the cause and the corrective action are words: sealed under the customer's key, or refused
    (S.ASSIGNED, "cause", lambda c, m: c.record_root_cause(m, STRANGER, sealed("fix"), None)),
    (
        S.ASSIGNED,
        "corrective_action",
        lambda c, m: c.record_root_cause(m, sealed("oven"), "fix", None),  # type: ignore[arg-type]
    ),
    (S.ASSIGNED, "incident_id", lambda c, m: c.link(m)),
    (S.ASSIGNED, "incident_id", lambda c, m: c.link(m, incident_id=OTHER_ID, order_id=ORDER_ID)),
    (S.ASSIGNED, "into", lambda c, m: c.merge_into(m, COMPLAINT_ID)),
    (S.RESOLVED, "by", lambda c, m: c.close(m, "robot")),
]


@pytest.mark.parametrize(
    ("state", "field", "command"),
    INVALID,
    ids=[f"{s}-{f}-{i}" for i, (s, f, _) in enumerate(INVALID)],
)
def test_invalid_input_names_its_field_and_records_nothing(
    state: ComplaintStatus, field: str, command: Command
) -> None:
    # given a complaint in a state that accepts the command
    complaint = in_state(state)
    before, snapshot = len(complaint.pending_events), deepcopy(state_of(complaint))
    # when it gets invalid input, then the field is named and nothing changes
    with pytest.raises(InvalidInputError) as invalid:
        command(complaint, later())
    assert invalid.value.field == field
    assert len(complaint.pending_events) == before
    assert state_of(complaint) == snapshot


def test_input_is_validated_before_the_state_is_checked() -> None:
    complaint = in_state(S.MERGED)
    with pytest.raises(InvalidInputError) as invalid:
        complaint.classify(later(), "weather", "rain", "general")
    assert invalid.value.field == "category"


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("channel", {"channel": "pigeon"}),
        ("content", {"content": STRANGER}),
    ],
)
def test_receiving_validates_channel_and_content(field: str, kwargs: dict[str, Any]) -> None:
    arguments: dict[str, Any] = {
        "id": COMPLAINT_ID,
        "customer_id": CUSTOMER_ID,
        "order_id": None,
        "content": sealed(),
        "channel": "phone",
        **kwargs,
    }
    with pytest.raises(InvalidInputError) as invalid:
        Complaint.receive(meta(), **arguments)
    assert invalid.value.field == field


def test_a_received_complaint_keeps_who_what_and_when() -> None:
    # when a complaint arrives by phone about an order
    complaint = Complaint.receive(
        meta(),
        id=COMPLAINT_ID,
        customer_id=CUSTOMER_ID,
        order_id=ORDER_ID,
        content=sealed(),
        channel="phone",
    )
    # then its event carries the sealed content and the policy version
    created = complaint.pending_events[0]
    assert type(created).__name__ == "ComplaintReceived"
    assert event_fields(created) == {
        "customer_id": CUSTOMER_ID,
        "order_id": ORDER_ID,
        "content": sealed(),
        "channel": Channel.PHONE,
        "policy_version": 1,
    }
    assert (complaint.id, complaint.status, complaint.received_at) == (COMPLAINT_ID, S.RECEIVED, T0)
    assert (complaint.severity, complaint.category, complaint.escalation_level) == (None, None, 0)
    assert (complaint.is_open, complaint.sla_policy_version) == (True, 1)


def test_classifying_keeps_category_and_severity() -> None:
    complaint = received()
    complaint.classify(later(10), "privacy", "leaked_phone", "major")
    assert last_events(complaint, 3)[0] == (
        "ComplaintClassified",
        {"category": Category.PRIVACY, "subcategory": "leaked_phone", "severity": Severity.MAJOR},
    )
    assert (complaint.category, complaint.subcategory, complaint.severity) == (
        Category.PRIVACY,
        "leaked_phone",
        Severity.MAJOR,
    )
    assert (complaint.status, complaint.classified_at) == (S.CLASSIFIED, T0 + timedelta(minutes=10))
    assert complaint.escalation_level == 0


def test_an_urgent_classification_escalates_to_level_one_only_from_below() -> None:
    # given a complaint escalated by hand to level 2
    complaint = received()
    complaint.escalate(later(1))
    complaint.escalate(later(1))
    # when classified urgent, then the level stays 2
    complaint.classify(later(10), "food_safety", "sick", "urgent")
    assert complaint.escalation_level == 2
    assert "ComplaintEscalated" not in [type(e).__name__ for e in complaint.pending_events[-3:]]


def test_reclassifying_records_the_previous_severity() -> None:
    complaint = in_state(S.ASSIGNED)
    complaint.reclassify(later(), "food_safety", "sick", "major")
    assert last_events(complaint, 2) == [
        (
            "ComplaintReclassified",
            {
                "category": Category.FOOD_SAFETY,
                "subcategory": "sick",
                "severity": Severity.MAJOR,
                "previous_severity": Severity.GENERAL,
            },
        ),
        (
            "SlaClockRetargeted",
            {
                "clock": "resolution",
                "due_at": T0 + timedelta(hours=12),
                "warn_at": T0 + timedelta(hours=9, minutes=36),
                "target_s": 43200,
            },
        ),
    ]
    assert (complaint.severity, complaint.status) == (Severity.MAJOR, S.ASSIGNED)


def test_reclassifying_a_resolved_complaint_leaves_its_stopped_clock_alone() -> None:
    complaint = in_state(S.RESOLVED)
    complaint.reclassify(later(), "logistics", "late", "major")
    assert [name for name, _ in last_events(complaint, 1)] == ["ComplaintReclassified"]


def test_assigning_keeps_department_and_person_and_a_reopened_complaint_stays_reopened() -> None:
    complaint = in_state(S.REOPENED)
    complaint.assign_responsibility(later(), "merchant_relations", "m-4")
    assert (complaint.department, complaint.assignee, complaint.status) == (
        Department.MERCHANT_RELATIONS,
        "m-4",
        S.REOPENED,
    )


def test_customer_messages_and_replies_are_recorded_sealed() -> None:
    complaint = in_state(S.ASSIGNED)
    complaint.receive_customer_message(later(3), sealed("where is my food"))
    complaint.reply(later(4), sealed("on its way"))
    assert last_events(complaint, 5) == [
        ("CustomerMessageReceived", {"content": sealed("where is my food")}),
        ("AgentReplied", {"content": sealed("on its way")}),
        ("FirstResponseSent", {}),
        ("SlaBreached", {"clock": "first_response", "late_by_s": 120}),
        ("ComplaintEscalated", {"level": 1, "trigger": "sla"}),
    ]
    assert (complaint.message_count, complaint.reply_count) == (1, 1)
    assert complaint.first_response_at == T0 + timedelta(minutes=4)


def test_a_hold_keeps_who_it_waits_on_until_resumed() -> None:
    complaint = in_state(S.IN_PROGRESS)
    complaint.put_on_hold(later(), "courier")
    assert (complaint.status, complaint.waiting_on) == (S.ON_HOLD, WaitingOn.COURIER)
    complaint.resume(later(40))
    assert (complaint.status, complaint.waiting_on) == (S.IN_PROGRESS, None)


@pytest.mark.parametrize(
    ("remedy", "amount", "stored"),
    [
        ("full_refund", "40", Decimal("40.00")),
        ("partial_refund", Decimal("12.5"), Decimal("12.50")),
        ("voucher", "5", Decimal("5.00")),
        ("redelivery", None, None),
        ("apology", "0", None),
    ],
)
def test_a_proposed_solution_keeps_its_remedy_and_amount(
    remedy: str, amount: str | Decimal | None, stored: Decimal | None
) -> None:
    complaint = in_state(S.IN_PROGRESS)
    complaint.propose_solution(later(), remedy, amount, ORDER_AMOUNT)
    assert last_events(complaint, 1) == [
        ("SolutionProposed", {"remedy": Remedy(remedy), "amount": stored})
    ]
    assert (complaint.remedy, complaint.proposed_amount) == (Remedy(remedy), stored)


def test_a_proposal_above_the_order_amount_is_refused() -> None:
    complaint = in_state(S.IN_PROGRESS)
    with pytest.raises(CompensationExceedsOrderAmountError) as refused:
        complaint.propose_solution(later(), "full_refund", "40.01", ORDER_AMOUNT)
    assert (refused.value.requested, refused.value.limit) == ("40.01", "40.00")
    assert complaint.status == S.IN_PROGRESS
    # without an order amount there is nothing to compare with
    complaint.propose_solution(later(), "voucher", "80", None)
    assert complaint.proposed_amount == Decimal("80.00")


def test_compensation_adds_up_to_the_order_amount_and_no_further() -> None:
    # given a resolved complaint compensated 30.00 then 10.00 (the order's 40.00)
    complaint = in_state(S.RESOLVED)
    complaint.issue_compensation(later(), "30", "merchant", ORDER_AMOUNT)
    complaint.issue_compensation(later(), Decimal("10.00"), "courier", ORDER_AMOUNT)
    assert last_events(complaint, 1) == [
        ("CompensationIssued", {"amount": Decimal("10.00"), "funded_by": "courier"})
    ]
    before = len(complaint.pending_events)
    # when one more cent is asked, then it is refused with the total it would reach
    with pytest.raises(CompensationExceedsOrderAmountError) as refused:
        complaint.issue_compensation(later(), "0.01", "platform", ORDER_AMOUNT)
    assert (refused.value.requested, refused.value.limit) == ("40.01", "40.00")
    assert (complaint.compensated_total, len(complaint.pending_events)) == (
        Decimal("40.00"),
        before,
    )


def test_compensation_without_an_order_amount_is_refused() -> None:
    complaint = in_state(S.SOLUTION_PROPOSED)
    with pytest.raises(CompensationNeedsOrderError) as refused:
        complaint.issue_compensation(later(), "5", "platform", None)
    assert refused.value.code == "COMPENSATION_NEEDS_ORDER"
    assert complaint.compensated_total == Decimal("0.00")


def test_resolving_keeps_the_outcome_and_time() -> None:
    complaint = in_state(S.SOLUTION_PROPOSED)
    complaint.resolve(later(), "redelivered")
    assert (complaint.outcome, complaint.resolved_at) == (
        Resolution.REDELIVERED,
        T0 + timedelta(minutes=30),
    )


def test_a_satisfied_customer_who_disputes_reopens_the_complaint() -> None:
    # given a resolved complaint the customer first confirmed
    complaint = in_state(S.RESOLVED)
    complaint.confirm_satisfied(later(40))
    assert (complaint.customer_satisfied, complaint.status) == (True, S.RESOLVED)
    # when the customer disputes it
    complaint.dispute_resolution(later(50))
    # then it is reopened, counted, and no longer satisfied
    assert (complaint.status, complaint.reopen_count, complaint.customer_satisfied) == (
        S.REOPENED,
        1,
        False,
    )
    assert [name for name, _ in last_events(complaint, 3)] == [
        "ResolutionDisputed",
        "ComplaintReopened",
        "SlaClockStarted",
    ]


@pytest.mark.parametrize("severity", ["major", "urgent"])
def test_a_serious_complaint_closes_only_after_its_root_cause(severity: str) -> None:
    # given a resolved complaint of that severity
    complaint = in_state(S.RESOLVED)
    complaint.reclassify(later(), "food_safety", "sick", severity)
    # when closed without a root cause, then it is refused
    with pytest.raises(RootCauseRequiredError) as refused:
        complaint.close(later(), "agent")
    assert refused.value.severity == severity
    assert complaint.status == S.RESOLVED
    # when the root cause is recorded, then it closes
    complaint.record_root_cause(later(), sealed("fridge broke"), sealed("replace"), OTHER_ID)
    assert last_events(complaint, 1) == [
        (
            "RootCauseRecorded",
            {
                "cause": sealed("fridge broke"),
                "corrective_action": sealed("replace"),
                "incident_id": OTHER_ID,
            },
        )
    ]
    complaint.close(later(60), "timeout")
    assert (complaint.status, complaint.closed_by, complaint.closed_at) == (
        S.CLOSED,
        ClosedBy.TIMEOUT,
        T0 + timedelta(minutes=60),
    )
    assert (complaint.root_cause_recorded, complaint.is_open) == (True, False)


def test_escalation_climbs_to_level_three_and_no_further() -> None:
    complaint = in_state(S.ASSIGNED)
    for level in (1, 2, 3):
        complaint.escalate(later())
        assert last_events(complaint, 1) == [
            ("ComplaintEscalated", {"level": level, "trigger": "manual"})
        ]
    with pytest.raises(ComplaintAtTopEscalationError) as refused:
        complaint.escalate(later())
    assert (refused.value.level, complaint.escalation_level) == (3, 3)


def test_links_keep_incidents_and_give_an_orderless_complaint_its_order() -> None:
    # given a complaint received without an order
    complaint = received(order_id=None)
    # when an incident is linked twice and an order once
    complaint.link(later(), incident_id=OTHER_ID)
    complaint.link(later(), incident_id=OTHER_ID)
    complaint.link(later(), order_id=ORDER_ID)
    # then the incident is kept once and the order becomes the complaint's
    assert (complaint.linked_incident_ids, complaint.order_id) == ([OTHER_ID], ORDER_ID)
    assert last_events(complaint, 1) == [
        ("ComplaintLinked", {"incident_id": None, "order_id": ORDER_ID})
    ]


def test_linking_another_order_keeps_the_complaints_own() -> None:
    complaint = received(order_id=ORDER_ID)
    complaint.link(later(), order_id=OTHER_ID)
    assert (complaint.order_id, complaint.linked_order_ids) == (ORDER_ID, [OTHER_ID])
    assert_replays_equal(complaint)


def test_a_merged_complaint_names_the_one_it_joined() -> None:
    complaint = in_state(S.ON_HOLD)
    complaint.merge_into(later(), OTHER_ID)
    assert (complaint.status, complaint.merged_into, complaint.is_open) == (
        S.MERGED,
        OTHER_ID,
        False,
    )
    assert last_events(complaint, 1) == [("ComplaintMerged", {"into": OTHER_ID})]
    assert_replays_equal(complaint)
