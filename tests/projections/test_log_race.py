"""Writers in several processes against readers racing them (PostgreSQL): every reader of the
log (a reader paging it by hand, a follower feeding the hash chain, `verify`) sees every event
exactly once, in one order, though commits land out of id order."""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path

import pytest

from application.app import CareLedger
from application.recorders import PostgresReceiptRecorder
from application.settings import Settings
from projections.engine import tracking
from projections.engine.follower import Followers
from projections.engine.store import ViewStore, open_view_store
from projections.views.audit_chain import AuditChainProjection
from projections.views.audit_verify import verify
from tests.backends import make_settings
from tests.projections.log_race import events_written, write

pytestmark = pytest.mark.postgres

WRITERS = 4  # processes; the odd ones hold their transactions open after claiming
TRANSACTIONS = 150  # per thread


class PagingReader(threading.Thread):
    """Pages the log after its position up to the head, as fast as it can, until stopped."""

    def __init__(self, app: CareLedger) -> None:
        super().__init__(daemon=True)
        self.app = app
        self.seen: list[int] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.catch_up()

    def catch_up(self) -> None:
        head = self.app.recorder.max_notification_id() or 0
        after = self.seen[-1] if self.seen else 0
        while page := self.app.recorder.select_notifications(
            after, 100, stop=head, inclusive_of_start=False
        ):
            self.seen += [n.id for n in page]
            after = page[-1].id


def every_committed_id(app: CareLedger) -> list[int]:
    recorder = app.recorder
    assert isinstance(recorder, PostgresReceiptRecorder)
    with recorder.datastore.get_connection() as conn:
        rows = conn.execute(
            f"SELECT notification_id FROM {recorder.datastore.schema}.{recorder.events_table_name}"
            " ORDER BY notification_id"
        ).fetchall()
    return [row["notification_id"] for row in rows]


def chained_positions(views: ViewStore) -> list[int]:
    with views.transaction() as tx:
        prefix = tracking.prefix("audit_chain", 1)
        return [int(p) for (p,) in tx.all(f"SELECT position FROM {prefix}links ORDER BY position")]


def wait_for_chain(views: ViewStore, head: int, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with views.transaction() as tx:
            if tracking.position(tx, "audit_chain", 1) >= head:
                return
        time.sleep(0.05)
    raise AssertionError(f"the chain did not reach {head} within {timeout_s} s")


def run_writers(settings: Settings) -> int:
    spawn = multiprocessing.get_context("spawn")
    processes = [
        spawn.Process(target=write, args=(settings, seed, TRANSACTIONS, seed % 2 == 1))
        for seed in range(WRITERS)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=180)
        assert process.exitcode == 0
    return sum(events_written(TRANSACTIONS, seed) for seed in range(WRITERS))


def test_concurrent_writers_in_several_processes_against_racing_readers(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = make_settings("postgres", tmp_path, request)
    app, views = CareLedger(settings), open_view_store(settings)
    followers = Followers(app, views, [AuditChainProjection()], batch_size=50).start()
    reader = PagingReader(app)
    reader.start()
    try:
        # Writers race the reader and the follower
        written = run_writers(settings)
        reader.stop.set()
        reader.join(timeout=30)
        reader.catch_up()
        committed = every_committed_id(app)
        assert len(committed) == written
        # The reader saw each event once, in one order
        assert reader.seen == committed
        # So did the follower that feeds the hash chain, and verify agrees with it
        wait_for_chain(views, committed[-1])
        assert chained_positions(views) == committed
        report = verify(app, views)
        assert report.ok, report.problem
        assert report.checked == written
    finally:
        followers.stop()
        views.close()
        app.close()
