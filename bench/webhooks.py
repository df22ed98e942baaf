"""Webhook delivery: a backlog drained, and the lag from an event's commit to its receiver.

    .venv/bin/python -m bench.webhooks [--backlog 1000] [--rate 50] [--seconds 10] [--postgres]

A receiver on 127.0.0.1 verifies every delivery with standardwebhooks' own verifier. First a
backlog of orders recorded before the dispatcher starts is drained (deliveries/s); then orders
are recorded at `--rate` per second while the dispatcher runs, and the time from each command's
return to its delivery's arrival gives p50/p99. Prints a markdown table and the machine.
"""

from __future__ import annotations

import argparse
import base64
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from standardwebhooks.webhooks import Webhook

from application.app import CareLedger
from application.customers import ContactDetails
from application.settings import Settings
from bench.machine import describe
from delivery.webhooks import WebhookDispatcher
from domain.meta import Actor, ActorKind, Meta
from domain.order_types import OrderItem
from projections.engine.store import open_view_store
from testing.postgres_server import PostgresServer

SECRET = "whsec_" + base64.b64encode(b"b" * 32).decode()
ADMIN = Actor(ActorKind.AGENT, "admin-bench", "admin")
CUSTOMER = Actor(ActorKind.CUSTOMER, "customer-bench", "customer")


class Receiver:
    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}  # event id -> monotonic arrival time
        self.lock = threading.Lock()
        verifier = Webhook(SECRET)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", "0")))
                body = verifier.verify(raw, dict(self.headers.items()))
                with receiver.lock:
                    receiver.arrived.setdefault(body["data"]["id"], time.monotonic())
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"


def meta(actor: Actor) -> Meta:
    command_id = uuid4().hex
    return Meta(actor, datetime.now(UTC), command_id, command_id)


def place(app: CareLedger, customer: UUID) -> tuple[UUID, float]:
    outcome = app.receive_order(
        meta(CUSTOMER),
        customer_id=customer,
        restaurant="Golden Dumpling",
        region="chaoyang",
        items=[OrderItem("cold noodles", 1, Decimal("30.00"))],
        amount="30.00",
        promised_at=datetime.now(UTC) + timedelta(minutes=40),
        address="88 Jianguo Road",
        channel="app",
    )
    return outcome.aggregate_id, time.monotonic()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def wait_for(receiver: Receiver, count: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while len(receiver.arrived) < count and time.monotonic() < deadline:
        time.sleep(0.005)


def run(settings: Settings, backlog: int, rate: float, seconds: float) -> list[str]:
    receiver = Receiver()
    with CareLedger(settings) as app:
        store = open_view_store(settings)
        app.register_webhook_endpoint(meta(ADMIN), receiver.url, ["OrderReceived"], SECRET)
        customer = app.register_customer(meta(CUSTOMER), ContactDetails("Li", "+8610")).aggregate_id
        for _ in range(backlog):
            place(app, customer)
        stop = threading.Event()
        dispatcher = WebhookDispatcher(app, store)
        began = time.perf_counter()
        thread = threading.Thread(target=dispatcher.run, args=(stop, 0.05), daemon=True)
        thread.start()
        wait_for(receiver, backlog, 600)
        drained = time.perf_counter() - began
        placed: dict[str, float] = {}
        start = time.monotonic()
        for n in range(int(rate * seconds)):
            time.sleep(max(0.0, start + n / rate - time.monotonic()))
            order_id, at = place(app, customer)
            placed[str(order_id)] = at
        wait_for(receiver, backlog + len(placed), 60)
        stop.set()
        thread.join(10)
        store.close()
    lags = [(receiver.arrived[o] - at) * 1000 for o, at in placed.items() if o in receiver.arrived]
    return [
        "| measure | value |",
        "|---|---|",
        f"| backlog drained | {backlog} deliveries in {drained:.2f} s:"
        f" {backlog / drained:.0f} deliveries/s |",
        f"| live load | {len(placed)} orders at {rate:g}/s, {len(lags)} delivered |",
        f"| commit to arrival | p50 {percentile(lags, 0.5):.0f} ms,"
        f" p99 {percentile(lags, 0.99):.0f} ms, max {max(lags):.0f} ms |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backlog", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        key = base64.b64decode(base64.b64encode(b"k" * 32))
        if args.postgres:
            server = PostgresServer().start()
            try:
                settings = Settings(database_url=server.url, data_dir=Path(tmp), master_key=key)
                lines = run(settings, args.backlog, args.rate, args.seconds)
            finally:
                server.stop()
        else:
            lines = run(Settings(data_dir=Path(tmp), master_key=key), **_sizes(args))
    print("\n".join([*lines, "", describe()]))


def _sizes(args: argparse.Namespace) -> dict[str, Any]:
    return {"backlog": args.backlog, "rate": args.rate, "seconds": args.seconds}


if __name__ == "__main__":
    main()
