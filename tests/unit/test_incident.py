from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.errors import (
    DomainError,
    InvalidInputError,
    ReviewRequiredError,
    TransitionRefusedError,
)
from domain.incident import Incident
from domain.incident_types import (
    IncidentImpact,
    IncidentStatus,
    ReviewAlreadyCompletedError,
    Severity,
    WarningColour,
)
from tests.support import T0, meta, minutes
from tests.unit.replay import assert_replays_equal, state_of

S = IncidentStatus
OPEN = {S.REPORTED, S.CONFIRMED, S.RESPONDING, S.MITIGATED, S.RESOLVED, S.IN_REVIEW}
STAFFED = OPEN - {S.REPORTED}
ACTIVE = {S.RESPONDING, S.MITIGATED}
OTHER = UUID("00000000-0000-4000-8000-000000000001")

Command = Callable[[Incident, timedelta], None]

# command name -> (what it does, in the words of the refusal; the command with valid inputs)
COMMANDS: dict[str, tuple[str, Command]] = {
    "issue_warning": ("issue a warning", lambda i, at: i.issue_warning(meta(at), "orange")),
    "confirm": ("confirm", lambda i, at: i.confirm(meta(at))),
    "decline": ("decline", lambda i, at: i.decline(meta(at))),
    "assess_severity": (
        "assess severity",
        lambda i, at: i.assess_severity(meta(at), "III", "one region"),
    ),
    "report_to_superior": (
        "report to a superior",
        lambda i, at: i.report_to_superior(meta(at), "duty director"),
    ),
    "establish_command": (
        "establish command",
        lambda i, at: i.establish_command(meta(at), "ops-anna"),
    ),
    "assign_role": ("assign a role", lambda i, at: i.assign_role(meta(at), "scribe", "bo")),
    "allocate_resource": (
        "allocate a resource",
        lambda i, at: i.allocate_resource(meta(at), "backup gateway"),
    ),
    "take_action": (
        "take an action",
        lambda i, at: i.take_action(meta(at), "restore", "fail over"),
    ),
    "publish_status_update": (
        "publish a status update",
        lambda i, at: i.publish_status_update(meta(at), "customers", "We are on it"),
    ),
    "record_impact": ("record impact", lambda i, at: i.record_impact(meta(at), 120, 95, ["east"])),
    "link_orders": ("link orders", lambda i, at: i.link_orders(meta(at), [OTHER])),
    "link_complaints": ("link complaints", lambda i, at: i.link_complaints(meta(at), [OTHER])),
    "mitigate": ("mitigate", lambda i, at: i.mitigate(meta(at))),
    "resolve": ("resolve", lambda i, at: i.resolve(meta(at))),
    "start_review": ("start the review", lambda i, at: i.start_review(meta(at))),
    "complete_review": (
        "complete the review",
        lambda i, at: i.complete_review(meta(at), "expired certificate", ["renew alerts"]),
    ),
    "close": ("close", lambda i, at: i.close(meta(at))),
    "merge_into": ("merge", lambda i, at: i.merge_into(meta(at), OTHER)),
}

# command name -> (event it records, states that allow it, state it leads to; None: unchanged)
TRANSITIONS: dict[str, tuple[str, set[IncidentStatus], IncidentStatus | None]] = {
    "issue_warning": ("WarningIssued", OPEN, None),
    "confirm": ("IncidentConfirmed", {S.REPORTED}, S.CONFIRMED),
    "decline": ("IncidentDeclined", {S.REPORTED}, S.DECLINED),
    "assess_severity": ("SeverityAssessed", OPEN, None),
    "report_to_superior": ("ReportedToSuperior", OPEN, None),
    "establish_command": ("CommandEstablished", {S.CONFIRMED}, S.RESPONDING),
    "assign_role": ("RoleAssigned", STAFFED, None),
    "allocate_resource": ("ResourceAllocated", ACTIVE, None),
    "take_action": ("ActionTaken", ACTIVE, None),
    "publish_status_update": ("StatusUpdatePublished", STAFFED, None),
    "record_impact": ("ImpactRecorded", OPEN, None),
    "link_orders": ("OrdersLinked", OPEN, None),
    "link_complaints": ("ComplaintsLinked", OPEN, None),
    "mitigate": ("IncidentMitigated", {S.RESPONDING}, S.MITIGATED),
    "resolve": ("IncidentResolved", ACTIVE, S.RESOLVED),
    "start_review": ("PostIncidentReviewStarted", {S.RESOLVED}, S.IN_REVIEW),
    "complete_review": ("PostIncidentReviewCompleted", {S.IN_REVIEW}, None),
    "close": ("IncidentClosed", {S.RESOLVED, S.IN_REVIEW}, S.CLOSED),
    "merge_into": ("IncidentMerged", OPEN, S.MERGED),
}

