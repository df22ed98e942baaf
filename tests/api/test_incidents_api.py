from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from api.auth import Role
from tests.api.gql import Gql
from tests.api.order_inputs import ALICE, PLACE, place_input

pytestmark = pytest.mark.usefixtures("known_customers")

COMMANDER = {"role": Role.INCIDENT_COMMANDER, "subject": "ic-zhou"}

RESULT = """
    __typename
    ... on IncidentChanged {
      incident { incidentId status version } written { version replayed }
    }
    ... on TransitionRefused { state action }
    ... on ValidationFailed { problems { path message } }
    ... on NotFound { entity id }
    ... on Problem { code message }
"""

INPUT_TYPES = {
    "reportIncident": "ReportIncidentInput",
    "issueWarning": "IssueWarningInput",
    "assessSeverity": "AssessSeverityInput",
    "reportToSuperior": "ReportToSuperiorInput",
    "establishCommand": "EstablishCommandInput",
    "assignRole": "AssignIncidentRoleInput",
    "allocateResource": "AllocateResourceInput",
    "takeAction": "TakeActionInput",
    "publishStatusUpdate": "PublishStatusUpdateInput",
    "recordImpact": "RecordImpactInput",
    "linkOrders": "LinkOrdersInput",
    "linkComplaints": "LinkComplaintsInput",
    "completeReview": "CompleteReviewInput",
    "mergeIncident": "MergeIncidentInput",
}

FULL = """
query($id: ID!) {
  incident(id: $id) {
    incidentId version type source title description status severity warningColour
    roles { role person } reportedAt acknowledgedAt reportedUpAt resolvedAt lastUpdateAt
    impact { orders customers regions } orderIds complaintIds reviewCompleted rootCause
    followUps mergedInto
  }
}"""

REPORT = {
    "type": "PUBLIC_HEALTH",
    "source": "COMPLAINT_CLUSTER",
    "title": "Food poisoning",
    "description": "Eleven customers of one kitchen report vomiting",
}


def run(gql: Gql, name: str, input: dict[str, Any], **who: Any) -> dict[str, Any]:
    kind = INPUT_TYPES.get(name, "IncidentInput")
    document = f"mutation($input: {kind}!) {{ {name}(input: $input) {{ {RESULT} }} }}"
    body = gql(document, {"input": input}, **who)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"][name]
    return result


def report(gql: Gql) -> str:
    # agents may report an incident
    reported = run(gql, "reportIncident", REPORT, role=Role.AGENT)
    assert reported["incident"]["status"] == "REPORTED", reported
    incident_id: str = reported["incident"]["incidentId"]
    return incident_id


def order_and_complaint(gql: Gql) -> tuple[str, str]:
    """Ids of an order and a complaint that exist: links to nothing are refused."""
    placed = gql(PLACE, {"input": place_input(ALICE)})["data"]["placeOrder"]
    order_id: str = placed["order"]["orderId"]
    document = """mutation($input: FileComplaintInput!) { fileComplaint(input: $input) {
      ... on ComplaintChanged { complaint { complaintId } } ... on Problem { code } } }"""
    data = {"customerId": ALICE, "orderId": order_id, "content": "late", "channel": "APP"}
    filed = gql(document, {"input": data})["data"]["fileComplaint"]
    return order_id, filed["complaint"]["complaintId"]


