"""What counting a delivery in its customer's spend costs, against a one-aggregate command
measured in the same run.

    .venv/bin/python -m bench.tier_spend [--orders 300] [--postgres]

Records customers and orders picked up through the application (SQLite by default, a throwaway
durable PostgreSQL 15 with --postgres), then times, one command at a time in-process:
1. the baseline: `deliver_order` for orders of customers never registered (the customer is
   looked up and absent, so the order alone is written, as every delivery was before);
2. `deliver_order` for orders of registered customers (the order and the customer's
   OrderSpendRecorded, one transaction);
3. `tier_of` for those customers afterwards (the tier read at a business time).
Prints p50, p99 and mean per step, the ratio of 2 to 1, and the machine.
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from time import perf_counter
from uuid import UUID, uuid4

from application.app import CareLedger
from application.customers import ContactDetails
from application.settings import Settings
from bench.machine import describe
from bench.serving import percentile
from domain.meta import Actor, ActorKind, Meta
from domain.order_types import OrderItem
from testing.postgres_server import PostgresServer

AGENT = Actor(ActorKind.AGENT, "bench-agent", "agent")
CUSTOMERS = 20


def meta() -> Meta:
    return Meta(AGENT, datetime.now(UTC), str(uuid4()), "bench-tier-spend")


def picked_up(app: CareLedger, customer_id: UUID) -> UUID:
    order = app.receive_order(
        meta(),
        customer_id=customer_id,
        restaurant="r-1",
        region="chaoyang",
        items=[OrderItem("noodles", 1, Decimal("30"))],
        amount="30.00",
        promised_at=datetime.now(UTC) + timedelta(hours=2),
        address="1 Bench Road",
        channel="app",
    ).aggregate_id
    for step in (app.confirm_order, app.start_preparation, app.pack_order):
        step(meta(), order)
    app.assign_courier(meta(), order, "courier-1", "shunfeng")
    app.pick_up_order(meta(), order)
    return order


def timed(items: list[UUID], action: Callable[[UUID], object]) -> list[float]:
    values = []
    for item in items:
        started = perf_counter()
        action(item)
        values.append((perf_counter() - started) * 1000)
    return sorted(values)


def line(label: str, values: list[float]) -> str:
    mean = sum(values) / len(values)
    p50, p99 = percentile(values, 50), percentile(values, 99)
    return f"| {label} | {len(values)} | {p50:.2f} | {p99:.2f} | {mean:.2f} |"


def run(settings: Settings, orders: int) -> None:
    with CareLedger(settings) as app:
        contact = ContactDetails(name="Bench Customer", phone="+86 10 5555 0100")
        customers = [app.register_customer(meta(), contact).aggregate_id for _ in range(CUSTOMERS)]
        strangers = [uuid4() for _ in range(CUSTOMERS)]
        print(f"recording {2 * orders} orders picked up, half of registered customers ...")
        plain = [picked_up(app, strangers[n % CUSTOMERS]) for n in range(orders)]
        counted = [picked_up(app, customers[n % CUSTOMERS]) for n in range(orders)]
        baseline = timed(plain, lambda o: app.deliver_order(meta(), o))
        spend = timed(counted, lambda o: app.deliver_order(meta(), o))
        now = datetime.now(UTC)
        tiers = timed(customers * (orders // CUSTOMERS), lambda c: app.tier_of(c, now))
    print("| step | commands | p50 ms | p99 ms | mean ms |")
    print("|---|---|---|---|---|")
    print(line("deliver, customer never registered (order only)", baseline))
    print(line("deliver, spend counted on the customer", spend))
    print(line("tier_of a customer", tiers))
    ratio = (sum(spend) / len(spend)) / (sum(baseline) / len(baseline))
    print(f"\ndeliver with spend / deliver without, mean: {ratio:.2f}")
    print(f"machine: {describe()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=300, help="orders delivered per step")
    parser.add_argument("--postgres", action="store_true", help="a durable PostgreSQL 15")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="careledger-bench-"))
    if not args.postgres:
        run(Settings(data_dir=data_dir, master_key=secrets.token_bytes(32)), args.orders)
        return
    pg = PostgresServer(durable=True).start()
    try:
        settings = Settings(
            database_url=pg.url,
            db_schema="bench_tier_spend",
            data_dir=data_dir,
            master_key=secrets.token_bytes(32),
        )
        run(settings, args.orders)
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
