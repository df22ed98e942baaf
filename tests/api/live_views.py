"""What the read-side API tests share: projections kept current on PostgreSQL (on SQLite the
app projects itself), the mutations that feed them, a bounded WebSocket receive."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import psycopg
from psycopg import sql
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from api.auth import Role
from api.embedded import install_views
from application.app import CareLedger
from application.settings import Settings
from projections.catalog import projections
from projections.engine.follower import Followers
from projections.engine.store import PostgresViewStore, ViewStore, open_view_store
from tests.api.gql import Gql

CUSTOMER = "6f1c2d7e-9a4b-4c1e-8d2f-3b5a6c7d8e9f"
WAIT_S = 5.0


class Clock:
    """The business time a test starts from: a minute ago, so no SLA clock of what it records
    falls due while it runs (the SLA sweeper runs in the service on SQLite)."""

    base = datetime.now(UTC)

    @classmethod
    def reset(cls) -> None:
        cls.base = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)


def at(seconds: float) -> str:
    return (Clock.base + timedelta(seconds=seconds)).isoformat()


def window() -> dict[str, str]:
    """A dashboard window around the test's business time."""
    return {"from": at(-7200), "to": at(7200)}


@contextmanager
def projecting(settings: Settings) -> Iterator[None]:
    """On PostgreSQL the projections run beside the service, as `careledger project run` would;
    starts the test's business time."""
    Clock.reset()
    if settings.postgres is None:
        yield
        return
    with CareLedger(settings) as app:
        store = open_view_store(settings)
        chosen = projections()
        install_views(store, chosen)
        followers = Followers(app, store, chosen).start()
        try:
            yield
        finally:
            followers.stop_event.set()
            _wake(store, getattr(app.recorder, "channel_name", ""))
            followers.stop()
            store.close()


def _wake(store: ViewStore, channel: str) -> None:
    """Wakes the followers sleeping on the log's channel, so they see the stop at once."""
    if isinstance(store, PostgresViewStore) and channel:
        with psycopg.connect(store.conninfo, autocommit=True) as conn:
            conn.execute(sql.SQL("NOTIFY {}").format(sql.Identifier(channel)))


FILE = """
mutation File($input: FileComplaintInput!) {
  fileComplaint(input: $input) {
    __typename
    ... on ComplaintChanged { complaint { complaintId version } written { position } }
    ... on Problem { code message }
  }
}"""

STEP = """
mutation Step($input: %s!) {
  %s(input: $input) {
    __typename
    ... on %s { written { position version } }
    ... on Problem { code message }
  }
}"""


def file_complaint(gql: Gql, seconds: float | None = None) -> tuple[str, int]:
    """Files a complaint as an agent (now, or at the test's business time plus `seconds`);
    its id and the log position of the write."""
    data = {"customerId": CUSTOMER, "content": "Cold soup", "channel": "APP"}
    if seconds is not None:
        data["occurredAt"] = at(seconds)
    result = gql(FILE, {"input": data})["data"]["fileComplaint"]
    assert result["__typename"] == "ComplaintChanged", result
    return result["complaint"]["complaintId"], result["written"]["position"]


def file_at(gql: Gql, seconds: float) -> str:
    return file_complaint(gql, seconds)[0]


PLACE = """
mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
  __typename ... on OrderChanged { order { orderId } } ... on Problem { code message } } }"""


def place_order(gql: Gql, region: str = "chaoyang", promised_in_min: int = 40) -> str:
    promised = (datetime.now(UTC) + timedelta(minutes=promised_in_min)).isoformat()
    data = {
        "customerId": CUSTOMER,
        "restaurant": "Golden Dumpling",
        "region": region,
        "items": [{"name": "dumplings", "quantity": 2, "unitPrice": "12.50"}],
        "amount": "25.00",
        "promisedAt": promised,
        "address": "1 Road",
        "channel": "APP",
    }
    result = gql(PLACE, {"input": data})["data"]["placeOrder"]
    assert result["__typename"] == "OrderChanged", result
    order_id: str = result["order"]["orderId"]
    return order_id


REPORT = """
mutation($input: ReportIncidentInput!) { reportIncident(input: $input) {
  __typename ... on IncidentChanged { incident { incidentId } } ... on Problem { code } } }"""


def report_incident(gql: Gql, seconds: float = 0, type: str = "SYSTEM_FAILURE") -> str:
    data = {
        "type": type,
        "source": "MONITOR",
        "title": "Payments down",
        "description": "Checkout fails",
        "occurredAt": at(seconds),
    }
    result = gql(REPORT, {"input": data}, role=Role.SUPERVISOR)["data"]["reportIncident"]
    assert result["__typename"] == "IncidentChanged", result
    incident_id: str = result["incident"]["incidentId"]
    return incident_id


def step(
    gql: Gql,
    mutation: str,
    input_type: str,
    data: dict[str, Any],
    *,
    role: Role = Role.AGENT,
    payload: str = "ComplaintChanged",
) -> int:
    """Runs one mutation that must succeed; the log position of its write."""
    result = gql(STEP % (input_type, mutation, payload), {"input": data}, role=role)
    assert result["data"][mutation]["__typename"] == payload, result
    position: int = result["data"][mutation]["written"]["position"]
    return position


def receive_within(ws: WebSocketTestSession, seconds: float = WAIT_S) -> dict[str, Any]:
    """The next graphql-transport-ws message, or a TimeoutError: a test never hangs on a
    silent socket (the session's own receive waits forever)."""

    async def receive() -> Mapping[str, Any]:
        with anyio.fail_after(seconds):
            received: Mapping[str, Any] = await ws._send_rx.receive()
            return received

    message = ws.portal.call(receive)
    if message["type"] == "websocket.close":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason", ""))
    decoded: dict[str, Any] = json.loads(message["text"])
    return decoded
