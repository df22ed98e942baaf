"""kill -9 of `careledger policies run` while it delivers webhooks: another dispatcher takes over
once the dead one's lease runs out; every delivery arrives, in order, and the only repeat is
one whose sending was not yet recorded, under its own webhook-id."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from application.app import CareLedger
from application.settings import Settings
from delivery.webhooks import WebhookDispatcher, WebhookPolicy
from projections.engine.store import ViewStore
from projections.views.webhook_delivery_log import deliveries
from tests.policies.clusters import Kitchens
from tests.support import meta, minutes
from tests.webhooks.hooks import ADMIN, SECRET
from tests.webhooks.receiver import Receiver

ORDERS = 40
LEASE_S = 1.0


def environment(settings: Settings) -> dict[str, str]:
    env = {
        **os.environ,
        "CARELEDGER_DATA_DIR": str(settings.data_dir),
        "CARELEDGER_MASTER_KEY": base64.b64encode(settings.master_key or b"").decode(),
        "CARELEDGER_DB_SCHEMA": settings.db_schema,
        "CARELEDGER_WEBHOOK_LEASE_S": str(LEASE_S),
    }
    env.pop("CARELEDGER_DATABASE_URL", None)
    if settings.database_url is not None:
        env["CARELEDGER_DATABASE_URL"] = settings.database_url
    return env


def test_kill_9_mid_batch_loses_nothing(
    app: CareLedger, views: ViewStore, settings: Settings, tmp_path: Path
) -> None:
    receiver = Receiver(SECRET, delay_s=0.02).start()
    try:
        endpoint_id = app.register_webhook_endpoint(
            meta(actor=ADMIN), receiver.url, ["OrderReceived"], SECRET
        ).aggregate_id
        kitchens = Kitchens(app)
        for n in range(ORDERS):
            kitchens.order(minutes(n))
        # given the policies process delivering them, killed with SIGKILL part way
        log = (tmp_path / "policies.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "policies", "run"],
            env=environment(settings),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while len(receiver.received) < 10:
            assert time.monotonic() < deadline and process.poll() is None, (
                tmp_path / "policies.log"
            ).read_text()
            time.sleep(0.01)
        process.kill()
        process.wait(10)
        log.close()
        assert len(receiver.received) < ORDERS  # it died mid-batch
        # when another dispatcher starts
        policy = WebhookPolicy(backoff_s=0.02, lease_s=LEASE_S)
        dispatcher = WebhookDispatcher(app, views, policy)
        deadline = time.monotonic() + 60
        while len(set(receiver.ids())) < ORDERS:
            assert time.monotonic() < deadline
            dispatcher.run_once()
            time.sleep(0.02)
        # then every order arrived, first arrivals in log order, all delivered in the log
        logged = deliveries(views, str(endpoint_id), limit=ORDERS)
        expected = [d.webhook_id for d in logged]
        assert list(dict.fromkeys(receiver.ids())) == expected
        assert all(d.status == "delivered" for d in logged)
        # and at most the one in flight at the kill arrived twice, under one webhook-id
        repeats = [i for i, n in Counter(receiver.ids()).items() if n > 1]
        assert len(repeats) <= 1
    finally:
        receiver.stop()
