from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from api.auth import Role
from tests.api.gql import Gql
from tests.api.order_inputs import ALICE, PLACE, STEP, place_input

pytestmark = pytest.mark.usefixtures("known_customers")

INPUT_TYPES = {
    "sendOrderConfirmation": "ViaInput",
    "sendDelayNotice": "ViaInput",
    "assignOrderDepartment": "AssignDepartmentInput",
    "assignCourier": "AssignCourierInput",
    "failDelivery": "FailDeliveryInput",
    "cancelOrder": "CancelOrderInput",
    "detectDelay": "DetectDelayInput",
    "recordOrderLate": "RecordLateInput",
    "recordRefund": "RecordRefundInput",
    "rejectOrder": "RejectOrderInput",
    "updateEta": "UpdateEtaInput",
}

ORDER_FIELDS = """status channel confirmationsSent departments { department assignee }
  courier courierProvider failureReason closingReason cancellingParty delayRisk
  expectedLateMin delayNoticesSent lateMin lateAttributedTo refundedTotal"""


def command(gql: Gql, name: str, input: dict[str, Any], **who: Any) -> dict[str, Any]:
    kind = INPUT_TYPES.get(name, "OrderInput")
    document = f"""mutation($input: {kind}!) {{ {name}(input: $input) {{
      __typename ... on OrderChanged {{ order {{ {ORDER_FIELDS} }} }}
      ... on Problem {{ code message }} }} }}"""
    body = gql(document, {"input": input}, **who)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"][name]
    return result


def test_an_order_goes_from_intake_to_delivery_over_http(gql: Gql) -> None:
    placed = gql(PLACE, {"input": place_input(ALICE)})["data"]["placeOrder"]
    assert placed["__typename"] == "OrderChanged", placed
    assert placed["order"]["status"] == "RECEIVED"
    assert placed["order"]["channel"] == "APP"
    order_id = placed["order"]["orderId"]
    for step, status in [
        ("confirmOrder", "CONFIRMED"),
        ("startPreparation", "IN_PREPARATION"),
        ("packOrder", "PACKED"),
    ]:
        result = gql(STEP % step, {"input": {"orderId": order_id}})["data"][step]
        assert result["order"]["status"] == status
    refused = gql(STEP % "confirmOrder", {"input": {"orderId": order_id}})["data"]["confirmOrder"]
    assert refused == {
        "__typename": "TransitionRefused",
        "code": "TRANSITION_REFUSED",
        "state": "Packed",
        "action": "confirm",
        "message": "Order is Packed: cannot confirm",
    }


def test_a_late_order_with_a_failed_delivery_carries_every_enum_over_http(gql: Gql) -> None:
    # given an order placed 50 minutes ago, promised 30 seconds from now (in real time, so the
    # embedded delay watchdog leaves it alone while the test runs)
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=50)

    def at(minutes: float) -> str:
        return (t0 + timedelta(minutes=minutes)).isoformat()

    placed = gql(
        PLACE, {"input": place_input(ALICE, occurredAt=at(0), promisedAt=at(50.5), channel="PHONE")}
    )["data"]["placeOrder"]
    order_id = placed["order"]["orderId"]
    # when it is prepared with a delay, fails delivery once and arrives 30 seconds late
    steps: list[tuple[str, dict[str, Any]]] = [
        ("confirmOrder", {}),
        ("sendOrderConfirmation", {"via": "SMS"}),
        ("assignOrderDepartment", {"department": "KITCHEN", "assignee": "chef-1"}),
        ("startPreparation", {}),
        ("detectDelay", {"expectedLateMin": 15}),
        ("sendDelayNotice", {"via": "APP"}),
        ("packOrder", {}),
        ("assignCourier", {"courier": "courier-9", "provider": "fleet"}),
        ("pickUpOrder", {}),
        ("failDelivery", {"reason": "UNREACHABLE"}),
        ("pickUpOrder", {}),
        ("deliverOrder", {}),
        ("recordOrderLate", {"attributedTo": "COURIER"}),
        ("recordRefund", {"amount": "5.00", "origin": "GUARANTEE"}),
    ]
    results = [
        command(gql, name, {"orderId": order_id, "occurredAt": at(minute), **data})
        for minute, (name, data) in enumerate(steps, start=40)
    ]
    # then every step succeeded, and the order reads back with its enums
    assert [r["__typename"] for r in results] == ["OrderChanged"] * len(steps), results
    assert results[9]["order"]["failureReason"] == "UNREACHABLE"
    assert results[9]["order"]["status"] == "DELIVERY_FAILED"
    assert results[-1]["order"] == {
        "status": "DELIVERED",
        "channel": "PHONE",
        "confirmationsSent": ["SMS"],
        "departments": [{"department": "KITCHEN", "assignee": "chef-1"}],
        "courier": "courier-9",
        "courierProvider": "fleet",
        "failureReason": "UNREACHABLE",
        "closingReason": None,
        "cancellingParty": None,
        "delayRisk": "LATE",
        "expectedLateMin": 15,
        "delayNoticesSent": ["APP"],
        "lateMin": 1,
        "lateAttributedTo": "COURIER",
        "refundedTotal": "5.00",
    }


