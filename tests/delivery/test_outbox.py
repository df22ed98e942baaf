from __future__ import annotations

import email
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from delivery.channels.base import ChannelKind, Message
from delivery.channels.outbox import OutboxChannel


def _message(
    id: str, channel: ChannelKind = ChannelKind.EMAIL, to: str = "li@example.cn"
) -> Message:
    return Message(
        id=id,
        channel=channel,
        to=to,
        subject="订单确认",
        body="您的订单已确认",
        kind="order_confirmation",
    )


def _read(path: Path) -> EmailMessage:
    parsed = email.message_from_bytes(path.read_bytes(), policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_each_message_is_one_eml_file_listed_in_the_order_sent(tmp_path: Path) -> None:
    outbox = OutboxChannel(tmp_path / "outbox", ChannelKind.EMAIL)
    # three messages, sent one after another
    for id in ("n-3", "n-1", "n-2"):
        outbox.send(_message(id))
    names = sorted(p.name for p in (tmp_path / "outbox").iterdir())
    assert [n.split("-", 1)[1] for n in names] == ["n-3.eml", "n-1.eml", "n-2.eml"]
    mail = _read(tmp_path / "outbox" / names[0])
    assert mail["Subject"] == "订单确认"
    assert mail["Message-ID"] == "<n-3@careledger>"
    body = mail.get_body()
    assert body is not None and body.get_content().strip() == "您的订单已确认"


def test_sending_one_id_again_writes_nothing_more(tmp_path: Path) -> None:
    outbox = OutboxChannel(tmp_path, ChannelKind.EMAIL)
    first = outbox.send(_message("n-1"))
    again = outbox.send(_message("n-1"))
    assert first == again
    assert [p.suffix for p in tmp_path.iterdir()] == [".eml"]


def test_an_sms_becomes_an_eml_to_the_phone_number(tmp_path: Path) -> None:
    outbox = OutboxChannel(tmp_path, ChannelKind.SMS)
    outbox.send(_message("s-1", ChannelKind.SMS, "+8613800000000"))
    (path,) = tmp_path.iterdir()
    mail = _read(path)
    assert mail["To"] == "+8613800000000@sms.outbox"
    assert mail["X-CareLedger-Channel"] == "sms"


def test_an_im_message_does_not_write_out_the_robot_url(tmp_path: Path) -> None:
    outbox = OutboxChannel(tmp_path, ChannelKind.IM)
    outbox.send(
        _message("i-1", ChannelKind.IM, "https://oapi.dingtalk.com/robot/send?access_token=T")
    )
    (path,) = tmp_path.iterdir()
    assert b"access_token" not in path.read_bytes()


def test_no_partial_file_is_left_behind(tmp_path: Path) -> None:
    outbox = OutboxChannel(tmp_path, ChannelKind.EMAIL)
    outbox.send(_message("n/../evil"))
    (path,) = tmp_path.iterdir()
    assert path.parent == tmp_path and path.name.endswith("-n_.._evil.eml")
