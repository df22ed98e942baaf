"""`careledger serve` delivers webhooks: an endpoint registered over HTTP receives, verified by
standardwebhooks' own verifier, the complaint filed after it."""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx2 as httpx

from api.auth import Role, issue_token
from application.settings import Settings
from tests.webhooks.hooks import SECRET as SIGNING_SECRET
from tests.webhooks.receiver import Receiver

REGISTER = """mutation($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) {
    __typename ... on WebhookEndpointChanged { endpoint { endpointId status } } } }"""
TOKEN_SECRET = base64.b64encode(b"s" * 32).decode()  # the one tests/e2e/conftest.py serves with
FILE = """mutation($input: FileComplaintInput!) { fileComplaint(input: $input) {
  __typename ... on ComplaintChanged { complaint { complaintId } } } }"""


def token(tmp_path: Path, role: Role, subject: str) -> str:
    settings = Settings(data_dir=tmp_path, token_secret=base64.b64decode(TOKEN_SECRET))
    return issue_token(settings, role, subject)


def gql(base: str, bearer: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(
        f"{base}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {bearer}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


def test_the_served_service_delivers_webhooks(server: str, tmp_path: Path) -> None:
    receiver = Receiver(SIGNING_SECRET).start()
    try:
        # given an endpoint registered by an admin over HTTP
        admin = token(tmp_path, Role.ADMIN, "admin-e2e")
        input = {"url": receiver.url, "eventTypes": ["ComplaintReceived"], "secret": SIGNING_SECRET}
        registered = gql(server, admin, REGISTER, {"input": input})["registerWebhookEndpoint"]
        assert registered["endpoint"]["status"] == "ACTIVE"
        # when an agent files a complaint
        agent = token(tmp_path, Role.AGENT, "agent-e2e")
        filing = {"customerId": str(uuid4()), "content": "cold soup", "channel": "PHONE"}
        filed = gql(server, agent, FILE, {"input": filing})["fileComplaint"]
        # then the receiver gets it, signed, without its content
        deadline = time.monotonic() + 20
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.05)
        (got,) = receiver.received
        assert got.body["type"] == "ComplaintReceived"
        assert got.body["data"]["id"] == filed["complaint"]["complaintId"]
        assert b"cold soup" not in got.raw and receiver.refused == []
    finally:
        receiver.stop()
