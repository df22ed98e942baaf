from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from api.auth import Role, issue_token
from api.need_to_know import FRONT_DESK
from application.app import CareLedger
from application.settings import Settings
from tests.api.gql import Gql
from tests.api.order_inputs import KNOWN_CUSTOMERS
from tests.application.builders import registered

PATIENCE_S = 20.0


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def token(settings: Settings) -> Callable[..., str]:
    def make(role: Role, subject: str = "user-1", department: str | None = None) -> str:
        return issue_token(settings, role, subject, department=department)

    return make


@pytest.fixture
def gql(client: TestClient, token: Callable[..., str]) -> Gql:
    """Posts a GraphQL document as the given role (staff of customer service unless another
    department is given); returns the decoded JSON body."""

    def post(
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        role: Role = Role.AGENT,
        subject: str = "agent-1",
        department: str | None = FRONT_DESK,
        status: int = 200,
        patient: bool = True,
    ) -> dict[str, Any]:
        # A read at a position the views have not reached in the service's 2 s is asked again,
        # as its error says, for up to PATIENCE_S: on a loaded machine the views that project
        # in the service may take longer (`patient=False`: the first answer).
        given_up = time.monotonic() + (PATIENCE_S if patient else 0)
        while True:
            response = client.post(
                "/graphql",
                json={"query": query, "variables": variables or {}},
                headers={"Authorization": f"Bearer {token(role, subject, department)}"},
            )
            assert response.status_code == status, response.text
            body: dict[str, Any] = response.json()
            if not _not_caught_up(body) or time.monotonic() >= given_up:
                return body

    return post


def _not_caught_up(body: dict[str, Any]) -> bool:
    codes = {(e.get("extensions") or {}).get("code") for e in body.get("errors") or []}
    return "NOT_CAUGHT_UP" in codes


@pytest.fixture
def known_customers(client: TestClient) -> None:
    """Given: the customers the tests name by fixed ids (ALICE, BOB) registered: commands
    naming a customer refuse one never registered."""
    ledger: CareLedger = client.app.state.services.ledger  # type: ignore[attr-defined]
    for customer_id in KNOWN_CUSTOMERS:
        registered(ledger, customer_id)
