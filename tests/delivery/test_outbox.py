from __future__ import annotations

import email
import shutil
from concurrent.futures import ThreadPoolExecutor
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
    names = sorted(p.name for p in (tmp_path / "outbox").glob("*.eml"))
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
    assert len(list(tmp_path.glob("*.eml"))) == 1


def test_an_sms_becomes_an_eml_to_the_phone_number(tmp_path: Path) -> None:
    outbox = OutboxChannel(tmp_path, ChannelKind.SMS)
    outbox.send(_message("s-1", ChannelKind.SMS, "+8613800000000"))
    (path,) = tmp_path.glob("*.eml")
    mail = _read(path)
    assert mail["To"] == "+8613800000000@sms.outbox"
    assert mail["X-CareLedger-Channel"] == "sms"


def test_an_im_message_does_not_write_out_the_robot_url(tmp_path: Path) -> None:
    outbox = OutboxChannel(tmp_path, ChannelKind.IM)
    outbox.send(
        _message("i-1", ChannelKind.IM, "https://oapi.dingtalk.com/robot/send?access_token=T")
    )
    (path,) = tmp_path.glob("*.eml")
    assert b"access_token" not in path.read_bytes()


def test_no_partial_file_is_left_behind(tmp_path: Path) -> None:
    outbox = OutboxChannel(tmp_path, ChannelKind.EMAIL)
    outbox.send(_message("n/../evil"))
    (path,) = tmp_path.glob("*.eml")
    assert path.parent == tmp_path and path.name.endswith("-n_.._evil.eml")


def test_an_outbox_written_before_the_index_is_indexed_once(tmp_path: Path) -> None:
    # given an outbox holding a message and no index (as written by an earlier version)
    OutboxChannel(tmp_path, ChannelKind.EMAIL).send(_message("n-1"))
    shutil.rmtree(tmp_path / ".ids")
    # when a new channel sends that id again and then a new one
    outbox = OutboxChannel(tmp_path, ChannelKind.EMAIL)
    outbox.send(_message("n-1"))
    outbox.send(_message("n-2"))
    # then only the new one is written
    assert sorted(p.name.split("-", 1)[1] for p in tmp_path.glob("*.eml")) == [
        "n-1.eml",
        "n-2.eml",
    ]


def test_two_channels_on_one_outbox_write_an_id_once(tmp_path: Path) -> None:
    # two processes' channels (two instances, each with its own lock) racing on the same ids
    outboxes = [OutboxChannel(tmp_path, ChannelKind.EMAIL) for _ in range(2)]
    ids = [f"n-{i}" for i in range(50)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda a: a[0].send(_message(a[1])), [(o, i) for i in ids for o in outboxes]))
    names = sorted(p.name.split("-", 1)[1] for p in tmp_path.glob("*.eml"))
    assert names == sorted(f"{i}.eml" for i in ids)


def test_a_message_is_written_with_crlf_and_encoded_headers(tmp_path: Path) -> None:
    outbox = OutboxChannel(tmp_path, ChannelKind.EMAIL, sender="客服中心 <kefu@example.cn>")
    outbox.send(_message("n-1"))
    (path,) = tmp_path.glob("*.eml")
    raw = path.read_bytes()
    # every line ends in CRLF, as SMTP wants, and no header carries raw non-ASCII bytes
    assert raw.count(b"\n") == raw.count(b"\r\n") > 5
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    mail = _read(path)
    assert mail["From"] == "客服中心 <kefu@example.cn>"
    assert mail["Subject"] == "订单确认"
