"""Notices end to end: requested by commands under load, delivered to a real SMTP server.

    .venv/bin/python -m bench.notifications [--rate 500] [--duration 10] [--notifiers 1]
        [--workers 16]

Starts a throwaway PostgreSQL 15 (fsync and synchronous_commit on), an SMTP server on 127.0.0.1
(aiosmtpd, in a process of its own that logs each arrival: `bench/smtp_arrivals.py`) and
`careledger notices run` against both, then, in one run:
1. the channel's own ceiling: the SMTP channel alone sending rendered messages from 8 threads;
2. commands paced at `--rate` per second for `--duration` seconds, each an order confirmation
   by e-mail (`sendOrderConfirmation` through the application), the command's acknowledgement
   time kept per notice;
   (first one notice, waited for: the load meets a delivery process that has started);
3. waits until every notice arrived at the SMTP server (its `Message-ID` names the
   notification), and prints notices/s end to end, request (acknowledged) -> arrived p50/p99,
   the delivery processes' CPU time a notice (from /proc: the figure a loaded machine
   distorts least), and the ratios: delivered rate / command rate, and delivered rate / the
   channel's ceiling.
Target (issue #11): every notice of a 500 commands/s load sent within 1 s p99.
"""

from __future__ import annotations

import argparse
import itertools
import os
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID, uuid5

from application.app import CareLedger
from application.customers import ContactDetails
from application.handling import ID_NAMESPACE
from bench.cpu import tree_cpu
from bench.machine import describe
from bench.serving import Process, bench_settings, careledger_command, percentile, service_env
from bench.smtp_arrivals import Arrivals
from delivery.channels.base import ChannelKind, Message
from delivery.channels.smtp import SmtpChannel, SmtpServer
from domain.meta import Actor, ActorKind, Meta
from domain.order_types import OrderItem
from testing.postgres_server import PostgresServer, free_port

AGENT = Actor(ActorKind.AGENT, "bench-agent", "agent")
T0 = datetime.now(UTC).replace(microsecond=0)
_ids = itertools.count()


def own_cpu_s() -> float:
    """CPU seconds of this process, all its threads."""
    times = os.times()
    return times.user + times.system


def meta() -> Meta:
    return Meta(AGENT, datetime.now(UTC), f"bench-{next(_ids)}", "bench", None, None)


def prepare(app: CareLedger, orders: int) -> tuple[UUID, list[UUID]]:
    contact = ContactDetails(name="Bench Customer", phone="+8613800000000", email="b@bench.test")
    customer_id = app.register_customer(meta(), contact).aggregate_id
    order_ids = []
    for _ in range(orders):
        order_id = app.receive_order(
            meta(),
            customer_id=customer_id,
            restaurant="Bench Kitchen",
            region="bench",
            items=[OrderItem("soup", 1, Decimal("9.50"))],
            amount="9.50",
            promised_at=T0 + timedelta(hours=6),
            address="1 Bench Street",
            channel="app",
        ).aggregate_id
        app.confirm_order(meta(), order_id)
        order_ids.append(order_id)
    return customer_id, order_ids


def notification_id(order_id: UUID, version: int, customer_id: UUID) -> str:
    """The id the notifier gives the notice of this confirmation (its request command's id)."""
    command_id = f"notifier:request:{order_id}:{version}:{customer_id}:email"
    return str(uuid5(ID_NAMESPACE, f"Notification/{command_id}"))


def channel_ceiling(port: int, arrivals: Arrivals, count: int, threads: int) -> float:
    """Messages/s the SMTP channel alone sends, one connection per thread."""
    channels = [
        SmtpChannel(SmtpServer.from_url(f"smtp://127.0.0.1:{port}")) for _ in range(threads)
    ]
    before = arrivals.count()

    def send(n: int) -> None:
        channel = channels[n % threads]
        channel.send(
            Message(
                id=f"ceiling-{n}",
                channel=ChannelKind.EMAIL,
                to="b@bench.test",
                subject="订单 0DE3F386 已确认",
                body="Bench Customer, hello:\nyour order is confirmed.",
                kind="order_confirmation",
            )
        )

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(send, range(count)))
    elapsed = time.perf_counter() - start
    for channel in channels:
        channel.close()
    assert arrivals.count() - before == count
    return count / elapsed