RESPONDING = ["confirm", "establish_command"]
PATHS: dict[IncidentStatus, list[str]] = {
    S.REPORTED: [],
    S.CONFIRMED: ["confirm"],
    S.DECLINED: ["decline"],
    S.RESPONDING: RESPONDING,
    S.MITIGATED: [*RESPONDING, "mitigate"],
    S.RESOLVED: [*RESPONDING, "resolve"],
    S.IN_REVIEW: [*RESPONDING, "resolve", "start_review"],
    S.CLOSED: [*RESPONDING, "resolve", "close"],
    S.MERGED: ["merge_into"],
}
PAIRS = [(state, name) for state in S for name in TRANSITIONS]
ALLOWED = [(state, name) for state, name in PAIRS if state in TRANSITIONS[name][1]]
REFUSED = [(state, name) for state, name in PAIRS if state not in TRANSITIONS[name][1]]


def reported(at: timedelta = timedelta(0)) -> Incident:
    return Incident.report(
        meta(at),
        id=uuid4(),
        type="system_failure",
        source="monitor",
        title="Payments down",
        description="Card payments fail in the east region",
    )


def incident_in(state: IncidentStatus) -> Incident:
    incident = reported()
    for step, name in enumerate(PATHS[state], start=1):
        COMMANDS[name][1](incident, minutes(step))
    assert incident.status == state
    return incident


def assert_untouched(incident: Incident, attempt: Callable[[], None]) -> DomainError:
    before, events = deepcopy(state_of(incident)), len(incident.pending_events)
    with pytest.raises(DomainError) as refused:
        attempt()
    assert len(incident.pending_events) == events
    assert state_of(incident) == before
    return refused.value


def last_event(incident: Incident) -> Any:
    return incident.pending_events[-1]


@pytest.mark.parametrize(("state", "name"), ALLOWED, ids=[f"{s}-{n}" for s, n in ALLOWED])
def test_an_allowed_command_records_its_event_and_moves_on(
    state: IncidentStatus, name: str
) -> None:
    # given an incident in the state
    incident = incident_in(state)
    events = len(incident.pending_events)
    # when the command runs
    COMMANDS[name][1](incident, minutes(30))
    # then exactly its event is recorded and the incident is in the next state
    event_name, _, next_state = TRANSITIONS[name]
    assert len(incident.pending_events) == events + 1
    assert type(last_event(incident)).__name__ == event_name
    assert incident.status == (next_state or state)
    assert_replays_equal(incident)


@pytest.mark.parametrize(("state", "name"), REFUSED, ids=[f"{s}-{n}" for s, n in REFUSED])
def test_a_command_outside_its_states_is_refused_naming_state_and_action(
    state: IncidentStatus, name: str
) -> None:
    # given an incident in a state that does not allow the command
    incident = incident_in(state)
    # when the command runs, then it is refused and nothing changes
    refused = assert_untouched(incident, lambda: COMMANDS[name][1](incident, minutes(30)))
    assert isinstance(refused, TransitionRefusedError)
    assert (refused.entity, refused.state, refused.action) == ("Incident", state, COMMANDS[name][0])


