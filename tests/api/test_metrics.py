"""/metrics: requests, errors and commands counted; the log head and view lag read at scrape."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from api.auth import Role
from projections.catalog import CATALOG
from tests.api.gql import Gql
from tests.api.order_inputs import ALICE, KNOWN_CUSTOMERS, PLACE, STEP, place_input

pytestmark = pytest.mark.usefixtures("known_customers")

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: TestClient) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_requests_errors_and_commands_are_counted(
    client: TestClient, gql: Gql, token: Callable[[Role, str], str]
) -> None:
    # given a placed order, a confirmation, its replay, a refused step and a forbidden read
    order_id = gql(PLACE, {"input": place_input(ALICE)})["data"]["placeOrder"]["order"]["orderId"]
    for command_id in ("c-1", "c-1"):
        gql(STEP % "confirmOrder", {"input": {"orderId": order_id, "commandId": command_id}})
    gql(STEP % "expireOrder", {"input": {"orderId": order_id}})
    gql("{ verifyAuditChain { ok } }", role=Role.ANALYST)
    # and requests that never ran: a validation failure and malformed JSON
    gql("{ nothingHere }")
    malformed = client.post(
        "/graphql",
        content=b"{",
        headers={
            "Authorization": f"Bearer {token(Role.AGENT, 'agent-1')}",
            "Content-Type": "application/json",
        },
    )
    assert malformed.status_code == 400
    # when the metrics are scraped
    samples = scrape(client)
    # then each request is counted by operation type and outcome: a mutation by the member of
    # its result union it answered, so the refused step is no success
    requests = "careledger_graphql_requests_total"
    assert value(samples, requests, operation_type="mutation", outcome="ok") == 0
    assert value(samples, requests, operation_type="mutation", outcome="OrderChanged") == 3
    assert value(samples, requests, operation_type="mutation", outcome="TransitionRefused") == 1
    assert value(samples, requests, operation_type="query", outcome="errors") == 1
    assert value(samples, requests, operation_type="query", outcome="invalid") == 1
    assert value(samples, requests, operation_type="unknown", outcome="bad_request") == 1
    assert (
        value(
            samples,
            "careledger_graphql_request_seconds_count",
            operation_type="mutation",
            outcome="OrderChanged",
        )
        == 3
    )
    # errors by code
    errors = "careledger_graphql_errors_total"
    assert value(samples, errors, code="FORBIDDEN") == 1
    assert value(samples, errors, code="GRAPHQL_VALIDATION_FAILED") == 1
    assert value(samples, errors, code="INVALID_JSON") == 1
    # commands by name and result
    commands = "careledger_commands_total"
    assert value(samples, commands, command="receive_order", result="ok") == 1
    assert value(samples, commands, command="confirm_order", result="ok") == 1
    assert value(samples, commands, command="confirm_order", result="replayed") == 1
    assert value(samples, commands, command="expire_order", result="TransitionRefused") == 1
    assert value(samples, "careledger_command_seconds_count", command="confirm_order") == 2


def test_a_mutation_is_counted_by_what_its_fields_answered(client: TestClient, gql: Gql) -> None:
    # given a confirmed order, a refused step, a validation failure, and in one request a
    # replayed confirmation and a refused step
    order_id = gql(PLACE, {"input": place_input(ALICE)})["data"]["placeOrder"]["order"]["orderId"]
    gql(STEP % "confirmOrder", {"input": {"orderId": order_id, "commandId": "c-1"}})
    refused = gql(STEP % "expireOrder", {"input": {"orderId": order_id}})
    assert refused["data"]["expireOrder"]["__typename"] == "TransitionRefused"
    invalid = gql(STEP % "confirmOrder", {"input": {"orderId": "not-an-id"}})
    assert invalid["data"]["confirmOrder"]["__typename"] == "ValidationFailed"
    both = gql(
        """mutation($id: ID!) {
          a: confirmOrder(input: {orderId: $id, commandId: "c-1"}) { __typename }
          b: expireOrder(input: {orderId: $id}) { __typename }
        }""",
        {"id": order_id},
    )
    assert both["data"] == {
        "a": {"__typename": "OrderChanged"},
        "b": {"__typename": "TransitionRefused"},
    }
    # and a step an analyst may not take
    forbidden = gql(STEP % "confirmOrder", {"input": {"orderId": order_id}}, role=Role.ANALYST)
    assert forbidden["data"]["confirmOrder"]["__typename"] == "Forbidden"
    # when scraped, then each is counted under what it answered
    samples = scrape(client)
    requests = "careledger_graphql_requests_total"
    outcomes = ["OrderChanged", "TransitionRefused", "ValidationFailed", "Forbidden", "mixed", "ok"]
    counted = {
        outcome: value(samples, requests, operation_type="mutation", outcome=outcome)
        for outcome in outcomes
    }
    assert counted == {
        "OrderChanged": 2,
        "TransitionRefused": 1,
        "ValidationFailed": 1,
        "Forbidden": 1,
        "mixed": 1,
        "ok": 0,
    }


def test_the_log_head_and_every_views_lag_are_read_at_scrape_time(
    client: TestClient, gql: Gql
) -> None:
    services: Any = client.app.state.services  # type: ignore[attr-defined]
    # given two orders in the log after the known customers' registrations, and a view the
    # store says stands at position 1
    for _ in range(2):
        gql(PLACE, {"input": place_input(ALICE)})
    with services.views.transaction() as tx:
        tx.execute(
            "INSERT INTO projection_generations (projection, active) VALUES (?, 1)", ("probe_view",)
        )
        tx.execute(
            "INSERT INTO projection_tracking (projection, generation, position,"
            " updated_at) VALUES (?, 1, 1, 0)",
            ("probe_view",),
        )
    head = services.ledger.recorder.max_notification_id()
    # when scraped, then the head and the probe's lag are exact
    samples = scrape(client)
    assert value(samples, "careledger_event_log_head") == head == len(KNOWN_CUSTOMERS) + 2
    assert value(samples, "careledger_projection_position", view="probe_view") == 1
    assert value(samples, "careledger_projection_lag_events", view="probe_view") == head - 1
    # and every catalogued view is reported, its position and lag adding up to the head
    for name in CATALOG:
        position = value(samples, "careledger_projection_position", view=name)
        lag = value(samples, "careledger_projection_lag_events", view=name)
        assert (name, position + lag) == (name, head)


def test_health_and_readiness_stay(client: TestClient) -> None:
    assert (client.get("/healthz").status_code, client.get("/healthz").text) == (200, "ok")
    assert client.get("/readyz").json() == {"ready": True}
