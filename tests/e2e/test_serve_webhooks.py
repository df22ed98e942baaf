"""`careledger serve` delivers webhooks: an endpoint registered over HTTP receives, verified by
standardwebhooks' own verifier, the complaint filed after it."""

from __future__ import annotations

import time
from pathlib import Path

from api.auth import Role
from tests.e2e.client import gql, register_customer, token
from tests.webhooks.hooks import SECRET as SIGNING_SECRET
from tests.webhooks.receiver import Receiver

REGISTER = """mutation($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) {
    __typename ... on WebhookEndpointChanged { endpoint { endpointId status } } } }"""
FILE = """mutation($input: FileComplaintInput!) { fileComplaint(input: $input) {
  __typename ... on ComplaintChanged { complaint { complaintId } } } }"""


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
        caller = register_customer(server, agent)
        filing = {"customerId": caller, "content": "cold soup", "channel": "PHONE"}
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
