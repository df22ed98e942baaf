"""The row-level export at a million complaints: rows/s and peak memory of streaming a window
as CSV, against a plain SELECT of the same rows in the same run, at 100k and at 1M rows.

    .venv/bin/python -m bench.export [--rows 1000000] [--small 100000] [--backend sqlite postgres]

The fast path: the rows go straight into the `export_rows` view's `complaint_rows` table
(COPY on PostgreSQL, executemany on SQLite) in time order, one every half second, as the
projection would have written them; no event is recorded, so the figures are the export's
alone. Each measure then runs in a fresh process of its own (`--child`), which reports its
rows, seconds and peak RSS (`ru_maxrss`, the process's high-water mark, so the peak of that
measure and nothing else), and, in a second run under tracemalloc, the peak of the Python
heap. Measures:

- `select`: one plain SELECT of the window's rows in the export's order, iterated a thousand at
  a time (psycopg's client-side cursor holds the whole result, as a naive export would);
- `select+csv`: the same, each page written by csv.writer as stored (no time formatted);
- `csv`: `csv_chunks`, the export's own pages and CSV writing, as an analyst (every personal
  cell sealed, decided per row), the chunks thrown away;
- `route`: `GET /export/complaints.csv` through the service's ASGI app in process (the token,
  the StreamingResponse, a worker thread per page), the body thrown away.

Starts a throwaway PostgreSQL 15 on 127.0.0.1 for the postgres backend; prints markdown tables
and the machine it ran on.
"""

from __future__ import annotations

import argparse
import base64
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import anyio

from api.auth import Principal, Role, issue_token
from api.export.csv_stream import csv_chunks
from api.export.kinds import COMPLAINTS
from api.export.personal import PersonalColumns
from application.app import CareLedger
from application.settings import Settings
from bench.machine import describe
from projections.engine import tracking
from projections.engine.store import ViewStore, open_view_store
from projections.views.export_rows import COMPLAINT_ROWS, ComplaintRow, ExportRowsProjection
from testing.postgres_server import PostgresServer

START = datetime(2026, 1, 1, tzinfo=UTC)
STEP_S = 0.5
FILL_BATCH = 50_000
SCHEMA = "bench_export"
CATEGORIES = ("product_quality", "service_attitude", "after_sales", "logistics", "food_safety")
DEPARTMENTS = (None, "customer_service", "technical", "after_sales", "logistics", "quality")
CHANNELS = ("app", "phone", "web", "chat", "email")
MEASURES = ("select", "select+csv", "csv", "route")
SAMPLE_S = 0.005


def synthetic(i: int) -> ComplaintRow:
    """Complaint `i`, received `i` half-seconds after START: some open, most answered,
    resolved and closed, every fifth surveyed, a few clocks breached."""
    received = START.timestamp() + i * STEP_S
    closed = i % 4 != 0
    department = DEPARTMENTS[i % len(DEPARTMENTS)]
    return ComplaintRow(
        complaint_id=str(UUID(int=i)),
        customer_id=str(UUID(int=10**9 + i % 50_000)),
        order_id=str(UUID(int=2 * 10**9 + i)) if i % 3 else None,
        channel=CHANNELS[i % len(CHANNELS)],
        status="Closed" if closed else "InProgress",
        category=CATEGORIES[i % len(CATEGORIES)],
        subcategory="other",
        severity=("general", "major", "urgent")[i % 3],
        department=department,
        assignee=None if department is None else f"agent-{i % 40}",
        escalation_level=int(i % 17 == 0),
        reopened=int(i % 29 == 0),
        outcome="explained" if closed else None,
        received_at=received,
        first_response_at=received + 30 + i % 200,
        classified_at=received + 300,
        resolved_at=received + 3600 + i % 7200 if closed else None,
        ended_at=received + 7200 + i % 7200 if closed else None,
        sla_first_response="breached" if i % 200 > 120 else "met",
        sla_registration="met",
        sla_resolution="met" if closed else None,
        sla_technical_handback="met" if department == "technical" else None,
        sla_after_sales_handback=None,
        survey_status="Responded" if closed and i % 5 == 0 else None,
        csat=(i % 6) / 5 if closed and i % 5 == 0 else None,
        position=i + 1,
    )


