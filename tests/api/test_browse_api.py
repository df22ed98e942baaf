"""Browsing every complaint, order and incident over HTTP: filters, sort orders, keyset pages,
read-your-writes, and who may browse what."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from api.auth import Role
from application.settings import Settings
from tests.api.gql import Gql
from tests.api.live_views import CUSTOMER, FILE, at, projecting, report_incident, step
from tests.api.order_inputs import BOB as OTHER
from tests.api.paging import ids, pages

pytestmark = pytest.mark.usefixtures("known_customers")


@pytest.fixture(autouse=True)
def views(settings: Settings) -> Iterator[None]:
    with projecting(settings):
        yield


PAGE = "pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { %s } }"
COMPLAINTS = """
query($first: Int!, $after: String, $at: Int, $orderBy: ComplaintSort! = RECEIVED,
      $status: ComplaintStatus, $category: ComplaintCategory, $severity: ComplaintSeverity,
      $department: ComplaintDepartment, $customerId: ID) {
  complaints(first: $first, after: $after, atPosition: $at, orderBy: $orderBy, status: $status,
             category: $category, severity: $severity, department: $department,
             customerId: $customerId) { %s }
}""" % (PAGE % "complaintId")
ORDERS = """
query($first: Int!, $after: String, $at: Int, $orderBy: OrderSort! = PLACED,
      $status: OrderStatus, $region: String, $late: Boolean, $customerId: ID) {
  orders(first: $first, after: $after, atPosition: $at, orderBy: $orderBy, status: $status,
         region: $region, late: $late, customerId: $customerId) { %s }
}""" % (PAGE % "orderId")
INCIDENTS = """
query($first: Int!, $after: String, $at: Int, $status: IncidentStatus, $type: IncidentType,
      $severity: IncidentSeverity) {
  incidents(first: $first, after: $after, atPosition: $at, status: $status, type: $type,
            severity: $severity) { %s }
}""" % (PAGE % "incidentId")


def file_for(gql: Gql, customer: str, seconds: float) -> str:
    """A complaint of `customer` filed at the test's business time plus `seconds`."""
    data = {
        "customerId": customer,
        "content": "Cold soup",
        "channel": "APP",
        "occurredAt": at(seconds),
    }
    result = gql(FILE, {"input": data})["data"]["fileComplaint"]
    assert result["__typename"] == "ComplaintChanged", result
    complaint_id: str = result["complaint"]["complaintId"]
    return complaint_id


def listed(gql: Gql, query: str, field: str, variables: dict[str, Any], **as_: Any) -> list[str]:
    """The ids of one page of at most 20."""
    body = gql(query, {"first": 20, **variables}, **as_)
    assert "errors" not in body, body
    return [edge["node"][f"{field[:-1]}Id"] for edge in body["data"][field]["edges"]]


class Complaints:
    """Four of CUSTOMER's complaints filed at 0, 10, 20 and 30 s and one of OTHER's at 5 s;
    the second classified logistics/major, the third merged into the first."""

    def __init__(self, gql: Gql) -> None:
        self.c0 = file_for(gql, CUSTOMER, 0)
        self.other = file_for(gql, OTHER, 5)
        self.c10 = file_for(gql, CUSTOMER, 10)
        self.c20 = file_for(gql, CUSTOMER, 20)
        self.c30 = file_for(gql, CUSTOMER, 30)
        classify = {
            "complaintId": self.c10,
            "category": "LOGISTICS",
            "subcategory": "late",
            "severity": "MAJOR",
            "occurredAt": at(12),
        }
        self.classified = step(gql, "classifyComplaint", "ClassifyComplaintInput", classify)
        merge = {"complaintId": self.c20, "into": self.c0, "occurredAt": at(25)}
        self.position = step(gql, "mergeComplaint", "MergeComplaintInput", merge)


def test_complaints_page_through_every_one_in_either_order(gql: Gql) -> None:
    c = Complaints(gql)
    # when an analyst pages through in received order, two at a time
    found = pages(gql, COMPLAINTS, "complaints", {"first": 2, "at": c.position}, Role.ANALYST)
    # then all five come once each, the merged one too
    assert ids(found, "complaintId") == [[c.c0, c.other], [c.c10, c.c20], [c.c30]]
    # and by due time, the first responses fall due 2 min after filing; the merged one last
    by_due = pages(gql, COMPLAINTS, "complaints", {"first": 3, "orderBy": "DUE_AT"})
    assert ids(by_due, "complaintId") == [[c.c0, c.other, c.c10], [c.c30, c.c20]]


