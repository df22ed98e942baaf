"""One JSON POST to a provider or a robot: bounded in time, no redirects, the answer as data.

No answer at all (refused, reset, timed out, TLS failure) is a `TransientDeliveryError`.
"""

from __future__ import annotations

import http.client
import json
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from delivery.channels.base import TransientDeliveryError

READ_MAX = 64 * 1024


@dataclass(frozen=True)
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def retry_after_s(self) -> float | None:
        return retry_after(self.headers.get("Retry-After"))


def post_json(
    url: str,
    payload: Any,
    headers: dict[str, str],
    timeout_s: float,
    tls: ssl.SSLContext | None = None,
) -> Answer:
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            parts.hostname or "", parts.port, timeout=timeout_s, context=tls
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout_s)
    body = json.dumps(payload, ensure_ascii=False).encode()
    sent = {"Content-Type": "application/json; charset=utf-8", **headers}
    try:
        connection.request("POST", target, body=body, headers=sent)
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read(READ_MAX))
    except (OSError, http.client.HTTPException) as error:
        raise TransientDeliveryError(f"http: {type(error).__name__}") from error
    finally:
        connection.close()


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (a number of seconds or an HTTP date)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
