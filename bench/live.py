"""Live latency under load (issue #5): how soon a command's effect is in its read models, and on
a subscription, while 16 clients keep sending commands.

    .venv/bin/python -m bench.live [--seconds 10] [--clients 16] [--database-url URL]

Starts a throwaway PostgreSQL 15 (fsync and synchronous_commit on) unless --database-url is
given, records a customer and 16 x K confirmed orders, then runs the service as production does
(docker-compose.yml): `careledger serve --workers 2`, and every projection in one
`careledger project run` process, which follows the log by LISTEN/NOTIFY. The load is
bench/commands.py's: 16 connections sending `updateEta`, closed loop (wrk, or the asyncio client
in a process of its own). After --warmup s, for --seconds s, a probe files a complaint every
--probe-ms ms, one at a time on a connection of its own, and times from the moment the client
has received the mutation's response (the "ack") until:

- visible in a read model: the view's tracked position, read from `projection_tracking` every
  --poll-ms ms on a database connection of the probe's own, has reached the position the
  mutation returned. The position moves in the transaction that writes the view's rows, so this
  is when any reader could first see the complaint there; no wait logic of the service is in
  it. One row per view that reads ComplaintReceived, and one for the slowest of them.
- read-your-writes: `complaintDashboard(atPosition: p)`, sent right after the ack, answered and
  counting the complaint. This one holds the service's wait (it polls the view every 10 ms) and
  a request.
- pushed: a graphql-transport-ws client, subscribed to complaintDashboardUpdates since before
  the first probe, has received a dashboard that counts the complaint.

--wake picks how the service's waits are woken (CARELEDGER_LIVE_WAKE): `notify` (the default,
as deployed: by the views' own moves and the log's inserts), `poll` (reads every 10 ms, the
feed every 20 ms, as before), or `compare`: --rounds rounds of each, alternating, back to back
on the same server (each on a schema of its own), then every figure of notify beside poll as a
ratio, with the CPU the service and the projections process used a command.

A change seen before the ack counts as 0 ms. A second table times the same from the mutation's
send, and the mutation's round trip. A probe not seen within --timeout s after its ack is
missed, and counts above every percentile; the load goes on through that time, so every probe is
seen under load. Prints the tables, the load's commands/s, whether each p99 <= 100 ms, and the
machine.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import pairwise
from pathlib import Path
from types import FrameType

import psycopg

from api.auth import Role, issue_token
from application.settings import LIVE_WAKES, Settings
from bench.commands import AGENT, prepare, service_load
from bench.commands import Probe as LogProbe
from bench.cpu import tree_cpu
from bench.live_probe import BoardWatch, Filed, PositionWatch, Prober, positions
from bench.live_ratios import Figures, print_ratios
from bench.load import LoadResult, add_load_options, chosen_wrk, load_command, load_result
from bench.machine import describe
from bench.serving import (
    Process,
    Server,
    bench_settings,
    careledger_command,
    careledger_serve,
    percentile,
    service_env,
)
from projections.catalog import projections
from testing.postgres_server import PostgresServer

TARGET_MS = 100.0
FILING = "ComplaintReceived"
SCHEMA = "bench_live"


@dataclass(frozen=True)
class Row:
    label: str
    delays_ms: list[float]  # sorted; inf for a missed probe


@dataclass(frozen=True)
class Run:
    filed: list[Filed]
    watch: PositionWatch
    board: BoardWatch
    load: LoadResult | None  # None: no load (--clients 0)
    cpu: dict[str, float]  # CPU seconds of the service's and the projections' process trees


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds probed")
    parser.add_argument("--warmup", type=float, default=2.0, help="load before the probe")
    add_load_options(parser)  # --workers, --clients (0: no load), --orders-per-client, --client
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="commands/s the load offers in all (default 0: closed loop, as fast as answered)",
    )
    parser.add_argument("--batch-size", type=int, default=1000, help="projection batch")
    parser.add_argument("--probe-ms", type=float, default=75.0, help="a complaint this often")
    parser.add_argument("--poll-ms", type=float, default=2.0, help="view positions read")
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds: a probe missed")
    parser.add_argument("--database-url", default=None, help="use this PostgreSQL instead")
    parser.add_argument(
        "--wake", choices=(*LIVE_WAKES, "compare"), default="notify", help="the waits' wake-up"
    )
    parser.add_argument("--rounds", type=int, default=1, help="with --wake compare: of each")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _exit_on_term)  # so that everything started is stopped
    print(f"load average at start: {load_average()}")
    wrk = chosen_wrk(parser, args)
    server = None if args.database_url else PostgresServer(durable=True).start()
    try:
        url = args.database_url or (server.url if server else "")
        views = [p.name for p in projections() if not p.events or FILING in p.events]
        if args.wake == "compare":
            compare(args, url, wrk, views)
        else:
            report(run(args, url, wrk, args.wake, SCHEMA), views, args, wrk)
    finally:
        if server is not None:
            server.stop()
    print(f"\nMachine: {describe()}")
    print(f"load average at end: {load_average()}")


def _exit_on_term(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def compare(args: argparse.Namespace, url: str, wrk: str | None, views: list[str]) -> None:
    """Rounds of poll and notify, alternating, each reported, then notify beside poll."""
    runs: dict[str, list[Run]] = {wake: [] for wake in LIVE_WAKES}
    for i in range(args.rounds):
        for wake in ("poll", "notify"):
            print(f"\n## round {i + 1}: CARELEDGER_LIVE_WAKE={wake}, load {load_average()}")
            found = run(args, url, wrk, wake, f"{SCHEMA}_{wake}_{i + 1}")
            report(found, views, args, wrk)
            runs[wake].append(found)
    compared = {wake: [figures(r, views, args.timeout) for r in rs] for wake, rs in runs.items()}
    print_ratios(compared, list(compared["poll"][0].delays))


def figures(run: Run, views: list[str], timeout: float) -> Figures:
    """The rows compared: the slowest view, read-your-writes and the push from the ack, then
    the mutation's round trip and the push from the send."""
    from_ack, from_send = rows(run, views, timeout)
    compared = {row.label: row.delays_ms for row in from_ack[-3:]}
    compared.update({f"{row.label} (from the send)": row.delays_ms for row in from_send[::2]})
    span = run.filed[-1].sent - run.filed[0].sent if run.filed else 0.0
    rate = run.load.rate if run.load else None
    return Figures(compared, rate, span, len(run.filed), run.cpu)


