"""The real `careledger serve` process on 127.0.0.1: a lifecycle over HTTP, and a WebSocket
subscription that receives a live update."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from api.auth import Role
from tests.e2e import client


def agent_token(tmp_path: Path) -> str:
    return client.token(tmp_path, Role.AGENT, "agent-e2e")


def gql(base: str, token: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(
        f"{base}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert "server" not in response.headers  # nothing for a scanner to fingerprint
    assert response.headers["x-content-type-options"] == "nosniff"
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


FILE = """mutation($input: FileComplaintInput!) { fileComplaint(input: $input) {
  __typename ... on ComplaintChanged { complaint { complaintId status } } } }"""
CLASSIFY = """mutation($input: ClassifyComplaintInput!) { classifyComplaint(input: $input) {
  __typename ... on ComplaintChanged { complaint { status severity } written { position } } } }"""
WATCH = "subscription($id: ID!) { complaintChanges(id: $id) { status version } }"


def test_a_served_lifecycle_and_a_live_subscription(server: str, tmp_path: Path) -> None:
    token = agent_token(tmp_path)
    # given a complaint filed over HTTP against the real server, for a registered customer
    caller = client.register_customer(server, token)
    filed = gql(
        server,
        token,
        FILE,
        {"input": {"customerId": caller, "content": "cold soup", "channel": "PHONE"}},
    )["fileComplaint"]
    assert filed["complaint"]["status"] == "RECEIVED"
    complaint_id = filed["complaint"]["complaintId"]
    ws_url = server.replace("http://", "ws://") + "/graphql"
    with connect(ws_url, subprotocols=["graphql-transport-ws"], open_timeout=10) as ws:  # type: ignore[list-item]
        # when a client subscribes to it over graphql-transport-ws
        ws.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        )
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
        ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": WATCH, "variables": {"id": complaint_id}},
                }
            )
        )
        first = json.loads(ws.recv(timeout=10))
        assert first["payload"]["data"]["complaintChanges"]["version"] >= 1
        # and the complaint is classified over HTTP
        classified = gql(
            server,
            token,
            CLASSIFY,
            {
                "input": {
                    "complaintId": complaint_id,
                    "category": "LOGISTICS",
                    "subcategory": "late",
                    "severity": "MAJOR",
                }
            },
        )["classifyComplaint"]
        assert classified["complaint"]["status"] == "CLASSIFIED"
        # then the subscriber receives the change, live
        deadline = time.monotonic() + 10
        while True:
            message = json.loads(ws.recv(timeout=10))
            assert message["type"] == "next", message
            if message["payload"]["data"]["complaintChanges"]["status"] == "CLASSIFIED":
                break
            assert time.monotonic() < deadline
        ws.send(json.dumps({"id": "1", "type": "complete"}))


def test_a_websocket_message_over_the_body_limit_closes_the_connection(
    server: str, tmp_path: Path
) -> None:
    token = agent_token(tmp_path)
    ws_url = server.replace("http://", "ws://") + "/graphql"
    with connect(ws_url, subprotocols=["graphql-transport-ws"], open_timeout=10) as ws:  # type: ignore[list-item]
        ws.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        )
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
        # a variable of 5 MiB, as HTTP would refuse at 256 KiB
        big = {"query": WATCH, "variables": {"id": "x" * (5 * 1024 * 1024)}}
        with pytest.raises(ConnectionClosed) as closed:
            ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": big}))
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009  # message too big
