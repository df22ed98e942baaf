"""Notices through the running service, end to end: a mutation in, a message out of the
service: into the outbox with nothing configured, to a real SMTP server when one is."""

from __future__ import annotations

import email
import time
from collections.abc import Callable
from email.policy import default
from pathlib import Path

from starlette.testclient import TestClient

from api.app import create_app
from api.auth import Role, issue_token
from application.app import CareLedger
from application.settings import Settings
from tests.application.builders import CONTACT, customer, order
from tests.backends import MASTER_KEY
from tests.delivery.smtp_servers import Inbox, smtp_server
from tests.support import meta

WAIT_S = 20.0
CONFIRM = """
mutation($input: ViaInput!) {
  sendOrderConfirmation(input: $input) { __typename }
}"""


def eventually(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not check():
        assert time.monotonic() < deadline, "nothing arrived in time"
        time.sleep(0.05)


def confirm_through_the_api(settings: Settings, via: str, arrived: Callable[[], bool]) -> None:
    """An order confirmation sent through GraphQL, the service running until it arrived."""
    with CareLedger(settings) as app:
        order_id = order(app, customer(app))
        app.confirm_order(meta(), order_id)
    token = issue_token(settings, Role.AGENT, "agent-1")
    with TestClient(create_app(settings)) as client:
        body = client.post(
            "/graphql",
            json={
                "query": CONFIRM,
                "variables": {"input": {"orderId": str(order_id), "via": via.upper()}},
            },
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        assert body["data"]["sendOrderConfirmation"]["__typename"] == "OrderChanged", body
        eventually(arrived)


def confirmations(outbox: Path) -> list[email.message.EmailMessage]:
    """The order confirmations in the outbox (the service's own delay watchdog, on today's
    clock, also finds the test's order late and tells the customer so)."""
    mails = [
        email.message_from_bytes(path.read_bytes(), policy=default) for path in outbox.glob("*.eml")
    ]
    return [m for m in mails if m["X-CareLedger-Kind"] == "order_confirmation"]


def test_with_nothing_configured_the_notice_lands_in_the_outbox(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, master_key=MASTER_KEY)
    outbox = tmp_path / "outbox"
    confirm_through_the_api(settings, "sms", lambda: bool(confirmations(outbox)))
    [mail] = confirmations(outbox)
    assert mail["X-CareLedger-Channel"] == "sms"
    assert CONTACT.name in mail.get_body().get_content()  # type: ignore[union-attr]


def test_with_an_smtp_server_configured_the_notice_is_mailed(tmp_path: Path) -> None:
    inbox = Inbox()
    with smtp_server(inbox) as port:
        settings = Settings(
            data_dir=tmp_path, master_key=MASTER_KEY, smtp_url=f"smtp://127.0.0.1:{port}"
        )
        confirm_through_the_api(settings, "email", lambda: bool(inbox.mails))
    [mail] = inbox.mails
    assert mail["To"] == CONTACT.email
    assert mail["Message-ID"].endswith("@careledger>")
    assert confirmations(tmp_path / "outbox") == []
