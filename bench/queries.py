"""Query latency over HTTP: the complaint dashboard, the agent queue's first page and one
complaint's audit trail, at growing sizes of the event history.

    .venv/bin/python -m bench.queries [--sizes 100000,1000000] [--requests 500] [--warmup 50]

Starts a throwaway PostgreSQL 15 (fsync and synchronous_commit on) unless --database-url is
given; records a backlog of open complaints and one complaint through the application; then
for each size: fills the history up to it (bench/history.fill), catches the read models up,
starts `careledger serve` and sends each query one after the other from one keep-alive
connection: p50/p99 per query, and the same read without HTTP and GraphQL, in-process.
Prints a markdown table per size and the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID

from api.auth import Role, issue_token
from application.app import CareLedger
from application.settings import Settings
from bench import query_texts
from bench.backlog import add_open_complaints, audited_complaint
from bench.history import fill
from bench.machine import describe
from bench.serving import HOST, Server, bench_settings, careledger_serve, service_env
from bench.timing import Latencies, time_http, time_local
from projections.catalog import projections
from projections.engine.runner import Runner
from projections.engine.store import ViewStore, open_view_store
from projections.views.agent_queue import agent_queue
from projections.views.audit_trail import entity_history
from projections.views.complaint_dashboard import complaint_breakdown, complaint_dashboard
from testing.postgres_server import PostgresServer

VIEWS = ("agent_queue", "audit_trail", "complaint_dashboard")
ONE_DEPARTMENT = {"department": "customer_service"}


@dataclass(frozen=True)
class Query:
    label: str
    body: str
    local: Callable[[], object]  # the same read, in-process, without HTTP and GraphQL
    summary: Callable[[dict[str, Any]], str]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000,1000000", help="events, comma-separated")
    parser.add_argument("--requests", type=int, default=500, help="timed requests per query")
    parser.add_argument("--warmup", type=int, default=50, help="requests before, not timed")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--open-complaints", type=int, default=1000, help="agent queue backlog")
    parser.add_argument("--batch-size", type=int, default=1000, help="projection batch")
    parser.add_argument("--database-url", default=None, help="use this PostgreSQL instead")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    server = None if args.database_url else PostgresServer(durable=True).start()
    url = args.database_url or (server.url if server else "")
    try:
        settings = bench_settings(url, "bench_queries")
        with CareLedger(settings) as app:
            store = open_view_store(settings)
            try:
                run(app, store, settings, sizes, args)
            finally:
                store.close()
    finally:
        if server is not None:
            server.stop()
    print(f"\nMachine: {describe()}")
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def run(
    app: CareLedger,
    store: ViewStore,
    settings: Settings,
    sizes: list[int],
    args: argparse.Namespace,
) -> None:
    subject = audited_complaint(app)
    backlog = add_open_complaints(app, args.open_complaints)
    print(
        f"{args.open_complaints:,} open complaints ({backlog:,} events); audited complaint"
        f" {subject}"
    )
    token = issue_token(settings, Role.SUPERVISOR, "bench-supervisor")
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    base = app.recorder.max_notification_id() or 0
    for size in sizes:
        began = time.perf_counter()
        stored = fill(app, size)
        print(f"\nlog: {stored:,} events ({time.perf_counter() - began:.0f} s to fill)")
        if stored - base < 1000:
            raise SystemExit(
                f"--sizes {size} leaves too little history after the {base:,} events"
                " of the backlog: choose larger sizes or fewer --open-complaints"
            )
        catch_up(app, store, args.batch_size)
        end = history_end(app, base)
        queries = build_queries(store, subject, end)
        serve = partial(careledger_serve, workers=args.workers)
        with Server("careledger", serve, service_env(settings), ready_path="/readyz") as srv:
            rows = [measure(srv.port, q, headers, args) for q in queries]
            floor = time_http(HOST, srv.port, None, {}, args.warmup, args.requests)
        report(stored, end, rows, floor, args)


def catch_up(app: CareLedger, store: ViewStore, batch_size: int) -> None:
    for projection in projections(VIEWS):
        began = time.perf_counter()
        done = Runner(app, store, projection, batch_size=batch_size).catch_up()
        elapsed = time.perf_counter() - began
        print(f"  {projection.name}: caught up {done:,} events in {elapsed:.1f} s")


def history_end(app: CareLedger, base: int, last: int = 2000) -> datetime:
    """The history's "now": when its latest entity was created, rounded up to the hour (the
    history saves each entity with its whole future, a survey's expiry 3 days on). Only the
    log after `base` is history."""
    head = app.recorder.max_notification_id() or 0
    start = max(base + 1, head - last)
    notes = app.recorder.select_notifications(start=start, limit=head - start + 1)
    events = [app.mapper.to_domain_event(n) for n in notes]
    created = [e for e in events if e.originator_version == 1]
    latest: datetime = max(e.meta.occurred_at for e in created)  # type: ignore[attr-defined]
    return latest.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def build_queries(store: ViewStore, subject: UUID, end: datetime) -> list[Query]:
    day, month = end - timedelta(days=1), end - timedelta(days=30)
    return [
        Query(
            "complaint dashboard, last 24 h",
            query_texts.dashboard(day, end),
            partial(complaint_dashboard, store, day, end),
            query_texts.dashboard_summary,
        ),
        Query(
            "complaint dashboard, last 30 days",
            query_texts.dashboard(month, end),
            partial(complaint_dashboard, store, month, end),
            query_texts.dashboard_summary,
        ),
        Query(
            "complaint dashboard, last 30 days, one department",
            query_texts.filtered(month, end),
            partial(complaint_dashboard, store, month, end, None, ONE_DEPARTMENT),
            query_texts.filtered_summary,
        ),
        Query(
            "complaint dashboard, last 30 days, every agent",
            query_texts.breakdown(month, end),
            partial(complaint_breakdown, store, month, end, "agent"),
            query_texts.breakdown_summary,
        ),
        Query(
            "agent queue, first page of 20",
            query_texts.QUEUE,
            partial(agent_queue, store, limit=20),
            query_texts.queue_summary,
        ),
        Query(
            "audit trail of one complaint (sealed data opened)",
            query_texts.trail(subject),
            partial(entity_history, store, subject, limit=20),
            query_texts.trail_summary,
        ),
    ]


@dataclass(frozen=True)
class Measured:
    query: Query
    http: Latencies
    local: Latencies
    answer: str


def measure(port: int, query: Query, headers: dict[str, str], args: argparse.Namespace) -> Measured:
    http = time_http(HOST, port, query.body, headers, args.warmup, args.requests)
    local = time_local(query.local, args.warmup, args.requests)
    return Measured(query, http, local, query.summary(json.loads(http.last_body)))


def report(
    stored: int, end: datetime, rows: list[Measured], floor: Latencies, args: argparse.Namespace
) -> None:
    print(f"\n### {stored:,} events in the log (history ends {end:%Y-%m-%d %H:%M} UTC)\n")
    print(
        f"{args.requests} requests per query after {args.warmup} not timed, one at a time on"
        f" one keep-alive connection; {args.workers} uvicorn workers.\n"
    )
    print("| query | p50 ms | p99 ms | mean ms | view read alone p50 / p99 ms | answer |")
    print("|---|---:|---:|---:|---:|---|")
    for r in rows:
        print(
            f"| {r.query.label} | {r.http.p50:.2f} | {r.http.p99:.2f} | {r.http.mean:.2f} |"
            f" {r.local.p50:.2f} / {r.local.p99:.2f} | {r.answer} |"
        )
    print(
        f"| `GET /healthz` (HTTP floor, no GraphQL) | {floor.p50:.2f} | {floor.p99:.2f} |"
        f" {floor.mean:.2f} | | |"
    )


if __name__ == "__main__":
    main()
