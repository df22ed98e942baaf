"""What the end-to-end tests send the served process: a token signed with the secret it serves
with (tests/e2e/conftest.py), and a GraphQL request that must succeed."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import httpx2 as httpx

from api.auth import Role, issue_token
from application.settings import Settings

SECRET = base64.b64encode(b"s" * 32).decode()


def token(tmp_path: Path, role: Role, subject: str) -> str:
    settings = Settings(data_dir=tmp_path, token_secret=base64.b64decode(SECRET))
    return issue_token(settings, role, subject)


def gql(base: str, bearer: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    """The answer's data; a status other than 200 or any error fails the test."""
    response = httpx.post(
        f"{base}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {bearer}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return dict(body["data"])


REGISTER = """mutation($input: RegisterCustomerInput!) { registerCustomer(input: $input) {
  __typename ... on CustomerChanged { customer { customerId } } } }"""
CONTACT = {"name": "Li Wei", "phone": "+86 138 0013 8000", "email": "li.wei@example.com"}


def register_customer(base: str, bearer: str) -> str:
    """Given: a customer registered (commands naming a customer refuse one never registered)."""
    registered = gql(base, bearer, REGISTER, {"input": {"contact": CONTACT}})["registerCustomer"]
    assert registered["__typename"] == "CustomerChanged", registered
    customer_id: str = registered["customer"]["customerId"]
    return customer_id
