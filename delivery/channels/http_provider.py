"""SMS and app push through an HTTP provider API (the shape is in docs/notifications.md).

POST JSON `{id, to, text, kind, callback_url?}` (push adds `title`) with `Idempotency-Key: id`
and, when a token is configured, `Authorization: Bearer <token>`. A 2xx answer carries
`{"message_id": ...}`; 408, 429 and 5xx are worth another attempt (Retry-After kept as a hint),
any other 4xx refuses the message for good.
"""

from __future__ import annotations

from delivery.channels.base import (
    ChannelKind,
    Message,
    PermanentDeliveryError,
    Sent,
    TransientDeliveryError,
)
from delivery.channels.http import Answer, post_json

_RETRIED = {408, 429}


class HttpProviderChannel:
    def __init__(
        self,
        kind: ChannelKind,
        url: str,
        token: str | None = None,
        callback_url: str | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self.kind = kind
        self.url = url
        self._token = token
        self._callback_url = callback_url
        self._timeout_s = timeout_s

    def send(self, message: Message) -> Sent:
        answer = post_json(
            self.url, self._payload(message), self._headers(message), self._timeout_s
        )
        return _outcome(answer)

    def close(self) -> None:
        pass

    def _payload(self, message: Message) -> dict[str, str]:
        payload = {"id": message.id, "to": message.to, "text": message.body, "kind": message.kind}
        if self.kind is ChannelKind.PUSH:
            payload["title"] = message.subject
        if self._callback_url:
            payload["callback_url"] = self._callback_url
        return payload

    def _headers(self, message: Message) -> dict[str, str]:
        headers = {"Idempotency-Key": message.id}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return headers


def _outcome(answer: Answer) -> Sent:
    status = answer.status
    if 200 <= status < 300:
        body = answer.json()
        provider_id = body.get("message_id") if isinstance(body, dict) else None
        if not isinstance(provider_id, str) or not provider_id:
            # Taken, perhaps: the next attempt carries the same Idempotency-Key.
            raise TransientDeliveryError(f"provider answered {status} without a message_id")
        return Sent(provider_id=provider_id)
    if status in _RETRIED or status >= 500:
        raise TransientDeliveryError(f"provider answered {status}", answer.retry_after_s)
    if 400 <= status < 500:
        raise PermanentDeliveryError(f"provider refused the message ({status})")
    raise TransientDeliveryError(f"provider answered {status}")
