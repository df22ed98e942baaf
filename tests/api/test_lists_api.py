from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from api.auth import Role
from application.settings import Settings
from tests.api.gql import Gql
from tests.api.live_views import (
    CUSTOMER,
    at,
    file_at,
    place_order,
    projecting,
    report_incident,
    step,
)
from tests.api.paging import ids, pages

pytestmark = pytest.mark.usefixtures("known_customers")


@pytest.fixture(autouse=True)
def views(settings: Settings) -> Iterator[None]:
    with projecting(settings):
        yield


PAGE = "pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { %s } }"
QUEUE = """
query($first: Int!, $after: String, $at: Int, $severity: ComplaintSeverity,
      $department: ComplaintDepartment, $status: ComplaintStatus, $assignee: String) {
  complaintQueue(first: $first, after: $after, atPosition: $at, severity: $severity,
                 department: $department, status: $status, assignee: $assignee) { %s }
}""" % (PAGE % "complaintId status severity nextClock nextDueAt")


def test_the_complaint_queue_pages_by_due_time_without_gaps_or_repeats(gql: Gql) -> None:
    # given five complaints received ten seconds apart: their first-response clocks fall due
    # in that order
    filed = [file_at(gql, 10 * n) for n in range(5)]
    position = step(
        gql,
        "classifyComplaint",
        "ClassifyComplaintInput",
        {
            "complaintId": filed[4],
            "category": "LOGISTICS",
            "subcategory": "late",
            "severity": "MAJOR",
            "occurredAt": at(45),
        },
    )
    # when an agent pages through the queue two at a time
    found = pages(gql, QUEUE, "complaintQueue", {"first": 2, "at": position})
    # then three pages hold the five, in order, each once
    assert ids(found, "complaintId") == [filed[0:2], filed[2:4], filed[4:5]]
    first = found[0]["edges"][0]["node"]
    assert first == {
        "complaintId": filed[0],
        "status": "RECEIVED",
        "severity": None,
        "nextClock": "FIRST_RESPONSE",
        "nextDueAt": (datetime.fromisoformat(at(0)) + timedelta(minutes=2)).isoformat(),
    }


def test_the_complaint_queue_filters_and_counts(gql: Gql) -> None:
    # given three complaints: one classified major, one general and assigned to logistics
    major, general, _ = (file_at(gql, n) for n in range(3))
    for complaint, severity in ((major, "MAJOR"), (general, "GENERAL")):
        step(
            gql,
            "classifyComplaint",
            "ClassifyComplaintInput",
            {
                "complaintId": complaint,
                "category": "LOGISTICS",
                "subcategory": "late",
                "severity": severity,
                "occurredAt": at(5),
            },
        )
    position = step(
        gql,
        "assignResponsibility",
        "AssignResponsibilityInput",
        {"complaintId": general, "department": "LOGISTICS", "person": "li", "occurredAt": at(6)},
    )
    base = {"first": 20, "at": position}

    def only(**filters: str) -> list[list[str]]:
        return ids([gql(QUEUE, {**base, **filters})["data"]["complaintQueue"]], "complaintId")

    # then each filter keeps just its complaint
    assert only(severity="MAJOR") == [[major]]
    assert only(department="LOGISTICS") == [[general]]
    assert only(assignee="li") == [[general]]
    assert only(status="ASSIGNED") == [[general]]
    assert only(status="CLOSED") == [[]]
    counts = gql(
        """query($at: Int) { complaintQueueCounts(atPosition: $at) {
                    total byStatus { label count } bySeverity { label count } } }""",
        {"at": position},
        role=Role.ANALYST,
    )
    assert counts["data"]["complaintQueueCounts"] == {
        "total": 3,
        "byStatus": [
            {"label": "Assigned", "count": 1},
            {"label": "Classified", "count": 1},
            {"label": "Received", "count": 1},
        ],
        "bySeverity": [
            {"label": "general", "count": 1},
            {"label": "major", "count": 1},
            {"label": "unclassified", "count": 1},
        ],
    }


AT_RISK = """
query($first: Int!, $after: String, $at: Int, $region: String) {
  ordersAtRisk(first: $first, after: $after, atPosition: $at, region: $region) { %s }
}""" % (PAGE % "orderId region stage delayRisk expectedLateMin order { status }")


