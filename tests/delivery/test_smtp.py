from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from delivery.channels.base import (
    ChannelKind,
    Message,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from delivery.channels.smtp import SmtpChannel, SmtpServer
from tests.delivery.smtp_servers import Inbox, free_port, self_signed, smtp_server


def _message(id: str = "n-1") -> Message:
    return Message(
        id=id,
        channel=ChannelKind.EMAIL,
        to="wang@example.cn",
        subject="您的投诉已处理",
        body="王先生您好\n您的投诉已处理完毕 感谢您的耐心",
        kind="complaint_outcome",
    )


def test_a_message_arrives_with_its_stable_id_and_utf8_text() -> None:
    inbox = Inbox()
    with smtp_server(inbox) as port:
        channel = SmtpChannel(SmtpServer.from_url(f"smtp://127.0.0.1:{port}"), timeout_s=5)
        sent = channel.send(_message())
        channel.send(_message("n-2"))  # over the same connection
        channel.close()
    first = inbox.mails[0]
    assert sent.provider_id == "<n-1@careledger>" == first["Message-ID"]
    assert first["Subject"] == "您的投诉已处理"
    assert first["From"] == "CareLedger <notices@careledger.invalid>"
    assert first["X-CareLedger-Kind"] == "complaint_outcome"
    body = first.get_body()
    assert body is not None and "感谢您的耐心" in body.get_content()
    assert inbox.envelopes[0] == ("notices@careledger.invalid", ["wang@example.cn"])
    assert [m["Message-ID"] for m in inbox.mails] == ["<n-1@careledger>", "<n-2@careledger>"]


def test_starttls_then_login_when_the_server_offers_it(tmp_path: Path) -> None:
    server_tls, client_tls = self_signed(tmp_path)
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(
        server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append((data.login, data.password))
        return AuthResult(success=data.password == b"s3cret")

    inbox = Inbox()
    options: dict[str, Any] = {
        "tls_context": server_tls,
        "require_starttls": True,
        "authenticator": authenticator,
    }
    with smtp_server(inbox, **options) as port:
        url = f"smtp://notices:s3cret@127.0.0.1:{port}"
        channel = SmtpChannel(
            SmtpServer.from_url(url), sender="客服 <cs@example.cn>", tls=client_tls
        )
        channel.send(_message())
        channel.close()
    assert logins[0] == (b"notices", b"s3cret")
    assert inbox.mails[0]["From"] == "客服 <cs@example.cn>"
    assert len(inbox.mails) == 1


def test_a_self_signed_server_is_not_trusted_by_default(tmp_path: Path) -> None:
    server_tls, _ = self_signed(tmp_path)
    with smtp_server(Inbox(), tls_context=server_tls) as port:
        channel = SmtpChannel(SmtpServer.from_url(f"smtp://127.0.0.1:{port}"), timeout_s=5)
        with pytest.raises(TransientDeliveryError):
            channel.send(_message())


def test_550_to_the_recipient_is_permanent() -> None:
    with smtp_server(Inbox(rcpt_answer="550 5.1.1 no such mailbox")) as port:
        channel = SmtpChannel(SmtpServer.from_url(f"smtp://127.0.0.1:{port}"), timeout_s=5)
        with pytest.raises(PermanentDeliveryError, match="550"):
            channel.send(_message())


def test_451_to_the_data_is_transient_and_the_next_attempt_goes_through() -> None:
    inbox = Inbox(data_answer="451 4.3.0 try again later")
    with smtp_server(inbox) as port:
        channel = SmtpChannel(SmtpServer.from_url(f"smtp://127.0.0.1:{port}"), timeout_s=5)
        with pytest.raises(TransientDeliveryError, match="451"):
            channel.send(_message())
        inbox.data_answer = None
        channel.send(_message())
        channel.close()
    assert [m["Message-ID"] for m in inbox.mails] == ["<n-1@careledger>"]


def test_nothing_listening_is_transient() -> None:
    channel = SmtpChannel(SmtpServer.from_url(f"smtp://127.0.0.1:{free_port()}"), timeout_s=2)
    with pytest.raises(TransientDeliveryError):
        channel.send(_message())


@pytest.fixture
def silent_server() -> Iterator[int]:
    # accepts the connection and never says a word
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        for conn in accepted:
            conn.close()
        listener.close()


def test_a_server_that_never_answers_times_out_as_transient(silent_server: int) -> None:
    channel = SmtpChannel(SmtpServer.from_url(f"smtp://127.0.0.1:{silent_server}"), timeout_s=0.5)
    started = time.monotonic()
    with pytest.raises(TransientDeliveryError):
        channel.send(_message())
    assert time.monotonic() - started < 3


def test_smtp_urls() -> None:
    assert SmtpServer.from_url("smtps://a%40b:p%3Aw@mail.example.cn") == SmtpServer(
        "mail.example.cn", 465, "a@b", "p:w", True
    )
    assert SmtpServer.from_url("smtp://mailpit:1025").port == 1025
    with pytest.raises(ValueError):
        SmtpServer.from_url("http://mail.example.cn")
