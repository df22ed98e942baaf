"""Production settings: no GraphiQL, no introspection, no suggestions, bugs masked and logged."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from api.auth import Role, issue_token
from application.settings import Settings
from tests.backends import make_settings

INTROSPECTION = "{ __schema { queryType { name } } }"
ORDER = "query($id: ID!) { order(id: $id) { status } }"
SOME_ID = "6f1c2d7e-9a4b-4c1e-8d2f-3b5a6c7d8e9f"


@pytest.fixture(params=["development", "production"])
def environment(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def configured(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, environment: str
) -> Settings:
    return make_settings(
        backend, tmp_path, request, environment=environment, token_secret=b"t" * 32
    )


@pytest.fixture
def served(configured: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(configured)) as client:
        client.headers["Authorization"] = f"Bearer {issue_token(configured, Role.AGENT, 'a-1')}"
        yield client


def post(client: TestClient, query: str, variables: dict[str, Any] | None = None) -> Any:
    response = client.post("/graphql", json={"query": query, "variables": variables or {}})
    assert response.status_code == 200, response.text
    return response.json()


def test_graphiql_is_served_in_development_only(served: TestClient, environment: str) -> None:
    page = served.get("/graphql", headers={"Accept": "text/html"})
    if environment == "production":
        assert (page.status_code, page.json()["errors"][0]["extensions"]["code"]) == (
            404,
            "NOT_FOUND",
        )
    else:
        assert page.status_code == 200
        assert "graphiql" in page.text.lower()


def test_introspection_and_suggestions_are_off_in_production(
    served: TestClient, environment: str
) -> None:
    introspected = post(served, INTROSPECTION)
    misspelt = post(served, '{ ordr(id: "x") { status } }')
    if environment == "production":
        assert introspected.get("data") is None
        assert introspected["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"
        assert misspelt["errors"][0]["message"] == "Cannot query field 'ordr' on type 'Query'."
    else:
        assert introspected == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
        assert "Did you mean 'order'" in misspelt["errors"][0]["message"]


def test_a_bug_is_masked_in_production_and_logged_with_the_request_id(
    served: TestClient,
    environment: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("the database password is hunter2")

    ledger = served.app.state.services.ledger  # type: ignore[attr-defined]
    monkeypatch.setattr(ledger, "load", broken)
    with caplog.at_level(logging.ERROR, logger="careledger.api"):
        body = post(served, ORDER, {"id": SOME_ID})
    (error,) = body["errors"]
    request_id = error["extensions"]["requestId"]
    assert error["extensions"]["code"] == "INTERNAL"
    if environment == "production":
        assert error["message"] == f"Internal error (request id {request_id})"
    else:
        assert error["message"] == f"the database password is hunter2 (request id {request_id})"
    (record,) = [r for r in caplog.records if r.name == "careledger.api"]
    assert request_id in record.getMessage()
    assert record.exc_info is not None and "hunter2" in str(record.exc_info[1])


# a near miss of each kind of name: graphql-core suggests the real one in development
NEAR_MISSES = [
    ("field", '{ ordr(id: "x") { status } }', {}),
    ("argument", '{ order(idd: "x") { status } }', {}),
    ("type", "query($id: Id!) { order(id: $id) { status } }", {"id": "x"}),
    (
        "enum value",
        "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { __typename } }",
        {"i": {"channel": "EMAL"}},
    ),
    (
        "input field",
        "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { __typename } }",
        {"i": {"customerIdd": "x"}},
    ),
]


@pytest.mark.parametrize(
    ("query", "variables"), [pytest.param(*m[1:], id=m[0]) for m in NEAR_MISSES]
)
def test_no_suggestion_of_any_kind_in_production(
    served: TestClient, environment: str, query: str, variables: dict[str, Any]
) -> None:
    messages = [e["message"] for e in post(served, query, variables)["errors"]]
    if environment == "production":
        assert not any("Did you mean" in m for m in messages), messages
    else:
        assert any("Did you mean" in m for m in messages), messages


METRICS_TOKEN = "scrape-me-" + "x" * 24


def test_metrics_need_the_scrapers_token_in_production(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, environment: str
) -> None:
    without = make_settings(
        backend, tmp_path / "a", request, environment=environment, token_secret=b"t" * 32
    )
    with TestClient(create_app(without)) as client:
        response = client.get("/metrics")
        if environment == "production":
            assert response.status_code == 403
            assert "CARELEDGER_METRICS_TOKEN" in response.json()["errors"][0]["message"]
        else:
            assert response.status_code == 200
    configured = make_settings(
        backend,
        tmp_path / "b",
        request,
        environment=environment,
        token_secret=b"t" * 32,
        metrics_token=METRICS_TOKEN,
    )
    with TestClient(create_app(configured)) as client:
        assert client.get("/metrics").status_code == 401
        wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        scraped = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert scraped.status_code == 200 and "careledger" in scraped.text
        # readiness stays open to the orchestrator and tells nothing about commands
        assert client.get("/readyz").status_code == 200
