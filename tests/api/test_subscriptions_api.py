from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from starlette.testclient import TestClient, WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from api.auth import Role, issue_token
from api.graphql.live import live_feed
from api.graphql.schema import MAX_TOKENS
from api.http import MAX_INPUT_CHARS
from api.services import Services
from api.view import MAX_SUBSCRIPTIONS_PER_CONNECTION
from application.settings import Settings
from tests.api.gql import Gql
from tests.api.live_views import (
    CUSTOMER,
    file_complaint,
    projecting,
    receive_within,
    report_incident,
    step,
    window,
)

pytestmark = pytest.mark.usefixtures("known_customers")


@pytest.fixture(autouse=True)
def views(settings: Settings) -> Iterator[None]:
    with projecting(settings):
        yield


Token = Callable[[Role, str], str]


@contextmanager
def connected(
    client: TestClient, token: Token, role: Role = Role.AGENT, subject: str = "agent-1"
) -> Iterator[WebSocketTestSession]:
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json(
            {
                "type": "connection_init",
                "payload": {"authorization": f"Bearer {token(role, subject)}"},
            }
        )
        assert receive_within(ws) == {"type": "connection_ack", "payload": {"role": role.value}}
        yield ws


def subscribe(
    ws: WebSocketTestSession, query: str, variables: dict[str, Any], id: str = "1"
) -> None:
    ws.send_json(
        {"id": id, "type": "subscribe", "payload": {"query": query, "variables": variables}}
    )


def pushed(ws: WebSocketTestSession, id: str = "1") -> dict[str, Any]:
    message = receive_within(ws)
    assert message["type"] == "next" and message["id"] == id, message
    data: dict[str, Any] = message["payload"]["data"]
    return data


COMPLAINT = """subscription($id: ID!) {
  complaintChanges(id: $id) { complaintId version status severity }
}"""


def test_a_complaint_subscription_pushes_each_change(
    client: TestClient, token: Token, gql: Gql
) -> None:
    complaint, _ = file_complaint(gql)
    with connected(client, token) as ws:
        # given a subscriber, who first gets the complaint as it is
        subscribe(ws, COMPLAINT, {"id": complaint})
        assert pushed(ws)["complaintChanges"] == {
            "complaintId": complaint,
            "version": 4,
            "status": "RECEIVED",
            "severity": None,
        }
        # when it is classified over HTTP on the same client
        step(
            gql,
            "classifyComplaint",
            "ClassifyComplaintInput",
            {
                "complaintId": complaint,
                "category": "LOGISTICS",
                "subcategory": "late",
                "severity": "URGENT",
            },
        )
        # then the subscriber gets both new versions: the classification, then the met clock
        assert pushed(ws)["complaintChanges"]["version"] == 5
        assert pushed(ws)["complaintChanges"] == {
            "complaintId": complaint,
            "version": 6,
            "status": "CLASSIFIED",
            "severity": "URGENT",
        }
        ws.send_json({"id": "1", "type": "complete"})


DASHBOARD = """subscription($from: DateTime!, $to: DateTime!) {
  complaintDashboardUpdates(from: $from, to: $to) { received byChannel { label count } }
}"""


def test_the_dashboard_subscription_pushes_new_figures(
    client: TestClient, token: Token, gql: Gql
) -> None:
    with connected(client, token, Role.ANALYST) as ws:
        subscribe(ws, DASHBOARD, window())
        assert pushed(ws)["complaintDashboardUpdates"] == {"received": 0, "byChannel": []}
        file_complaint(gql)
        assert pushed(ws)["complaintDashboardUpdates"] == {
            "received": 1,
            "byChannel": [{"label": "app", "count": 1}],
        }


DEPARTMENT_WALL = """subscription($from: DateTime!, $to: DateTime!, $filter: ComplaintFilter) {
  complaintDashboardUpdates(from: $from, to: $to, filter: $filter) {
    received byDepartment { label count }
  }
}"""


def handled_by(gql: Gql, department: str, person: str) -> None:
    """Files a complaint, classifies it and assigns it to `department`."""
    complaint, _ = file_complaint(gql)
    classified = {"category": "LOGISTICS", "subcategory": "late", "severity": "GENERAL"}
    step(
        gql,
        "classifyComplaint",
        "ClassifyComplaintInput",
        {"complaintId": complaint, **classified},
    )
    step(
        gql,
        "assignResponsibility",
        "AssignResponsibilityInput",
        {"complaintId": complaint, "department": department, "person": person},
    )


