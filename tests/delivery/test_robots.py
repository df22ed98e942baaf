"""Staff IM robots against a real HTTP server on 127.0.0.1 speaking each robot's answers."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import unquote

import pytest

from delivery.channels.base import (
    ChannelKind,
    Message,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from delivery.channels.robots import RobotChannel, parse_robot_address
from tests.delivery.http_servers import Reply, Script, http_server

NOW_S = 1_767_000_000.25


def _alert(to: str) -> Message:
    body = "投诉 C-1 首次响应还剩 2 分钟"
    return Message("n-7", ChannelKind.IM, to, "SLA 预警", body, "sla_warning")


def _robot() -> RobotChannel:
    return RobotChannel(timeout_s=2.0, clock=lambda: NOW_S)


def test_dingtalk_gets_markdown_and_a_signed_url() -> None:
    script = Script(Reply(200, {"errcode": 0, "errmsg": "ok"}))
    with http_server(script) as base:
        sent = _robot().send(_alert(f"dingtalk+{base}/robot/send?access_token=t1#SECabc"))
    assert sent.provider_id == "n-7"
    (request,) = script.requests
    assert request.path == "/robot/send" and request.query["access_token"] == "t1"
    stamp = request.query["timestamp"]
    assert stamp == str(int(NOW_S * 1000))
    expected = hmac.new(b"SECabc", f"{stamp}\nSECabc".encode(), hashlib.sha256).digest()
    assert base64.b64decode(unquote(request.query["sign"])) == expected
    assert request.json == {
        "msgtype": "markdown",
        "markdown": {"title": "SLA 预警", "text": "### SLA 预警\n\n投诉 C-1 首次响应还剩 2 分钟"},
    }


def test_wecom_gets_markdown_content() -> None:
    script = Script(Reply(200, {"errcode": 0, "errmsg": "ok"}))
    with http_server(script) as base:
        _robot().send(_alert(f"wecom+{base}/cgi-bin/webhook/send?key=k1"))
    (request,) = script.requests
    assert request.query == {"key": "k1"}
    assert request.json["msgtype"] == "markdown"
    assert request.json["markdown"]["content"].startswith("### SLA 预警")


def test_feishu_signs_the_body() -> None:
    script = Script(Reply(200, {"code": 0, "msg": "success"}))
    with http_server(script) as base:
        _robot().send(_alert(f"feishu+{base}/open-apis/bot/v2/hook/h1#s3cret"))
    (request,) = script.requests
    body = request.json
    assert body["msg_type"] == "text" and body["content"]["text"].startswith("SLA 预警\n")
    assert body["timestamp"] == str(int(NOW_S))
    key = f"{body['timestamp']}\ns3cret".encode()
    assert base64.b64decode(body["sign"]) == hmac.new(key, b"", hashlib.sha256).digest()


def test_slack_gets_text_and_answers_ok() -> None:
    script = Script(Reply(200, "ok"))
    with http_server(script) as base:
        _robot().send(_alert(f"slack+{base}/services/T/B/X"))
    (request,) = script.requests
    assert request.json == {"text": "*SLA 预警*\n投诉 C-1 首次响应还剩 2 分钟"}
    assert "timestamp" not in request.query


@pytest.mark.parametrize(
    ("flavour", "answer"),
    [
        ("dingtalk", {"errcode": 130101, "errmsg": "send too fast"}),
        ("wecom", {"errcode": 45009, "errmsg": "api freq out of limit"}),
        ("feishu", {"code": 11232, "msg": "frequency limited"}),
    ],
)
def test_a_rate_limit_in_the_body_is_transient(flavour: str, answer: dict[str, object]) -> None:
    with http_server(Script(Reply(200, answer))) as base, pytest.raises(TransientDeliveryError):
        _robot().send(_alert(f"{flavour}+{base}/hook"))


@pytest.mark.parametrize(
    ("flavour", "answer"),
    [
        ("dingtalk", {"errcode": 310000, "errmsg": "sign not match"}),
        ("wecom", {"errcode": 93000, "errmsg": "invalid webhook url"}),
        ("feishu", {"code": 19021, "msg": "sign match fail"}),
        ("slack", "invalid_token"),
    ],
)
def test_a_refusal_in_the_body_is_permanent(flavour: str, answer: object) -> None:
    script = Script(Reply(200 if flavour != "slack" else 403, answer))
    with http_server(script) as base, pytest.raises(PermanentDeliveryError) as refused:
        _robot().send(_alert(f"{flavour}+{base}/hook"))
    assert "投诉" not in refused.value.reason and base not in refused.value.reason


def test_a_5xx_or_nothing_listening_is_transient_and_429_keeps_retry_after() -> None:
    with http_server(Script(Reply(503))) as base, pytest.raises(TransientDeliveryError):
        _robot().send(_alert(f"wecom+{base}/hook"))
    script = Script(Reply(429, "rate_limited", {"Retry-After": "30"}))
    with http_server(script) as base, pytest.raises(TransientDeliveryError) as limited:
        _robot().send(_alert(f"slack+{base}/hook"))
    assert limited.value.retry_after_s == 30
    with pytest.raises(TransientDeliveryError):
        _robot().send(_alert("dingtalk+http://127.0.0.1:9/robot/send"))


def test_an_answer_without_a_code_is_transient() -> None:
    script = Script(Reply(200, "<html>proxy</html>"))
    with http_server(script) as base, pytest.raises(TransientDeliveryError):
        _robot().send(_alert(f"feishu+{base}/hook"))


@pytest.mark.parametrize(
    "address",
    ["https://oapi.dingtalk.com/robot/send", "teams+https://x.example/h", "slack+ftp://x/h", ""],
)
def test_an_address_without_a_known_flavour_is_permanent(address: str) -> None:
    with pytest.raises(PermanentDeliveryError):
        parse_robot_address(address)


def test_the_secret_after_the_hash_is_not_sent() -> None:
    assert parse_robot_address("feishu+https://h.example/hook/1#abc") == (
        "feishu",
        "https://h.example/hook/1",
        "abc",
    )
