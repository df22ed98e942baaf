from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from api.auth import Role
from api.graphql.consistency import view_positions
from api.services import Services
from application.settings import Settings
from projections.views.audit_chain import AuditChainProjection
from tests.api.gql import Gql
from tests.api.live_views import CUSTOMER, FILE, STEP, WAIT_S, projecting
from tests.api.order_inputs import KNOWN_CUSTOMERS
from tests.projections.tampering import set_state, tamper

pytestmark = pytest.mark.usefixtures("known_customers")

FIRST = len(KNOWN_CUSTOMERS) + 1  # the case's first position: the registrations come first


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
def case(client: TestClient, token: Token, known_customers: None) -> tuple[str, int]:
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
        "position": FIRST - 1 + version,
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
    # when an agent of customer service, where it is queued, reads its trail at the last write
    trail = gql(TRAIL, {"entity": complaint, "first": 10, "at": position})["data"]["auditTrail"]
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
    case_positions = list(range(FIRST, FIRST + 6))
    assert seen == [case_positions[:4], case_positions[4:]]
    by_actor = gql(TRAIL, {"actor": "agent-7", "first": 10, "at": position}, role=Role.SUPERVISOR)[
        "data"
    ]["auditTrail"]
    assert [edge["node"]["position"] for edge in by_actor["edges"]] == case_positions


def test_customers_may_not_read_the_trail(gql: Gql, case: tuple[str, int]) -> None:
    refused = gql(TRAIL, {"entity": case[0], "first": 5}, role=Role.CUSTOMER, subject=CUSTOMER)
    assert refused.get("data") is None
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
    assert report["checked"] + report["unchained"] == position == FIRST + 5
    assert report["report"].startswith("audit chain intact")
    if report["headPosition"]:
        again = gql(VERIFY, {"anchor": report["anchor"]}, role=Role.COMPLIANCE_OFFICER)
        assert again["data"]["verifyAuditChain"]["ok"] is True
    refused = gql(VERIFY, role=Role.ANALYST)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    bad = gql(VERIFY, {"anchor": "12:nothex"}, role=Role.COMPLIANCE_OFFICER)
    assert bad["errors"][0]["extensions"]["code"] == "VALIDATION_FAILED"


PIECE = """
query($anchor: String, $after: String, $limit: Int!) {
  verifyAuditChain(anchor: $anchor, after: $after, limit: $limit) {
    ok complete checked through resumeAfter unchained problem { position kind } anchor
  }
}"""


def verify_piece(gql: Gql, limit: int, **arguments: str) -> dict[str, Any]:
    body = gql(PIECE, {"limit": limit, **arguments}, role=Role.COMPLIANCE_OFFICER)
    assert "errors" not in body, body
    piece: dict[str, Any] = body["data"]["verifyAuditChain"]
    return piece


def chained_through(client: TestClient, position: int) -> Services:
    """Waits (bounded) until the audit chain has read the log up to `position`."""
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    deadline = time.monotonic() + WAIT_S
    while view_positions(services.views, [AuditChainProjection.name])["audit_chain"] < position:
        assert time.monotonic() < deadline, "the audit chain did not catch up"
        time.sleep(0.02)
    return services


def test_a_bounded_verification_stops_where_it_says_and_goes_on_from_there(
    client: TestClient, gql: Gql, case: tuple[str, int]
) -> None:
    chained_through(client, case[1])
    last = FIRST + 5
    whole = verify_piece(gql, last)
    # when the log (the registrations and the case's six events) is verified four at a time
    first = verify_piece(gql, 4)
    rest = verify_piece(gql, 4, after=first["resumeAfter"])
    # then the first call stops after position 4 and says so, with no anchor to keep yet
    resume = first.pop("resumeAfter")
    assert (resume[:2], len(resume)) == ("4:", 2 + 64)
    assert first == {
        "ok": True,
        "complete": False,
        "checked": 4,
        "through": 4,
        "unchained": 0,
        "problem": None,
        "anchor": None,
    }
    # and the second finishes the walk, ending at the head one whole walk ends at
    assert rest == {
        "ok": True,
        "complete": True,
        "checked": last - 4,
        "through": last,
        "resumeAfter": None,
        "unchained": 0,
        "problem": None,
        "anchor": whole["anchor"],
    }
    assert (whole["complete"], whole["checked"], whole["anchor"][:2]) == (True, last, f"{last}:")


def test_a_tampered_event_in_the_second_half_is_found_by_the_continuation(
    client: TestClient, gql: Gql, case: tuple[str, int]
) -> None:
    # given the case's six events chained, then its fifth (the classification) altered
    services = chained_through(client, case[1])
    classified = FIRST + 4
    tamper(services.ledger, set_state(classified, b"{}"))
    # when verified up to two before it: that first part checks out
    first = verify_piece(gql, classified - 2)
    assert (first["ok"], first["complete"], first["through"]) == (True, False, classified - 2)
    # then going on from there finds the classification altered, after one good event
    second = verify_piece(gql, 3, after=first["resumeAfter"])
    assert second == {
        "ok": False,
        "complete": False,
        "checked": 1,
        "through": classified - 1,
        "resumeAfter": None,
        "unchained": 0,
        "problem": {"position": classified, "kind": "altered"},
        "anchor": None,
    }


@pytest.mark.usefixtures("case")
def test_bounds_that_do_not_fit_are_refused(gql: Gql) -> None:
    link = "ab" * 32
    refusals = [
        gql(PIECE, variables, role=Role.COMPLIANCE_OFFICER)["errors"]
        for variables in (
            {"limit": 0},
            {"limit": 100_001},
            {"limit": 5, "after": f"99:{link}"},
            {"limit": 5, "after": f"3:{link}", "anchor": f"2:{link}"},
            {"limit": 5, "after": "3"},
        )
    ]
    assert [[(e["extensions"]["code"], e["message"]) for e in errors] for errors in refusals] == [
        [("VALIDATION_FAILED", "`limit` must be between 1 and 100000")],
        [("VALIDATION_FAILED", "`limit` must be between 1 and 100000")],
        [("VALIDATION_FAILED", f"`after`: the log ends at position {FIRST + 5}, before 99")],
        [
            (
                "VALIDATION_FAILED",
                "`anchor`: the anchor lies at or before `after`: check it with the walk that"
                " passes it",
            )
        ],
        [("VALIDATION_FAILED", "`after`: an anchor looks like 1234:<64 hex digits>, not '3'")],
    ]