def test_a_department_wall_is_pushed_its_own_figures_only(
    client: TestClient, token: Token, gql: Gql
) -> None:
    with connected(client, token, Role.SUPERVISOR, "supervisor-1") as ws:
        # given a supervisor's wall for quality, by app, which first shows nothing
        only = {"department": "QUALITY", "channel": "APP"}
        subscribe(ws, DEPARTMENT_WALL, {**window(), "filter": only})
        assert pushed(ws)["complaintDashboardUpdates"] == {"received": 0, "byDepartment": []}
        # when a complaint goes to logistics, then one to quality
        handled_by(gql, "LOGISTICS", "li")
        handled_by(gql, "QUALITY", "wu")
        # then the wall is pushed quality's complaint alone, never logistics' (on PostgreSQL
        # a push may come between the writes: each of the dashboard's reads is a statement of
        # its own, so an unanswered age can be seen before its count)
        while (board := pushed(ws)["complaintDashboardUpdates"])["received"] == 0:
            assert board["byDepartment"] == []
        assert board == {"received": 1, "byDepartment": [{"label": "quality", "count": 1}]}
        # and a filter with no slice in it is refused before anything starts
        subscribe(ws, DEPARTMENT_WALL, {**window(), "filter": {}}, "empty")
        (refused,) = refusal(ws, "empty")
        assert refused[0] == "VALIDATION_FAILED" and refused[1].startswith("set at least one of")


INCIDENT = "subscription($id: ID!) { incidentChanges(id: $id) { version status } }"


def test_an_incident_subscription_pushes_its_changes(
    client: TestClient, token: Token, gql: Gql
) -> None:
    incident = report_incident(gql)
    with connected(client, token, Role.INCIDENT_COMMANDER) as ws:
        subscribe(ws, INCIDENT, {"id": incident})
        assert pushed(ws)["incidentChanges"] == {"version": 1, "status": "REPORTED"}
        step(
            gql,
            "confirmIncident",
            "IncidentInput",
            {"incidentId": incident},
            role=Role.SUPERVISOR,
            payload="IncidentChanged",
        )
        assert pushed(ws)["incidentChanges"] == {"version": 2, "status": "CONFIRMED"}


def test_rights_are_checked_when_subscribing(client: TestClient, token: Token, gql: Gql) -> None:
    complaint, _ = file_complaint(gql)
    with connected(client, token, Role.CUSTOMER, "0b6a1c7e-1111-4c1e-8d2f-3b5a6c7d8e9f") as ws:
        # another customer's complaint, and the dashboard: refused, each with an error
        subscribe(ws, COMPLAINT, {"id": complaint}, "1")
        subscribe(ws, DASHBOARD, window(), "2")
        refusals = sorted((receive_within(ws), receive_within(ws)), key=lambda m: m["id"])
        assert [
            (m["id"], m["type"], [e["extensions"]["code"] for e in m["payload"]]) for m in refusals
        ] == [("1", "error", ["FORBIDDEN"]), ("2", "error", ["FORBIDDEN"])]
    with connected(client, token, Role.CUSTOMER, CUSTOMER) as ws:
        # their own complaint: allowed
        subscribe(ws, COMPLAINT, {"id": complaint})
        assert pushed(ws)["complaintChanges"]["complaintId"] == complaint


def test_a_connection_without_a_token_is_refused(client: TestClient) -> None:
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {}})
        with pytest.raises(WebSocketDisconnect) as refused:
            receive_within(ws)
    assert refused.value.code == 4403
    assert refused.value.reason.startswith("Forbidden: ")
    assert len(refused.value.reason) > len("Forbidden: ")


def test_a_refused_token_says_why_in_the_close_reason(client: TestClient) -> None:
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {"authorization": "Bearer x.y.z"}})
        with pytest.raises(WebSocketDisconnect) as refused:
            receive_within(ws)
    assert refused.value.code == 4403
    assert refused.value.reason.startswith("Forbidden: ")
    assert len(refused.value.reason.encode()) <= 123


# documents that cannot run, each answered with an `error` message and a code, never a bare
# `complete` (a client's complete() would fire with no error)
MALFORMED = [
    ("syntax", "subscription { complaintChanges(", {}, "GRAPHQL_PARSE_FAILED"),
    ("empty", "{}", {}, "GRAPHQL_VALIDATION_FAILED"),
    ("empty subscription", "subscription {}", {}, "GRAPHQL_VALIDATION_FAILED"),
    ("undefined fragment", "subscription { ...Nope }", {}, "GRAPHQL_VALIDATION_FAILED"),
    ("oversize variable", COMPLAINT, {"id": "x" * (MAX_INPUT_CHARS + 1)}, "INPUT_TOO_LONG"),
    ("lone surrogate", COMPLAINT, {"id": "\ud800"}, "INVALID_TEXT"),
    ("too many tokens", "{ " + "__typename " * (MAX_TOKENS + 1) + "}", {}, "TOO_MANY_TOKENS"),
]


@pytest.mark.parametrize(
    ("query", "variables", "code"), [pytest.param(*m[1:], id=m[0]) for m in MALFORMED]
)
def test_a_document_that_cannot_run_gets_a_coded_error_over_websocket(
    client: TestClient, token: Token, query: str, variables: dict[str, Any], code: str
) -> None:
    with connected(client, token) as ws:
        subscribe(ws, query, variables, "bad")
        assert code in [c for c, _ in refusal(ws, "bad")]
        # the connection stays usable
        subscribe(ws, DASHBOARD, window(), "good")
        assert "complaintDashboardUpdates" in pushed(ws, "good")


