from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from api.auth import Role
from application.settings import Settings
from tests.api.conftest import Gql
from tests.api.live_views import CUSTOMER, FILE, STEP, projecting


@pytest.fixture(autouse=True)
def views(settings: Settings) -> Iterator[None]:
    with projecting(settings):
        yield


Token = Callable[[Role, str], str]
TRAIL = """
query($entity: ID, $actor: String, $correlation: String, $first: Int!, $after: String,
      $at: Int) {
  auditTrail(entityId: $entity, actorId: $actor, correlationId: $correlation, first: $first,
             after: $after, atPosition: $at) {
    pageInfo { hasNextPage endCursor }
    edges { node { position entityType entityId version event actor { kind id role }
                   commandId correlationId causationId channel reasonCode data } }
  }
}"""


def post(
    client: TestClient, token: Token, query: str, data: dict[str, Any], **headers: str
) -> dict[str, Any]:
    """A mutation as an agent, under the given headers (a correlation id)."""
    response = client.post(
        "/graphql",
        json={"query": query, "variables": {"input": data}},
        headers={"Authorization": f"Bearer {token(Role.AGENT, 'agent-7')}", **headers},
    )
    body: dict[str, Any] = response.json()["data"]
    return body


@pytest.fixture
def case(client: TestClient, token: Token) -> tuple[str, int]:
    """A complaint filed and classified under the correlation id case-42; its id and the
    position of the last write."""
    filed = post(
        client,
        token,
        FILE,
        {"customerId": CUSTOMER, "content": "Cold soup", "channel": "APP", "commandId": "file-1"},
        **{"x-correlation-id": "case-42"},
    )
    complaint = filed["fileComplaint"]["complaint"]["complaintId"]
    classified = post(
        client,
        token,
        STEP % ("ClassifyComplaintInput", "classifyComplaint", "ComplaintChanged"),
        {
            "complaintId": complaint,
            "category": "LOGISTICS",
            "subcategory": "late",
            "severity": "GENERAL",
            "commandId": "classify-1",
            "reasonCode": "triage",
        },
        **{"x-correlation-id": "case-42"},
    )
    return complaint, classified["classifyComplaint"]["written"]["position"]


def entry(
    complaint: str,
    version: int,
    event: str,
    command: str,
    data: dict[str, Any],
    reason: str | None = None,
) -> dict[str, Any]:
    return {
        "position": version,
        "entityType": "Complaint",
        "entityId": complaint,
        "version": version,
        "event": event,
        "actor": {"kind": "agent", "id": "agent-7", "role": "agent"},
        "commandId": command,
        "correlationId": "case-42",
        "causationId": None,
        "channel": "app" if event != "ComplaintClassified" else None,
        "reasonCode": reason,
        "data": data,
    }


def test_the_trail_of_a_complaint_shows_every_event_with_its_metadata(
    gql: Gql, case: tuple[str, int]
) -> None:
    complaint, position = case
    # when a compliance officer reads the complaint's trail at the last write
    trail = gql(
        TRAIL, {"entity": complaint, "first": 10, "at": position}, role=Role.COMPLIANCE_OFFICER
    )["data"]["auditTrail"]
    nodes = [edge["node"] for edge in trail["edges"]]
    # then the receipt (content opened), its three SLA clocks, then the classification,
    # which met the registration clock
    assert [(n["version"], n["event"]) for n in nodes] == [
        (1, "ComplaintReceived"),
        (2, "SlaClockStarted"),
        (3, "SlaClockStarted"),
        (4, "SlaClockStarted"),
        (5, "ComplaintClassified"),
        (6, "SlaMet"),
    ]
    assert nodes[0] == entry(
        complaint,
        1,
        "ComplaintReceived",
        "file-1",
        {
            "customer_id": CUSTOMER,
            "order_id": None,
            "content": "Cold soup",
            "channel": "app",
            "policy_version": 1,
        },
    )
    assert nodes[4] == entry(
        complaint,
        5,
        "ComplaintClassified",
        "classify-1",
        {"category": "logistics", "subcategory": "late", "severity": "general"},
        "triage",
    )
    assert trail["pageInfo"]["hasNextPage"] is False


def test_an_analyst_sees_the_trail_with_personal_data_sealed(
    gql: Gql, case: tuple[str, int]
) -> None:
    complaint, position = case
    trail = gql(TRAIL, {"entity": complaint, "first": 1, "at": position}, role=Role.ANALYST)
    received = trail["data"]["auditTrail"]["edges"][0]["node"]
    assert received["data"]["content"] == {"sealed": True}
    agent = gql(TRAIL, {"entity": complaint, "first": 1, "at": position}, role=Role.AGENT)
    assert agent["data"]["auditTrail"]["edges"][0]["node"]["data"]["content"] == "Cold soup"


def test_the_trail_of_a_correlation_id_pages_in_log_order(gql: Gql, case: tuple[str, int]) -> None:
    _, position = case
    seen, after = [], None
    for _ in range(4):
        page = gql(
            TRAIL,
            {"correlation": "case-42", "first": 4, "after": after, "at": position},
            role=Role.SUPERVISOR,
        )["data"]["auditTrail"]
        seen.append([edge["node"]["position"] for edge in page["edges"]])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    # the six events of both commands, four then two, each once
    assert seen == [[1, 2, 3, 4], [5, 6]]
    by_actor = gql(TRAIL, {"actor": "agent-7", "first": 10, "at": position}, role=Role.SUPERVISOR)[
        "data"
    ]["auditTrail"]
    assert [edge["node"]["position"] for edge in by_actor["edges"]] == [1, 2, 3, 4, 5, 6]


def test_customers_may_not_read_the_trail(gql: Gql, case: tuple[str, int]) -> None:
    refused = gql(TRAIL, {"entity": case[0], "first": 5}, role=Role.CUSTOMER, subject=CUSTOMER)
    assert refused["data"] is None
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]


@pytest.mark.parametrize("subjects", [{}, {"actor": "agent-7", "correlation": "case-42"}])
def test_the_trail_needs_exactly_one_subject(gql: Gql, subjects: dict[str, str]) -> None:
    refused = gql(TRAIL, {"first": 5, **subjects}, role=Role.COMPLIANCE_OFFICER)
    assert [(e["extensions"]["code"], e["message"]) for e in refused["errors"]] == [
        ("VALIDATION_FAILED", "give exactly one of `entityId`, `actorId`, `correlationId`")
    ]


VERIFY = """
query($anchor: String) {
  verifyAuditChain(anchor: $anchor) { ok checked headPosition unchained problem { kind } anchor
                                      report }
}"""


def test_compliance_officers_verify_the_audit_chain(gql: Gql, case: tuple[str, int]) -> None:
    _, position = case
    report = gql(VERIFY, role=Role.COMPLIANCE_OFFICER)["data"]["verifyAuditChain"]
    # every event of the log is either verified in the chain or not chained yet
    assert report["ok"] is True and report["problem"] is None
    assert report["checked"] + report["unchained"] == position == 6
    assert report["report"].startswith("audit chain intact")
    if report["headPosition"]:
        again = gql(VERIFY, {"anchor": report["anchor"]}, role=Role.COMPLIANCE_OFFICER)
        assert again["data"]["verifyAuditChain"]["ok"] is True
    refused = gql(VERIFY, role=Role.ANALYST)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    bad = gql(VERIFY, {"anchor": "12:nothex"}, role=Role.COMPLIANCE_OFFICER)
    assert bad["errors"][0]["extensions"]["code"] == "VALIDATION_FAILED"
