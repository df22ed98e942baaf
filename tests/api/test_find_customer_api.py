from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest

from api.auth import Role
from application.settings import Settings
from tests.api.gql import Gql
from tests.api.live_views import WAIT_S, projecting
from tests.api.test_complaints_api import file, place_order
from tests.api.test_customers_api import register, run

FIND = """query($text: String!) { findCustomer(text: $text) {
  matchedBy orderId complaintId customer { customerId contact { phone } } } }"""


@pytest.fixture(autouse=True)
def views(settings: Settings) -> Iterator[None]:
    with projecting(settings):
        yield


def indexed(gql: Gql, customer_id: str) -> None:
    """Waits (bounded) until the indexes list the customer's order and complaint, through
    which the agent of customer service, where they are queued, opens the contact."""
    document = "query($id: ID!) { customer(id: $id) { contactAccess { opened } } }"
    deadline = time.monotonic() + WAIT_S
    while not gql(document, {"id": customer_id})["data"]["customer"]["contactAccess"]["opened"]:
        assert time.monotonic() < deadline, "the indexes did not list the customer's entities"
        time.sleep(0.05)


def find(gql: Gql, text: str, role: Role = Role.AGENT) -> Any:
    body = gql(FIND, {"text": text}, role=role)
    assert "errors" not in body, body
    return body["data"]["findCustomer"]


def test_the_customer_on_the_line_is_found_by_phone_email_and_numbers(gql: Gql) -> None:
    # given a registered customer with an order and a complaint
    customer_id = register(gql)
    order_id = place_order(gql, customer_id, datetime.now(UTC))
    complaint_id = file(gql, customer_id, orderId=order_id)["complaintId"]
    me = {"customerId": customer_id, "contact": {"phone": "+86 138 0013 8000"}}
    indexed(gql, customer_id)
    # then the agent finds them by the phone as the caller reads it out, and by e-mail
    for text, by in [("138-0013-8000", "PHONE"), ("Li.Wei@Example.com", "EMAIL")]:
        assert find(gql, text) == [
            {"matchedBy": by, "orderId": None, "complaintId": None, "customer": me}
        ]
    # and by the order's, the complaint's or the customer's own number
    assert find(gql, order_id) == [
        {
            "matchedBy": "ORDER",
            "orderId": order_id,
            "complaintId": None,
            "customer": me,
        }
    ]
    by_complaint = find(gql, f" {complaint_id} ")
    assert (by_complaint[0]["matchedBy"], by_complaint[0]["complaintId"]) == (
        "COMPLAINT",
        complaint_id,
    )
    assert find(gql, customer_id)[0]["matchedBy"] == "CUSTOMER"


def test_nobody_is_found_for_unknown_text_and_after_erasure(gql: Gql) -> None:
    customer_id = register(gql)
    # an unknown phone, e-mail or number finds nobody
    assert find(gql, "139 9999 9999") == []
    assert find(gql, "who@example.com") == []
    assert find(gql, str(uuid4())) == []
    # and once the customer is erased, their phone finds nobody either
    erased = run(gql, "eraseCustomer", {"customerId": customer_id}, role=Role.COMPLIANCE_OFFICER)
    assert erased["__typename"] == "CustomerChanged", erased
    assert find(gql, "13800138000") == []


@pytest.mark.parametrize("role", [Role.ANALYST, Role.CUSTOMER, Role.INCIDENT_COMMANDER])
def test_only_staff_who_take_calls_may_search(gql: Gql, role: Role) -> None:
    body = gql(FIND, {"text": "13800138000"}, role=role, subject=str(uuid4()))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_empty_or_overlong_text_is_refused(gql: Gql) -> None:
    for text in ("  ", "x" * 255):
        body = gql(FIND, {"text": text})
        assert body["errors"][0]["extensions"]["code"] == "VALIDATION_FAILED", body
