from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from api.auth import Role
from tests.api.gql import Gql
from tests.api.order_inputs import ALICE, BOB

pytestmark = pytest.mark.usefixtures("known_customers")

TEXT = "The soup was cold and the rice was missing"

RESULT = """
    __typename
    ... on ComplaintChanged {
      complaint { id complaintId status version } written { version replayed }
    }
    ... on TransitionRefused { state action }
    ... on ValidationFailed { problems { path message } }
    ... on NotFound { entity id }
    ... on Problem { code message }
"""

INPUT_TYPES = {
    "fileComplaint": "FileComplaintInput",
    "classifyComplaint": "ClassifyComplaintInput",
    "assignResponsibility": "AssignResponsibilityInput",
    "putOnHold": "PutOnHoldInput",
    "receiveCustomerMessage": "ComplaintMessageInput",
    "replyToCustomer": "ComplaintMessageInput",
    "proposeSolution": "ProposeSolutionInput",
    "issueCompensation": "IssueCompensationInput",
    "resolveComplaint": "ResolveComplaintInput",
    "recordRootCause": "RecordRootCauseInput",
    "closeComplaint": "CloseComplaintInput",
}

FULL = """
query($id: ID!) {
  complaint(id: $id) {
    status version customerId orderId channel category subcategory severity department
    assignee waitingOn escalationLevel receivedAt classifiedAt firstResponseAt resolvedAt
    closedAt remedy proposedAmount compensatedTotal outcome customerSatisfied closedBy
    reopenCount rootCause { cause correctiveAction incidentId } linkedIncidentIds
    linkedOrderIds mergedInto messageCount replyCount
    slaClocks { name state startedAt targetSeconds warnAt dueAt warned breached stoppedAt }
    nextSlaCheckAt content
  }
}"""


def run(gql: Gql, name: str, input: dict[str, Any], **who: Any) -> dict[str, Any]:
    kind = INPUT_TYPES.get(name, "ComplaintInput")
    document = f"mutation($input: {kind}!) {{ {name}(input: $input) {{ {RESULT} }} }}"
    body = gql(document, {"input": input}, **who)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"][name]
    return result


def file(gql: Gql, customer: str = ALICE, **changes: Any) -> dict[str, Any]:
    data = {"customerId": customer, "content": TEXT, "channel": "APP", **changes}
    filed = run(gql, "fileComplaint", data, role=Role.CUSTOMER, subject=customer)
    assert filed["__typename"] == "ComplaintChanged", filed
    complaint: dict[str, Any] = filed["complaint"]
    return complaint


def place_order(gql: Gql, customer: str, at: datetime) -> str:
    document = """mutation($input: PlaceOrderInput!) {
      placeOrder(input: $input) { ... on OrderChanged { order { orderId } } } }"""
    data = {
        "customerId": customer,
        "restaurant": "Golden Dumpling",
        "region": "chaoyang",
        "items": [{"name": "soup", "quantity": 1, "unitPrice": "25.00"}],
        "amount": "25.00",
        "promisedAt": (at + timedelta(minutes=40)).isoformat(),
        "address": "1 Road",
        "channel": "APP",
        "occurredAt": at.isoformat(),
    }
    placed = gql(document, {"input": data})
    assert "errors" not in placed, placed
    order_id: str = placed["data"]["placeOrder"]["order"]["orderId"]
    return order_id


