"""The kept SMTP connection: no NOOP before each message; a server that went away between
messages is found by the next message's first command, which goes again on a new connection
(sent once), while a connection lost after the data went out is that attempt's failure."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from delivery.channels.base import ChannelKind, Message, TransientDeliveryError
from delivery.channels.smtp import SmtpChannel, SmtpServer
from tests.delivery.smtp_servers import Inbox, free_port, smtp_server


class CountingInbox(Inbox):
    """Counts the connections (EHLO) and NOOPs it was sent."""

    def __init__(self) -> None:
        super().__init__()
        self.ehlos = 0
        self.noops = 0

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        self.ehlos += 1
        session.host_name = hostname
        return responses

    async def handle_NOOP(self, server: Any, session: Any, envelope: Any, arg: str) -> str:
        self.noops += 1
        return "250 OK"


def _message(id: str) -> Message:
    return Message(
        id=id,
        channel=ChannelKind.EMAIL,
        to="王 <wang@example.cn>",
        subject="您的订单已确认",
        body="感谢您的惠顾",
        kind="order_confirmation",
    )


def ids(inbox: Inbox) -> list[str]:
    return [str(mail["Message-ID"]) for mail in inbox.mails]


def test_messages_share_one_connection_without_a_noop() -> None:
    inbox = CountingInbox()
    with smtp_server(inbox) as port:
        channel = SmtpChannel(SmtpServer.from_url(f"smtp://127.0.0.1:{port}"), timeout_s=5)
        for n in range(3):
            channel.send(_message(f"n-{n}"))
        channel.close()
    assert ids(inbox) == ["<n-0@careledger>", "<n-1@careledger>", "<n-2@careledger>"]
    assert (inbox.ehlos, inbox.noops) == (1, 0)
    assert inbox.envelopes[0] == ("notices@careledger.invalid", ["wang@example.cn"])


def test_a_server_restarted_between_messages_gets_the_next_one_once() -> None:
    port = free_port()
    first, second = CountingInbox(), CountingInbox()
    channel = SmtpChannel(SmtpServer.from_url(f"smtp://127.0.0.1:{port}"), timeout_s=5)
    with smtp_server(first, port=port):
        channel.send(_message("n-1"))
    # the kept connection is dead: the next message finds it so, and goes on a new one
    with smtp_server(second, port=port):
        sent = channel.send(_message("n-2"))
        channel.send(_message("n-3"))
        channel.close()
    assert ids(first) == ["<n-1@careledger>"]
    assert (
        ids(second)
        == [sent.provider_id, "<n-3@careledger>"]
        == ["<n-2@careledger>", "<n-3@careledger>"]
    )
    assert second.ehlos == 1


def test_a_server_gone_between_messages_is_an_attempt_that_failed() -> None:
    port = free_port()
    inbox = CountingInbox()
    channel = SmtpChannel(SmtpServer.from_url(f"smtp://127.0.0.1:{port}"), timeout_s=5)
    with smtp_server(inbox, port=port):
        channel.send(_message("n-1"))
    with pytest.raises(TransientDeliveryError):
        channel.send(_message("n-2"))
    # back: the next attempt goes through, once
    with smtp_server(inbox, port=port):
        channel.send(_message("n-2"))
        channel.close()
    assert ids(inbox) == ["<n-1@careledger>", "<n-2@careledger>"]


class DroppingServer:
    """Speaks just enough SMTP, and closes the connection instead of answering the `drop`-th
    message's data (the message may have arrived: only the sender cannot know)."""

    def __init__(self, drop: int) -> None:
        self.drop = drop
        self.datas = 0
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            with conn, conn.makefile("rb") as lines:
                self._converse(conn, lines)

    def _converse(self, conn: socket.socket, lines: Any) -> None:
        conn.sendall(b"220 dropping ready\r\n")
        for line in lines:
            verb = line[:4].upper()
            if verb == b"DATA":
                conn.sendall(b"354 go on\r\n")
                for body in lines:
                    if body == b".\r\n":
                        break
                self.datas += 1
                if self.datas == self.drop:
                    return
                conn.sendall(b"250 queued\r\n")
            elif verb == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            else:
                conn.sendall(b"250 ok\r\n")

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def dropping() -> Iterator[DroppingServer]:
    server = DroppingServer(drop=2)
    try:
        yield server
    finally:
        server.close()


def test_a_connection_lost_after_the_data_is_not_sent_again_by_that_attempt(
    dropping: DroppingServer,
) -> None:
    channel = SmtpChannel(SmtpServer.from_url(f"smtp://127.0.0.1:{dropping.port}"), timeout_s=5)
    channel.send(_message("n-1"))
    with pytest.raises(TransientDeliveryError):
        channel.send(_message("n-2"))
    # the data went out once; the notifier's next attempt sends it again under the same id
    assert (dropping.datas, dropping.connections) == (2, 1)
    channel.send(_message("n-2"))
    channel.close()
    assert (dropping.datas, dropping.connections) == (3, 2)
