from __future__ import annotations

import base64
import dataclasses
from pathlib import Path

import pytest

from application.app import CareLedger
from application.settings import Settings
from application.webhooks import subscribable_events
from domain.errors import DomainError, InvalidInputError
from domain.webhook import WebhookEndpoint
from tests.backends import MASTER_KEY
from tests.support import meta
from tests.webhooks.hooks import ADMIN, SECRET

OTHER = "whsec_" + base64.b64encode(b"o" * 32).decode()


def test_the_secret_is_sealed_and_opens_for_the_dispatcher_only(app: CareLedger) -> None:
    endpoint_id = app.register_webhook_endpoint(
        meta(actor=ADMIN), "http://127.0.0.1:9/h", ["OrderReceived"], SECRET
    ).aggregate_id
    hook = app.load(WebhookEndpoint, endpoint_id)
    assert hook.secret.subject == str(endpoint_id) and SECRET not in hook.secret.token
    assert hook.owner == "admin-wang"
    assert app.secret_of(endpoint_id) == SECRET
    # rotating replaces it; the stored events never hold either in plaintext
    app.rotate_webhook_secret(meta(actor=ADMIN), endpoint_id, OTHER)
    assert app.secret_of(endpoint_id) == OTHER
    stored = b"".join(
        n.state
        for n in app.recorder.select_notifications(1, 1000)
        if n.originator_id == endpoint_id
    )
    assert SECRET.encode() not in stored and OTHER.encode() not in stored


def test_bad_input_is_refused_and_records_nothing(app: CareLedger) -> None:
    before = app.recorder.max_notification_id()
    bad = [
        ("ftp://x/h", ["OrderReceived"], SECRET),
        ("http://u:p@x/h", ["OrderReceived"], SECRET),
        ("http://x/h", ["WebhookEndpointRegistered"], SECRET),  # its own events: not offered
        ("http://x/h", ["NoSuchEvent"], SECRET),
        ("http://x/h", ["OrderReceived"], "not-a-secret"),
    ]
    for url, types, secret in bad:
        with pytest.raises(InvalidInputError):
            app.register_webhook_endpoint(meta(actor=ADMIN), url, types, secret)
    assert app.recorder.max_notification_id() == before


def test_production_refuses_plain_http(settings: Settings, tmp_path: Path) -> None:
    production = dataclasses.replace(
        settings, environment="production", master_key=MASTER_KEY, token_secret=b"t" * 32
    )
    with CareLedger(production) as app:
        with pytest.raises(InvalidInputError, match="https"):
            app.register_webhook_endpoint(
                meta(actor=ADMIN), "http://hooks.example.com/h", ["OrderReceived"], SECRET
            )
        app.register_webhook_endpoint(
            meta(actor=ADMIN), "https://hooks.example.com/h", ["OrderReceived"], SECRET
        )


def test_changing_event_types_and_repeating_a_command(app: CareLedger) -> None:
    command = meta(actor=ADMIN)
    first = app.register_webhook_endpoint(command, "http://x/h", ["OrderReceived"], SECRET)
    again = app.register_webhook_endpoint(command, "http://x/h", ["OrderReceived"], SECRET)
    assert again.replayed and again.aggregate_id == first.aggregate_id
    with pytest.raises(DomainError):  # the same command id with another secret
        app.register_webhook_endpoint(command, "http://x/h", ["OrderReceived"], OTHER)
    app.change_webhook_event_types(meta(actor=ADMIN), first.aggregate_id, ["ComplaintReceived"])
    assert app.load(WebhookEndpoint, first.aggregate_id).event_types == ["ComplaintReceived"]
    assert {"OrderReceived", "ComplaintReceived", "SlaBreached"} <= subscribable_events()
    assert not any(n.startswith("Webhook") or "." in n for n in subscribable_events())
