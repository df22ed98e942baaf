"""A customer, the placeOrder and order-step documents, and a valid PlaceOrderInput."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

ALICE = "6f1c2d7e-9a4b-4c1e-8d2f-3b5a6c7d8e9f"
BOB = "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"
KNOWN_CUSTOMERS = (ALICE, BOB)  # registered by the `known_customers` fixture


PLACE = """
mutation Place($input: PlaceOrderInput!) {
  placeOrder(input: $input) {
    __typename
    ... on OrderChanged {
      order { id orderId status channel amount } written { version position replayed }
    }
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
    data = {
        "customerId": customer_id,
        "restaurant": "Golden Dumpling",
        "region": "chaoyang",
        "items": [{"name": "dumplings", "quantity": 2, "unitPrice": "12.50"}],
        "amount": "25.00",
        "promisedAt": promised,
        "address": "1 Road",
        "channel": "APP",
    }
    return {**data, **changes}