def test_a_complaint_goes_from_filing_to_closed_over_http(gql: Gql) -> None:
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)

    def at(minutes: int) -> str:
        return (t0 + timedelta(minutes=minutes)).isoformat()

    # given an order of 25.00, and the customer's complaint about it
    order_id = place_order(gql, ALICE, t0 - timedelta(hours=1))
    complaint_id = file(gql, orderId=order_id, occurredAt=at(0))["complaintId"]

    def step(minute: int, name: str, role: Role = Role.AGENT, **data: Any) -> dict[str, Any]:
        subject = ALICE if role is Role.CUSTOMER else "agent-1"
        data = {"complaintId": complaint_id, "occurredAt": at(minute), **data}
        return run(gql, name, data, role=role, subject=subject)

    # when the agent replies, classifies it major, assigns and starts it
    step(1, "replyToCustomer", content="Sorry! We are looking into it")
    step(
        2,
        "classifyComplaint",
        category="PRODUCT_QUALITY",
        subcategory="missing item",
        severity="MAJOR",
    )
    step(3, "assignResponsibility", department="QUALITY", person="agent-1")
    assert step(4, "startWork")["complaint"]["status"] == "IN_PROGRESS"
    # and waits ten minutes on the customer, who writes back
    assert step(5, "putOnHold", waitingOn="CUSTOMER")["complaint"]["status"] == "ON_HOLD"
    step(14, "receiveCustomerMessage", Role.CUSTOMER, content="Photo of the receipt attached")
    step(15, "resumeComplaint")
    # and proposes a partial refund, which is paid
    step(16, "proposeSolution", remedy="PARTIAL_REFUND", amount="10.00")
    paid = step(17, "issueCompensation", amount="10.00", fundedBy="PLATFORM")
    assert paid["written"] == {"version": 19, "replayed": False}
    # then compensation beyond the order's amount is refused
    too_much = step(17, "issueCompensation", amount="20.00", fundedBy="MERCHANT")
    assert too_much == {
        "__typename": "RuleViolated",
        "code": "COMPENSATION_EXCEEDS_ORDER_AMOUNT",
        "message": "compensation 30.00 would exceed the order amount 25.00",
    }
    step(18, "resolveComplaint", outcome="COMPENSATED")
    satisfied = step(19, "confirmSatisfied", Role.CUSTOMER)
    assert satisfied["complaint"]["status"] == "RESOLVED"
    # then a major complaint cannot close before its root cause is recorded
    early = step(20, "closeComplaint", by="AGENT")
    assert early == {
        "__typename": "RuleViolated",
        "code": "ROOT_CAUSE_REQUIRED",
        "message": "a major complaint needs a recorded root cause before it closes",
    }
    step(
        21,
        "recordRootCause",
        cause="Packing checklist skipped",
        correctiveAction="Checklist enforced at the pass",
    )
    closed = step(22, "closeComplaint", by="AGENT")
    assert closed["complaint"]["status"] == "CLOSED"
    # 24 events: the two refusals recorded nothing
    assert closed["written"] == {"version": 24, "replayed": False}

    # then the customer reads the whole story, content included
    seen = gql(FULL, {"id": complaint_id}, role=Role.CUSTOMER, subject=ALICE)
    assert "errors" not in seen, seen
    hour = 3600
    assert seen["data"]["complaint"] == {
        "status": "CLOSED",
        "version": 24,
        "customerId": ALICE,
        "orderId": order_id,
        "channel": "APP",
        "category": "PRODUCT_QUALITY",
        "subcategory": "missing item",
        "severity": "MAJOR",
        "department": "QUALITY",
        "assignee": "agent-1",
        "waitingOn": None,
        "escalationLevel": 0,
        "receivedAt": at(0),
        "classifiedAt": at(2),
        "firstResponseAt": at(1),
        "resolvedAt": at(18),
        "closedAt": at(22),
        "remedy": "PARTIAL_REFUND",
        "proposedAmount": "10.00",
        "compensatedTotal": "10.00",
        "outcome": "COMPENSATED",
        "customerSatisfied": True,
        "closedBy": "AGENT",
        "reopenCount": 0,
        "rootCause": {
            "cause": "Packing checklist skipped",
            "correctiveAction": "Checklist enforced at the pass",
            "incidentId": None,
        },
        "linkedIncidentIds": [],
        "linkedOrderIds": [],
        "mergedInto": None,
        "messageCount": 1,
        "replyCount": 1,
        "slaClocks": [
            clock("FIRST_RESPONSE", t0, 120, 96, 120, stopped=at(1)),
            clock("REGISTRATION", t0, 24 * hour, 19.2 * hour, 24 * hour, stopped=at(2)),
            # the ten minutes on hold for the customer moved the resolution clock on
            clock("RESOLUTION", t0, 12 * hour, 9.6 * hour + 600, 12 * hour + 600, stopped=at(18)),
        ],
        "nextSlaCheckAt": None,
        "content": TEXT,
    }
    # and any earlier version of it
    past = gql(
        "query($id: ID!) { complaint(id: $id, version: 12) { status version } }",
        {"id": complaint_id},
    )
    assert past["data"]["complaint"] == {"status": "IN_PROGRESS", "version": 12}


