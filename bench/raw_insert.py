"""The PostgreSQL ceiling for durable writes: one INSERT per transaction (autocommit) from N
connections at once, each in a process of its own, into a table shaped like the event table."""

from __future__ import annotations

import multiprocessing
import queue
import time
from dataclasses import dataclass
from uuid import uuid4

import psycopg

SCHEMA = "bench_raw"
MAX_INSERTS_PER_CONNECTION = 5_000_000  # a bound besides time, never reached in practice
TABLE = f"""
CREATE TABLE IF NOT EXISTS {SCHEMA}.stored_events (
    originator_id uuid NOT NULL, originator_version bigint NOT NULL, topic text, state bytea,
    notification_id bigserial, PRIMARY KEY (originator_id, originator_version));
CREATE UNIQUE INDEX IF NOT EXISTS stored_events_notification_id
    ON {SCHEMA}.stored_events (notification_id ASC)
"""
INSERT = (
    f"INSERT INTO {SCHEMA}.stored_events (originator_id, originator_version, topic, state)"
    " VALUES (%s, %s, %s, %s)"
)


@dataclass(frozen=True)
class InsertRun:
    inserts: int
    seconds: float
    latencies: list[float]  # seconds, sorted

    @property
    def rate(self) -> float:
        return self.inserts / self.seconds if self.seconds else 0.0


def create_table(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        connection.execute(TABLE)


def insert_rate(url: str, topic: str, state: bytes, connections: int, seconds: float) -> InsertRun:
    """Every process connects, waits for the others, then inserts for `seconds`."""
    context = multiprocessing.get_context("fork")  # the caller holds no connection or thread
    start = context.Barrier(connections)
    results: multiprocessing.Queue[tuple[int, float, list[float]]] = context.Queue()
    workers = [
        context.Process(target=_insert, args=(url, topic, state, seconds, start, results))
        for _ in range(connections)
    ]
    for worker in workers:
        worker.start()
    try:
        found = [results.get(timeout=seconds + 120) for _ in workers]
    except queue.Empty:
        raise RuntimeError("an insert process gave no result") from None
    finally:
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.terminate()
                worker.join(timeout=10)
    latencies = sorted(x for _, _, measured in found for x in measured)
    return InsertRun(sum(n for n, _, _ in found), max(s for _, s, _ in found), latencies)


def _insert(
    url: str,
    topic: str,
    state: bytes,
    seconds: float,
    start: multiprocessing.synchronize.Barrier,
    results: multiprocessing.Queue[tuple[int, float, list[float]]],
) -> None:
    latencies: list[float] = []
    with psycopg.connect(url, autocommit=True) as connection:
        start.wait(timeout=120)
        began = time.perf_counter()
        deadline = time.monotonic() + seconds
        for _ in range(MAX_INSERTS_PER_CONNECTION):
            if time.monotonic() >= deadline:
                break
            sent = time.perf_counter()
            connection.execute(INSERT, (uuid4(), 1, topic, state), prepare=True)
            latencies.append(time.perf_counter() - sent)
        elapsed = time.perf_counter() - began
    results.put((len(latencies), elapsed, latencies))
