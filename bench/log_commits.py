"""Commits from several processes, with the library's table lock and with the log's claim.

    .venv/bin/python -m bench.log_commits [--processes 2] [--threads 8] [--duration 8]

Starts a throwaway PostgreSQL 15 (fsync and synchronous_commit on). For each way of writing,
`--processes` processes with `--threads` threads each commit one event per transaction through
the recorder, closed loop, for `--duration` seconds after a warm-up, into a table of their own:
1. **table lock**: the library's `PostgresApplicationRecorder` (`LOCK TABLE ... IN EXCLUSIVE
   MODE` and `NOTIFY` inside each transaction, held through its WAL flush);
2. **claim**: CareLedger's recorder (`application/log_order.py`: ids and transaction id
   claimed under a lock released within the statement, `NOTIFY` after the commit);
3. **claim, NOTIFY inside the transaction**: the same, with the `NOTIFY` sent inside the
   transaction, which takes the database's notification lock at commit until it has ended.
No HTTP and no group commit: what the commit path alone allows across processes. Prints
commits/s, events per WAL flush, and CPU per commit of PostgreSQL and of the writers.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import threading
import time
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import psycopg
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

from application import recorders
from application.recorders import PostgresReceiptRecorder
from bench.cpu import tree_cpu
from bench.machine import describe
from testing.postgres_server import PostgresServer

SCHEMA = "bench_log"
STATE = os.urandom(496)  # the size of the service's last event in bench.commands
WAYS = {
    "table lock": "stock_events",
    "claim": "claimed_events",
    "claim, NOTIFY inside the transaction": "notified_events",
}


@dataclass(frozen=True)
class Result:
    way: str
    commits: int
    seconds: float
    wal_syncs: int
    postgres_cpu_s: float
    writers_cpu_s: float


def recorder(port: int, way: str, threads: int) -> PostgresApplicationRecorder:
    datastore = PostgresDatastore(
        "postgres", "127.0.0.1", str(port), "postgres", "", schema=SCHEMA, pool_size=threads
    )
    table = WAYS[way]
    if way == "table lock":
        return PostgresApplicationRecorder(datastore, events_table_name=table)
    return PostgresReceiptRecorder(datastore, events_table_name=table)


def notify_inside(chosen: PostgresReceiptRecorder, stored: list[StoredEvent]) -> None:
    """The claim's transaction with the NOTIFY inside it, as the library sends it."""
    with chosen.datastore.get_connection() as conn, conn.transaction():
        conn.execute(chosen.log_order.claim, (len(stored),))
        conn.execute(chosen.log_order.insert, recorders._columns(stored))
        conn.execute(chosen.sql_notify)


def write(port: int, way: str, threads: int, start: Any, stop_at: Any, counts: Any) -> None:
    """One process: `threads` threads committing until `stop_at` (time.time())."""
    chosen = recorder(port, way, threads)
    done = [0] * threads

    def commit(i: int) -> None:
        start.wait()
        while time.time() < stop_at.value:
            stored = [StoredEvent(uuid4(), 1, "bench.Happened", STATE)]
            if way.startswith("claim,"):
                assert isinstance(chosen, PostgresReceiptRecorder)
                notify_inside(chosen, stored)
            else:
                chosen.insert_events(stored)
            done[i] += 1

    workers = [threading.Thread(target=commit, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    counts.put(sum(done))


def wal_syncs(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT wal_sync FROM pg_stat_wal").fetchone()
    return int(row[0]) if row else 0


def measure(pg: PostgresServer, way: str, args: argparse.Namespace) -> Result:
    with psycopg.connect(pg.url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        conn.execute("CHECKPOINT")
    recorder(pg.port, way, 1).create_table()
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Barrier(args.processes * args.threads + 1)
    stop_at = spawn.Value("d", float("inf"))
    counts: Any = spawn.Queue()
    processes = [
        spawn.Process(target=write, args=(pg.port, way, args.threads, start, stop_at, counts))
        for _ in range(args.processes)
    ]
    for process in processes:
        process.start()
    start.wait()
    time.sleep(args.warmup)
    roots = {"postgres": pg.postmaster_pid(), **{str(p.pid): p.pid for p in processes}}
    cpu_before, syncs_before, rows_before = tree_cpu(roots), wal_syncs(pg.url), rows(pg, way)
    began = time.monotonic()
    time.sleep(args.duration)
    cpu_after, syncs_after, rows_after = tree_cpu(roots), wal_syncs(pg.url), rows(pg, way)
    seconds = time.monotonic() - began
    stop_at.value = time.time()
    for _ in processes:
        counts.get(timeout=60)
    for process in processes:
        process.join(timeout=60)
    cpu = {name: cpu_after[name] - cpu_before[name] for name in roots}
    return Result(
        way,
        rows_after - rows_before,
        seconds,
        syncs_after - syncs_before,
        cpu.pop("postgres"),
        sum(cpu.values()),
    )


def rows(pg: PostgresServer, way: str) -> int:
    with psycopg.connect(pg.url, autocommit=True) as conn:
        row = conn.execute(f"SELECT count(*) FROM {SCHEMA}.{WAYS[way]}").fetchone()
    return int(row[0]) if row else 0


def report(results: list[Result], args: argparse.Namespace) -> None:
    print(
        f"\n{args.processes} processes x {args.threads} threads, one event per transaction,"
        f" closed loop, {args.duration:g} s after a {args.warmup:g} s warm-up\n"
    )
    print(
        "| way | commits/s | events per WAL flush | PostgreSQL CPU us/commit |"
        " writers CPU us/commit |"
    )
    print("|---|---:|---:|---:|---:|")
    for r in results:
        n = max(r.commits, 1)
        print(
            f"| {r.way} | {r.commits / r.seconds:,.0f} | {r.commits / max(r.wal_syncs, 1):.2f} |"
            f" {r.postgres_cpu_s / n * 1e6:,.0f} | {r.writers_cpu_s / n * 1e6:,.0f} |"
        )
    lock, claim, _ = results
    ratio = (claim.commits / claim.seconds) / max(lock.commits / lock.seconds, 1e-9)
    print(f"\nclaim / table lock, commits/s = {ratio:.2f}")
    print(f"\nMachine: {describe()}")
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8, help="per process")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before, not counted")
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    pg = PostgresServer(durable=True).start()
    try:
        report([measure(pg, way, args) for way in WAYS], args)
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
