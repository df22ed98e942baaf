"""One webhook POST over HTTP(S): bounded in time, no redirects followed, the answer as data."""

from __future__ import annotations

import http.client
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

READ_MAX = 4096  # of the receiver's body: read (so the connection ends cleanly), never kept


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no HTTP answer (refused, timed out, reset)
    error: str | None = None


Post = Callable[[str, bytes, dict[str, str], float], Answer]


def http_post(url: str, body: bytes, headers: dict[str, str], timeout_s: float) -> Answer:
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        context = ssl.create_default_context()
        connection = http.client.HTTPSConnection(
            parts.hostname or "", parts.port, timeout=timeout_s, context=context
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout_s)
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        response.read(READ_MAX)
        return Answer(response.status)
    except (OSError, http.client.HTTPException) as error:
        return Answer(None, f"{type(error).__name__}: {error}")
    finally:
        connection.close()