def run(args: argparse.Namespace, url: str, wrk: str | None, wake: str, schema: str) -> Run:
    settings = replace(bench_settings(url, schema), live_wake=wake)
    workdir = Path(tempfile.mkdtemp(prefix="careledger-bench-"))
    try:
        return run_in(args, settings, workdir, wrk)
    finally:
        for folder in (workdir, settings.data_dir):
            shutil.rmtree(folder, ignore_errors=True)


def run_in(args: argparse.Namespace, settings: Settings, workdir: Path, wrk: str | None) -> Run:
    url, schema = settings.database_url or "", settings.db_schema
    orders = args.clients * args.orders_per_client
    print(f"recording a customer and {orders} confirmed orders through the application ...")
    order_ids, events_table = prepare(settings, orders)
    head = LogProbe(url, f'"{schema}"."{events_table}"').read().head
    token = issue_token(settings, Role.AGENT, AGENT.id)
    env = service_env(settings)
    runner = careledger_command("project", "run", "--batch-size", str(args.batch_size))
    serve = partial(careledger_serve, workers=args.workers)
    with (
        Process("projections", runner, env, ready=partial(caught_up, url, schema, head)) as fed,
        Server("careledger", serve, env, ready_path="/readyz") as server,
    ):
        seconds = args.warmup + args.seconds + args.timeout
        load = service_load("updateEta", order_ids, token).paced(args.rate, args.clients)
        command = load_command(wrk, server.url, load, seconds, args.clients, workdir)
        window = dashboard_window()
        with (
            PositionWatch(url, schema, args.poll_ms / 1e3) as watch,
            BoardWatch(server.port, token, window) as board,
            Process("load", command) if args.clients else nullcontext() as driver,
        ):
            time.sleep(args.warmup)
            prober = Prober(server.port, token, window, board.base)
            trees = {"service": pid_of(server), "projections": pid_of(fed)}
            before = tree_cpu(trees)
            filed = prober.run(args.seconds, args.probe_ms / 1e3, [watch, board])
            cpu = {k: v - before[k] for k, v in tree_cpu(trees).items()}
            settle(filed, watch, board, args.timeout)
            result = load_result(driver.output(seconds + 60)) if driver else None
    return Run(filed, watch, board, result, cpu)


def pid_of(process: Process) -> int | None:
    return process.process.pid if process.process is not None else None


def caught_up(url: str, schema: str, head: int) -> bool:
    """Every view of the catalog installed and at the log's head."""
    try:
        with psycopg.connect(url, autocommit=True) as connection:
            found = positions(connection, schema)
    except psycopg.errors.UndefinedTable:
        return False
    return len(found) == len(projections()) and min(found.values()) >= head


def dashboard_window() -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "from": (now - timedelta(days=1)).isoformat(),
        "to": (now + timedelta(days=1)).isoformat(),
    }


def settle(filed: list[Filed], watch: PositionWatch, board: BoardWatch, timeout: float) -> None:
    """Waits until the last probe was seen in every view and pushed, or `timeout` s after it."""
    if not filed:
        return
    last = filed[-1]
    while time.perf_counter() < last.acked + timeout:
        watch.check()
        board.check()
        seen = all(line.last >= last.position for line in watch.views.values())
        if seen and board.received.last >= board.base + last.n:
            return
        time.sleep(0.01)


