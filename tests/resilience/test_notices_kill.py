"""kill -9 of `careledger notices run` mid-batch: every wanted notice still ends sent, and a
message arrives twice only when its sending had not been recorded, under the same id."""

from __future__ import annotations

import asyncio
import base64
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from aiosmtpd.controller import Controller

from application.app import CareLedger
from application.settings import Settings
from domain.notification import Notification
from projections.engine.runner import Runner
from projections.engine.store import open_view_store
from projections.views.notices import NoticesProjection, notifications_of
from testing.postgres_server import PostgresServer, free_port
from tests.application.builders import customer, order
from tests.support import meta

pytestmark = pytest.mark.postgres

ORDERS = 40
MASTER = b"m" * 32
MESSAGE_ID = re.compile(rb"^Message-ID:\s*<([0-9a-f-]{36})@", re.I | re.M)


class SlowInbox:
    """Takes each message after a pause, so a kill finds some sent and not yet recorded."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.15)
        found = MESSAGE_ID.search(envelope.original_content or envelope.content)
        assert found is not None
        with self.lock:
            self.ids.append(found.group(1).decode())
        return "250 OK"

    def count(self) -> int:
        with self.lock:
            return len(self.ids)


@pytest.fixture
def database() -> Iterator[PostgresServer]:
    server = PostgresServer(durable=True).start()
    try:
        yield server
    finally:
        server.stop()


def wait_until(check: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"{what} within {seconds}s"
        time.sleep(0.1)


def test_a_killed_delivery_process_loses_nothing_and_repeats_only_unrecorded_sends(
    database: PostgresServer, tmp_path: Path
) -> None:
    inbox = SlowInbox()
    smtp_port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    settings = Settings(
        database_url=database.url, db_schema="kill", data_dir=tmp_path, master_key=MASTER
    )
    env = {
        **os.environ,
        "CARELEDGER_DATABASE_URL": database.url,
        "CARELEDGER_DB_SCHEMA": "kill",
        "CARELEDGER_DATA_DIR": str(tmp_path),
        "CARELEDGER_MASTER_KEY": base64.b64encode(MASTER).decode(),
        "CARELEDGER_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "CARELEDGER_NOTICE_LEASE_S": "2",
        "CARELEDGER_QUIET_HOURS": "off",
    }
    log = (tmp_path / "notices.log").open("wb")
    processes: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "notices", "run"], env=env, stdout=log, stderr=log
        )
        processes.append(process)
        return process

    try:
        with CareLedger(settings) as app:
            buyer = customer(app)
            orders = [order(app, buyer) for _ in range(ORDERS)]
            for order_id in orders:
                app.confirm_order(meta(), order_id)
                app.send_order_confirmation(meta(), order_id, "email")
            first = start()
            wait_until(lambda: inbox.count() >= 8, 60, "the first messages")
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            arrived_at_kill = inbox.count()
            start()
            views = open_view_store(settings)
            runner = Runner(app, views, NoticesProjection())

            def all_sent() -> bool:
                runner.catch_up()
                rows = [n for o in orders for n in notifications_of(views, o)]
                return len(rows) == ORDERS and all(n.status == "Sent" for n in rows)

            try:
                wait_until(all_sent, 90, "every notice sent")
                notices = [n for o in orders for n in notifications_of(views, o)]
            finally:
                views.close()
            histories = {
                str(n.notification_id): [
                    type(e).__name__ for e in app.events.get(n.notification_id)
                ]
                for n in notices
            }
            attempts = {nid: app.load(Notification, UUID(nid)).attempts for nid in histories}
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(20)
        log.close()
        smtp.stop()
    arrived = Counter(inbox.ids)
    assert arrived_at_kill < ORDERS  # the kill came mid-batch
    assert set(arrived) == set(histories)  # every wanted notice arrived
    for nid, history in histories.items():
        assert history.count("NotificationSent") == 1
        if arrived[nid] > 1:
            # sent again only after an attempt whose sending was never recorded
            assert attempts[nid] >= 2, (nid, history)
            assert history.count("DeliveryAttemptStarted") >= arrived[nid]