def test_orders_at_risk_page_by_promised_time(gql: Gql) -> None:
    # given three orders promised in 30, 50 and 40 minutes, each found running late
    orders = [
        place_order(gql, region, minutes)
        for region, minutes in (("chaoyang", 30), ("haidian", 50), ("chaoyang", 40))
    ]
    for order in orders:
        step(gql, "confirmOrder", "OrderInput", {"orderId": order}, payload="OrderChanged")
        position = step(
            gql,
            "detectDelay",
            "DetectDelayInput",
            {"orderId": order, "expectedLateMin": 10},
            payload="OrderChanged",
        )
    # when a supervisor pages through them two at a time
    found = pages(gql, AT_RISK, "ordersAtRisk", {"first": 2, "at": position}, Role.SUPERVISOR)
    # then by promised time: 30, 40, 50 minutes
    assert ids(found, "orderId") == [[orders[0], orders[2]], [orders[1]]]
    assert found[1]["edges"][0]["node"] == {
        "orderId": orders[1],
        "region": "haidian",
        "stage": "CONFIRMED",
        "delayRisk": "AT_RISK",
        "expectedLateMin": 10,
        "order": {"status": "CONFIRMED"},
    }
    in_haidian = gql(AT_RISK, {"first": 5, "region": "haidian"}, role=Role.ANALYST)
    assert ids([in_haidian["data"]["ordersAtRisk"]], "orderId") == [[orders[1]]]


BOARD = """
query($first: Int!, $after: String, $at: Int, $severity: IncidentSeverity, $type: IncidentType) {
  openIncidents(first: $first, after: $after, atPosition: $at, severity: $severity,
                type: $type) { %s }
}""" % (PAGE % "incidentId severity status roles { role person }")


def test_open_incidents_page_gravest_first(gql: Gql) -> None:
    # given three incidents: severity III, severity I, and one not assessed yet
    third, first, unassessed = (
        report_incident(gql, n, t)
        for n, t in ((0, "SYSTEM_FAILURE"), (1, "ACCIDENT"), (2, "SYSTEM_FAILURE"))
    )
    for incident, level in ((third, "III"), (first, "I")):
        position = step(
            gql,
            "assessSeverity",
            "AssessSeverityInput",
            {"incidentId": incident, "level": level, "reason": "scope"},
            role=Role.SUPERVISOR,
            payload="IncidentChanged",
        )
    # when an incident commander pages through the board two at a time
    found = pages(
        gql, BOARD, "openIncidents", {"first": 2, "at": position}, Role.INCIDENT_COMMANDER
    )
    # then the gravest first, the unassessed last
    assert ids(found, "incidentId") == [[first, third], [unassessed]]
    assert found[1]["edges"][0]["node"] == {
        "incidentId": unassessed,
        "severity": None,
        "status": "REPORTED",
        "roles": [],
    }
    graves = gql(BOARD, {"first": 5, "severity": "I"}, role=Role.ANALYST)
    assert ids([graves["data"]["openIncidents"]], "incidentId") == [[first]]
    systems = gql(BOARD, {"first": 5, "type": "SYSTEM_FAILURE"}, role=Role.ANALYST)
    assert ids([systems["data"]["openIncidents"]], "incidentId") == [[third, unassessed]]


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"first": 0}, "`first` must be from 1 to 100"),
        ({"first": 101}, "`first` must be from 1 to 100"),
        ({"first": 5, "after": "not a cursor"}, "`after` is not a cursor"),
        # a cursor of another list (YXQtcmlzazpbMS41LCJ4Il0= is at-risk:[1.5,"x"])
        (
            {"first": 5, "after": "YXQtcmlzazpbMS41LCJ4Il0="},
            "`after` is not a cursor of this list (queue)",
        ),
    ],
)
def test_bad_paging_is_refused(gql: Gql, variables: dict[str, Any], message: str) -> None:
    refused = gql(QUEUE, variables)
    assert [(e["extensions"]["code"], e["message"]) for e in refused["errors"]] == [
        ("VALIDATION_FAILED", message)
    ]


@pytest.mark.parametrize(
    ("query", "role"),
    [
        (QUEUE, Role.CUSTOMER),
        (AT_RISK, Role.CUSTOMER),
        (BOARD, Role.CUSTOMER),
        (BOARD, Role.AGENT),
    ],
)
def test_lists_refuse_who_may_not_read_them(gql: Gql, query: str, role: Role) -> None:
    refused = gql(query, {"first": 5}, role=role, subject=CUSTOMER)
    assert refused.get("data") is None
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]


def test_the_list_filters_take_known_values_only(gql: Gql) -> None:
    refused = gql(QUEUE, {"first": 5, "severity": "SEVERE"})
    assert refused["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
