"""Rebuild rate of a read model over a large history on PostgreSQL, against the rate of merely
reading and decoding the same events, in the same run.

    .venv/bin/python -m bench.rebuild [--events 1000000] [--view complaint_dashboard]

Starts a throwaway PostgreSQL 15 (fsync and synchronous_commit on) unless --database-url is given.
Prints a markdown table and the machine it ran on.
"""

from __future__ import annotations

import argparse
import base64
import os
import tempfile
import time
from pathlib import Path

from application.app import CareLedger
from application.settings import Settings
from bench.history import fill
from bench.machine import describe
from projections.catalog import projections
from projections.engine.rebuild import collector_paused, rebuild
from projections.engine.store import open_view_store
from testing.postgres_server import PostgresServer

PAGE = 1000


def read_rate(app: CareLedger, topics: tuple[str, ...], decode: bool) -> tuple[int, float]:
    """Events read (and decoded) per second, from the first to the last, in pages."""
    head = app.recorder.max_notification_id() or 0
    start, count = 0, 0
    began = time.perf_counter()
    while start < head:
        page = app.recorder.select_notifications(
            start=start, limit=PAGE, stop=head, topics=topics, inclusive_of_start=False
        )
        if not page:
            break
        if decode:
            for note in page:
                app.mapper.to_domain_event(note)
        count += len(page)
        start = page[-1].id
    return count, count / (time.perf_counter() - began)


def best(app: CareLedger, topics: tuple[str, ...], decode: bool) -> tuple[int, float]:
    return max((read_rate(app, topics, decode) for _ in range(2)), key=lambda r: r[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--view", default="complaint_dashboard")
    parser.add_argument("--database-url", default=os.environ.get("CARELEDGER_DATABASE_URL"))
    parser.add_argument("--batch-size", type=int, default=20_000, help="events per transaction")
    args = parser.parse_args()
    server = None if args.database_url else PostgresServer(durable=True).start()
    url = args.database_url or (server.url if server else "")
    settings = Settings(
        database_url=url,
        db_schema="bench_rebuild",
        data_dir=Path(tempfile.mkdtemp()),
        master_key=base64.b64decode(base64.b64encode(os.urandom(32))),
    )
    try:
        with CareLedger(settings) as app:
            run(app, settings, args)
    finally:
        if server is not None:
            server.stop()


def run(app: CareLedger, settings: Settings, args: argparse.Namespace) -> None:
    (view,) = projections([args.view])
    began = time.perf_counter()
    stored = fill(app, args.events)
    print(f"history: {stored:,} events stored in {time.perf_counter() - began:.0f}s")
    # Warm the caches first, then take the best of two runs of each (rebuilds too): the
    # comparison must not flatter the rebuild by measuring the reads cold.
    read_rate(app, (), decode=False)
    rows: list[tuple[str, int, float]] = []
    rows.append(("read, all events (raw records)", *best(app, (), decode=False)))
    rows.append(("read + decode, all events", *best(app, (), decode=True)))
    decoded = best(app, view.topics(), decode=True)
    rows.append((f"read + decode, the events {view.name} reads", *decoded))
    # The rebuild pauses the cyclic collector; the baseline gets the same, and the ratio is
    # taken against whichever baseline is faster.
    with collector_paused():
        unpaused = best(app, view.topics(), decode=True)
    rows.append((f"read + decode, the events {view.name} reads, collector paused", *unpaused))
    decoded = max(decoded, unpaused, key=lambda r: r[1])
    store = open_view_store(settings)
    reports = [rebuild(app, store, view, batch_size=args.batch_size) for _ in range(2)]
    store.close()
    for report in reports:
        rows.append(
            (
                f"rebuild {view.name} ({args.batch_size:,} events per transaction)",
                report.events,
                report.rate,
            )
        )
    report = max(reports, key=lambda r: r.rate)
    print(f"\nMachine: {describe()}\n")
    print("| what | events | events/s |\n|---|---:|---:|")
    for label, count, rate in rows:
        print(f"| {label} | {count:,} | {rate:,.0f} |")
    print(
        f"\nbest rebuild / best read+decode of the same events = "
        f"{report.rate / decoded[1]:.2f} (target >= 0.60)"
    )


if __name__ == "__main__":
    main()
