"""Webhook endpoints over GraphQL: registered by an admin, the secret never shown, the delivery
log queryable; the service's own dispatcher delivers to a real receiver."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from api.auth import Role
from application.app import CareLedger
from application.settings import Settings
from delivery.webhooks import WebhookDispatcher
from projections.engine import tracking
from projections.engine.store import open_view_store
from projections.views.webhook_deliveries import WebhookDeliveriesProjection
from tests.api.gql import Gql
from tests.policies.clusters import Kitchens
from tests.support import minutes
from tests.webhooks.hooks import SECRET
from tests.webhooks.receiver import Receiver

ADMIN = {"role": Role.ADMIN, "subject": "admin-li"}
WAIT_S = 10.0
REGISTER = """
mutation($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) {
    __typename
    ... on WebhookEndpointChanged { endpoint { endpointId url eventTypes status owner } }
    ... on Problem { code message }
  }
}"""
DISABLE = """
mutation($input: DisableWebhookEndpointInput!) {
  disableWebhookEndpoint(input: $input) {
    __typename
    ... on WebhookEndpointChanged { endpoint { status disabledReason } }
    ... on Problem { code message }
  }
}"""
DELIVERIES = """
query($id: ID!, $after: Int) {
  webhookDeliveries(endpointId: $id, first: 2, after: $after) {
    deliveries { webhookId eventType status attempts { attempt statusCode outcome latencyMs } }
    nextAfter
  }
}"""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(SECRET).start()
    try:
        yield server
    finally:
        server.stop()


def register(gql: Gql, receiver: Receiver, **extra: Any) -> dict[str, Any]:
    input = {"url": receiver.url, "eventTypes": ["OrderReceived"], "secret": SECRET, **extra}
    body = gql(REGISTER, {"input": input}, **ADMIN)
    result: dict[str, Any] = body["data"]["registerWebhookEndpoint"]
    return result


def test_an_admin_registers_an_endpoint_and_reads_its_delivery_log(
    gql: Gql, settings: Settings, receiver: Receiver
) -> None:
    # given an endpoint registered by an admin; the answer never holds the secret
    registered = register(gql, receiver)
    assert registered["__typename"] == "WebhookEndpointChanged", registered
    endpoint = registered["endpoint"]
    assert (endpoint["status"], endpoint["owner"]) == ("ACTIVE", "admin-li")
    assert SECRET not in str(gql("{ webhookEndpoints { endpointId url eventTypes } }", **ADMIN))
    # when three orders are placed and the webhooks delivered (the service's own dispatcher on
    # SQLite; on PostgreSQL `policies run` would, played here by one in the test)
    with CareLedger(settings) as app:
        kitchens = Kitchens(app)
        for n in range(3):
            kitchens.order(minutes(n))
        if settings.postgres is not None:
            store = open_view_store(settings)
            try:
                dispatcher = WebhookDispatcher(app, store)
                deadline = time.monotonic() + WAIT_S
                while len(receiver.received) < 3 and time.monotonic() < deadline:
                    dispatcher.run_once()
            finally:
                store.close()
    deadline = time.monotonic() + WAIT_S
    while len(receiver.received) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(receiver.received) == 3 and receiver.refused == []
    # then the delivery log pages through them, each with its one attempt
    first = gql(DELIVERIES, {"id": endpoint["endpointId"]}, **ADMIN)["data"]["webhookDeliveries"]
    rest = gql(DELIVERIES, {"id": endpoint["endpointId"], "after": first["nextAfter"]}, **ADMIN)
    page = rest["data"]["webhookDeliveries"]
    found = first["deliveries"] + page["deliveries"]
    assert [d["webhookId"] for d in found] == receiver.ids()
    assert page["nextAfter"] is None
    assert all(d["status"] == "DELIVERED" for d in found)
    assert all([a["statusCode"] for a in d["attempts"]] == [204] for d in found)


def install_outbox(settings: Settings) -> None:
    """What `policies run` does as it starts on PostgreSQL (SQLite: the service itself)."""
    store = open_view_store(settings)
    try:
        with store.transaction() as tx:
            tracking.install(tx, WebhookDeliveriesProjection())
    finally:
        store.close()


def test_bad_input_is_a_typed_problem_and_others_are_refused(
    gql: Gql, settings: Settings, receiver: Receiver
) -> None:
    install_outbox(settings)
    # a URL with credentials, an unknown event type, a bad secret: each a validation problem
    for extra in (
        {"url": "http://user:pw@127.0.0.1/h"},
        {"eventTypes": ["Nope"]},
        {"secret": "hunter2"},
    ):
        refused = register(gql, receiver, **extra)
        assert refused["code"] == "VALIDATION_FAILED", refused
    assert gql("{ webhookEndpoints { endpointId } }", **ADMIN)["data"]["webhookEndpoints"] == []
    # disabling twice: the second is refused by the endpoint's state
    endpoint_id = register(gql, receiver)["endpoint"]["endpointId"]
    # a reason in words is refused (an endpoint is no customer's: nothing would seal them)
    words = {"endpointId": endpoint_id, "reason": "Li Wei at the merchant asked to pause"}
    refused = gql(DISABLE, {"input": words}, **ADMIN)["data"]["disableWebhookEndpoint"]
    assert refused["code"] == "VALIDATION_FAILED", refused
    disable = {"endpointId": endpoint_id, "reason": "maintenance"}
    done = gql(DISABLE, {"input": disable}, **ADMIN)["data"]["disableWebhookEndpoint"]
    assert done["endpoint"] == {"status": "DISABLED", "disabledReason": "maintenance"}
    again = gql(DISABLE, {"input": disable}, **ADMIN)["data"]["disableWebhookEndpoint"]
    assert again["code"] == "TRANSITION_REFUSED"
    # a supervisor may not read the delivery log
    body = gql(DELIVERIES, {"id": endpoint_id}, role=Role.SUPERVISOR, subject="sup-1")
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
