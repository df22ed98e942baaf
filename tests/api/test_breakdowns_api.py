"""The complaint dashboard broken down and filtered by region over GraphQL, on SQLite and
PostgreSQL (the figures themselves are checked against the scripted hours in
tests/projections/test_complaint_dashboard_slices.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.auth import Role
from application.settings import Settings
from tests.api.gql import Gql
from tests.api.live_views import CUSTOMER, at, file_at, place_order, projecting, step, window

pytestmark = pytest.mark.usefixtures("known_customers")


@pytest.fixture(autouse=True)
def views(settings: Settings) -> Iterator[None]:
    with projecting(settings):
        yield


BREAKDOWN = """
query($from: DateTime!, $to: DateTime!, $at: Int, $by: ComplaintSliceBy!) {
  complaintBreakdown(from: $from, to: $to, by: $by, atPosition: $at) {
    by label key dashboard { received firstResponseTime { count mean } }
  }
}"""
FILTERED = """
query($from: DateTime!, $to: DateTime!, $at: Int, $filter: ComplaintFilter) {
  complaintDashboard(from: $from, to: $to, atPosition: $at, filter: $filter) {
    received firstResponseTime { count mean unanswered }
  }
}"""
FILE = """mutation($input: FileComplaintInput!) { fileComplaint(input: $input) {
  ... on ComplaintChanged { complaint { complaintId } written { position } } } }"""


def file_about(gql: Gql, order_id: str, seconds: float) -> str:
    data = {
        "customerId": CUSTOMER,
        "orderId": order_id,
        "content": "Cold soup",
        "channel": "APP",
        "occurredAt": at(seconds),
    }
    complaint: str = gql(FILE, {"input": data})["data"]["fileComplaint"]["complaint"]["complaintId"]
    return complaint


def answer(gql: Gql, complaint: str, seconds: float) -> int:
    return step(
        gql,
        "sendFirstResponse",
        "ComplaintInput",
        {"complaintId": complaint, "occurredAt": at(seconds)},
    )


def test_the_dashboard_breaks_down_and_filters_by_the_region_of_the_order(gql: Gql) -> None:
    # given two complaints about an order in haidian (answered after 30 s and 50 s), one about
    # an order in chaoyang (answered after 10 s) and one about no order
    haidian, chaoyang = place_order(gql, region="haidian"), place_order(gql, region="chaoyang")
    first, second = file_about(gql, haidian, 0), file_about(gql, haidian, 1)
    third, loose = file_about(gql, chaoyang, 2), file_at(gql, 3)
    for complaint, answered in ((first, 30), (second, 51), (third, 12), (loose, 20)):
        position = answer(gql, complaint, answered)
    # when an analyst breaks the window down by region
    found = gql(BREAKDOWN, {**window(), "at": position, "by": "REGION"}, role=Role.ANALYST)
    # then each region has the complaints about its orders; the one about no order is in none
    assert found["data"]["complaintBreakdown"] == [
        {
            "by": "REGION",
            "label": "chaoyang",
            "key": "chaoyang",
            "dashboard": {"received": 1, "firstResponseTime": {"count": 1, "mean": 10.0}},
        },
        {
            "by": "REGION",
            "label": "haidian",
            "key": "haidian",
            "dashboard": {"received": 2, "firstResponseTime": {"count": 2, "mean": 40.0}},
        },
    ]
    # and the dashboard filtered by haidian holds its two
    board = gql(
        FILTERED,
        {**window(), "at": position, "filter": {"region": "haidian"}},
        role=Role.SUPERVISOR,
    )
    assert board["data"]["complaintDashboard"] == {
        "received": 2,
        "firstResponseTime": {"count": 2, "mean": 40.0, "unanswered": 0},
    }
    # and a region with no complaints reads an empty dashboard
    none = gql(FILTERED, {**window(), "filter": {"region": "xicheng"}}, role=Role.ANALYST)
    assert none["data"]["complaintDashboard"]["received"] == 0