def test_a_complaint_row_carries_its_labels_and_links_to_the_complaint(gql: Gql) -> None:
    c = Complaints(gql)
    query = COMPLAINTS.replace(
        "node { complaintId }",
        "node { complaintId customerId status category severity department channel receivedAt"
        " nextDueAt nextClock position complaint { status subcategory } }",
    )
    body = gql(query, {"first": 1, "severity": "MAJOR", "at": c.position})
    assert body["data"]["complaints"]["edges"][0]["node"] == {
        "complaintId": c.c10,
        "customerId": CUSTOMER,
        "status": "CLASSIFIED",
        "category": "LOGISTICS",
        "severity": "MAJOR",
        "department": None,
        "channel": "APP",
        "receivedAt": at(10),
        "nextDueAt": at(10 + 120),
        "nextClock": "FIRST_RESPONSE",
        "position": c.classified,
        "complaint": {"status": "CLASSIFIED", "subcategory": "late"},
    }


def test_complaint_filters(gql: Gql) -> None:
    c = Complaints(gql)
    at_position = {"at": c.position}
    assert listed(gql, COMPLAINTS, "complaints", {**at_position, "status": "MERGED"}) == [c.c20]
    assert listed(gql, COMPLAINTS, "complaints", {"category": "LOGISTICS"}) == [c.c10]
    assert listed(gql, COMPLAINTS, "complaints", {"status": "RECEIVED"}) == [
        c.c0,
        c.other,
        c.c30,
    ]
    assert listed(gql, COMPLAINTS, "complaints", {"customerId": OTHER}) == [c.other]
    assert listed(gql, COMPLAINTS, "complaints", {"department": "TECHNICAL"}) == []


def test_a_customer_browses_only_their_own_complaints(gql: Gql) -> None:
    c = Complaints(gql)
    mine = {"role": Role.CUSTOMER, "subject": CUSTOMER}
    # without naming anyone, or naming themselves, a customer gets their own
    own = [c.c0, c.c10, c.c20, c.c30]
    assert listed(gql, COMPLAINTS, "complaints", {"at": c.position}, **mine) == own
    assert listed(gql, COMPLAINTS, "complaints", {"customerId": CUSTOMER}, **mine) == own
    theirs = {"role": Role.CUSTOMER, "subject": OTHER}
    assert listed(gql, COMPLAINTS, "complaints", {}, **theirs) == [c.other]
    # and naming another customer is refused, not answered empty
    refused = gql(COMPLAINTS, {"first": 5, "customerId": CUSTOMER}, **theirs)
    assert refused.get("data") is None
    assert [(e["extensions"]["code"], e["message"]) for e in refused["errors"]] == [
        ("FORBIDDEN", "customers see only their own complaints")
    ]


PLACE = """
mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
  __typename ... on OrderChanged { order { orderId } written { position } } } }"""


class Orders:
    """Three of CUSTOMER's orders and one of OTHER's, placed 40 minutes ago at one-minute
    intervals; the first two recorded late. Their promises lie in real time ahead (from 30 s),
    so the embedded delay watchdog leaves them alone; lateness is recorded at business times
    up to 4 minutes ahead, which commands accept."""

    def __init__(self, gql: Gql) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.o1 = self.place(gql, CUSTOMER, 0, "chaoyang", promised=30)
        self.o2 = self.place(gql, CUSTOMER, 1, "haidian", promised=60)
        self.o3 = self.place(gql, OTHER, 2, "chaoyang", promised=600)
        self.o4 = self.place(gql, CUSTOMER, 3, "haidian", promised=45, confirm=False)
        # O1 late 3 min (promise + 2m10s, rounded up), O2 1 min (promise + 50 s)
        self.o1_late = self.late(gql, self.o1, 30 + 130, "COURIER")
        self.position = self.late(gql, self.o2, 60 + 50, "MERCHANT")

    def at(self, seconds: float) -> str:
        return (self.now + timedelta(seconds=seconds)).isoformat()

    def place(
        self, gql: Gql, customer: str, minute: int, region: str, promised: int, confirm: bool = True
    ) -> str:
        data = {
            "customerId": customer,
            "restaurant": "Golden Dumpling",
            "region": region,
            "items": [{"name": "dumplings", "quantity": 2, "unitPrice": "12.50"}],
            "amount": "25.00",
            "promisedAt": self.at(promised),
            "address": "1 Road",
            "channel": "APP",
            "occurredAt": self.at(60 * (minute - 40)),
        }
        result = gql(PLACE, {"input": data})["data"]["placeOrder"]
        assert result["__typename"] == "OrderChanged", result
        order_id: str = result["order"]["orderId"]
        if confirm:
            confirmed = {"orderId": order_id, "occurredAt": self.at(60 * (minute - 39))}
            step(gql, "confirmOrder", "OrderInput", confirmed, payload="OrderChanged")
        return order_id

    def late(self, gql: Gql, order: str, seconds: float, to: str) -> int:
        data = {"orderId": order, "attributedTo": to, "occurredAt": self.at(seconds)}
        return step(gql, "recordOrderLate", "RecordLateInput", data, payload="OrderChanged")


