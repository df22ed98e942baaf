"""Repeated command ids under load: how fast repeats are answered, and what they cost others.

    .venv/bin/python -m bench.replay_storm [--replayers 16] [--acknowledged 500] [--duration 5]

Starts a throwaway PostgreSQL (fsync and synchronous_commit on) and the application in this
process, records `--acknowledged` commands, then measures, in one run:
1. one client sending new commands alone (closed loop), its p50;
2. the same client while `--replayers` threads re-send the acknowledged commands as fast as they
   can: replays/s, replay p50/p99, and anything that was not answered as a replay;
and prints the new-command client's p50 with and without the storm, as a ratio.
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID

from application.app import CareLedger
from application.customers import ContactDetails
from application.settings import Settings
from bench.machine import describe
from bench.serving import percentile
from domain.meta import Actor, ActorKind, Meta
from domain.order_types import OrderItem
from testing.postgres_server import PostgresServer

AGENT = Actor(ActorKind.AGENT, "bench-agent", "agent")
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
_ids = itertools.count()


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    not_replayed: int = 0
    errors: dict[str, int] = field(default_factory=dict)


def meta(command_id: str | None = None) -> Meta:
    return Meta(AGENT, T0, command_id or f"new-{next(_ids)}", "bench", None, None)


def prepare(app: CareLedger, orders: int, acknowledged: int) -> tuple[list[UUID], list[str]]:
    contact = ContactDetails(name="Bench Customer", phone="+1 555 0100")
    customer_id = app.register_customer(meta(), contact).aggregate_id
    order_ids = []
    for _ in range(orders):
        order_ids.append(
            app.receive_order(
                meta(),
                customer_id=customer_id,
                restaurant="Bench Kitchen",
                region="bench",
                items=[OrderItem("soup", 1, Decimal("9.50"))],
                amount="9.50",
                promised_at=T0 + timedelta(minutes=40),
                address="1 Bench Street",
                channel="app",
            ).aggregate_id
        )
        app.confirm_order(meta(), order_ids[-1])
    keys = [f"ack-{i}" for i in range(acknowledged)]
    for i, key in enumerate(keys):
        app.send_order_confirmation(meta(key), order_ids[i % orders], "sms")
    return order_ids, keys


def loop(until: float, send: Callable[[int], bool], tally: Tally) -> None:
    for i in itertools.count():
        if time.monotonic() >= until:
            return
        start = time.perf_counter()
        try:
            replayed = send(i)
        except Exception as error:  # counted and shown: the figures must say what failed
            code = getattr(error, "code", type(error).__name__)
            tally.errors[code] = tally.errors.get(code, 0) + 1
            continue
        tally.latencies.append(time.perf_counter() - start)
        tally.not_replayed += 0 if replayed else 1


def phase(
    app: CareLedger, orders: list[UUID], keys: list[str], replayers: int, seconds: float
) -> tuple[Tally, Tally]:
    fresh, storm = Tally(), Tally()
    lock = threading.Lock()
    until = time.monotonic() + seconds

    def new(i: int) -> bool:
        return not app.send_order_confirmation(meta(), orders[i % len(orders)], "sms").replayed

    def replayer(offset: int) -> None:
        mine = Tally()

        def repeat(i: int) -> bool:
            n = (offset * 7919 + i) % len(keys)
            outcome = app.send_order_confirmation(meta(keys[n]), orders[n % len(orders)], "sms")
            return outcome.replayed

        loop(until, repeat, mine)
        with lock:
            storm.latencies += mine.latencies
            storm.not_replayed += mine.not_replayed
            for code, n in mine.errors.items():
                storm.errors[code] = storm.errors.get(code, 0) + n

    with ThreadPoolExecutor(replayers + 1) as pool:
        futures = [pool.submit(replayer, r) for r in range(replayers)]
        loop(until, new, fresh)
        for future in futures:
            future.result()
    return fresh, storm


def ms(values: list[float], percent: float) -> float:
    return percentile(sorted(values), percent) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replayers", type=int, default=16)
    parser.add_argument("--acknowledged", type=int, default=500)
    parser.add_argument("--orders", type=int, default=50)
    parser.add_argument("--duration", type=float, default=5.0)
    args = parser.parse_args()
    pg = PostgresServer(durable=True).start()
    try:
        settings = Settings(
            database_url=pg.url,
            db_schema="replay_storm",
            data_dir=Path(tempfile.mkdtemp(prefix="careledger-bench-")),
            master_key=b"b" * 32,
        )
        app = CareLedger(settings)
        try:
            report(app, args)
        finally:
            app.close()
    finally:
        pg.stop()


def report(app: CareLedger, args: argparse.Namespace) -> None:
    orders, keys = prepare(app, args.orders, args.acknowledged)
    events_before = app.recorder.max_notification_id() or 0
    alone, _ = phase(app, orders, keys, 0, args.duration)
    units_before = app.committer.stats.units
    fresh, storm = phase(app, orders, keys, args.replayers, args.duration)
    written = (app.recorder.max_notification_id() or 0) - events_before
    new_commands = len(alone.latencies) + len(fresh.latencies)
    print("| figure | value |\n|---|---|")
    print(f"| replayers x acknowledged commands | {args.replayers} x {args.acknowledged} |")
    print(f"| replays/s | {len(storm.latencies) / args.duration:.0f} |")
    print(
        f"| replay p50 / p99 | {ms(storm.latencies, 50):.2f} / {ms(storm.latencies, 99):.2f} ms |"
    )
    print(f"| repeats not answered as replays | {storm.not_replayed} |")
    print(f"| errors (replays / new) | {storm.errors or 0} / {fresh.errors or alone.errors or 0} |")
    print(f"| new-command p50 alone | {ms(alone.latencies, 50):.2f} ms |")
    print(f"| new-command p50 during the storm | {ms(fresh.latencies, 50):.2f} ms |")
    print(f"| ratio (storm / alone) | {ms(fresh.latencies, 50) / ms(alone.latencies, 50):.2f} |")
    print(f"| events written / new commands | {written} / {new_commands} |")
    print(
        f"| units handed to the writer in the storm | {app.committer.stats.units - units_before} |"
    )
    print(f"\nmachine: {describe()}")


if __name__ == "__main__":
    main()