def test_a_connection_holds_a_bounded_number_of_subscriptions(
    client: TestClient, token: Token
) -> None:
    with connected(client, token, Role.ANALYST) as ws:
        for n in range(MAX_SUBSCRIPTIONS_PER_CONNECTION):
            subscribe(ws, DASHBOARD, window(), str(n))
            assert "complaintDashboardUpdates" in pushed(ws, str(n))
        subscribe(ws, DASHBOARD, window(), "one-too-many")
        refused = receive_within(ws)
        assert refused["type"] == "error" and refused["id"] == "one-too-many"
        assert refused["payload"][0]["message"] == "Subscription limit reached"


def refusal(ws: WebSocketTestSession, id: str) -> list[tuple[str, str]]:
    """The protocol's `error` message for the operation: each error's code and message."""
    message = receive_within(ws)
    assert (message["type"], message["id"]) == ("error", id), message
    return [(e["extensions"]["code"], e["message"]) for e in message["payload"]]


MISSING = "6f1c2d7e-9a4b-4c1e-8d2f-3b5a6c7d8e90"
ALIASES = " ".join(f"v{n}: version" for n in range(21))  # one over the limit
ALIASED = f"subscription($id: ID!) {{ complaintChanges(id: $id) {{ {ALIASES} }} }}"


def test_refused_subscriptions_carry_the_codes_http_errors_do(
    client: TestClient, token: Token
) -> None:
    with connected(client, token) as ws:
        # a complaint that does not exist, and an id that is none
        subscribe(ws, COMPLAINT, {"id": MISSING}, "missing")
        assert refusal(ws, "missing") == [("NOT_FOUND", f"no Complaint with id {MISSING}")]
        subscribe(ws, COMPLAINT, {"id": "nope"}, "not-an-id")
        assert refusal(ws, "not-an-id") == [("VALIDATION_FAILED", "'nope' is not an id")]
        # a dashboard window that ends before it starts
        backwards = {"from": window()["to"], "to": window()["from"]}
        subscribe(ws, DASHBOARD, backwards, "backwards")
        assert refusal(ws, "backwards") == [("VALIDATION_FAILED", "`to` must be after `from`")]
        # a document that does not validate, and one over the alias limit
        subscribe(ws, "subscription { complaintChanges { version } }", {}, "no-id")
        assert [code for code, _ in refusal(ws, "no-id")] == ["GRAPHQL_VALIDATION_FAILED"]
        subscribe(ws, ALIASED, {"id": MISSING}, "aliases")
        assert [code for code, _ in refusal(ws, "aliases")] == ["TOO_MANY_ALIASES"]


def test_a_bug_inside_a_subscription_stream_is_masked_with_the_request_id(
    client: TestClient,
    token: Token,
    gql: Gql,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with connected(client, token, Role.ANALYST) as ws:
        # given a dashboard subscriber, who got the first figures
        subscribe(ws, DASHBOARD, window())
        assert pushed(ws)["complaintDashboardUpdates"]["received"] == 0

        # when reading the dashboard breaks after the next write
        def broken(*args: object) -> None:
            raise RuntimeError("the view store is on fire")

        monkeypatch.setattr("api.graphql.dashboards.complaint_dashboard", broken)
        with caplog.at_level(logging.ERROR, logger="careledger.api"):
            file_complaint(gql)
            failed = receive_within(ws)
        # then the stream ends with the error, coded and with the id it was logged under
        (error,) = failed["payload"]["errors"]
        request_id = error["extensions"]["requestId"]
        assert (failed["type"], failed["payload"]["data"]) == ("next", None)
        assert error == {
            "message": f"the view store is on fire (request id {request_id})",
            "extensions": {"code": "INTERNAL", "requestId": request_id},
        }
        assert receive_within(ws) == {"id": "1", "type": "complete"}
    (record,) = [r for r in caplog.records if r.name == "careledger.api"]
    assert request_id in record.getMessage()


def test_a_connection_ends_when_its_token_expires(client: TestClient, settings: Settings) -> None:
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    short_lived = issue_token(settings, Role.ANALYST, "analyst-1", ttl_s=2)
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        # given a connection opened with a token that expires in one to two seconds
        ws.send_json(
            {"type": "connection_init", "payload": {"authorization": f"Bearer {short_lived}"}}
        )
        assert receive_within(ws)["type"] == "connection_ack"
        # and a subscription running on it
        subscribe(ws, DASHBOARD, window())
        assert pushed(ws)["complaintDashboardUpdates"]["received"] == 0
        assert live_feed(services).subscribers == 1
        # when the token expires, the server closes the connection as Forbidden
        with pytest.raises(WebSocketDisconnect) as closed:
            receive_within(ws)
    assert (closed.value.code, closed.value.reason) == (4403, "Forbidden: the bearer token expired")
    # and the subscription was ended before it
    assert live_feed(services).subscribers == 0