def paced(
    rate: float, seconds: float, senders: int, command: Callable[[int], tuple[str, float]]
) -> dict[str, float]:
    """Runs `command` at `rate` per second (open loop, `senders` threads); the notification id
    and acknowledgement time of each."""
    acknowledged: dict[str, float] = {}
    lock = threading.Lock()
    total = int(rate * seconds)
    start = time.monotonic()

    def sender(offset: int) -> None:
        for n in range(offset, total, senders):
            wait = start + n / rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            nid, at = command(n)
            with lock:
                acknowledged[nid] = at

    with ThreadPoolExecutor(senders) as pool:
        for future in [pool.submit(sender, s) for s in range(senders)]:
            future.result()
    return acknowledged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=500.0, help="commands per second")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load")
    parser.add_argument("--senders", type=int, default=8, help="threads issuing commands")
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument(
        "--notifiers",
        type=int,
        default=1,
        help="`careledger notices run` processes side by side, each its share of the work",
    )
    parser.add_argument(
        "--workers", type=int, default=16, help="CARELEDGER_NOTICE_WORKERS of each process"
    )
    parser.add_argument("--drain", type=float, default=60.0, help="seconds to wait for arrivals")
    parser.add_argument(
        "--timeline", action="store_true", help="also each second's notices and waits"
    )
    args = parser.parse_args()
    port = free_port()
    arrivals = Arrivals(Path(tempfile.mkdtemp(prefix="careledger-smtp-")) / "arrivals.log")
    pg = PostgresServer(durable=True).start()
    try:
        settings = bench_settings(pg.url, "notices_bench")
        env = {
            **service_env(settings),
            "CARELEDGER_SMTP_URL": f"smtp://127.0.0.1:{port}",
            "CARELEDGER_QUIET_HOURS": "off",
            "CARELEDGER_ENV": "development",
            "CARELEDGER_NOTICE_WORKERS": str(args.workers),
        }
        with CareLedger(settings) as app, ExitStack() as stack:
            smtp = stack.enter_context(arrivals.server(port))
            customer_id, orders = prepare(app, args.orders)
            ceiling = channel_ceiling(port, arrivals, 2000, 8)
            notifiers = [
                stack.enter_context(
                    Process(
                        f"notices-{n}",
                        careledger_command("notices", "run"),
                        {**env, "CARELEDGER_NOTICE_SHARE": f"{n}/{args.notifiers}"},
                    )
                )
                for n in range(args.notifiers)
            ]
            roots = {
                **{p.name: pid_of(p) for p in notifiers},
                "PostgreSQL": pg.postmaster_pid(),
                "SMTP server": pid_of(smtp),
            }
            run(app, args, arrivals, customer_id, orders, ceiling, roots)
    finally:
        pg.stop()


def pid_of(process: Process) -> int:
    assert process.process is not None
    return process.process.pid


def warm_up(
    app: CareLedger, arrivals: Arrivals, order_id: UUID, customer_id: UUID, limit_s: float
) -> float:
    """Sends one notice and waits for it to arrive, so that the timed load meets a delivery
    process that has started (imports, connections, the view caught up), as it would in
    service; the seconds from here until it arrived."""
    began = time.time()
    outcome = app.send_order_confirmation(meta(), order_id, "email")
    nid = notification_id(order_id, outcome.version, customer_id)
    while time.time() - began < limit_s:
        arrivals.refresh()
        if nid in arrivals.at:
            return arrivals.at[nid] - began
        time.sleep(0.05)
    raise RuntimeError(f"the warm-up notice did not arrive within {limit_s:.0f} s")


