"""A real webhook receiver on 127.0.0.1 that verifies each delivery with the library's own
verifier, and can be taken down and brought back on the same port."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass(frozen=True)
class Received:
    webhook_id: str
    body: dict[str, Any]
    raw: bytes


class Receiver:
    def __init__(self, secret: str, delay_s: float = 0.0) -> None:
        self.secret = secret
        self.delay_s = delay_s  # before each answer: a slow receiver
        self.received: list[Received] = []
        self.refused: list[str] = []  # signatures that did not verify
        self.answers: deque[int] = deque()  # statuses to answer next, before verifying
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks?team=ops"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", "0")))
                self.send_response(receiver.handle(raw, dict(self.headers.items()), self.path))
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def handle(self, raw: bytes, headers: dict[str, str], path: str) -> int:
        time.sleep(self.delay_s)
        with self._lock:
            if self.answers:
                return self.answers.popleft()
            try:
                body = Webhook(self.secret).verify(raw, headers)
            except WebhookVerificationError:
                self.refused.append(headers.get("webhook-id", ""))
                return 401
            assert path == "/hooks?team=ops"
            self.received.append(Received(headers["webhook-id"], body, raw))
            return 204

    def ids(self) -> list[str]:
        return [r.webhook_id for r in self.received]

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.raw) for r in self.received]