def test_an_incident_goes_from_report_to_closed_review_over_http(gql: Gql) -> None:
    incident_id = report(gql)
    order_id, complaint_id = order_and_complaint(gql)
    steps: list[tuple[str, dict[str, Any], str]] = [
        ("issueWarning", {"colour": "ORANGE"}, "REPORTED"),
        ("confirmIncident", {}, "CONFIRMED"),
        ("assessSeverity", {"level": "II", "reason": "eleven sick, one kitchen"}, "CONFIRMED"),
        ("reportToSuperior", {"to": "city food safety office"}, "CONFIRMED"),
        ("establishCommand", {"commander": "ic-zhou"}, "RESPONDING"),
        ("assignRole", {"role": "OPS_LEAD", "person": "ops-wang"}, "RESPONDING"),
        ("assignRole", {"role": "COMMS_LEAD", "person": "comms-li"}, "RESPONDING"),
        ("allocateResource", {"resource": "food safety team"}, "RESPONDING"),
        ("takeAction", {"kind": "RECALL", "detail": "pull the kitchen's menu"}, "RESPONDING"),
        ("publishStatusUpdate", {"audience": "CUSTOMERS", "message": "menu paused"}, "RESPONDING"),
        ("recordImpact", {"orders": 40, "customers": 11, "regions": ["chaoyang"]}, "RESPONDING"),
        ("linkOrders", {"orderIds": [order_id]}, "RESPONDING"),
        ("linkComplaints", {"complaintIds": [complaint_id]}, "RESPONDING"),
        ("mitigateIncident", {}, "MITIGATED"),
        ("resolveIncident", {}, "RESOLVED"),
    ]
    for version, (name, arguments, status) in enumerate(steps, start=2):
        done = run(gql, name, {"incidentId": incident_id, **arguments}, **COMMANDER)
        assert done["__typename"] == "IncidentChanged", (name, done)
        assert done["incident"]["status"] == status, name
        assert done["written"] == {"version": version, "replayed": False}, name
    # a severity II incident may not close before its review is completed
    refused = run(gql, "closeIncident", {"incidentId": incident_id}, **COMMANDER)
    assert refused == {
        "__typename": "RuleViolated",
        "code": "REVIEW_REQUIRED",
        "message": refused["message"],
    }
    assert "II" in refused["message"]
    for name, arguments, status in [
        ("startReview", {}, "IN_REVIEW"),
        (
            "completeReview",
            {"rootCause": "a broken fridge", "followUps": ["daily fridge log"]},
            "IN_REVIEW",
        ),
        ("closeIncident", {}, "CLOSED"),
    ]:
        done = run(gql, name, {"incidentId": incident_id, **arguments}, **COMMANDER)
        assert done["incident"]["status"] == status, (name, done)
    # the whole story reads back, for an analyst too
    seen = gql(FULL, {"id": incident_id}, role=Role.ANALYST)["data"]["incident"]
    times = {
        k: seen.pop(k)
        for k in ("reportedAt", "acknowledgedAt", "reportedUpAt", "resolvedAt", "lastUpdateAt")
    }
    assert all(times.values()), times
    assert seen == {
        "incidentId": incident_id,
        "version": 19,
        "type": "PUBLIC_HEALTH",
        "source": "COMPLAINT_CLUSTER",
        "title": "Food poisoning",
        "description": REPORT["description"],
        "status": "CLOSED",
        "severity": "II",
        "warningColour": "ORANGE",
        "roles": [
            {"role": "COMMANDER", "person": "ic-zhou"},
            {"role": "OPS_LEAD", "person": "ops-wang"},
            {"role": "COMMS_LEAD", "person": "comms-li"},
        ],
        "impact": {"orders": 40, "customers": 11, "regions": ["chaoyang"]},
        "orderIds": [order_id],
        "complaintIds": [complaint_id],
        "reviewCompleted": True,
        "rootCause": "a broken fridge",
        "followUps": ["daily fridge log"],
        "mergedInto": None,
    }
    history = gql(
        "query($id: ID!) { incidentHistory(id: $id) { version name actor { id role } } }",
        {"id": incident_id},
        role=Role.COMPLIANCE_OFFICER,
    )["data"]["incidentHistory"]
    assert [e["name"] for e in history][:3] == [
        "IncidentReported",
        "WarningIssued",
        "IncidentConfirmed",
    ]
    assert [e["name"] for e in history][-3:] == [
        "PostIncidentReviewStarted",
        "PostIncidentReviewCompleted",
        "IncidentClosed",
    ]
    assert history[0]["actor"] == {"id": "agent-1", "role": "agent"}
    assert history[1]["actor"] == {"id": "ic-zhou", "role": "incident_commander"}