def run(
    app: CareLedger,
    args: argparse.Namespace,
    arrivals: Arrivals,
    customer_id: UUID,
    orders: list[UUID],
    ceiling: float,
    roots: dict[str, int | None],
) -> None:
    """`roots`: the delivery processes, PostgreSQL and the SMTP server, whose CPU is counted."""

    def confirm(n: int) -> tuple[str, float]:
        order_id = orders[n % len(orders)]
        outcome = app.send_order_confirmation(meta(), order_id, "email")
        return notification_id(order_id, outcome.version, customer_id), time.time()

    ready_s = warm_up(app, arrivals, orders[0], customer_id, args.drain)
    cpu_before, bench_before = tree_cpu(roots), own_cpu_s()
    began = time.time()
    acknowledged = paced(args.rate, args.duration, args.senders, confirm)
    load_s = time.time() - began
    deadline = time.time() + args.drain
    while time.time() < deadline:
        arrivals.refresh()
        if all(nid in arrivals.at for nid in acknowledged):
            break
        time.sleep(0.2)
    arrivals.refresh()
    waits = sorted(arrivals.at[nid] - at for nid, at in acknowledged.items() if nid in arrivals.at)
    last = max((arrivals.at[nid] for nid in acknowledged if nid in arrivals.at), default=began)
    delivered = len(waits)
    cpu_after, bench_cpu = tree_cpu(roots), own_cpu_s() - bench_before
    spent = {name: cpu_after[name] - cpu_before[name] for name in roots}
    cpu = sum(spent[name] for name in roots if name.startswith("notices-"))
    pg_cpu, smtp_cpu = spent["PostgreSQL"], spent["SMTP server"]
    busy_s = last - began
    command_rate = len(acknowledged) / load_s
    end_to_end = delivered / (last - began) if delivered else 0.0
    print("| figure | value |\n|---|---|")
    print(f"| delivery processes, workers each | {args.notifiers}, {args.workers} |")
    print(f"| start-up: process started -> its first notice arrived | {ready_s:.1f} s |")
    print(f"| commands (sendOrderConfirmation) | {len(acknowledged):,} in {load_s:.1f} s |")
    print(f"| command rate reached | {command_rate:.0f}/s (asked {args.rate:.0f}/s) |")
    print(f"| notices arrived at the SMTP server | {delivered:,} |")
    print(f"| notices not arrived after {args.drain:.0f} s | {len(acknowledged) - delivered:,} |")
    print(f"| notices/s end to end | {end_to_end:.0f} |")
    if waits:
        print(
            f"| acknowledged -> arrived p50 / p99 | {percentile(waits, 50) * 1000:.0f} /"
            f" {percentile(waits, 99) * 1000:.0f} ms |"
        )
    if delivered:
        print(f"| delivery processes' CPU a notice | {cpu * 1000 / delivered:.2f} ms |")
    if delivered:
        whole = cpu + pg_cpu + bench_cpu + smtp_cpu
        parts = (cpu, pg_cpu, bench_cpu, smtp_cpu)
        print(
            "| CPU a notice (and its command): delivery / PostgreSQL / the bench's commands /"
            f" SMTP server | {' / '.join(f'{part * 1000 / delivered:.2f}' for part in parts)} ms,"
            f" {whole * 1000 / delivered:.2f} ms in all |"
        )
        print(
            f"| cores busy until the last arrival | {whole / busy_s:.2f} of {os.cpu_count()};"
            f" {args.rate:.0f}/s would need {args.rate * whole / delivered:.2f} |"
        )
    print(f"| SMTP channel alone (8 threads) | {ceiling:.0f} messages/s |")
    print(f"| ratio: notices/s / command rate | {end_to_end / command_rate:.2f} |")
    print(f"| ratio: notices/s / channel alone | {end_to_end / ceiling:.2f} |")
    if args.timeline:
        print_timeline(acknowledged, arrivals, began)
    print(f"\nmachine: {describe()}")


def print_timeline(acknowledged: dict[str, float], arrivals: Arrivals, began: float) -> None:
    """Per second of acknowledgement: how many notices, and their wait's p50 / p99 / max."""
    seconds: dict[int, list[float]] = {}
    for nid, at in acknowledged.items():
        if nid in arrivals.at:
            seconds.setdefault(int(at - began), []).append(arrivals.at[nid] - at)
    print("\n| second | notices | p50 / p99 / max ms |\n|---:|---:|---|")
    for second, waits in sorted(seconds.items()):
        waits.sort()
        p50, p99 = percentile(waits, 50) * 1000, percentile(waits, 99) * 1000
        print(f"| {second} | {len(waits)} | {p50:.0f} / {p99:.0f} / {waits[-1] * 1000:.0f} |")


if __name__ == "__main__":
    main()
