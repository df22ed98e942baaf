"""What a filter costs the complaint dashboard: a 30-day window read unfiltered, filtered by
one, two and four slices at once, and broken down by agent within a department, at two sizes
of history with the same daily traffic, as CPU per read and as ratios in the same run.

    .venv/bin/python -m bench.filters [--per-day 150] [--days 45,450] [--reads 40]
                                      [--backend sqlite postgres]

Each history size is its own store (a fresh SQLite file, or a fresh schema of a throwaway
PostgreSQL 15 on 127.0.0.1): complaints every day at the same rate, spread over 6 departments,
60 agents (10 a department), 5 channels and 5 categories, then the complaint dashboard caught
up. The window is always the last 30 days, so its figures come from the same traffic whatever
the history: if the cost follows the populated days of the window, not the history, a read at
the larger history costs about what it costs at the smaller one (the last column, near 1.0).
CPU is the reading thread's (time.thread_time), which on PostgreSQL leaves the server's out, so
the median wall time of a read is printed too: compare ratios, not milliseconds, on a loaded
machine.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial

from application.app import CareLedger
from bench.history import CATEGORIES, received, sealed
from bench.machine import describe
from bench.serving import bench_settings
from domain.complaint import Complaint
from projections.engine.runner import Runner
from projections.engine.store import ViewStore, open_view_store
from projections.views.complaint_dashboard import (
    ComplaintDashboardProjection,
    complaint_breakdown,
    complaint_dashboard,
)
from testing.postgres_server import PostgresServer

DEPARTMENTS = [
    "logistics",
    "quality",
    "customer_service",
    "technical",
    "after_sales",
    "merchant_relations",
]
AGENTS_PER_DEPARTMENT = 10
WINDOW = timedelta(days=30)


def complaint(rng: random.Random, at: datetime) -> Complaint:
    """A complaint answered, classified, assigned to one of 60 agents and resolved."""
    c, customer, x = received(rng, at)
    x.reply(c.meta(rng.uniform(0.5, 5)), sealed(customer))
    x.classify(c.meta(rng.uniform(1, 10)), rng.choice(CATEGORIES), "general", "general")
    department = rng.choice(DEPARTMENTS)
    agent = f"{department}-{rng.randrange(AGENTS_PER_DEPARTMENT)}"
    x.assign_responsibility(c.meta(2), department, agent)
    x.start_work(c.meta(5))
    x.propose_solution(c.meta(rng.uniform(20, 600)), "apology", None, None)
    x.resolve(c.meta(5), "explained")
    x.close(c.meta(60), "agent")
    return x


def complaints(seed: int, start: datetime, days: int, per_day: int) -> Iterator[Complaint]:
    rng = random.Random(seed)
    gap = 86400 / per_day
    for i in range(days * per_day):
        yield complaint(rng, start + timedelta(seconds=i * gap + rng.uniform(0, gap)))


def fill(app: CareLedger, start: datetime, days: int, per_day: int, per_save: int = 200) -> int:
    pending: list[Complaint] = []
    for x in complaints(7, start, days, per_day):
        pending.append(x)
        if len(pending) == per_save:
            app.save(*pending)
            pending.clear()
    if pending:
        app.save(*pending)
    return app.recorder.max_notification_id() or 0


@dataclass(frozen=True)
class Read:
    label: str
    read: Callable[[ViewStore, datetime, datetime], object]


def filtered(only: Mapping[str, str]) -> Callable[[ViewStore, datetime, datetime], object]:
    return lambda store, start, end: complaint_dashboard(store, start, end, None, only)


READS = [
    Read("unfiltered", lambda store, start, end: complaint_dashboard(store, start, end)),
    Read("department", filtered({"department": "quality"})),
    Read("department + channel", filtered({"department": "quality", "channel": "phone"})),
    Read(
        "all four",
        filtered(
            {
                "department": "quality",
                "agent": "quality-3",
                "channel": "phone",
                "category": "logistics",
            }
        ),
    ),
    Read(
        "by agent, within a department",
        lambda store, start, end: complaint_breakdown(
            store, start, end, "agent", None, {"department": "quality"}
        ),
    ),
]


def cpu_ms(read: Callable[[], object], reads: int) -> tuple[float, float]:
    """The median thread CPU and the median wall time of one read, in ms, after two not
    counted (on PostgreSQL the server's CPU is in the wall time only)."""
    for _ in range(2):
        read()
    spent, waited = [], []
    for _ in range(reads):
        began, started = time.thread_time(), time.perf_counter()
        read()
        spent.append(time.thread_time() - began)
        waited.append(time.perf_counter() - started)
    middle = len(spent) // 2
    return sorted(spent)[middle] * 1e3, sorted(waited)[middle] * 1e3


def measure(
    backend: str, url: str, days: int, args: argparse.Namespace
) -> dict[str, tuple[float, float]]:
    schema = f"bench_filters_{days}"
    settings = bench_settings(url, schema)
    if backend == "sqlite":
        settings = replace(settings, database_url=None)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = start + timedelta(days=days)
    with CareLedger(settings) as app:
        began = time.perf_counter()
        stored = fill(app, start, days, args.per_day)
        filled = time.perf_counter() - began
        store = open_view_store(settings)
        try:
            began = time.perf_counter()
            Runner(app, store, ComplaintDashboardProjection(), batch_size=1000).catch_up()
            print(
                f"  {backend}, {days} days: {stored:,} events ({filled:.0f} s to record,"
                f" {time.perf_counter() - began:.0f} s to project)"
            )
            return {
                r.label: cpu_ms(partial(r.read, store, end - WINDOW, end), args.reads)
                for r in READS
            }
        finally:
            store.close()


def report(
    backend: str, days: list[int], found: dict[int, dict[str, tuple[float, float]]], per_day: int
) -> None:
    small, large = days
    print(f"\n### {backend}: last 30 days of {per_day} complaints a day\n")
    print(
        f"| read | CPU ms, {small} days | x unfiltered | CPU ms, {large} days | x unfiltered"
        f" | CPU {large} / {small} days | wall ms {small} / {large} days |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    base_small, base_large = found[small]["unfiltered"][0], found[large]["unfiltered"][0]
    for r in READS:
        (a, wa), (b, wb) = found[small][r.label], found[large][r.label]
        print(
            f"| {r.label} | {a:.2f} | {a / base_small:.2f} | {b:.2f} | {b / base_large:.2f} |"
            f" {b / a:.2f} | {wa:.2f} / {wb:.2f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-day", type=int, default=150, help="complaints a day")
    parser.add_argument("--days", default="45,450", help="two history lengths, in days")
    parser.add_argument("--reads", type=int, default=40, help="timed reads per figure")
    parser.add_argument("--backend", nargs="+", default=["sqlite"], choices=["sqlite", "postgres"])
    args = parser.parse_args()
    days = sorted(int(d) for d in args.days.split(","))
    if len(days) != 2 or days[0] < 31:
        raise SystemExit("--days takes two lengths of at least 31 days (the window is 30)")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for backend in args.backend:
        server = PostgresServer().start() if backend == "postgres" else None
        try:
            url = server.url if server else ""
            found = {d: measure(backend, url, d, args) for d in days}
        finally:
            if server is not None:
                server.stop()
        report(backend, days, found, args.per_day)
    print(f"\nMachine: {describe()}")
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
