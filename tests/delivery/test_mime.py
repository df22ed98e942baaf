"""The e-mail bytes, read back by the stdlib parser: every header and the body as they were."""

from __future__ import annotations

import email
from email.header import decode_header, make_header
from email.message import Message as ParsedMessage
from email.utils import parseaddr

import pytest

from delivery.channels.base import ChannelKind, Message
from delivery.channels.mime import DEFAULT_SENDER, email_bytes

LONG_LINE = "x" * 300
SUBJECTS = [
    "Order confirmed",
    "",
    "您的订单已确认",
    "您的订单 #12345 已确认\uff0c预计 30 分钟送达。" * 2 + "感谢惠顾\uff01",
    "A long ASCII subject " * 8,
    "looks like =?utf-8?q?an_encoded_word?= but is not",
    " leading and trailing spaces ",
    "emoji 🍜 and mixed 中文 text",
    "a line\r\nBcc: injected@example.com",
]
BODIES = [
    "hi",
    "你好\uff0c\n您的订单已确认。\n",
    f"{LONG_LINE}\n{'长' * 300}\n",
    "",
    "no newline at end",
]


def _read(data: bytes) -> ParsedMessage:
    return email.message_from_bytes(data)


def _header(mail: ParsedMessage, name: str) -> str:
    return str(make_header(decode_header(mail[name])))


def _message(subject: str, body: str, urgent: bool = False) -> Message:
    return Message(
        id="0f8e5a9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
        channel=ChannelKind.EMAIL,
        to="wang@example.com",
        subject=subject,
        body=body,
        kind="order_confirmation",
        locale="zh-CN",
        urgent=urgent,
    )


@pytest.mark.parametrize("subject", SUBJECTS)
@pytest.mark.parametrize("body", BODIES)
def test_every_header_and_the_body_read_back(subject: str, body: str) -> None:
    # the bytes as the SMTP channel sends them, parsed by the stdlib
    data = email_bytes(_message(subject, body), DEFAULT_SENDER, "wang@example.com")
    mail = _read(data)
    # the parser saw no defects, and every line ends CRLF and stays short
    assert not mail.defects
    lines = data.split(b"\r\n")
    assert b"\n" not in b"".join(lines) and b"\r" not in b"".join(lines)
    assert all(len(line) <= 78 for line in lines)
    assert mail.get_content_type() == "text/plain"
    assert mail.get_content_charset() == "utf-8"
    assert mail["MIME-Version"] == "1.0"
    assert mail["Content-Transfer-Encoding"] == "base64"
    assert _header(mail, "Subject") == subject
    assert parseaddr(mail["From"]) == ("CareLedger", "notices@careledger.invalid")
    assert mail["To"] == "wang@example.com"
    assert mail["Message-ID"] == "<0f8e5a9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b@careledger>"
    assert mail["Content-Language"] == "zh-CN"
    assert mail["X-CareLedger-Channel"] == "email"
    assert mail["X-CareLedger-Kind"] == "order_confirmation"
    assert mail["Importance"] is None
    assert email.utils.parsedate_to_datetime(mail["Date"]) is not None
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes) and payload.decode("utf-8") == body
    # one header each, nothing smuggled in through the subject
    assert sorted(mail.keys()) == sorted(
        [
            "Content-Type",
            "MIME-Version",
            "Content-Transfer-Encoding",
            "From",
            "To",
            "Subject",
            "Date",
            "Message-ID",
            "Content-Language",
            "X-CareLedger-Channel",
            "X-CareLedger-Kind",
        ]
    )


def test_urgent_and_named_addresses() -> None:
    message = _message("紧急\uff1a订单超时", "body", urgent=True)
    to = '"Wang, Xiaoming" <w@example.com>'
    data = email_bytes(message, "客服中心 <service@example.com>", to)
    mail = _read(data)
    assert mail["Importance"] == "high"
    assert _header(mail, "From") == "客服中心 <service@example.com>"
    assert parseaddr(mail["To"]) == ("Wang, Xiaoming", "w@example.com")
