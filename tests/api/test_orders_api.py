from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.testclient import TestClient

from api.auth import Role
from tests.api.conftest import Gql

PLACE = """
mutation Place($input: PlaceOrderInput!) {
  placeOrder(input: $input) {
    __typename
    ... on OrderChanged { order { id orderId status amount } written { version position replayed } }
    ... on Problem { code message }
    ... on ValidationFailed { problems { path message } }
  }
}"""

STEP = """
mutation Step($input: OrderInput!) {
  %s(input: $input) {
    __typename
    ... on OrderChanged { order { status version } written { version replayed } }
    ... on TransitionRefused { code state action }
    ... on Problem { code message }
  }
}"""


def place_input(customer_id: str, **changes: Any) -> dict[str, Any]:
    promised = (datetime.now(UTC) + timedelta(minutes=40)).isoformat()
    data = {"customerId": customer_id, "restaurant": "Golden Dumpling", "region": "chaoyang",
            "items": [{"name": "dumplings", "quantity": 2, "unitPrice": "12.50"}],
            "amount": "25.00", "promisedAt": promised, "address": "1 Road", "channel": "app"}
    return {**data, **changes}


def test_an_order_goes_from_intake_to_delivery_over_http(gql: Gql) -> None:
    customer = "6f1c2d7e-9a4b-4c1e-8d2f-3b5a6c7d8e9f"
    placed = gql(PLACE, {"input": place_input(customer)})["data"]["placeOrder"]
    assert placed["__typename"] == "OrderChanged", placed
    order_id = placed["order"]["orderId"]
    for step, status in [("confirmOrder", "Confirmed"), ("startPreparation", "InPreparation"),
                         ("packOrder", "Packed")]:
        result = gql(STEP % step, {"input": {"orderId": order_id}})["data"][step]
        assert result["order"]["status"] == status
    refused = gql(STEP % "confirmOrder", {"input": {"orderId": order_id}})["data"]["confirmOrder"]
    assert refused == {"__typename": "TransitionRefused", "code": "TRANSITION_REFUSED",
                       "state": "Packed", "action": "confirm",
                       "message": "Order is Packed: cannot confirm"}


def test_a_repeated_command_id_replays_the_first_outcome(gql: Gql) -> None:
    placed = gql(PLACE, {"input": place_input("6f1c2d7e-9a4b-4c1e-8d2f-3b5a6c7d8e9f")})
    order_id = placed["data"]["placeOrder"]["order"]["orderId"]
    first = gql(STEP % "confirmOrder", {"input": {"orderId": order_id, "commandId": "c-1"}})
    again = gql(STEP % "confirmOrder", {"input": {"orderId": order_id, "commandId": "c-1"}})
    assert first["data"]["confirmOrder"]["written"] == {"version": 2, "replayed": False}
    assert again["data"]["confirmOrder"]["written"] == {"version": 2, "replayed": True}


def test_requests_without_a_valid_token_are_refused(client: TestClient) -> None:
    response = client.post("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    bad = client.post("/graphql", json={"query": "{ __typename }"},
                      headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401


def test_an_analyst_may_not_place_orders_nor_read_addresses(gql: Gql) -> None:
    customer = "6f1c2d7e-9a4b-4c1e-8d2f-3b5a6c7d8e9f"
    refused = gql(PLACE, {"input": place_input(customer)}, role=Role.ANALYST)
    assert refused["data"]["placeOrder"]["__typename"] == "Forbidden"
    order_id = gql(PLACE, {"input": place_input(customer)})["data"]["placeOrder"]["order"][
        "orderId"]
    seen = gql("query($id: ID!) { order(id: $id) { status address } }", {"id": order_id},
               role=Role.ANALYST)
    assert seen["data"] is None or seen["data"]["order"] is None
    assert seen["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    agent = gql("query($id: ID!) { order(id: $id) { status address } }", {"id": order_id})
    assert agent["data"]["order"] == {"status": "Received", "address": "1 Road"}
