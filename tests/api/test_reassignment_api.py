from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest

from api.auth import Role
from application.settings import Settings
from tests.api.gql import Gql
from tests.api.live_views import projecting
from tests.api.test_complaints_api import file, run

pytestmark = pytest.mark.usefixtures("known_customers")


@pytest.fixture(autouse=True)
def views(settings: Settings) -> Iterator[None]:
    with projecting(settings):
        yield


REASSIGN = """mutation($input: ReassignComplaintsInput!) { reassignComplaints(input: $input) {
  __typename
  ... on ComplaintsReassigned { reassigned failed items { complaintId result {
    __typename
    ... on ComplaintChanged { complaint { assignee department } written { version replayed } }
    ... on Problem { code }
  } } }
  ... on ValidationFailed { problems { path } }
  ... on Problem { code }
} }"""


def assigned(gql: Gql, department: str, person: str) -> tuple[str, int, int]:
    """A classified complaint assigned to `person`: its id, version and log position."""
    complaint_id = file(gql)["complaintId"]
    classify = {"category": "LOGISTICS", "subcategory": "late", "severity": "GENERAL"}
    run(gql, "classifyComplaint", {"complaintId": complaint_id, **classify})
    body = gql(
        """mutation($input: AssignResponsibilityInput!) { assignResponsibility(input: $input) {
          ... on ComplaintChanged { written { version position } } } }""",
        {"input": {"complaintId": complaint_id, "department": department, "person": person}},
    )
    written = body["data"]["assignResponsibility"]["written"]
    return complaint_id, int(written["version"]), int(written["position"])


def reassign(gql: Gql, input: dict[str, Any], role: Role = Role.SUPERVISOR) -> dict[str, Any]:
    body = gql(REASSIGN, {"input": input}, role=role, subject="sup-1")
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["reassignComplaints"]
    return result


def test_a_departments_queue_moves_to_another_agent_once(gql: Gql) -> None:
    # given two of agent-1's complaints in QUALITY and one of agent-3's in DELIVERY
    mine = [assigned(gql, "QUALITY", "agent-1")[0] for _ in range(2)]
    other, other_version, at = assigned(gql, "LOGISTICS", "agent-3")
    # (the queue is read once it has projected the last assignment)
    selection = {"department": "QUALITY", "assignee": "agent-1", "atPosition": at}
    # when a supervisor moves that queue to agent-2
    data = {"commandId": "bulk-1", "department": "QUALITY", "person": "agent-2"}
    first = reassign(gql, dict(queue=selection, **data))
    # then both of agent-1's complaints are agent-2's, each with its own command
    assert (first["reassigned"], first["failed"]) == (2, 0)
    assert sorted(item["complaintId"] for item in first["items"]) == sorted(mine)
    for item in first["items"]:
        assert item["result"]["complaint"] == {"assignee": "agent-2", "department": "QUALITY"}
        assert item["result"]["written"]["replayed"] is False
    # and a retry with the same command id replays each outcome, recording nothing
    again = reassign(gql, dict(queue={**selection, "assignee": None}, **data))
    replayed = {i["complaintId"]: i["result"]["written"] for i in again["items"]}
    assert all(w["replayed"] for w in replayed.values()), again
    assert replayed == {
        i["complaintId"]: {**i["result"]["written"], "replayed": True} for i in first["items"]
    }
    # and the other department's complaint was left alone
    body = gql("query($id: ID!) { complaint(id: $id) { assignee version } }", {"id": other})
    assert body["data"]["complaint"] == {"assignee": "agent-3", "version": other_version}


def test_a_list_reports_each_complaint_and_a_retry_does_nothing_twice(gql: Gql) -> None:
    # given an assigned complaint, a closed-for-assignment one and an id that names nothing
    ready, _, _ = assigned(gql, "LOGISTICS", "agent-1")
    unclassified = file(gql)["complaintId"]
    missing = str(uuid4())
    data = {"commandId": "bulk-2", "department": "LOGISTICS", "person": "agent-2"}
    ids = [ready, unclassified, missing, ready]
    # when a supervisor reassigns the list
    first = reassign(gql, dict(complaintIds=ids, **data))
    # then the ready one moves, and each other answers with its own typed problem
    assert (first["reassigned"], first["failed"]) == (1, 2)
    results = {item["complaintId"]: item["result"] for item in first["items"]}
    assert list(results) == [ready, unclassified, missing]
    assert results[ready]["complaint"]["assignee"] == "agent-2"
    assert results[unclassified]["__typename"] == "TransitionRefused"
    assert results[missing] == {"__typename": "NotFound", "code": "NOT_FOUND"}
    # and the retry replays the move and answers the same problems
    again = reassign(gql, dict(complaintIds=ids, **data))
    retried = {item["complaintId"]: item["result"] for item in again["items"]}
    assert retried[ready]["written"] == {**results[ready]["written"], "replayed": True}
    assert retried[unclassified]["__typename"] == "TransitionRefused"
    # and the same command id for another person is a conflict per complaint, not a move
    other = reassign(gql, dict(complaintIds=[ready], **{**data, "person": "agent-9"}))
    assert other["items"][0]["result"]["__typename"] == "Conflict"


def test_bad_requests_change_nothing(gql: Gql) -> None:
    complaint_id, version, _ = assigned(gql, "QUALITY", "agent-1")
    base = {"department": "QUALITY", "person": "agent-2"}
    # an agent may not reassign in bulk
    assert (
        reassign(gql, dict(complaintIds=[complaint_id], **base), Role.AGENT)["code"] == "FORBIDDEN"
    )
    # both selections, neither, and a malformed id are refused as a whole
    queue = {"department": "QUALITY"}
    both = reassign(gql, dict(complaintIds=[complaint_id], queue=queue, **base))
    assert both["__typename"] == "ValidationFailed"
    assert reassign(gql, dict(**base))["__typename"] == "ValidationFailed"
    bad = reassign(gql, dict(complaintIds=[complaint_id, "nope"], **base))
    assert bad["problems"] == [{"path": ["input", "complaintIds", "1"]}]
    empty = reassign(gql, dict(complaintIds=[], **base))
    assert empty["__typename"] == "ValidationFailed"
    body = gql("query($id: ID!) { complaint(id: $id) { assignee version } }", {"id": complaint_id})
    assert body["data"]["complaint"] == {"assignee": "agent-1", "version": version}
