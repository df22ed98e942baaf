"""Security headers on every answer, and CORS for the configured origins only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from api.auth import Role, issue_token
from application.settings import Settings
from tests.backends import make_settings

FRONT_END = "https://console.example.test"
STRANGER = "https://evil.example.test"


@pytest.fixture
def client(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[TestClient]:
    settings: Settings = make_settings(backend, tmp_path, request, allowed_origins=(FRONT_END,))
    with TestClient(create_app(settings)) as test_client:
        test_client.headers["Authorization"] = f"Bearer {issue_token(settings, Role.AGENT, 'a')}"
        yield test_client


def test_every_api_answer_carries_the_security_headers(client: TestClient) -> None:
    for response in [
        client.post("/graphql", json={"query": "{ __typename }"}),
        client.post("/graphql", content=b"{bad", headers={"Content-Type": "application/json"}),
        client.get("/healthz"),
    ]:
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
        assert "strict-transport-security" not in response.headers  # no TLS here


def test_the_graphiql_page_has_a_policy_that_lets_it_run(client: TestClient) -> None:
    page = client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "script-src" in policy


def test_hsts_only_where_tls_reaches_the_service(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = make_settings(backend, tmp_path, request)
    with TestClient(create_app(settings), base_url="https://careledger.test") as tls:
        assert "max-age=" in tls.get("/healthz").headers["strict-transport-security"]


def test_a_preflight_from_an_allowed_origin_needs_no_token(client: TestClient) -> None:
    response = client.options(
        "/graphql",
        headers={
            "Origin": FRONT_END,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
            "Authorization": "",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == FRONT_END
    assert "POST" in response.headers["access-control-allow-methods"]
    # and the request itself answers with the origin allowed
    answer = client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Origin": FRONT_END}
    )
    assert answer.headers["access-control-allow-origin"] == FRONT_END


def test_another_origin_is_not_allowed(client: TestClient) -> None:
    preflight = client.options(
        "/graphql",
        headers={"Origin": STRANGER, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    answer = client.post("/graphql", json={"query": "{ __typename }"}, headers={"Origin": STRANGER})
    assert "access-control-allow-origin" not in answer.headers