def test_a_report_keeps_what_was_reported_and_when() -> None:
    # when a monitor reports a system failure
    incident = reported(minutes(3))
    # then the incident is open, unassessed and unstaffed
    assert (incident.type, incident.source) == ("system_failure", "monitor")
    assert (incident.title, incident.description) == (
        "Payments down",
        "Card payments fail in the east region",
    )
    assert incident.status == S.REPORTED
    assert incident.reported_at == T0 + minutes(3)
    assert incident.is_open is True
    assert incident.severity is None
    assert incident.roles == {}
    assert (incident.acknowledged_at, incident.resolved_at, incident.last_update_at) == (
        None,
        None,
        None,
    )
    event = last_event(incident)
    assert type(event).__name__ == "IncidentReported"
    assert (event.type, event.source, event.title) == ("system_failure", "monitor", "Payments down")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("type", "meteor"),
        ("source", "rumour"),
        ("title", ""),
        ("title", "t" * 201),
        ("description", "   "),
        ("description", "d" * 4001),
    ],
)
def test_an_invalid_report_names_the_field(field: str, value: str) -> None:
    # given valid report arguments but one
    arguments = {
        "type": "public_health",
        "source": "complaint_cluster",
        "title": "Food poisoning",
        "description": "Seven customers of one kitchen",
        field: value,
    }
    # when reported, then the field is named
    with pytest.raises(InvalidInputError) as invalid:
        Incident.report(meta(), id=uuid4(), **arguments)
    assert invalid.value.field == field


def test_longest_title_and_description_are_accepted() -> None:
    incident = Incident.report(
        meta(),
        id=uuid4(),
        type="accident",
        source="staff",
        title="t" * 200,
        description="d" * 4000,
    )
    assert (len(incident.title), len(incident.description)) == (200, 4000)


def test_acknowledgement_and_resolution_times_give_mtta_and_mttr() -> None:
    # given an incident reported at T0
    incident = reported()
    # when it is confirmed after 4 minutes, commanded, and resolved after 95 minutes
    incident.confirm(meta(minutes(4)))
    incident.establish_command(meta(minutes(6)), "ops-anna")
    incident.resolve(meta(minutes(95)))
    # then the milestones are kept
    assert incident.acknowledged_at - incident.reported_at == minutes(4)  # type: ignore[operator]
    assert incident.resolved_at - incident.reported_at == minutes(95)  # type: ignore[operator]


def test_confirmation_before_the_report_is_invalid() -> None:
    incident = reported(minutes(10))
    invalid = assert_untouched(incident, lambda: incident.confirm(meta(minutes(9))))
    assert isinstance(invalid, InvalidInputError) and invalid.field == "occurred_at"


def test_resolution_before_the_acknowledgement_is_invalid() -> None:
    incident = reported()
    incident.confirm(meta(minutes(10)))
    incident.establish_command(meta(minutes(11)), "ops-anna")
    invalid = assert_untouched(incident, lambda: incident.resolve(meta(minutes(9))))
    assert isinstance(invalid, InvalidInputError) and invalid.field == "occurred_at"


def test_the_latest_warning_colour_is_kept() -> None:
    # given an incident warned orange
    incident = reported()
    incident.issue_warning(meta(), "orange")
    # when the warning is raised to red
    incident.issue_warning(meta(minutes(1)), "red")
    # then red is the current warning
    assert incident.warning_colour == WarningColour.RED
    assert last_event(incident).colour == "red"


def test_severity_can_be_reassessed_with_a_reason() -> None:
    # given an incident assessed as III
    incident = reported()
    incident.assess_severity(meta(), "III", "one region")
    # when reassessed as I
    incident.assess_severity(meta(minutes(5)), "I", "nationwide outage")
    # then its severity is I and the event carries the reason
    assert incident.severity == Severity.I
    assert (last_event(incident).level, last_event(incident).reason) == ("I", "nationwide outage")


def test_the_first_report_to_a_superior_is_kept() -> None:
    incident = reported()
    incident.report_to_superior(meta(minutes(7)), "duty director")
    incident.report_to_superior(meta(minutes(9)), "food safety regulator")
    assert incident.reported_up_at == T0 + minutes(7)
    assert last_event(incident).to == "food safety regulator"


def test_command_names_the_commander_and_roles_can_be_assigned_and_handed_over() -> None:
    # given a confirmed incident
    incident = incident_in(S.CONFIRMED)
    # when command is established, a scribe named and the commander role handed over
    incident.establish_command(meta(minutes(5)), "ops-anna")
    incident.assign_role(meta(minutes(6)), "scribe", "bo")
    incident.assign_role(meta(minutes(7)), "commander", "ops-chen")
    # then the roles map each role to its current holder
    assert incident.roles == {"commander": "ops-chen", "scribe": "bo"}
    assert (last_event(incident).role, last_event(incident).person) == ("commander", "ops-chen")