def test_a_customer_cancels_their_own_order_naming_the_party(gql: Gql) -> None:
    order_id = gql(PLACE, {"input": place_input(ALICE)})["data"]["placeOrder"]["order"]["orderId"]
    command(gql, "confirmOrder", {"orderId": order_id})
    cancelled = command(
        gql,
        "cancelOrder",
        {"orderId": order_id, "reason": "changed my mind", "cancellingParty": "CUSTOMER"},
        role=Role.CUSTOMER,
        subject=ALICE,
    )
    assert cancelled["order"]["status"] == "CANCELLED"
    assert cancelled["order"]["cancellingParty"] == "CUSTOMER"
    assert cancelled["order"]["closingReason"] == "changed my mind"


def test_an_unknown_enum_value_is_refused_before_anything_is_recorded(
    client: TestClient, gql: Gql
) -> None:
    order_id = gql(PLACE, {"input": place_input(ALICE)})["data"]["placeOrder"]["order"]["orderId"]
    recorder = client.app.state.services.ledger.recorder  # type: ignore[attr-defined]
    head = recorder.max_notification_id()
    body = gql(
        "mutation($input: ViaInput!) { sendOrderConfirmation(input: $input) { __typename } }",
        {"input": {"orderId": order_id, "via": "sms"}},
    )
    assert body.get("data") is None
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "NoticeVia" in body["errors"][0]["message"]
    assert recorder.max_notification_id() == head


def test_a_repeated_command_id_replays_the_first_outcome(gql: Gql) -> None:
    placed = gql(PLACE, {"input": place_input(ALICE)})
    order_id = placed["data"]["placeOrder"]["order"]["orderId"]
    first = gql(STEP % "confirmOrder", {"input": {"orderId": order_id, "commandId": "c-1"}})
    again = gql(STEP % "confirmOrder", {"input": {"orderId": order_id, "commandId": "c-1"}})
    assert first["data"]["confirmOrder"]["written"] == {"version": 2, "replayed": False}
    assert again["data"]["confirmOrder"]["written"] == {"version": 2, "replayed": True}


def test_requests_without_a_valid_token_are_refused(client: TestClient) -> None:
    response = client.post("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    bad = client.post(
        "/graphql",
        json={"query": "{ __typename }"},
        headers={"Authorization": "Bearer not-a-token"},
    )
    assert bad.status_code == 401


def test_an_analyst_may_not_place_orders_and_reads_addresses_sealed(gql: Gql) -> None:
    refused = gql(PLACE, {"input": place_input(ALICE)}, role=Role.ANALYST)
    assert refused["data"]["placeOrder"]["__typename"] == "Forbidden"
    order_id = gql(PLACE, {"input": place_input(ALICE)})["data"]["placeOrder"]["order"]["orderId"]
    # the analyst reads the order, its address sealed (need-to-know), without an error
    seen = gql(
        "query($id: ID!) { order(id: $id) { status address } }", {"id": order_id}, role=Role.ANALYST
    )
    assert seen == {"data": {"order": {"status": "RECEIVED", "address": "[sealed]"}}}
    agent = gql("query($id: ID!) { order(id: $id) { status address } }", {"id": order_id})
    assert agent["data"]["order"] == {"status": "RECEIVED", "address": "1 Road"}


