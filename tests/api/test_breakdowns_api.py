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


TEAMS = """
query($from: DateTime!, $to: DateTime!, $at: Int, $filter: ComplaintFilter) {
  complaintBreakdown(from: $from, to: $to, by: TEAM, atPosition: $at, filter: $filter) {
    label key department dashboard { received firstResponseTime { count mean } }
  }
}"""


def test_the_dashboard_breaks_down_and_filters_by_the_directorys_teams(gql: Gql) -> None:
    # given complaints assigned to agent-ana and agent-lin (both of front-line-north in the
    # built-in staff directory), agent-li (front-line-south) and a stranger in no team
    complaints = [file_at(gql, n) for n in range(4)]
    for n, (complaint, person) in enumerate(
        zip(complaints, ("agent-ana", "agent-lin", "agent-li", "stranger"), strict=True)
    ):
        step(
            gql,
            "classifyComplaint",
            "ClassifyComplaintInput",
            {
                "complaintId": complaint,
                "category": "LOGISTICS",
                "subcategory": "late",
                "severity": "GENERAL",
                "occurredAt": at(5),
            },
        )
        step(
            gql,
            "assignResponsibility",
            "AssignResponsibilityInput",
            {
                "complaintId": complaint,
                "department": "LOGISTICS",
                "person": person,
                "occurredAt": at(10 + n),
            },
        )
        position = answer(gql, complaint, 20 * (n + 1) + n)
    # when an analyst breaks the window down by team
    found = gql(TEAMS, {**window(), "at": position}, role=Role.ANALYST)
    # then each team has its agents' complaints (answered after 20 s and 40 s; 60 s) and its
    # department; the stranger's counts in no team
    assert found["data"]["complaintBreakdown"] == [
        {
            "label": "front-line-north",
            "key": "front-line-north",
            "department": "CUSTOMER_SERVICE",
            "dashboard": {"received": 2, "firstResponseTime": {"count": 2, "mean": 30.0}},
        },
        {
            "label": "front-line-south",
            "key": "front-line-south",
            "department": "CUSTOMER_SERVICE",
            "dashboard": {"received": 1, "firstResponseTime": {"count": 1, "mean": 60.0}},
        },
    ]
    # and the dashboard filtered by a team, alone or with one of its agents, holds theirs
    for only, received in (
        ({"team": "front-line-north"}, 2),
        ({"team": "front-line-north", "agent": "agent-lin"}, 1),
        ({"team": "front-line-north", "agent": "agent-li"}, 0),
    ):
        board = gql(FILTERED, {**window(), "at": position, "filter": only}, role=Role.SUPERVISOR)
        assert board["data"]["complaintDashboard"]["received"] == received, only
    # and a team the directory does not define is refused
    refused = gql(FILTERED, {**window(), "filter": {"team": "night-shift"}}, role=Role.ANALYST)
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["VALIDATION_FAILED"]
    assert "no team 'night-shift'" in refused["errors"][0]["message"]


LATE = """
query($from: DateTime!, $to: DateTime!, $at: Int) {
  orderDelays(from: $from, to: $to, atPosition: $at) {
    late
    lateByChannel { label key orders lateMin meanLateMin }
    lateByRestaurant { label orders }
    lateByCourierCompany { label orders lateMin }
  }
}"""
PLACE_AT = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
  ... on OrderChanged { order { orderId } } } }"""


def late_order(gql: Gql, channel: str, restaurant: str, company: str | None, late_s: int) -> int:
    """An order placed an hour back, promised 90 s from now, recorded late `late_s` seconds
    after its promise (a business time ahead, which commands accept up to 5 min); carried by
    `company`'s courier if given. A promise in real time ahead keeps the embedded delay
    watchdog away: with one already past, it recorded the order late first, under load, and
    the test's own record was refused as ORDER_ALREADY_LATE."""
    data = {
        "customerId": CUSTOMER,
        "restaurant": restaurant,
        "region": "chaoyang",
        "items": [{"name": "soup", "quantity": 1, "unitPrice": "25.00"}],
        "amount": "25.00",
        "promisedAt": at(150),
        "address": "1 Road",
        "channel": channel,
        "occurredAt": at(-3600),
    }
    order = gql(PLACE_AT, {"input": data})["data"]["placeOrder"]["order"]["orderId"]
    for seconds, name in (
        (-3500, "confirmOrder"),
        (-3400, "startPreparation"),
        (-3300, "packOrder"),
    ):
        changed = {"orderId": order, "occurredAt": at(seconds)}
        step(gql, name, "OrderInput", changed, payload="OrderChanged")
    if company is not None:
        courier = {"courier": "courier-1", "provider": company}
        step(
            gql,
            "assignCourier",
            "AssignCourierInput",
            {"orderId": order, "occurredAt": at(-3200), **courier},
            payload="OrderChanged",
        )
    return step(
        gql,
        "recordOrderLate",
        "RecordLateInput",
        {"orderId": order, "attributedTo": "MERCHANT", "occurredAt": at(150 + late_s)},
        payload="OrderChanged",
    )


def test_order_delays_count_late_orders_by_channel_restaurant_and_courier_company(
    gql: Gql,
) -> None:
    # given three late orders: by app from Golden Dumpling with fleet's courier (1 min), by
    # web from Golden Dumpling with no courier (2 min), by app from Noodle Bar with fleet's
    # courier (3 min)
    late_order(gql, "APP", "Golden Dumpling", "fleet", 60)
    late_order(gql, "WEB", "Golden Dumpling", None, 120)
    position = late_order(gql, "APP", "Noodle Bar", "fleet", 180)
    # when an analyst reads the window's delays
    found = gql(LATE, {**window(), "at": position}, role=Role.ANALYST)["data"]["orderDelays"]
    # then each slice adds up to the three
    assert found == {
        "late": 3,
        "lateByChannel": [
            {"label": "app", "key": "APP", "orders": 2, "lateMin": 4, "meanLateMin": 2.0},
            {"label": "web", "key": "WEB", "orders": 1, "lateMin": 2, "meanLateMin": 2.0},
        ],
        "lateByRestaurant": [
            {"label": "Golden Dumpling", "orders": 2},
            {"label": "Noodle Bar", "orders": 1},
        ],
        "lateByCourierCompany": [
            {"label": "fleet", "orders": 2, "lateMin": 4},
            {"label": "none", "orders": 1, "lateMin": 2},
        ],
    }