def test_an_incident_can_be_seen_as_it_was(gql: Gql) -> None:
    incident_id = report(gql)
    run(gql, "confirmIncident", {"incidentId": incident_id}, **COMMANDER)
    document = "query($id: ID!, $v: Int) { incident(id: $id, version: $v) { status version } }"
    then = gql(document, {"id": incident_id, "v": 1}, role=Role.SUPERVISOR)
    assert then["data"]["incident"] == {"status": "REPORTED", "version": 1}


@pytest.mark.parametrize(
    ("role", "name", "allowed"),
    [
        (Role.AGENT, "confirmIncident", False),
        (Role.ANALYST, "confirmIncident", False),
        (Role.COMPLIANCE_OFFICER, "confirmIncident", False),
        (Role.CUSTOMER, "confirmIncident", False),
        (Role.SUPERVISOR, "confirmIncident", True),
        (Role.ADMIN, "declineIncident", True),
    ],
)
def test_only_responders_run_incidents(gql: Gql, role: Role, name: str, allowed: bool) -> None:
    incident_id = report(gql)
    done = run(gql, name, {"incidentId": incident_id}, role=role, subject=str(uuid4()))
    assert done["__typename"] == ("IncidentChanged" if allowed else "Forbidden"), done


@pytest.mark.parametrize("role", [Role.AGENT, Role.CUSTOMER])
def test_neither_agents_nor_customers_read_incidents(gql: Gql, role: Role) -> None:
    incident_id = report(gql)
    seen = gql(
        "query($id: ID!) { incident(id: $id) { status } }",
        {"id": incident_id},
        role=role,
        subject=str(uuid4()),
    )
    assert seen.get("data") is None
    assert seen["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_a_duplicate_is_merged_only_into_an_incident_that_exists(gql: Gql) -> None:
    first, duplicate = report(gql), report(gql)
    nowhere = str(uuid4())
    missing = run(gql, "mergeIncident", {"incidentId": duplicate, "into": nowhere}, **COMMANDER)
    assert missing == {
        "__typename": "NotFound",
        "entity": "Incident",
        "id": nowhere,
        "code": "NOT_FOUND",
        "message": f"no Incident with id {nowhere}",
    }
    merged = run(gql, "mergeIncident", {"incidentId": duplicate, "into": first}, **COMMANDER)
    assert merged["incident"]["status"] == "MERGED"
    refused = run(gql, "confirmIncident", {"incidentId": duplicate}, **COMMANDER)
    assert refused == {
        "__typename": "TransitionRefused",
        "state": "Merged",
        "action": "confirm",
        "code": "TRANSITION_REFUSED",
        "message": refused["message"],
    }


def test_bad_incident_input_records_nothing(gql: Gql) -> None:
    incident_id = report(gql)
    # an unknown enum value fails GraphQL validation
    document = """mutation($input: IssueWarningInput!) {
      issueWarning(input: $input) { __typename } }"""
    body = gql(document, {"input": {"incidentId": incident_id, "colour": "PURPLE"}}, **COMMANDER)
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    # a malformed id in a list names its place
    bad = run(
        gql, "linkOrders", {"incidentId": incident_id, "orderIds": [str(uuid4()), "x"]}, **COMMANDER
    )
    assert bad["__typename"] == "ValidationFailed"
    assert bad["problems"] == [{"path": ["input", "orderIds", "1"], "message": "'x' is not an id"}]
    seen = gql(
        "query($id: ID!) { incident(id: $id) { version orderIds warningColour } }",
        {"id": incident_id},
        **COMMANDER,
    )
    assert seen["data"]["incident"] == {"version": 1, "orderIds": [], "warningColour": None}
