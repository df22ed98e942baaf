"""A command's reason text over GraphQL: sealed under the key of the customer the command is
about, opened in the history and the audit trail for who may read personal data, "[erased]"
after erasure, while the figures stay as they were; refused where it would be stored unsealed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from api.auth import Role
from application.settings import Settings
from tests.api.gql import Gql
from tests.api.live_views import at, projecting, window
from tests.api.order_inputs import ALICE

pytestmark = pytest.mark.usefixtures("known_customers")

WHY = "Her neighbour Zhang San at 12 Ritan Road rang for her"
PROBLEMS = "__typename ... on ValidationFailed { problems { path message } }"
RESULT = (
    f"{PROBLEMS} ... on ComplaintChanged {{ complaint {{ complaintId }} written {{ position }} }}"
)
FILE = f"mutation($input: FileComplaintInput!) {{ fileComplaint(input: $input) {{ {RESULT} }} }}"
CLASSIFY = (
    "mutation($input: ClassifyComplaintInput!) { classifyComplaint(input: $input) {"
    f" {RESULT} }} }}"
)
ERASE = f"mutation($input: CustomerInput!) {{ eraseCustomer(input: $input) {{ {PROBLEMS} }} }}"
REPORT = (
    f"mutation($input: ReportIncidentInput!) {{ reportIncident(input: $input) {{ {PROBLEMS} }} }}"
)
HISTORY = "query($id: ID!) { complaintHistory(id: $id) { name reasonCode reasonText } }"
TRAIL = """query($id: ID!, $at: Int) { auditTrail(entityId: $id, first: 20, atPosition: $at) {
  edges { node { event reasonCode reasonText } } } }"""
DASHBOARD = """query($from: DateTime!, $to: DateTime!, $at: Int) {
  complaintDashboard(from: $from, to: $to, atPosition: $at) {
    received unclassified byCategory { label count } bySeverity { label count } } }"""
ANALYST = {"role": Role.ANALYST, "subject": "analyst-1"}
COMPLIANCE = {"role": Role.COMPLIANCE_OFFICER, "subject": "co-1"}


@pytest.fixture(autouse=True)
def views(settings: Settings) -> Iterator[None]:
    with projecting(settings):
        yield


def mutate(gql: Gql, document: str, input: dict[str, Any], **who: Any) -> dict[str, Any]:
    body = gql(document, {"input": input}, **who)
    assert "errors" not in body, body
    answer: dict[str, Any] = next(iter(body["data"].values()))
    return answer


def classified_with_a_reason(gql: Gql) -> tuple[str, int]:
    """A complaint of Alice's classified with a reason in words; its id and the position."""
    filing = {"customerId": ALICE, "content": "cold soup", "channel": "PHONE", "occurredAt": at(0)}
    complaint_id = mutate(gql, FILE, filing)["complaint"]["complaintId"]
    classified = mutate(
        gql,
        CLASSIFY,
        {
            "complaintId": complaint_id,
            "category": "LOGISTICS",
            "subcategory": "late",
            "severity": "GENERAL",
            "reasonCode": "called_on_behalf",
            "reasonText": WHY,
            "occurredAt": at(60),
        },
    )
    assert classified["__typename"] == "ComplaintChanged", classified
    return complaint_id, classified["written"]["position"]


def reasons(gql: Gql, complaint_id: str, at_position: int, **who: Any) -> list[Any]:
    """The classification's reason as the history and as the audit trail give it."""
    history = gql(HISTORY, {"id": complaint_id}, **who)["data"]["complaintHistory"]
    trail = gql(TRAIL, {"id": complaint_id, "at": at_position}, **who)["data"]["auditTrail"]
    found = [e for e in history if e["name"] == "ComplaintClassified"]
    found += [e["node"] for e in trail["edges"] if e["node"]["event"] == "ComplaintClassified"]
    return [(e["reasonCode"], e["reasonText"]) for e in found]


def test_a_reasons_text_opens_for_staff_reads_sealed_for_analysts_and_erased_after(
    gql: Gql,
) -> None:
    # given a complaint classified with a reason in words that names a person
    complaint_id, position = classified_with_a_reason(gql)
    figures = gql(DASHBOARD, {**window(), "at": position}, **ANALYST)["data"]
    # then the agent who handles it reads the words, an analyst the code only
    assert reasons(gql, complaint_id, position) == [("called_on_behalf", WHY)] * 2
    assert reasons(gql, complaint_id, position, **ANALYST) == [("called_on_behalf", "[sealed]")] * 2
    # when the customer is erased
    erased = mutate(gql, ERASE, {"customerId": ALICE}, **COMPLIANCE)
    assert erased["__typename"] == "CustomerChanged", erased
    # then the text reads as erased wherever it was shown, and the code stays
    assert reasons(gql, complaint_id, position) == [("called_on_behalf", "[erased]")] * 2
    # and the analysts' figures are those of before
    assert gql(DASHBOARD, {**window(), "at": position}, **ANALYST)["data"] == figures
    assert figures["complaintDashboard"]["received"] == 1


def test_free_text_is_refused_where_nothing_would_seal_it(gql: Gql) -> None:
    # given a registered customer's complaint
    filing = {"customerId": ALICE, "content": "cold soup", "channel": "PHONE"}
    complaint_id = mutate(gql, FILE, filing)["complaint"]["complaintId"]
    step = {"complaintId": complaint_id, "category": "LOGISTICS", "subcategory": "late"}
    incident = {"type": "SYSTEM_FAILURE", "source": "STAFF", "title": "app down"}
    refusals = [
        # a reason code in words
        (CLASSIFY, {**step, "severity": "GENERAL", "reasonCode": "she rang"}, "reasonCode"),
        # words on a command about no customer: an incident
        (
            REPORT,
            {**incident, "description": "502s", "reasonCode": "monitor", "reasonText": WHY},
            "reasonText",
        ),
    ]
    for document, input, field in refusals:
        # then each is refused, naming the field
        refused = mutate(gql, document, input, role=Role.SUPERVISOR, subject="sup-1")
        assert refused["__typename"] == "ValidationFailed", refused
        assert [p["path"] for p in refused["problems"]] == [["input", field]]
    # and nothing was recorded: the complaint is still unclassified, its history as filed
    history = gql(HISTORY, {"id": complaint_id})["data"]["complaintHistory"]
    assert "ComplaintClassified" not in [e["name"] for e in history]