def clock(
    name: str, start: datetime, target_s: int, warn_s: float, due_s: int, stopped: str
) -> dict[str, Any]:
    return {
        "name": name,
        "state": "MET",
        "startedAt": start.isoformat(),
        "targetSeconds": target_s,
        "warnAt": (start + timedelta(seconds=warn_s)).isoformat(),
        "dueAt": (start + timedelta(seconds=due_s)).isoformat(),
        "warned": False,
        "breached": False,
        "stoppedAt": stopped,
    }


def test_refusals_come_back_as_typed_members(gql: Gql) -> None:
    complaint_id = file(gql)["complaintId"]
    # a transition from the wrong state names the current state
    refused = run(gql, "startWork", {"complaintId": complaint_id})
    assert refused == {
        "__typename": "TransitionRefused",
        "code": "TRANSITION_REFUSED",
        "state": "Received",
        "action": "start work",
        "message": "Complaint is Received: cannot start work",
    }
    # an unknown id
    unknown = str(uuid4())
    missing = run(gql, "escalateComplaint", {"complaintId": unknown})
    assert missing == {
        "__typename": "NotFound",
        "code": "NOT_FOUND",
        "entity": "Complaint",
        "id": unknown,
        "message": f"no Complaint with id {unknown}",
    }
    # bad input names the field's path
    blank = run(
        gql,
        "classifyComplaint",
        {
            "complaintId": complaint_id,
            "category": "LOGISTICS",
            "subcategory": " ",
            "severity": "GENERAL",
        },
    )
    assert blank == {
        "__typename": "ValidationFailed",
        "code": "VALIDATION_FAILED",
        "message": "subcategory: must not be blank",
        "problems": [{"path": ["input", "subcategory"], "message": "must not be blank"}],
    }
    not_an_id = run(gql, "startWork", {"complaintId": "nope"})
    assert not_an_id["problems"] == [
        {"path": ["input", "complaintId"], "message": "'nope' is not an id"}
    ]
    # an unknown enum value fails GraphQL validation
    document = """mutation($input: ClassifyComplaintInput!) {
      classifyComplaint(input: $input) { __typename } }"""
    bad_enum = gql(
        document,
        {
            "input": {
                "complaintId": complaint_id,
                "category": "WEATHER",
                "subcategory": "rain",
                "severity": "GENERAL",
            }
        },
    )
    assert bad_enum.get("data") is None
    assert bad_enum["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    # and none of these recorded anything
    after = gql("query($id: ID!) { complaint(id: $id) { status version } }", {"id": complaint_id})
    assert after["data"]["complaint"] == {"status": "RECEIVED", "version": 4}


def test_a_customer_sees_and_acts_on_their_own_complaints_only(gql: Gql) -> None:
    filed = file(gql, ALICE)
    complaint_id, node_id = filed["complaintId"], filed["id"]
    bob = {"role": Role.CUSTOMER, "subject": BOB}
    # another customer can neither read it, directly or as a node, nor act on it
    read = gql("query($id: ID!) { complaint(id: $id) { status } }", {"id": complaint_id}, **bob)
    assert read.get("data") is None
    assert read["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert read["errors"][0]["message"] == "customers see only their own complaints"
    node = gql(
        "query($id: ID!) { node(id: $id) { ... on Complaint { status } } }", {"id": node_id}, **bob
    )
    assert node["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for name, data in [
        ("receiveCustomerMessage", {"content": "me too"}),
        ("confirmSatisfied", {}),
        ("disputeResolution", {}),
    ]:
        acted = run(gql, name, {"complaintId": complaint_id, **data}, **bob)
        assert acted == {
            "__typename": "Forbidden",
            "code": "FORBIDDEN",
            "message": "customers may act only on their own complaints",
        }
    # nor file in someone else's name, or about someone else's order
    for_alice = run(
        gql, "fileComplaint", {"customerId": ALICE, "content": TEXT, "channel": "APP"}, **bob
    )
    assert for_alice["message"] == "customers may file complaints only for themselves"
    order_id = place_order(gql, ALICE, datetime.now(UTC))
    about = run(
        gql,
        "fileComplaint",
        {"customerId": BOB, "orderId": order_id, "content": TEXT, "channel": "APP"},
        **bob,
    )
    assert about["message"] == "customers may complain only about their own orders"
    # and the owner may not do staff work
    staff_work = run(
        gql, "startWork", {"complaintId": complaint_id}, role=Role.CUSTOMER, subject=ALICE
    )
    assert staff_work["message"] == "the customer role may not do this"


def test_an_analyst_reads_complaints_but_never_their_content(gql: Gql) -> None:
    complaint_id = file(gql)["complaintId"]
    query = "query($id: ID!) { complaint(id: $id) { status channel %s } }"
    # the analyst reads the complaint, but its text stays sealed, saying why
    plain = gql(query % "", {"id": complaint_id}, role=Role.ANALYST)
    assert plain["data"]["complaint"] == {"status": "RECEIVED", "channel": "APP"}
    personal = gql(
        query % "content contentAccess { sealedReason }", {"id": complaint_id}, role=Role.ANALYST
    )
    assert "errors" not in personal, personal
    assert personal["data"]["complaint"] == {
        "status": "RECEIVED",
        "channel": "APP",
        "content": "[sealed]",
        "contentAccess": {"sealedReason": "ROLE"},
    }
    # an agent reads it in plaintext
    agent = gql(query % "content", {"id": complaint_id})
    assert agent["data"]["complaint"] == {"status": "RECEIVED", "channel": "APP", "content": TEXT}
    # and so does the history: sealed for the analyst, open for the agent
    history = "query($id: ID!) { complaintHistory(id: $id, limit: 1) { name data } }"
    sealed = gql(history, {"id": complaint_id}, role=Role.ANALYST)["data"]["complaintHistory"]
    assert (sealed[0]["name"], sealed[0]["data"]["content"]) == (
        "ComplaintReceived",
        {"sealed": True},
    )
    opened = gql(history, {"id": complaint_id})["data"]["complaintHistory"]
    assert opened[0]["data"]["content"] == TEXT
    # the analyst files nothing
    refused = run(
        gql,
        "fileComplaint",
        {"customerId": ALICE, "content": TEXT, "channel": "APP"},
        role=Role.ANALYST,
    )
    assert refused["__typename"] == "Forbidden"


def test_a_supervisor_runs_the_sla_check_by_hand(gql: Gql) -> None:
    filed_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=3)
    complaint_id = file(gql, occurredAt=filed_at.isoformat())["complaintId"]
    # an agent may not run the sweeper's command
    refused = run(gql, "checkComplaintSla", {"complaintId": complaint_id})
    assert refused["code"] == "FORBIDDEN"
    # a supervisor's check breaches the first-response clock and escalates one level
    checked = run(
        gql,
        "checkComplaintSla",
        {"complaintId": complaint_id},
        role=Role.SUPERVISOR,
        subject="sup-1",
    )
    assert checked["__typename"] == "ComplaintChanged", checked
    seen = gql(
        """query($id: ID!) { complaint(id: $id) {
        escalationLevel nextSlaCheckAt slaClocks { name state warned breached } } }""",
        {"id": complaint_id},
    )["data"]["complaint"]
    assert seen == {
        "escalationLevel": 1,
        "nextSlaCheckAt": (filed_at + timedelta(hours=19.2)).isoformat(),
        "slaClocks": [
            {"name": "FIRST_RESPONSE", "state": "RUNNING", "warned": True, "breached": True},
            {"name": "REGISTRATION", "state": "RUNNING", "warned": False, "breached": False},
            {"name": "RESOLUTION", "state": "RUNNING", "warned": False, "breached": False},
        ],
    }


def test_a_complaint_for_a_customer_never_registered_is_refused(gql: Gql) -> None:
    # given the id of a customer never registered
    stranger = str(uuid4())
    # when staff file a complaint for them, then it is refused as not found, naming them
    refused = run(gql, "fileComplaint", {"customerId": stranger, "content": TEXT, "channel": "APP"})
    assert refused == {
        "__typename": "NotFound",
        "entity": "Customer",
        "id": stranger,
        "code": "NOT_FOUND",
        "message": f"no Customer with id {stranger}",
    }
