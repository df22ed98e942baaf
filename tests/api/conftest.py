from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from api.auth import Role, issue_token
from application.settings import Settings
from tests.api.gql import Gql


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def token(settings: Settings) -> Callable[[Role, str], str]:
    def make(role: Role, subject: str = "user-1") -> str:
        return issue_token(settings, role, subject)

    return make


@pytest.fixture
def gql(client: TestClient, token: Callable[[Role, str], str]) -> Gql:
    """Posts a GraphQL document as the given role; returns the decoded JSON body."""

    def post(
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        role: Role = Role.AGENT,
        subject: str = "agent-1",
        status: int = 200,
    ) -> dict[str, Any]:
        response = client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {token(role, subject)}"},
        )
        assert response.status_code == status, response.text
        body: dict[str, Any] = response.json()
        return body

    return post
