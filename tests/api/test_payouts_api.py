"""An order's payouts over HTTP: the ledger on the order, refusals as data, the exception."""

from __future__ import annotations

from typing import Any

import pytest

from api.auth import Role
from tests.api.gql import Gql
from tests.api.order_inputs import ALICE, PLACE, STEP, place_input

pytestmark = pytest.mark.usefixtures("known_customers")

PAYOUTS = "payouts { paid paidOut exceptions limit room unsettled }"
REFUND = f"""mutation($input: RecordRefundInput!) {{ recordRefund(input: $input) {{
  __typename ... on OrderChanged {{ order {{ refundedTotal {PAYOUTS} }} }}
  ... on Problem {{ code message }} }} }}"""
APPROVE = f"""mutation($input: ApprovePayoutExceptionInput!) {{
  approvePayoutException(input: $input) {{
    __typename ... on OrderChanged {{ order {{ {PAYOUTS} }} written {{ replayed }} }}
    ... on Problem {{ code message }} }} }}"""


def confirmed_order(gql: Gql) -> str:
    placed = gql(PLACE, {"input": place_input(ALICE)})["data"]["placeOrder"]
    order_id: str = placed["order"]["orderId"]
    gql(STEP % "confirmOrder", {"input": {"orderId": order_id}})
    return order_id


def refund(gql: Gql, order_id: str, amount: str) -> dict[str, Any]:
    body = gql(REFUND, {"input": {"orderId": order_id, "amount": amount, "origin": "GUARANTEE"}})
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["recordRefund"]
    return result


def test_refunds_beyond_what_was_paid_are_refused_until_a_supervisor_approves_more(
    gql: Gql,
) -> None:
    # given a 25.00 order refunded 25.00
    order_id = confirmed_order(gql)
    done = refund(gql, order_id, "25.00")
    assert done["order"]["payouts"] == {
        "paid": "25.00",
        "paidOut": "25.00",
        "exceptions": "0.00",
        "limit": "25.00",
        "room": "0.00",
        "unsettled": "0.00",
    }
    # when more is refunded, the refusal is data and nothing is recorded
    refused = refund(gql, order_id, "1.00")
    assert refused["__typename"] == "RuleViolated"
    assert refused["code"] == "COMPENSATION_EXCEEDS_ORDER_AMOUNT"
    # an agent may not approve an exception; a supervisor may, with a reason
    exception = {"orderId": order_id, "amount": "5.00", "reason": "goodwill"}
    as_agent = gql(APPROVE, {"input": exception})["data"]["approvePayoutException"]
    assert as_agent["__typename"] == "Forbidden"
    approved = gql(APPROVE, {"input": exception}, role=Role.SUPERVISOR, subject="sup-1")
    payouts = approved["data"]["approvePayoutException"]["order"]["payouts"]
    assert (payouts["limit"], payouts["room"]) == ("30.00", "5.00")
    # then 5.00 more can be refunded, and no more
    assert refund(gql, order_id, "5.01")["__typename"] == "RuleViolated"
    assert refund(gql, order_id, "5.00")["order"]["refundedTotal"] == "30.00"


def test_an_exception_without_a_reason_is_a_validation_failure(gql: Gql) -> None:
    order_id = confirmed_order(gql)
    exception = {"orderId": order_id, "amount": "5.00", "reason": ""}
    answer = gql(APPROVE, {"input": exception}, role=Role.SUPERVISOR, subject="sup-1")
    assert answer["data"]["approvePayoutException"]["__typename"] == "ValidationFailed"