def fill(store: ViewStore, rows: int) -> float:
    """Writes `rows` complaint rows into a fresh export_rows view; the seconds it took."""
    projection = ExportRowsProjection()
    with store.transaction() as tx:
        tracking.install(tx, projection)
        generation = tracking.active_generation(tx, projection.name)
    assert generation is not None
    table = tracking.prefix(projection.name, generation) + COMPLAINT_ROWS.name
    began = time.perf_counter()
    for first in range(0, rows, FILL_BATCH):
        batch = (synthetic(i) for i in range(first, min(rows, first + FILL_BATCH)))
        with store.transaction(durable=False) as tx:
            tx.insert_rows(table, COMPLAINT_ROWS.names, batch)
    return time.perf_counter() - began


def window(rows: int) -> tuple[datetime, datetime]:
    return START, START + timedelta(seconds=rows * STEP_S)


# --- one measure, in a process of its own -------------------------------------------------


class Stopwatch:
    """Started when the rows begin to flow, after the measure's setup: its seconds, and the
    process's RSS high-water mark then (what the setup took)."""

    traced_before = 0

    def start(self) -> None:
        self.rss_before_kib = self.rss_peak_kib = rss_kib()
        if tracemalloc.is_tracing():
            tracemalloc.reset_peak()
            self.traced_before = tracemalloc.get_traced_memory()[0]
        self.done = threading.Event()
        self.sampler = threading.Thread(target=self._sample, daemon=True)
        self.sampler.start()
        self.began = time.perf_counter()

    def stop(self) -> None:
        self.seconds = time.perf_counter() - self.began
        self.done.set()
        self.sampler.join()

    def _sample(self) -> None:
        while not self.done.wait(SAMPLE_S):
            self.rss_peak_kib = max(self.rss_peak_kib, rss_kib())


