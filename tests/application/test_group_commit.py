from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from application.app import CareLedger
from tests.application.builders import customer, order
from tests.support import meta

THREADS = 16
EACH = 6


def test_concurrent_commands_share_transactions_and_each_is_stored_once(app: CareLedger) -> None:
    # given sixteen orders, one per thread
    customer_id = customer(app)
    orders = [order(app, customer_id) for _ in range(THREADS)]
    before = app.committer.stats.transactions, app.committer.stats.units
    start = threading.Barrier(THREADS)

    def work(order_id: object) -> list[int]:
        start.wait()
        app.confirm_order(meta(), order_id)  # type: ignore[arg-type]
        return [
            app.send_order_confirmation(meta(), order_id, "sms").version  # type: ignore[arg-type]
            for _ in range(EACH - 1)
        ]

    # when all sixteen threads send six commands at once
    with ThreadPoolExecutor(THREADS) as pool:
        versions = list(pool.map(work, orders))
    # then every command is stored once, in order, on its own order
    assert versions == [list(range(3, 3 + EACH - 1))] * THREADS
    for order_id in orders:
        names = [type(e).__name__ for e in app.events.get(order_id)]
        assert names == ["OrderReceived", "OrderConfirmed"] + ["ConfirmationSent"] * (EACH - 1)
    # and they shared transactions: fewer commits than commands
    transactions = app.committer.stats.transactions - before[0]
    units = app.committer.stats.units - before[1]
    assert units == THREADS * EACH
    assert transactions < units
    # and positions are unique and increasing within each order
    positions = [
        e for o in orders for e in [app.receipts.position_of(o, v) for v in range(1, EACH + 2)]
    ]
    assert len(set(positions)) == len(positions) == THREADS * (EACH + 1)
