"""Complaint clusters over GraphQL: the detections, and the commander's accept and dismiss."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from api.auth import Role
from application.app import CareLedger
from application.settings import Settings
from policies.cluster_detector import ClusterDetector
from projections.engine.store import open_view_store
from tests.api.gql import Gql
from tests.api.live_views import projecting
from tests.policies.clusters import Kitchens
from tests.support import T0, hours, minutes

pytestmark = pytest.mark.usefixtures("known_customers")

COMMANDER = {"role": Role.INCIDENT_COMMANDER, "subject": "ic-zhou"}
WAIT_S = 10.0

LIST = """
query($status: ClusterStatus) {
  clusterDetections(status: $status) {
    edges { node { detectionId rule key keyKind status size incidentId decidedBy } }
  }
}"""
ONE = """
query($id: ID!) {
  clusterDetection(id: $id) {
    detectionId rule category keyKind key trigger status complaintIds orderIds
    incidentType severity title incidentId decidedBy dismissalReason
  }
}"""
RESULT = """
    __typename
    ... on ClusterDetectionChanged {
      detection { status incidentId decidedBy dismissalReason } written { version replayed }
    }
    ... on TransitionRefused { state action }
    ... on Problem { code message }
"""
ACCEPT = "mutation($input: ClusterInput!) { acceptCluster(input: $input) {" + RESULT + "} }"
DISMISS = (
    "mutation($input: DismissClusterInput!) { dismissCluster(input: $input) {" + RESULT + "} }"
)


@pytest.fixture
def kitchens(settings: Settings, client: Any) -> Iterator[None]:
    """Two kitchens' clusters of three food-safety complaints each, detected; on PostgreSQL
    the views are followed beside the service, as `careledger project run` would."""
    with projecting(settings), CareLedger(settings) as app:
        k = Kitchens(app)
        for kitchen in ("Golden Dumpling", "Noodle House"):
            for n in range(3):
                k.ill(hours(3) + minutes(10 * n), restaurant=kitchen)
        if settings.postgres is not None:  # on SQLite the service's own policy loop detects
            store = open_view_store(settings)
            try:
                ClusterDetector(app, store).detect(T0 + hours(7))
            finally:
                store.close()
        yield


def listed(gql: Gql, status: str | None = None, wanted: int = 2) -> list[dict[str, Any]]:
    deadline = time.monotonic() + WAIT_S
    while True:
        body = gql(LIST, {"status": status}, **COMMANDER)
        nodes = (
            []
            if "errors" in body
            else [e["node"] for e in body["data"]["clusterDetections"]["edges"]]
        )
        if len(nodes) >= wanted or time.monotonic() > deadline:
            return nodes
        time.sleep(0.1)


def test_the_commander_accepts_one_cluster_and_dismisses_another(gql: Gql, kitchens: None) -> None:
    # given two detected clusters, proposed
    golden, noodles = sorted(listed(gql), key=lambda n: n["key"])
    assert (golden["key"], golden["status"], golden["size"]) == ("Golden Dumpling", "PROPOSED", 3)
    detail = gql(ONE, {"id": golden["detectionId"]}, **COMMANDER)["data"]["clusterDetection"]
    assert (detail["incidentType"], detail["severity"], detail["trigger"]) == (
        "PUBLIC_HEALTH",
        "II",
        "THRESHOLD",
    )
    assert len(detail["complaintIds"]) == 3 and len(detail["orderIds"]) == 3
    # when the commander accepts the first
    accept = {"detectionId": golden["detectionId"], "commandId": "accept-golden"}
    accepted = gql(ACCEPT, {"input": accept}, **COMMANDER)["data"]["acceptCluster"]
    assert accepted["__typename"] == "ClusterDetectionChanged", accepted
    assert accepted["detection"]["decidedBy"] == "ic-zhou"
    incident_id = accepted["detection"]["incidentId"]
    # then the incident exists, from the cluster, with the complaints linked
    incident = gql(
        "query($id: ID!) { incident(id: $id) { source type severity complaintIds orderIds } }",
        {"id": incident_id},
        **COMMANDER,
    )["data"]["incident"]
    assert (incident["source"], incident["type"], incident["severity"]) == (
        "COMPLAINT_CLUSTER",
        "PUBLIC_HEALTH",
        "II",
    )
    assert sorted(incident["complaintIds"]) == sorted(detail["complaintIds"])
    assert sorted(incident["orderIds"]) == sorted(detail["orderIds"])
    # a repeat is a replay; accepting again, or dismissing it now, is refused
    again = gql(ACCEPT, {"input": accept}, **COMMANDER)["data"]["acceptCluster"]
    assert again["written"]["replayed"] is True
    dismiss = {"detectionId": golden["detectionId"], "reason": "changed_mind"}
    refused = gql(DISMISS, {"input": dismiss}, **COMMANDER)["data"]["dismissCluster"]
    assert (refused["__typename"], refused["state"]) == ("TransitionRefused", "Accepted")
    # when the second is dismissed, with a reason, then that is recorded
    dismiss = {"detectionId": noodles["detectionId"], "reason": "prank"}
    dismissed = gql(DISMISS, {"input": dismiss}, **COMMANDER)["data"]["dismissCluster"]
    assert dismissed["detection"]["status"] == "DISMISSED"
    assert dismissed["detection"]["dismissalReason"] == "prank"
    # and the list shows both decisions
    assert [n["key"] for n in listed(gql, "DISMISSED", wanted=1)] == ["Noodle House"]


def test_only_responders_decide_and_bad_input_records_nothing(gql: Gql, kitchens: None) -> None:
    golden = listed(gql)[0]
    for role in (Role.AGENT, Role.ANALYST):
        body = gql(ACCEPT, {"input": {"detectionId": golden["detectionId"]}}, role=role)
        assert body["data"]["acceptCluster"]["code"] == "FORBIDDEN"
    for reason in (" ", "a prank by Li Wei of 12 Ritan Road"):  # blank, or words: not a code
        given = {"detectionId": golden["detectionId"], "reason": reason}
        refused = gql(DISMISS, {"input": given}, **COMMANDER)["data"]["dismissCluster"]
        assert refused["code"] == "VALIDATION_FAILED"
    missing = {"detectionId": "00000000-0000-4000-8000-000000000009"}
    assert gql(ACCEPT, {"input": missing}, **COMMANDER)["data"]["acceptCluster"]["code"] == (
        "NOT_FOUND"
    )
    body = gql(LIST, {}, role=Role.AGENT)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (
        gql(ONE, {"id": golden["detectionId"]}, **COMMANDER)["data"]["clusterDetection"]["status"]
        == "PROPOSED"
    )