def test_orders_sort_by_placement_promise_and_lateness(gql: Gql) -> None:
    o = Orders(gql)
    # in the order they were placed, two at a time
    found = pages(gql, ORDERS, "orders", {"first": 2, "at": o.position}, Role.SUPERVISOR)
    assert ids(found, "orderId") == [[o.o1, o.o2], [o.o3, o.o4]]
    # by promise: 30 s, 45 s, 60 s, 600 s ahead
    by_promise = pages(gql, ORDERS, "orders", {"first": 3, "orderBy": "PROMISED"})
    assert ids(by_promise, "orderId") == [[o.o1, o.o4, o.o2], [o.o3]]
    # by minutes late: O1 3, O2 1, then those not late, by id
    by_lateness = pages(gql, ORDERS, "orders", {"first": 3, "orderBy": "MINUTES_LATE"})
    on_time = sorted([o.o3, o.o4])
    assert ids(by_lateness, "orderId") == [[o.o1, o.o2, on_time[0]], [on_time[1]]]


def test_order_filters_and_rows(gql: Gql) -> None:
    o = Orders(gql)
    base = {"at": o.position}
    assert listed(gql, ORDERS, "orders", {**base, "late": True}) == [o.o1, o.o2]
    assert listed(gql, ORDERS, "orders", {"late": False}) == [o.o3, o.o4]
    assert listed(gql, ORDERS, "orders", {"region": "haidian"}) == [o.o2, o.o4]
    assert listed(gql, ORDERS, "orders", {"status": "RECEIVED"}) == [o.o4]
    assert listed(gql, ORDERS, "orders", {"region": "chaoyang", "late": True}) == [o.o1]
    query = ORDERS.replace(
        "node { orderId }",
        "node { orderId customerId status region channel placedAt promisedAt delayRisk lateMin"
        " attributedTo position order { lateMin } }",
    )
    body = gql(query, {"first": 1, "orderBy": "MINUTES_LATE"}, role=Role.ANALYST)
    assert body["data"]["orders"]["edges"][0]["node"] == {
        "orderId": o.o1,
        "customerId": CUSTOMER,
        "status": "CONFIRMED",
        "region": "chaoyang",
        "channel": "APP",
        "placedAt": o.at(-2400),
        "promisedAt": o.at(30),
        "delayRisk": "LATE",
        "lateMin": 3,
        "attributedTo": "COURIER",
        "position": o.o1_late,
        "order": {"lateMin": 3},
    }


def test_a_customer_browses_only_their_own_orders(gql: Gql) -> None:
    o = Orders(gql)
    mine = {"role": Role.CUSTOMER, "subject": CUSTOMER}
    assert listed(gql, ORDERS, "orders", {"at": o.position}, **mine) == [o.o1, o.o2, o.o4]
    theirs = {"role": Role.CUSTOMER, "subject": OTHER}
    assert listed(gql, ORDERS, "orders", {"late": False}, **theirs) == [o.o3]
    refused = gql(ORDERS, {"first": 5, "customerId": CUSTOMER}, **theirs)
    assert [(e["extensions"]["code"], e["message"]) for e in refused["errors"]] == [
        ("FORBIDDEN", "customers see only their own orders")
    ]