def rss_kib() -> int:
    """The process's resident set now (/proc/self/statm)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


def plain_select(store: ViewStore, rows: int, watch: Stopwatch, write: bool = False) -> int:
    start, end = window(rows)
    watch.start()
    with store.transaction() as tx:
        cursor = tx._cursor
        sql = (
            f"SELECT {COMPLAINT_ROWS.select_list} FROM {prefix(tx)}{COMPLAINT_ROWS.name}"
            " WHERE received_at >= ? AND received_at < ? ORDER BY received_at, complaint_id"
        )
        cursor.execute(tx._sql(sql), (start.timestamp(), end.timestamp()))
        count = 0
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        while page := cursor.fetchmany(1000):
            count += len(page)
            if write:  # the stored values as they are, no time formatted, nothing sealed
                writer.writerows(page)
                buffer.seek(0)
                buffer.truncate()
    watch.stop()
    return count


def prefix(tx: Any) -> str:
    generation = tracking.active_generation(tx, ExportRowsProjection.name)
    assert generation is not None
    return tracking.prefix(ExportRowsProjection.name, generation)


def csv_rows(store: ViewStore, ledger: CareLedger, rows: int, watch: Stopwatch) -> int:
    personal = PersonalColumns.of(Principal("bench", Role.ANALYST), ledger, store)
    lines = 0
    watch.start()
    for chunk in csv_chunks(store, COMPLAINTS, personal, *window(rows)):
        lines += chunk.count("\r\n")
    watch.stop()
    return lines - 1


def route_rows(settings: Settings, rows: int, watch: Stopwatch) -> int:
    from api.app import create_app

    service = create_app(settings)
    start, end = window(rows)
    token = issue_token(settings, Role.ANALYST, "bench").encode()
    query = f"from={start.isoformat()}&to={end.isoformat()}".replace("+", "%2B").encode()
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/export/complaints.csv",
        "raw_path": b"/export/complaints.csv",
        "query_string": query,
        "headers": [(b"authorization", b"Bearer " + token), (b"host", b"bench")],
        "client": ("127.0.0.1", 1),
        "server": ("bench", 80),
    }
    lines = 0

    async def receive() -> dict[str, Any]:
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async def send(message: Any) -> None:
        nonlocal lines
        if message["type"] == "http.response.start":
            assert message["status"] == 200, message
        elif message["type"] == "http.response.body":
            lines += message.get("body", b"").count(b"\r\n")

    async def call() -> None:
        await service(scope, receive, send)

    try:
        watch.start()
        anyio.run(call)
        watch.stop()
    finally:
        service.state.services.views.close()
        service.state.services.ledger.close()
    return lines - 1


def child(args: argparse.Namespace) -> None:
    settings = bench_settings(args.database_url, Path(args.data_dir))
    if args.trace:
        tracemalloc.start()
    watch = Stopwatch()
    if args.child == "route":
        count = route_rows(settings, args.window, watch)
    else:
        store = open_view_store(settings)
        try:
            if args.child.startswith("select"):
                count = plain_select(store, args.window, watch, args.child == "select+csv")
            else:
                with CareLedger(settings) as ledger:
                    count = csv_rows(store, ledger, args.window, watch)
        finally:
            store.close()
    traced = tracemalloc.get_traced_memory()[1] - watch.traced_before if args.trace else None
    result = {
        "rows": count,
        "seconds": watch.seconds,
        "rss_before_kib": watch.rss_before_kib,
        "rss_peak_kib": watch.rss_peak_kib,
        "traced_peak_bytes": traced,
    }
    print(json.dumps(result))


# one master key for the run: every measure's process opens the same key store
MASTER_KEY = os.environ.setdefault(
    "BENCH_EXPORT_MASTER_KEY", base64.b64encode(os.urandom(32)).decode()
)


def bench_settings(database_url: str | None, data_dir: Path) -> Settings:
    return Settings(
        database_url=database_url,
        db_schema=SCHEMA,
        data_dir=data_dir,
        master_key=base64.b64decode(MASTER_KEY),
    )


def measure(
    what: str, rows: int, database_url: str | None, data_dir: Path, trace: bool
) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.export", "--child", what, "--window", str(rows)]
    command += ["--data-dir", str(data_dir)]
    command += ["--database-url", database_url] if database_url else []
    command += ["--trace"] if trace else []
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"the {what} measure failed:\n{done.stderr}")
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if found["rows"] != rows:
        raise RuntimeError(f"{what} read {found['rows']:,} rows of {rows:,}")
    return found


# --- the run ------------------------------------------------------------------------------


def run_backend(backend: str, rows: int, small: int) -> list[tuple[Any, ...]]:
    server = PostgresServer().start() if backend == "postgres" else None
    data_dir = Path(tempfile.mkdtemp(prefix="careledger-bench-export-"))
    url = server.url if server else None
    try:
        store = open_view_store(bench_settings(url, data_dir))
        try:
            seconds = fill(store, rows)
        finally:
            store.close()
        print(f"{backend}: {rows:,} complaint rows written in {seconds:.0f}s", flush=True)
        table = []
        for size in (small, rows):
            for what in MEASURES:
                timed = measure(what, size, url, data_dir, trace=False)
                traced = measure(what, size, url, data_dir, trace=True)
                table.append((backend, what, size, timed, traced))
                print(line(table[-1], rate_of(table, backend, size)), flush=True)
        return table
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        if server is not None:
            server.stop()


HEADER = (
    "| backend | measure | rows | rows/s | x select | peak RSS MiB | RSS growth MiB"
    " | Python heap growth MiB (tracemalloc) |\n|---|---|---:|---:|---:|---:|---:|---:|"
)


def rate_of(results: list[tuple[Any, ...]], backend: str, size: int) -> float:
    """The plain SELECT's rows/s for this backend and window (measured first)."""
    for b, what, n, timed, _ in results:
        if (b, what, n) == (backend, "select", size):
            return float(timed["rows"] / timed["seconds"])
    raise LookupError("the select baseline runs first")


def line(result: tuple[Any, ...], baseline: float) -> str:
    backend, what, size, timed, traced = result
    rate = timed["rows"] / timed["seconds"]
    growth = (timed["rss_peak_kib"] - timed["rss_before_kib"]) / 1024
    return (
        f"| {backend} | {what} | {size:,} | {rate:,.0f} | {rate / baseline:.2f}"
        f" | {timed['rss_peak_kib'] / 1024:.0f} | {growth:.1f}"
        f" | {traced['traced_peak_bytes'] / 2**20:.1f} |"
    )


def report(results: list[tuple[Any, ...]]) -> None:
    print(f"\nMachine: {describe()}\n")
    print(HEADER)
    baseline = {(b, n): t["rows"] / t["seconds"] for b, w, n, t, _ in results if w == "select"}
    for result in results:
        print(line(result, baseline[result[0], result[2]]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--backend", nargs="+", choices=("sqlite", "postgres"))
    parser.add_argument("--child", choices=MEASURES, help=argparse.SUPPRESS)
    parser.add_argument("--window", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    load = os.getloadavg()[0]
    print(f"load average at the start: {load:.2f}", flush=True)
    results = []
    for backend in args.backend or ("sqlite", "postgres"):
        results += run_backend(backend, args.rows, args.small)
    report(results)
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
