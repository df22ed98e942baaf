"""What putting reads of personal data on the record costs a page of 100 audit-trail rows (25
complaints opened), against the same page with the record switched off, in the same run; and
one record of 25 entries against 25 records of one, written through the application.

    .venv/bin/python -m bench.read_records [--requests 200] [--backend sqlite postgres]

The service runs in process (the ASGI app through Starlette's TestClient, SQLite's followers
in its threads; on PostgreSQL a throwaway server on 127.0.0.1 and the views caught up by hand).
Prints a markdown table and the machine it ran on.
"""

from __future__ import annotations

import argparse
import base64
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

from starlette.testclient import TestClient

from api.app import create_app
from api.auth import Role, issue_token
from api.graphql.read_records import RecordReads
from application.app import CareLedger
from application.settings import Settings
from bench.machine import describe
from domain.meta import Actor, ActorKind, Meta
from domain.personal_data_reads import Opening
from projections.catalog import projections
from projections.engine.runner import Runner
from projections.engine.store import open_view_store
from testing.postgres_server import PostgresServer

KEY = base64.b64decode(base64.b64encode(b"b" * 32))
TRAIL = """query($actor: String!, $at: Int) {
  auditTrail(actorId: $actor, first: 100, atPosition: $at) { edges { node { data } } } }"""


def settings_for(backend: str, data_dir: Path, stack: ExitStack) -> Settings:
    if backend == "sqlite":
        return Settings(data_dir=data_dir, master_key=KEY)
    server = PostgresServer().start()
    stack.callback(server.stop)
    return Settings(
        database_url=server.url, db_schema=f"b_{uuid4().hex[:8]}", data_dir=data_dir, master_key=KEY
    )


def post(
    client: TestClient, settings: Settings, query: str, variables: dict[str, Any], **who: Any
) -> Any:
    token = issue_token(settings, who["role"], who["subject"], department=who.get("department"))
    answer = client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = answer.json()
    assert "errors" not in body, body
    return body["data"]


def seed(client: TestClient, settings: Settings) -> tuple[str, int]:
    """A customer with 30 complaints (120 events); the customer's id and the last position."""
    desk = {"role": Role.AGENT, "subject": "desk", "department": "customer_service"}
    registered = post(
        client,
        settings,
        "mutation($i: RegisterCustomerInput!) { registerCustomer(input: $i) {"
        " ... on CustomerChanged { customer { customerId } } } }",
        {"i": {"contact": {"name": "Bench", "phone": "13800000000"}}},
        **desk,
    )
    customer = registered["registerCustomer"]["customer"]["customerId"]
    last = 0
    for n in range(30):
        filed = post(
            client,
            settings,
            "mutation($i: FileComplaintInput!) { fileComplaint(input: $i) {"
            " ... on ComplaintChanged { written { position } } } }",
            {"i": {"customerId": customer, "content": f"complaint {n}", "channel": "APP"}},
            role=Role.CUSTOMER,
            subject=customer,
        )
        last = filed["fileComplaint"]["written"]["position"]
    return customer, last


def catch_up(settings: Settings) -> None:
    with CareLedger(settings) as app:
        store = open_view_store(settings)
        try:
            for projection in projections():
                Runner(app, store, projection).catch_up()
        finally:
            store.close()


async def _off(self: RecordReads) -> AsyncIterator[None]:
    yield


def timed(run: Callable[[], None], n: int) -> float:
    """Seconds per run, after a pause that lets the in-process followers project what the
    previous block wrote (else it falls on this block)."""
    time.sleep(1.0)
    start = time.perf_counter()
    for _ in range(n):
        run()
    return (time.perf_counter() - start) / n


def measure(backend: str, requests: int) -> list[tuple[str, float, str]]:
    with ExitStack() as stack:
        data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        settings = settings_for(backend, data_dir, stack)
        client = stack.enter_context(TestClient(create_app(settings)))
        customer, last = seed(client, settings)
        if settings.postgres is not None:
            catch_up(settings)
        desk = {"role": Role.AGENT, "subject": "desk", "department": "customer_service"}

        def page() -> None:
            post(client, settings, TRAIL, {"actor": customer, "at": last}, **desk)

        for _ in range(20):  # warm caches and the key cache
            page()
        on_execute = RecordReads.on_execute
        recorded, bare = [], []
        for _ in range(5):  # alternate, so drift falls on both sides
            recorded.append(timed(page, requests // 5))
            RecordReads.on_execute = _off  # type: ignore[method-assign]
            try:
                bare.append(timed(page, requests // 5))
            finally:
                RecordReads.on_execute = on_execute  # type: ignore[method-assign]
        ledger = client.app.state.services.ledger  # type: ignore[attr-defined]
        opening = [Opening(customer, "Complaint", str(uuid4()), ("content",), "department")]

        def meta() -> Meta:
            return Meta(
                actor=Actor(ActorKind.AGENT, "desk", "agent"),
                occurred_at=datetime.now(UTC),
                command_id=str(uuid4()),
                correlation_id="bench",
            )

        def record(entries: int) -> None:
            ledger.record_personal_data_reads(meta(), "bench", opening * entries)

        ones, twenty_fives = [], []
        for _ in range(4):  # alternate, as above
            twenty_fives.append(timed(lambda: record(25), 25))
            ones.append(timed(lambda: record(1), 25))
        one, batch = min(ones), min(twenty_fives)
    with_ms, bare_ms = min(recorded) * 1000, min(bare) * 1000
    return [
        ("page of 100 rows, record off", bare_ms, "1.00"),
        ("page of 100 rows, one record of 25", with_ms, f"{with_ms / bare_ms:.2f}"),
        ("one record of 25 entries", batch * 1000, "1.00"),
        ("one record of one entry", one * 1000, f"{one / batch:.2f}"),
        ("25 records of one entry (25 x the above)", 25 * one * 1000, f"{25 * one / batch:.1f}"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--backend", nargs="+", default=["sqlite"], choices=["sqlite", "postgres"])
    args = parser.parse_args()
    print(describe())
    for backend in args.backend:
        print(f"\n### {backend}\n\n| measure | ms | ratio |\n|---|---|---|")
        for name, ms, ratio in measure(backend, args.requests):
            print(f"| {name} | {ms:.2f} | {ratio} |")


if __name__ == "__main__":
    main()