def test_an_order_reads_as_it_was_at_a_version_and_as_recorded_at_a_time(gql: Gql) -> None:
    # given an order placed, then confirmed a moment later
    placed = gql(PLACE, {"input": place_input("6f1c2d7e-9a4b-4c1e-8d2f-3b5a6c7d8e9f")})
    order_id = placed["data"]["placeOrder"]["order"]["orderId"]
    time.sleep(0.01)
    between = datetime.now(UTC).isoformat()
    time.sleep(0.01)
    gql(STEP % "confirmOrder", {"input": {"orderId": order_id}})
    read = (
        "query($id: ID!, $v: Int, $at: DateTime) { order(id: $id, version: $v, asOf: $at) {"
        " status version } }"
    )
    # then the past reads by version and by recorded time agree, and now is confirmed
    at_time = gql(read, {"id": order_id, "at": between})["data"]["order"]
    at_version = gql(read, {"id": order_id, "v": 1})["data"]["order"]
    now = gql(read, {"id": order_id})["data"]["order"]
    assert at_time == at_version == {"status": "RECEIVED", "version": 1}
    assert now == {"status": "CONFIRMED", "version": 2}
    # and a time before the order existed finds nothing
    before = gql(read, {"id": order_id, "at": "2000-01-01T00:00:00+00:00"})
    assert before["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    # and a version past the last, a version below 1, or a version with a time are refused,
    # each as a validation error naming the field, never silently another version
    refusals: list[tuple[dict[str, Any], str]] = [
        ({"v": 99}, "99 is past the last one: the Order is at version 2"),
        ({"v": 0}, "must be 1 or more (the first event is 1)"),
        ({"v": 1, "at": between}, "give `version` or `asOf`, not both"),
    ]
    for variables, says in refusals:
        refused = gql(read, {"id": order_id, **variables})
        assert [(e["extensions"]["code"], e["message"]) for e in refused["errors"]] == [
            ("VALIDATION_FAILED", says)
        ]


def test_an_order_reads_as_of_the_business_time_of_its_back_dated_events(gql: Gql) -> None:
    # given an order recorded now as the demo records it: placed yesterday at 10:00 and
    # confirmed at 10:05 (back-dated business time)
    yesterday = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    ten = yesterday.replace(hour=10, minute=0, second=0)
    placed = gql(PLACE, {"input": place_input(ALICE, occurredAt=ten.isoformat())})
    order_id = placed["data"]["placeOrder"]["order"]["orderId"]
    confirm = {"orderId": order_id, "occurredAt": (ten + timedelta(minutes=5)).isoformat()}
    gql(STEP % "confirmOrder", {"input": confirm})
    read = (
        "query($id: ID!, $at: DateTime, $business: DateTime) {"
        " order(id: $id, asOf: $at, asOfBusinessTime: $business) { status version } }"
    )

    def business(minutes: int) -> dict[str, Any]:
        moment = (ten + timedelta(minutes=minutes)).isoformat()
        return gql(read, {"id": order_id, "business": moment})

    # then by business time it was received at 10:02 and confirmed by 10:10
    assert business(2)["data"]["order"] == {"status": "RECEIVED", "version": 1}
    assert business(10)["data"]["order"] == {"status": "CONFIRMED", "version": 2}
    # and it did not exist at 09:59 of business time
    assert business(-1)["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    # while in recorded time it did not exist yesterday at 10:02 at all
    recorded = gql(read, {"id": order_id, "at": (ten + timedelta(minutes=2)).isoformat()})
    assert recorded["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    # and both times at once are refused as a validation error naming the field
    both = gql(read, {"id": order_id, "at": ten.isoformat(), "business": ten.isoformat()})
    assert [(e["extensions"]["code"], e["message"]) for e in both["errors"]] == [
        ("VALIDATION_FAILED", "give `asOf` or `asOfBusinessTime`, not both")
    ]
    versioned = gql(
        "query($id: ID!, $t: DateTime) { order(id: $id, version: 1, asOfBusinessTime: $t) {"
        " version } }",
        {"id": order_id, "t": ten.isoformat()},
    )
    assert versioned["errors"][0]["message"] == "give `version` or `asOfBusinessTime`, not both"
