"""Notices over GraphQL: an entity's notifications, the delivery dashboard, staff alerts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from api.auth import Role
from application.app import CareLedger
from application.settings import Settings
from delivery.notifier import Notifier
from domain.customer import Customer
from projections.engine.store import open_view_store
from tests.api.gql import Gql
from tests.application.builders import customer, order
from tests.delivery.recording import Recorder
from tests.support import T0, meta

NOTIFICATIONS = """
query($id: ID!) {
  notifications(subjectId: $id) {
    id kind channel recipientKind status attempts providerMessageId lastError sentAt
  }
}"""
DASHBOARD = """
query($from: DateTime!, $to: DateTime!) {
  deliveryDashboard(from: $from, to: $to) {
    requested sent failed suppressed pending toSentCount counts { channel kind status count }
  }
}"""
ALERTS = """
query($mine: Boolean!) { alerts(mine: $mine) { id kind recipientId acknowledgedBy } }"""
ACK = """
mutation($input: AcknowledgeAlertInput!) {
  acknowledgeAlert(input: $input) {
    __typename
    ... on AlertAcknowledged { acknowledgedBy written { replayed } }
    ... on Problem { code message }
  }
}"""
PREFS = """
mutation($input: SetNoticePreferencesInput!) {
  setNoticePreferences(input: $input) {
    __typename
    ... on NoticePreferencesSet { locale optOut }
    ... on Problem { code }
  }
}"""


def deliver(settings: Settings, app: CareLedger, passes: int = 3) -> Recorder:
    recorder = Recorder()
    views = open_view_store(settings)
    notifier = Notifier(app, views, recorder, clock=lambda: T0 + timedelta(minutes=5))
    try:
        for _ in range(passes):
            notifier.run_once()
    finally:
        notifier.close()
        views.close()
    return recorder


def data(body: dict[str, Any]) -> Any:
    assert "errors" not in body, body
    return body["data"]


def test_an_orders_notifications_and_the_dashboard(gql: Gql, settings: Settings) -> None:
    with CareLedger(settings) as app:
        order_id = order(app, customer(app))
        app.confirm_order(meta(), order_id)
        app.send_order_confirmation(meta(), order_id, "email")
        recorder = deliver(settings, app)
    # (the service's own delay watchdog, on today's clock, also finds the order late)
    sent = {m.kind for m in recorder.all()}
    assert "order_confirmation" in sent
    notices = data(gql(NOTIFICATIONS, {"id": str(order_id)}))["notifications"]
    [notice] = [n for n in notices if n["kind"] == "ORDER_CONFIRMATION"]
    assert notice["kind"] == "ORDER_CONFIRMATION"
    assert (notice["channel"], notice["status"], notice["attempts"]) == ("EMAIL", "SENT", 1)
    assert notice["providerMessageId"].startswith("email-")
    window = {"from": T0.isoformat(), "to": (T0 + timedelta(days=1)).isoformat()}
    board = data(gql(DASHBOARD, window, role=Role.ANALYST, subject="an-1"))["deliveryDashboard"]
    assert board["requested"] == board["sent"] == board["toSentCount"] == len(notices)
    assert board["pending"] == 0
    assert {"channel": "EMAIL", "kind": "ORDER_CONFIRMATION", "status": "SENT", "count": 1} in (
        board["counts"]
    )
    # customers do not read the delivery log
    refused = gql(NOTIFICATIONS, {"id": str(order_id)}, role=Role.CUSTOMER, subject="c-1")
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_alerts_are_listed_to_their_recipient_and_acknowledged(
    gql: Gql, settings: Settings
) -> None:
    with CareLedger(settings) as app:
        incident = app.report_incident(
            meta(), type="public_health", source="staff", title="Food poisoning", description="x"
        ).aggregate_id
        app.issue_warning(meta(), incident, "red")
        deliver(settings, app)
    zhou = {"role": Role.INCIDENT_COMMANDER, "subject": "sup-zhou"}
    [alert] = data(gql(ALERTS, {"mine": True}, **zhou))["alerts"]
    assert (alert["kind"], alert["recipientId"]) == ("INCIDENT_WARNING", "sup-zhou")
    everyone = data(gql(ALERTS, {"mine": False}, **zhou))["alerts"]
    assert {a["recipientId"] for a in everyone} == {"sup-zhou", "dir-chen"}
    # an agent sees only their own, and not everyone's
    assert data(gql(ALERTS, {"mine": True}))["alerts"] == []
    refused = gql(ALERTS, {"mine": False})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    acked = data(gql(ACK, {"input": {"notificationId": alert["id"], "commandId": "ack-1"}}, **zhou))
    assert acked["acknowledgeAlert"] == {
        "__typename": "AlertAcknowledged",
        "acknowledgedBy": "sup-zhou",
        "written": {"replayed": False},
    }
    again = data(gql(ACK, {"input": {"notificationId": alert["id"]}}, **zhou))
    assert again["acknowledgeAlert"]["__typename"] == "TransitionRefused"


def test_a_customer_sets_their_own_notice_preferences_only(gql: Gql, settings: Settings) -> None:
    with CareLedger(settings) as app:
        alice, bob = customer(app), customer(app)
    mine = {"customerId": str(alice), "locale": "en", "optOut": True}
    own = data(gql(PREFS, {"input": mine}, role=Role.CUSTOMER, subject=str(alice)))
    assert own["setNoticePreferences"] == {
        "__typename": "NoticePreferencesSet",
        "locale": "en",
        "optOut": True,
    }
    theirs = {"customerId": str(bob), "optOut": True}
    other = data(gql(PREFS, {"input": theirs}, role=Role.CUSTOMER, subject=str(alice)))
    assert other["setNoticePreferences"] == {"__typename": "Forbidden", "code": "FORBIDDEN"}
    bad = data(gql(PREFS, {"input": {"customerId": str(alice), "locale": "fr"}}))
    assert bad["setNoticePreferences"] == {
        "__typename": "ValidationFailed",
        "code": "VALIDATION_FAILED",
    }
    with CareLedger(settings) as app:
        assert app.load(Customer, alice).locale == "en"
        assert app.load(Customer, bob).notice_opt_out is False