def test_incidents_page_in_report_order_with_filters(gql: Gql) -> None:
    # given three incidents reported a second apart: the second assessed I, the third declined
    first, second, third = (
        report_incident(gql, n, t)
        for n, t in ((0, "SYSTEM_FAILURE"), (1, "ACCIDENT"), (2, "SYSTEM_FAILURE"))
    )
    supervisor: dict[str, Any] = {"role": Role.SUPERVISOR, "payload": "IncidentChanged"}
    assess = {"incidentId": second, "level": "I", "reason": "scope"}
    step(gql, "assessSeverity", "AssessSeverityInput", assess, **supervisor)
    position = step(gql, "declineIncident", "IncidentInput", {"incidentId": third}, **supervisor)
    # when an incident commander pages through two at a time
    variables = {"first": 2, "at": position}
    found = pages(gql, INCIDENTS, "incidents", variables, Role.INCIDENT_COMMANDER)
    # then oldest report first, the declined one too
    assert ids(found, "incidentId") == [[first, second], [third]]
    # and the filters narrow it
    analyst = {"role": Role.ANALYST}
    assert listed(gql, INCIDENTS, "incidents", {"status": "DECLINED"}, **analyst) == [third]
    assert listed(gql, INCIDENTS, "incidents", {"status": "REPORTED"}, **analyst) == [
        first,
        second,
    ]
    assert listed(gql, INCIDENTS, "incidents", {"type": "SYSTEM_FAILURE"}, **analyst) == [
        first,
        third,
    ]
    assert listed(gql, INCIDENTS, "incidents", {"severity": "I"}, **analyst) == [second]
    # and a row links to the incident
    query = INCIDENTS.replace(
        "node { incidentId }",
        "node { incidentId status type source severity warningColour reportedAt"
        " incident { title } }",
    )
    body = gql(query, {"first": 1, "severity": "I"}, role=Role.SUPERVISOR)
    assert body["data"]["incidents"]["edges"][0]["node"] == {
        "incidentId": second,
        "status": "REPORTED",
        "type": "ACCIDENT",
        "source": "MONITOR",
        "severity": "I",
        "warningColour": None,
        "reportedAt": at(1),
        "incident": {"title": "Payments down"},
    }


@pytest.mark.parametrize(
    ("query", "variables", "message"),
    [
        (COMPLAINTS, {"first": 0}, "`first` must be from 1 to 100"),
        (ORDERS, {"first": 101}, "`first` must be from 1 to 100"),
        (INCIDENTS, {"first": 5, "after": "not a cursor"}, "`after` is not a cursor"),
        # a cursor of the complaints sorted by receipt, given to them sorted by due time
        # (Y29tcGxhaW50cy1yZWNlaXZlZDpbMS41LCJ4Il0= is complaints-received:[1.5,"x"])
        (
            COMPLAINTS,
            {"first": 5, "orderBy": "DUE_AT", "after": "Y29tcGxhaW50cy1yZWNlaXZlZDpbMS41LCJ4Il0="},
            "`after` is not a cursor of this list (complaints-due)",
        ),
        # the minutes-late order's cursor holds a whole number
        # (b3JkZXJzLW1pbnV0ZXNfbGF0ZTpbMS41LCJ4Il0= is orders-minutes_late:[1.5,"x"])
        (
            ORDERS,
            {
                "first": 5,
                "orderBy": "MINUTES_LATE",
                "after": "b3JkZXJzLW1pbnV0ZXNfbGF0ZTpbMS41LCJ4Il0=",
            },
            "`after` is not a cursor of this list (orders-minutes_late)",
        ),
        (ORDERS, {"first": 5, "customerId": "nobody"}, "'nobody' is not an id"),
    ],
)
def test_bad_arguments_are_refused(
    gql: Gql, query: str, variables: dict[str, Any], message: str
) -> None:
    refused = gql(query, variables, role=Role.SUPERVISOR)
    assert refused.get("data") is None
    assert [(e["extensions"]["code"], e["message"]) for e in refused["errors"]] == [
        ("VALIDATION_FAILED", message)
    ]


@pytest.mark.parametrize(
    ("query", "role"),
    [
        (INCIDENTS, Role.CUSTOMER),
        (INCIDENTS, Role.AGENT),
        (COMPLAINTS, Role.INCIDENT_COMMANDER),
        (ORDERS, Role.INCIDENT_COMMANDER),
    ],
)
def test_browsing_refuses_who_may_not_browse(gql: Gql, query: str, role: Role) -> None:
    refused = gql(query, {"first": 5}, role=role, subject=CUSTOMER)
    assert refused.get("data") is None
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]


def test_a_customer_token_without_a_customer_id_is_refused(gql: Gql) -> None:
    refused = gql(ORDERS, {"first": 5}, role=Role.CUSTOMER, subject="not-a-uuid")
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