def test_roles_returns_a_copy() -> None:
    incident = incident_in(S.RESPONDING)
    incident.roles["commander"] = "intruder"
    assert incident.roles == {"commander": "ops-anna"}


def test_a_status_update_sets_the_last_update_time() -> None:
    incident = incident_in(S.RESPONDING)
    incident.publish_status_update(meta(minutes(40)), "regulator", "Contained")
    assert incident.last_update_at == T0 + minutes(40)
    assert (last_event(incident).audience, last_event(incident).message) == (
        "regulator",
        "Contained",
    )


def test_the_latest_impact_estimate_is_kept() -> None:
    incident = reported()
    incident.record_impact(meta(), 10, 8, ["east"])
    incident.record_impact(meta(minutes(1)), 120, 95, ["east", "north"])
    assert incident.impact == IncidentImpact(orders=120, customers=95, regions=["east", "north"])


@pytest.mark.parametrize("name", ["link_orders", "link_complaints"])
def test_linking_keeps_the_union_in_first_seen_order(name: str) -> None:
    # given an incident linked to a and b
    a, b, c = uuid4(), uuid4(), uuid4()
    incident = reported()
    getattr(incident, name)(meta(), [a, b])
    # when linked to b, c and c again
    getattr(incident, name)(meta(minutes(1)), [b, c, c])
    # then each is linked once, in the order first seen
    linked = incident.order_ids if name == "link_orders" else incident.complaint_ids
    assert linked == [a, b, c]


@pytest.mark.parametrize("name", ["link_orders", "link_complaints"])
def test_a_thousand_ids_can_be_linked_at_once(name: str) -> None:
    incident = reported()
    ids = [uuid4() for _ in range(1000)]
    getattr(incident, name)(meta(), ids)
    assert (incident.order_ids if name == "link_orders" else incident.complaint_ids) == ids


def test_a_completed_review_keeps_root_cause_and_follow_ups_and_cannot_be_completed_twice() -> None:
    # given an incident under review
    incident = incident_in(S.IN_REVIEW)
    # when the review is completed
    incident.complete_review(meta(minutes(60)), "expired certificate", ["renew", "alert"])
    # then it is kept, and a second completion is refused
    assert incident.review_completed is True
    assert (incident.root_cause, incident.follow_ups) == ("expired certificate", ["renew", "alert"])
    again = assert_untouched(
        incident, lambda: incident.complete_review(meta(minutes(61)), "other", [])
    )
    assert isinstance(again, ReviewAlreadyCompletedError)
    assert again.code == "REVIEW_ALREADY_COMPLETED"


@pytest.mark.parametrize("level", ["I", "II"])
@pytest.mark.parametrize("state", [S.RESOLVED, S.IN_REVIEW])
def test_a_grave_incident_closes_only_after_its_review(level: str, state: IncidentStatus) -> None:
    # given a resolved or in-review incident of severity I or II, review not completed
    incident = incident_in(state)
    incident.assess_severity(meta(minutes(50)), level, "many customers")
    # when closed, then the review is required
    refused = assert_untouched(incident, lambda: incident.close(meta(minutes(60))))
    assert isinstance(refused, ReviewRequiredError)
    assert (refused.severity, refused.code) == (level, "REVIEW_REQUIRED")


@pytest.mark.parametrize("level", ["I", "II"])
def test_a_grave_incident_closes_once_its_review_is_completed(level: str) -> None:
    incident = incident_in(S.IN_REVIEW)
    incident.assess_severity(meta(minutes(50)), level, "many customers")
    incident.complete_review(meta(minutes(55)), "expired certificate", [])
    incident.close(meta(minutes(60)))
    assert incident.status == S.CLOSED
    assert incident.is_open is False


@pytest.mark.parametrize("level", ["III", "IV"])
def test_a_minor_incident_closes_without_review(level: str) -> None:
    incident = incident_in(S.RESOLVED)
    incident.assess_severity(meta(minutes(50)), level, "few customers")
    incident.close(meta(minutes(60)))
    assert incident.status == S.CLOSED


