"""Staff IM robots: the group-chat webhooks teams use (DingTalk, WeCom, Feishu, Slack).

A robot's address (in the staff directory) is its webhook URL prefixed with its flavour:
`dingtalk+https://oapi.dingtalk.com/robot/send?access_token=…`, `wecom+https://qyapi.weixin.qq.com/
cgi-bin/webhook/send?key=…`, `feishu+https://open.feishu.cn/open-apis/bot/v2/hook/…`,
`slack+https://hooks.slack.com/services/…`. A robot with signing turned on takes its secret
after a `#`: `dingtalk+https://…#SEC…` (DingTalk signs the URL: timestamp and sign query
parameters), `feishu+https://…#secret` (Feishu signs the body: timestamp and sign fields).

Each answers 200 with its own error code in the body, so the code decides: rate limits are worth
another attempt, anything else the robot refuses (a wrong token, keyword or signature) is
refused for good; no answer or a 5xx is transient, as for every HTTP channel. Robots give no
message id: the notification's own id stands for it.

Written here rather than through `apprise`: its robot plugins post to the vendors' fixed hosts
(so they cannot be tested against a local server), and answer only True or False, where the
notifier needs transient, permanent and Retry-After apart.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from delivery.channels.base import (
    ChannelKind,
    Message,
    PermanentDeliveryError,
    Sent,
    TransientDeliveryError,
)
from delivery.channels.http import Answer, post_json

FLAVOURS = ("dingtalk", "wecom", "feishu", "slack")
RATE_LIMITED = {
    "dingtalk": {130101},  # sent too fast
    "wecom": {45009, 45033},  # api frequency, concurrency
    "feishu": {9499, 11232, 11233},  # too many requests, frequency limits
}


class RobotChannel:
    kind = ChannelKind.IM

    def __init__(self, timeout_s: float = 10.0, clock: Callable[[], float] = time.time) -> None:
        self._timeout_s = timeout_s
        self._clock = clock

    def send(self, message: Message) -> Sent:
        flavour, url, secret = parse_robot_address(message.to)
        stamp_ms = int(self._clock() * 1000)
        if flavour == "dingtalk":
            if secret:
                sign = quote(_sign(f"{stamp_ms}\n{secret}".encode(), secret), safe="")
                url += f"{'&' if '?' in url else '?'}timestamp={stamp_ms}&sign={sign}"
            payload: dict[str, Any] = {
                "msgtype": "markdown",
                "markdown": {"title": message.subject, "text": _markdown(message)},
            }
        elif flavour == "wecom":
            payload = {"msgtype": "markdown", "markdown": {"content": _markdown(message)}}
        elif flavour == "feishu":
            payload = {"msg_type": "text", "content": {"text": _plain(message)}}
            if secret:
                stamp = stamp_ms // 1000
                payload |= {"timestamp": str(stamp), "sign": _sign(b"", f"{stamp}\n{secret}")}
        else:
            payload = {"text": f"*{message.subject}*\n{message.body}"}
        answer = post_json(url, payload, {}, self._timeout_s)
        _check(flavour, answer)
        return Sent(provider_id=message.id)

    def close(self) -> None:
        pass


def parse_robot_address(address: str) -> tuple[str, str, str | None]:
    """(flavour, webhook URL, signing secret or None) of `flavour+https://…[#secret]`."""
    flavour, plus, rest = address.partition("+")
    if not plus or flavour not in FLAVOURS or not rest.startswith(("https://", "http://")):
        raise PermanentDeliveryError(
            "robot address must be dingtalk+, wecom+, feishu+ or slack+ and an http(s) URL"
        )
    url, _, secret = rest.partition("#")
    return flavour, url, secret or None


def _sign(message: bytes, key: str) -> str:
    return base64.b64encode(hmac.new(key.encode(), message, hashlib.sha256).digest()).decode()


def _markdown(message: Message) -> str:
    return f"### {message.subject}\n\n{message.body}" if message.subject else message.body


def _plain(message: Message) -> str:
    return f"{message.subject}\n{message.body}" if message.subject else message.body


def _check(flavour: str, answer: Answer) -> None:
    status = answer.status
    if status == 429 or status >= 500 or status == 408:
        raise TransientDeliveryError(f"{flavour} robot answered {status}", answer.retry_after_s)
    if status >= 300:
        raise PermanentDeliveryError(f"{flavour} robot refused the message ({status})")
    if flavour == "slack":
        if answer.body.strip() not in (b"ok", b""):
            raise PermanentDeliveryError("slack robot refused the message")
        return
    body = answer.json()
    code = _code(body)
    if code is None:
        raise TransientDeliveryError(f"{flavour} robot answered {status} without a code")
    if code == 0:
        return
    if code in RATE_LIMITED[flavour]:
        raise TransientDeliveryError(f"{flavour} robot is rate limited ({code})")
    raise PermanentDeliveryError(f"{flavour} robot refused the message ({code})")


def _code(body: object) -> int | None:
    if not isinstance(body, dict):
        return None
    for key in ("errcode", "code", "StatusCode"):
        value = body.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None
