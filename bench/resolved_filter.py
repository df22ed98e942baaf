"""What the distinct complaints resolved cost a filtered complaint dashboard: before, every
resolution of the window joined to its complaint's facts and filtered there; now, the
resolution rows carry the complaint's slices and the filter reads its own rows through their
index. Both queries run in the same run on the same rows, beside the whole filtered dashboard.

    .venv/bin/python -m bench.resolved_filter [--per-day 300] [--days 45] [--reads 40]
                                              [--backend sqlite postgres]

The history is bench/filters.py's (complaints every day, each resolved, over 6 departments and
60 agents); the window is the last 30 days, filtered by one department and by one agent. The
"before" query is the one complaint_dashboard_slices.resolved_by ran until the rows carried the
slices, run here on today's tables (the same rows, joined to complaint_facts as it was). Thread
CPU (time.thread_time) and wall time per read, medians: compare the ratios on a loaded machine.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial

from application.app import CareLedger
from bench.filters import fill
from bench.machine import describe
from bench.serving import bench_settings
from projections.engine.reading import active_prefix, hours_between
from projections.engine.runner import Runner
from projections.engine.store import ViewStore, open_view_store
from projections.views.complaint_dashboard import ComplaintDashboardProjection, complaint_dashboard
from projections.views.complaint_dashboard_slices import resolved_by
from testing.postgres_server import PostgresServer

WINDOW = timedelta(days=30)
FILTERS = {"one department": {"department": "quality"}, "one agent": {"agent": "quality-3"}}


def before(store: ViewStore, hours: tuple[int, int], where: dict[str, str]) -> dict[str, int]:
    """The join resolved_by ran before the resolution rows kept the slices."""
    with store.transaction() as tx:
        p = active_prefix(tx, ComplaintDashboardProjection.name)
        condition = "".join(f" AND f.{by} = ?" for by in where)
        rows = tx.all(
            f"SELECT '', COUNT(DISTINCT r.complaint_id) FROM {p}complaint_resolutions r"
            f" JOIN {p}complaint_facts f ON f.complaint_id = r.complaint_id"
            f" WHERE r.hour BETWEEN ? AND ?{condition}",
            [*hours, *where.values()],
        )
    return {v: int(n) for v, n in rows}


def now(store: ViewStore, hours: tuple[int, int], where: dict[str, str]) -> dict[str, int]:
    with store.transaction() as tx:
        p = active_prefix(tx, ComplaintDashboardProjection.name)
        return resolved_by(tx, p, hours, None, where)


def timed(read: Callable[[], object], reads: int) -> tuple[float, float]:
    """Median thread CPU and wall milliseconds of one read, after two not counted."""
    for _ in range(2):
        read()
    cpu, wall = [], []
    for _ in range(reads):
        c, w = time.thread_time(), time.perf_counter()
        read()
        cpu.append(time.thread_time() - c)
        wall.append(time.perf_counter() - w)
    return sorted(cpu)[reads // 2] * 1e3, sorted(wall)[reads // 2] * 1e3


def measure(backend: str, url: str, args: argparse.Namespace) -> None:
    settings = bench_settings(url, "bench_resolved_filter")
    if backend == "sqlite":
        settings = replace(settings, database_url=None)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = start + timedelta(days=args.days)
    hours = hours_between(end - WINDOW, end)
    with CareLedger(settings) as app:
        stored = fill(app, start, args.days, args.per_day)
        store = open_view_store(settings)
        try:
            Runner(app, store, ComplaintDashboardProjection(), batch_size=1000).catch_up()
            print(f"\n### {backend}: {stored:,} events, last 30 of {args.days} days\n")
            print(
                "| filter | resolved | before CPU / wall ms | now CPU / wall ms |"
                " now / before (CPU, wall) | whole filtered dashboard CPU / wall ms |"
            )
            print("|---|---:|---:|---:|---:|---:|")
            for label, where in FILTERS.items():
                old, new = before(store, hours, where), now(store, hours, where)
                assert old == new, (old, new)  # the same figure both ways
                b = timed(partial(before, store, hours, where), args.reads)
                n = timed(partial(now, store, hours, where), args.reads)
                d = timed(
                    partial(complaint_dashboard, store, end - WINDOW, end, None, where),
                    args.reads,
                )
                print(
                    f"| {label} | {new.get('', 0):,} | {b[0]:.2f} / {b[1]:.2f} |"
                    f" {n[0]:.2f} / {n[1]:.2f} | {n[0] / b[0]:.2f}, {n[1] / b[1]:.2f} |"
                    f" {d[0]:.2f} / {d[1]:.2f} |"
                )
        finally:
            store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-day", type=int, default=300, help="complaints a day")
    parser.add_argument("--days", type=int, default=45, help="history length, at least 31")
    parser.add_argument("--reads", type=int, default=40, help="timed reads per figure")
    parser.add_argument("--backend", nargs="+", default=["sqlite"], choices=["sqlite", "postgres"])
    args = parser.parse_args()
    if args.days < 31:
        raise SystemExit("--days must be at least 31 (the window is 30)")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for backend in args.backend:
        server = PostgresServer().start() if backend == "postgres" else None
        try:
            measure(backend, server.url if server else "", args)
        finally:
            if server is not None:
                server.stop()
    print(f"\nMachine: {describe()}")
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