def test_a_downgraded_incident_no_longer_needs_a_review() -> None:
    incident = incident_in(S.RESOLVED)
    incident.assess_severity(meta(minutes(50)), "I", "looked nationwide")
    incident.assess_severity(meta(minutes(51)), "III", "one region after all")
    incident.close(meta(minutes(60)))
    assert incident.status == S.CLOSED


def test_a_merged_incident_keeps_where_it_went() -> None:
    incident = incident_in(S.RESPONDING)
    incident.merge_into(meta(minutes(9)), OTHER)
    assert (incident.status, incident.merged_into, incident.is_open) == (S.MERGED, OTHER, False)
    assert last_event(incident).into == OTHER


@pytest.mark.parametrize(
    ("state", "command", "field"),
    [
        (S.REPORTED, lambda i: i.issue_warning(meta(), "purple"), "colour"),
        (S.REPORTED, lambda i: i.assess_severity(meta(), "V", "why"), "level"),
        (S.REPORTED, lambda i: i.assess_severity(meta(), "I", " "), "reason"),
        (S.REPORTED, lambda i: i.assess_severity(meta(), "I", "r" * 2001), "reason"),
        (S.REPORTED, lambda i: i.report_to_superior(meta(), ""), "to"),
        (S.CONFIRMED, lambda i: i.establish_command(meta(), ""), "commander"),
        (S.RESPONDING, lambda i: i.assign_role(meta(), "observer", "bo"), "role"),
        (S.RESPONDING, lambda i: i.assign_role(meta(), "scribe", ""), "person"),
        (S.RESPONDING, lambda i: i.allocate_resource(meta(), " "), "resource"),
        (S.RESPONDING, lambda i: i.take_action(meta(), "pray", "x"), "kind"),
        (S.RESPONDING, lambda i: i.take_action(meta(), "contain", ""), "detail"),
        (S.RESPONDING, lambda i: i.publish_status_update(meta(), "press", "x"), "audience"),
        (S.RESPONDING, lambda i: i.publish_status_update(meta(), "internal", ""), "message"),
        (S.REPORTED, lambda i: i.record_impact(meta(), -1, 0, []), "orders"),
        (S.REPORTED, lambda i: i.record_impact(meta(), 0, True, []), "customers"),
        (S.REPORTED, lambda i: i.record_impact(meta(), 0, 0, "east"), "regions"),
        (S.REPORTED, lambda i: i.record_impact(meta(), 0, 0, ["east", ""]), "regions[1]"),
        (S.REPORTED, lambda i: i.record_impact(meta(), 0, 0, ["east", "east"]), "regions[1]"),
        (S.REPORTED, lambda i: i.link_orders(meta(), []), "order_ids"),
        (S.REPORTED, lambda i: i.link_orders(meta(), [uuid4()] * 1001), "order_ids"),
        (S.REPORTED, lambda i: i.link_orders(meta(), [uuid4(), "o-2"]), "order_ids[1]"),
        (S.REPORTED, lambda i: i.link_complaints(meta(), []), "complaint_ids"),
        (S.REPORTED, lambda i: i.link_complaints(meta(), ["c-1"]), "complaint_ids[0]"),
        (S.IN_REVIEW, lambda i: i.complete_review(meta(), "", []), "root_cause"),
        (S.IN_REVIEW, lambda i: i.complete_review(meta(), "x", ["a", " "]), "follow_ups[1]"),
        (
            S.IN_REVIEW,
            lambda i: i.complete_review(meta(), "x", [str(n) for n in range(51)]),
            "follow_ups",
        ),
        (S.REPORTED, lambda i: i.merge_into(meta(), "incident-2"), "into"),
        (S.REPORTED, lambda i: i.merge_into(meta(), i.id), "into"),
    ],
)
def test_invalid_input_names_the_field_and_changes_nothing(
    state: IncidentStatus, command: Callable[[Incident], None], field: str
) -> None:
    # given an incident in a state that allows the command
    incident = incident_in(state)
    # when the command gets an invalid input, then it names the field and records nothing
    invalid = assert_untouched(incident, lambda: command(incident))
    assert isinstance(invalid, InvalidInputError)
    assert invalid.field == field