def rows(run: Run, views: list[str], timeout: float) -> tuple[list[Row], list[Row]]:
    """The delays from the ack, then from the send."""

    def in_view(view: str) -> Callable[[Filed], float | None]:
        return lambda f: run.watch.views[view].reached(f.position)

    def everywhere(f: Filed) -> float | None:
        times = [in_view(view)(f) for view in views]
        return None if None in times else max(t for t in times if t is not None)

    def pushed(f: Filed) -> float | None:
        return run.board.received.reached(run.board.base + f.n)

    def answered(f: Filed) -> float | None:
        return f.read_at

    def acked(f: Filed) -> float | None:
        return f.acked

    slowest = f"visible in all {len(views)} views (the slowest of them)"
    pushed_label = "pushed by the `complaintDashboardUpdates` subscription (graphql-transport-ws)"
    measure = partial(delays, run.filed, timeout=timeout)
    from_ack = [
        *(Row(f"visible in `{view}` (tracked position)", measure(in_view(view))) for view in views),
        Row(slowest, measure(everywhere)),
        Row("`complaintDashboard(atPosition)` answered (read-your-writes)", measure(answered)),
        Row(pushed_label, measure(pushed)),
    ]
    from_send = [
        Row("mutation answered (its round trip)", measure(acked, from_send=True)),
        Row(slowest, measure(everywhere, from_send=True)),
        Row(pushed_label, measure(pushed, from_send=True)),
    ]
    return from_ack, from_send


def delays(
    filed: list[Filed],
    seen: Callable[[Filed], float | None],
    *,
    timeout: float,
    from_send: bool = False,
) -> list[float]:
    values = []
    for f in filed:
        at = seen(f)
        start = f.sent if from_send else f.acked
        missed = at is None or at - f.acked > timeout
        values.append(math.inf if missed or at is None else max(0.0, at - start) * 1e3)
    return sorted(values)


def report(run: Run, views: list[str], args: argparse.Namespace, wrk: str | None) -> None:
    if not run.filed:
        raise SystemExit("no probe was sent: give --seconds more than 0")
    client = "wrk -t1" if wrk else "Python asyncio + httpx2, in a process of its own"
    span = run.filed[-1].sent - run.filed[0].sent
    print(
        f"\n{len(run.filed)} probes in {span:.1f} s (one complaint filed at a time, every"
        f" {args.probe_ms:g} ms at most), after a {args.warmup:g} s warm-up of the load; view"
        f" positions read every {args.poll_ms:g} ms; missed: not seen within {args.timeout:g} s."
    )
    if run.load is None:
        print("Load: none (--clients 0), the probe alone.")
    else:
        loop = f"offered at {args.rate:,.0f}/s in all" if args.rate > 0 else "closed loop"
        print(
            f"Load: {args.clients} connections sending `updateEta`, {loop} ({client}):"
            f" {run.load.rate:,.0f} commands/s over its {run.load.seconds:.1f} s, p50"
            f" {run.load.p50_ms:.1f} ms, p99 {run.load.p99_ms:.1f} ms, {run.load.failed} failed."
        )
    cores = ", ".join(f"{tree} {cpu / span:.2f}" for tree, cpu in run.cpu.items())
    print(f"CPU while probed, in cores (process trees): {cores}.")
    from_ack, from_send = rows(run, views, args.timeout)
    table("from the mutation's response received by the client, to …", from_ack, args.timeout)
    table("from the mutation's request sent by the client, to …", from_send, args.timeout)
    if run.load is not None:  # alone, a view moves once per probe: nothing to learn
        cycles(run, views)
    verdict(from_ack)


def table(title: str, table_rows: list[Row], timeout: float) -> None:
    print(f"\n| {title} | probes | missed | p50 ms | p95 ms | p99 ms | max ms | p99 <= 100 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for row in table_rows:
        p50, p95, p99, top = (percentile(row.delays_ms, p) for p in (50, 95, 99, 100))
        missed = sum(math.isinf(d) for d in row.delays_ms)
        figures = " | ".join(ms(x, timeout) for x in (p50, p95, p99, top))
        met = "yes" if p99 <= TARGET_MS else "no"
        print(f"| {row.label} | {len(row.delays_ms)} | {missed} | {figures} | {met} |")


def cycles(run: Run, views: list[str]) -> None:
    """How often each view's position moved while probed: under a steady load the time between
    two moves is about one follower cycle (wake, read, apply)."""
    began, ended = run.filed[0].sent, run.filed[-1].acked
    print("\n| view: its position moved while probed | times | interval p50 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|")
    for view in views:
        moves = [at for at, _ in run.watch.views[view].points if began <= at <= ended]
        gaps = sorted((b - a) * 1e3 for a, b in pairwise(moves))
        figures = " | ".join(f"{percentile(gaps, p):.1f}" for p in (50, 99, 100))
        print(f"| `{view}` | {len(moves)} | {figures} |")


def ms(value: float, timeout: float) -> str:
    return f"> {timeout * 1e3:,.0f}" if math.isinf(value) else f"{value:.1f}"


def verdict(from_ack: list[Row]) -> None:
    """Issue #5's target, on the slowest view and on the push, from the ack."""
    print()
    for row in (from_ack[-3], from_ack[-1]):
        p99 = percentile(row.delays_ms, 99)
        met = "met" if p99 <= TARGET_MS else "missed"
        print(f"target p99 <= {TARGET_MS:.0f} ms, {row.label}: p99 {p99:.1f} ms, {met}")


if __name__ == "__main__":
    main()
