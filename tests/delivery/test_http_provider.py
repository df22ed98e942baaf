from __future__ import annotations

import time

import pytest

from delivery.channels.base import (
    ChannelKind,
    Message,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from delivery.channels.http_provider import HttpProviderChannel
from tests.delivery.http_servers import Reply, Script, http_server


def _sms(id: str = "n-1") -> Message:
    return Message(
        id=id,
        channel=ChannelKind.SMS,
        to="+8613800000000",
        subject="",
        body="您的订单已延迟 预计20分钟送达",
        kind="delay_notice",
    )


def test_a_2xx_answer_gives_the_providers_message_id() -> None:
    script = Script(Reply(202, {"message_id": "sms-778"}))
    with http_server(script) as base:
        channel = HttpProviderChannel(
            ChannelKind.SMS, f"{base}/v1/sms", token="tok", callback_url="https://cl.example/r"
        )
        sent = channel.send(_sms())
    assert sent.provider_id == "sms-778"
    (request,) = script.requests
    assert request.path == "/v1/sms"
    assert request.headers["Idempotency-Key"] == "n-1"
    assert request.headers["Authorization"] == "Bearer tok"
    assert request.json == {
        "id": "n-1",
        "to": "+8613800000000",
        "text": "您的订单已延迟 预计20分钟送达",
        "kind": "delay_notice",
        "callback_url": "https://cl.example/r",
    }


def test_push_carries_the_subject_as_title_and_no_token_no_header() -> None:
    script = Script(Reply(200, {"message_id": "p-1"}))
    with http_server(script) as base:
        push = Message("n-2", ChannelKind.PUSH, "device-9", "订单已送达", "请评价", "survey")
        HttpProviderChannel(ChannelKind.PUSH, base).send(push)
    (request,) = script.requests
    assert request.json["title"] == "订单已送达"
    assert "Authorization" not in request.headers and "callback_url" not in request.json


def test_a_400_is_permanent() -> None:
    script = Script(Reply(400, {"error": "bad number"}))
    with http_server(script) as base, pytest.raises(PermanentDeliveryError, match="400"):
        HttpProviderChannel(ChannelKind.SMS, base).send(_sms())


@pytest.mark.parametrize("status", [408, 429, 500, 503])
def test_throttling_and_server_errors_are_transient_with_the_retry_hint(status: int) -> None:
    script = Script(Reply(status, headers={"Retry-After": "7"}))
    with http_server(script) as base, pytest.raises(TransientDeliveryError) as caught:
        HttpProviderChannel(ChannelKind.SMS, base).send(_sms())
    assert caught.value.retry_after_s == 7.0


def test_503_then_200_the_retry_carries_the_same_idempotency_key() -> None:
    script = Script(Reply(503), Reply(200, {"message_id": "sms-1"}))
    with http_server(script) as base:
        channel = HttpProviderChannel(ChannelKind.SMS, base)
        with pytest.raises(TransientDeliveryError) as caught:
            channel.send(_sms())
        assert caught.value.retry_after_s is None
        assert channel.send(_sms()).provider_id == "sms-1"
    assert [r.headers["Idempotency-Key"] for r in script.requests] == ["n-1", "n-1"]


def test_a_2xx_without_a_message_id_is_tried_again() -> None:
    script = Script(Reply(200, "ok"))
    with http_server(script) as base, pytest.raises(TransientDeliveryError, match="message_id"):
        HttpProviderChannel(ChannelKind.SMS, base).send(_sms())


def test_a_slow_provider_times_out_as_transient() -> None:
    with http_server(Script(Reply(200, {"message_id": "late"}, delay_s=2))) as base:
        channel = HttpProviderChannel(ChannelKind.SMS, base, timeout_s=0.3)
        started = time.monotonic()
        with pytest.raises(TransientDeliveryError, match="http"):
            channel.send(_sms())
        assert time.monotonic() - started < 1.5


def test_nothing_listening_is_transient() -> None:
    with http_server(Script()) as base:
        pass
    with pytest.raises(TransientDeliveryError):
        HttpProviderChannel(ChannelKind.SMS, base, timeout_s=1).send(_sms())
