"""An SMS through a real provider server on 127.0.0.1, then its signed delivery receipt posted
to the service's `POST /notices/receipts`: delivered, once, and every bad receipt refused with
nothing recorded. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import replace
from uuid import UUID, uuid4

import pytest
from httpx2 import Response
from starlette.testclient import TestClient

from api.app import create_app
from application.app import CareLedger
from application.settings import Settings
from delivery.channels.receipts import SIGNATURE_HEADER, sign_receipt
from delivery.channels.registry import channels_from_settings
from delivery.delivery_settings import DeliverySettings
from delivery.notifier import Notifier
from projections.engine.store import ViewStore
from projections.views.notices import notifications_of
from tests.application.builders import customer, order
from tests.delivery.http_servers import Reply, Script, http_server
from tests.delivery.test_service_delivery import eventually
from tests.support import meta

SECRET = "receipt-secret"
CALLBACK = "https://careledger.example/notices/receipts"


@pytest.fixture
def provider() -> Iterator[tuple[Script, str]]:
    script = Script(Reply(202, {"message_id": "sms-42"}))
    with http_server(script) as base:
        yield script, f"{base}/v1/sms"


def _sent_sms(app: CareLedger, views: ViewStore, settings: Settings) -> tuple[UUID, UUID]:
    order_id = order(app, customer(app))
    app.confirm_order(meta(), order_id)
    app.send_order_confirmation(meta(), order_id, "sms")
    channels = channels_from_settings(settings)
    notifier = Notifier(app, views, channels, settings=DeliverySettings(quiet_start=None))

    def sent() -> bool:
        notifier.run_once()
        rows = notifications_of(views, order_id)
        return bool(rows) and rows[0].status == "Sent"

    try:
        eventually(sent)
    finally:
        notifier.close()
    return order_id, notifications_of(views, order_id)[0].notification_id


def _post(client: TestClient, receipt: Mapping[str, str], secret: str = SECRET) -> Response:
    body = json.dumps(receipt).encode()
    return client.post(
        "/notices/receipts",
        content=body,
        headers={SIGNATURE_HEADER: sign_receipt(body, secret), "Content-Type": "application/json"},
    )


def _events(app: CareLedger, notification_id: UUID) -> list[str]:
    return [type(e).__name__ for e in app.events.get(notification_id)]


def test_a_signed_receipt_marks_the_message_delivered_once(
    app: CareLedger, views: ViewStore, settings: Settings, provider: tuple[Script, str]
) -> None:
    script, url = provider
    configured = replace(settings, sms_url=url, receipt_secret=SECRET, receipt_url=CALLBACK)
    _, nid = _sent_sms(app, views, configured)
    (request,) = script.requests
    assert request.json["id"] == str(nid) and request.json["callback_url"] == CALLBACK

    with TestClient(create_app(configured)) as client:
        receipt = {"id": str(nid), "message_id": "sms-42", "status": "delivered"}
        first = _post(client, receipt)
        assert (first.status_code, first.json()) == (200, {"recorded": True, "replayed": False})
        again = _post(client, receipt)  # the provider did not see our answer and posts again
        assert (again.status_code, again.json()["replayed"]) == (200, True)
        later = _post(client, {**receipt, "status": "failed", "error": "bounced"})
        assert later.status_code == 409 and "Retry-After" not in later.headers
    assert _events(app, nid).count("NotificationDelivered") == 1
    assert _events(app, nid)[-1] == "NotificationDelivered"


def test_bad_receipts_are_refused_and_record_nothing(
    app: CareLedger, views: ViewStore, settings: Settings, provider: tuple[Script, str]
) -> None:
    _, url = provider
    configured = replace(settings, sms_url=url, receipt_secret=SECRET)
    _, nid = _sent_sms(app, views, configured)
    before = _events(app, nid)
    good = {"id": str(nid), "message_id": "sms-42", "status": "delivered"}
    with TestClient(create_app(configured)) as client:
        assert _post(client, good, secret="not-the-secret").status_code == 401
        unsigned = client.post("/notices/receipts", content=json.dumps(good).encode())
        assert unsigned.status_code == 401
        assert _post(client, {**good, "message_id": "sms-other"}).json()["code"] == (
            "VALIDATION_FAILED"
        )
        assert _post(client, {**good, "id": str(uuid4())}).status_code == 404
        assert _post(client, {**good, "id": "not-a-uuid"}).status_code == 400
        assert _post(client, {**good, "status": "read"}).status_code == 400
        too_big = client.post("/notices/receipts", content=b"x" * 20_000)
        assert too_big.status_code == 413
        assert client.get("/notices/receipts").status_code == 405
    assert _events(app, nid) == before
    with TestClient(create_app(replace(configured, receipt_secret=None))) as client:
        assert _post(client, good).status_code == 401  # no secret configured: nothing taken
    assert _events(app, nid) == before
