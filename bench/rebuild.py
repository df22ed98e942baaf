"""Rebuild rate of a read model over a large history on PostgreSQL, against the rate of merely
reading and decoding the same events, in the same run.

    .venv/bin/python -m bench.rebuild [--events 1000000] [--view complaint_dashboard]

Starts a throwaway PostgreSQL 15 (fsync and synchronous_commit on) unless --database-url is given.
Prints a markdown table and the machine it ran on.

The baseline is the whole decode: every event of the view's topics read in pages and turned
into its domain event by the application's mapper, on one thread. A rebuild of a view that
names the fields it reads decodes only those (projections/engine/partial.py), in a reading
process of its own (projections/engine/reader_process.py); the table also shows that decoding
alone, a rebuild reading the fields on a thread of its process, and one decoding whole events
on a thread (the rebuild as it was), for comparison. The CPU columns are the CPU time of this
process (all its threads), of its reading processes, and of the throwaway PostgreSQL's
processes, over the events: figures load distorts less than the rates.
"""

from __future__ import annotations

import argparse
import base64
import os
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eventsourcing.persistence import Notification

from application.app import CareLedger
from application.settings import Settings
from bench.history import fill
from bench.machine import describe
from projections.catalog import projections
from projections.engine.projection import Projection
from projections.engine.rebuild import collector_paused, decoder_for, rebuild
from projections.engine.store import ViewStore, open_view_store
from testing.postgres_server import PostgresServer

PAGE = 1000


# events, events per second, and CPU us an event: this process's, its reading processes',
# PostgreSQL's (None: not known, a server of someone else's)
Rate = tuple[int, float, float, float, float | None]
Decode = Callable[[Notification], Any] | None
SERVER: PostgresServer | None = None  # the throwaway server, whose processes' CPU is counted


def server_cpu() -> float | None:
    """CPU seconds of the throwaway PostgreSQL's processes so far (the postmaster and the
    backends now running), from /proc."""
    if SERVER is None:
        return None
    postmaster = int((SERVER.data / "postmaster.pid").read_text().split()[0])
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        pid, ppid = int(stat.parent.name), int(fields[1])
        if postmaster in (pid, ppid):
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


class Clock:
    """Wall time and the CPU time of this process, its reaped children and the server."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.children = children.ru_utime + children.ru_stime
        self.server = server_cpu()

    def rate(self, count: int) -> Rate:
        now = Clock()
        per = 1e6 / count if count else 0.0
        server = None if self.server is None or now.server is None else now.server - self.server
        return (
            count,
            count / (now.wall - self.wall),
            (now.cpu - self.cpu) * per,
            (now.children - self.children) * per,
            None if server is None else server * per,
        )


def read_rate(app: CareLedger, topics: tuple[str, ...], decode: Decode) -> Rate:
    """Events read (and decoded, by `decode`) per second, from the first to the last, in
    pages."""
    head = app.recorder.max_notification_id() or 0
    start, count = 0, 0
    clock = Clock()
    while start < head:
        page = app.recorder.select_notifications(
            start=start, limit=PAGE, stop=head, topics=topics, inclusive_of_start=False
        )
        if not page:
            break
        if decode is not None:
            for note in page:
                decode(note)
        count += len(page)
        start = page[-1].id
    return clock.rate(count)


def best(app: CareLedger, topics: tuple[str, ...], decode: Decode) -> Rate:
    return max((read_rate(app, topics, decode) for _ in range(2)), key=lambda r: r[1])


def rebuilt(
    app: CareLedger, store: ViewStore, view: Projection, batch: int, partial: bool, process: bool
) -> Rate:
    """A rebuild's rate, and the CPU of this process (not of a reading process) an event."""
    clock = Clock()
    process_from = 0 if process else None
    report = rebuild(
        app, store, view, batch_size=batch, partial=partial, reader_process_from=process_from
    )
    if report.decoded_whole:
        print(f"({report.decoded_whole:,} events decoded whole)")
    return clock.rate(report.events)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--view", default="complaint_dashboard")
    parser.add_argument("--database-url", default=os.environ.get("CARELEDGER_DATABASE_URL"))
    parser.add_argument("--batch-size", type=int, default=20_000, help="events per transaction")
    args = parser.parse_args()
    global SERVER
    server = SERVER = None if args.database_url else PostgresServer(durable=True).start()
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
    whole = app.mapper.to_domain_event
    read_rate(app, (), None)
    rows: list[tuple[str, Rate]] = []
    rows.append(("read, all events (raw records)", best(app, (), None)))
    rows.append(("read + decode, all events", best(app, (), whole)))
    decoded = best(app, view.topics(), whole)
    rows.append((f"read + decode, the events {view.name} reads", decoded))
    # The rebuild pauses the cyclic collector; the baseline gets the same, and the ratio is
    # taken against whichever baseline is faster.
    with collector_paused():
        unpaused = best(app, view.topics(), whole)
    rows.append((f"read + decode, the events {view.name} reads, collector paused", unpaused))
    decoded = max(decoded, unpaused, key=lambda r: r[1])
    if (decoder := decoder_for(app, view)) is not None:
        with collector_paused():
            fields = best(app, view.topics(), decoder.decode)
        rows.append((f"read + decode only the fields {view.name} reads, collector paused", fields))
    store = open_view_store(settings)
    batch = args.batch_size
    label = f"rebuild {view.name} ({batch:,} events per transaction)"
    fast = [rebuilt(app, store, view, batch, True, True) for _ in range(2)]
    here = [rebuilt(app, store, view, batch, True, False)] if decoder else []
    slow = [rebuilt(app, store, view, batch, False, False) for _ in range(2)] if decoder else []
    store.close()
    for n, rate in enumerate(fast, 1):
        what = "its fields read by a reading process" if decoder else "whole events decoded"
        rows.append((f"{label}, {what}, run {n}", rate))
    for rate in here:
        rows.append((f"{label}, its fields read on a thread of this process", rate))
    for n, rate in enumerate(slow, 1):
        rows.append((f"{label}, whole events decoded on a thread (as before), run {n}", rate))
    print(f"\nMachine: {describe()}\n")
    print(
        "| what | events | events/s | CPU us/event: this process | reading process "
        "| PostgreSQL |\n|---|---:|---:|---:|---:|---:|"
    )
    for what, (count, per_s, cpu, reader, server) in rows:
        pg = "-" if server is None else f"{server:.1f}"
        print(f"| {what} | {count:,} | {per_s:,.0f} | {cpu:.1f} | {reader:.1f} | {pg} |")
    top = max(fast, key=lambda r: r[1])[1]
    print(
        f"\nbest rebuild / best read+decode (whole events, the mapper) of the same events = "
        f"{top / decoded[1]:.2f} (target >= 0.80)"
    )
    for what, runs in (("its fields on a thread", here), ("whole events (as before)", slow)):
        if runs:
            ratio = max(runs, key=lambda r: r[1])[1] / decoded[1]
            print(f"best rebuild reading {what} / the same baseline = {ratio:.2f}")


if __name__ == "__main__":
    main()
