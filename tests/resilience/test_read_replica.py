"""Queries read from a streaming hot standby (CARELEDGER_READ_DATABASE_URL) while commands and
projections write to the primary: read-your-writes holds there, and a standby that lags or goes
away sends reads to the primary (or, with fallback off, answers UNAVAILABLE)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest
from starlette.testclient import TestClient

from api.app import create_app
from api.auth import Role, issue_token
from application.app import CareLedger
from application.errors import DatabaseUnavailableError
from application.settings import Settings
from projections.catalog import projections
from projections.engine.read_routing import (
    PRIMARY,
    REPLICA,
    ReadRouting,
    ReplicaHistory,
    open_history,
    open_read_store,
    pinned,
)
from projections.engine.runner import Runner
from projections.engine.store import ViewStore
from projections.views.order_index import order_index
from testing.postgres_server import PostgresServer
from tests.application.builders import customer, order
from tests.backends import MASTER_KEY
from tests.support import meta

pytestmark = pytest.mark.postgres
MAX_LAG_S = 0.3


@pytest.fixture(scope="module")
def primary() -> Iterator[PostgresServer]:
    # durable: commits flush their WAL (and so stream it) at once, as in production
    server = PostgresServer(durable=True).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def standby(primary: PostgresServer) -> Iterator[PostgresServer]:
    server = PostgresServer.standby_of(primary)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def settings(primary: PostgresServer, standby: PostgresServer, tmp_path: Path) -> Settings:
    return Settings(
        database_url=primary.url,
        read_database_url=standby.url,
        read_max_lag_s=MAX_LAG_S,
        db_schema=f"t_{uuid4().hex[:12]}",
        data_dir=tmp_path,
        master_key=MASTER_KEY,
        db_pool_size=4,
    )


def routed(settings: Settings) -> ReadRouting:
    store = open_read_store(settings)
    assert isinstance(store, ReadRouting)
    return store


def project(app: CareLedger, views: ViewStore) -> None:
    for projection in projections(["order_index"]):
        Runner(app, views, projection).catch_up()


def until(check: object, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "in time"
        time.sleep(0.05)


def orders_seen(store: ViewStore) -> int:
    return len(order_index(store, limit=200).rows)


@pytest.fixture
def reads(app: CareLedger, views: ViewStore, settings: Settings) -> Iterator[ReadRouting]:
    """A routed read store, once one order is in the views and the standby has replayed it."""
    order(app, customer(app))
    project(app, views)
    store = routed(settings)
    try:
        until(lambda: store.probe().lag_s == 0.0)
        yield store
    finally:
        store.close()


def test_queries_read_the_standby_and_see_their_own_writes(
    app: CareLedger, views: ViewStore, reads: ReadRouting
) -> None:
    assert reads.serving()
    assert orders_seen(reads) == 1
    assert reads.reads[REPLICA] == 1 and reads.reads[PRIMARY] == 0
    # Read-your-writes on the standby: a write, its view batch on the primary, then a request
    # that waits for the view's position (as atPosition does) and reads, pinned.
    order(app, customer(app))
    project(app, views)
    with pinned() as pin:
        until(lambda: orders_seen(reads) == 2)
        assert pin.target == REPLICA
    assert reads.reads[PRIMARY] == 0


def test_graphql_reads_the_standby_and_metrics_show_its_lag(
    app: CareLedger, reads: ReadRouting, settings: Settings
) -> None:
    last = app.recorder.max_notification_id()
    token = issue_token(settings, Role.SUPERVISOR, "sup-1")
    query = "query($at: Int) { orders(first: 5, atPosition: $at) { edges { node { orderId } } } }"
    with TestClient(create_app(settings)) as client:
        body = client.post(
            "/graphql",
            json={"query": query, "variables": {"at": last}},
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        assert "errors" not in body, body
        assert len(body["data"]["orders"]["edges"]) == 1
        metrics = client.get("/metrics").text
    assert 'careledger_view_reads_total{target="replica"}' in metrics
    replica_reads = [
        line
        for line in metrics.splitlines()
        if line.startswith('careledger_view_reads_total{target="replica"}')
    ]
    assert float(replica_reads[0].split()[-1]) >= 1
    assert "careledger_read_replica_up 1.0" in metrics
    assert "careledger_read_replica_lag_seconds" in metrics


def test_a_lagging_standby_sends_reads_to_the_primary(
    app: CareLedger, views: ViewStore, reads: ReadRouting, standby: PostgresServer
) -> None:
    with psycopg.connect(standby.url, autocommit=True) as conn:
        conn.execute("SELECT pg_wal_replay_pause()")
        order(app, customer(app))
        project(app, views)
        # The standby stopped replaying: its lag grows past the limit, reads go to the
        # primary and see the new order.
        until(lambda: (reads.probe().lag_s or 0.0) > MAX_LAG_S)
        assert not reads.serving()
        assert orders_seen(reads) == 2
        assert reads.reads[PRIMARY] >= 1
        conn.execute("SELECT pg_wal_replay_resume()")
    until(lambda: reads.probe().lag_s == 0.0)
    assert reads.serving()
    before = reads.reads[REPLICA]
    assert orders_seen(reads) == 2
    assert reads.reads[REPLICA] == before + 1


def test_an_unreachable_standby(
    reads: ReadRouting, settings: Settings, standby: PostgresServer
) -> None:
    strict = routed(replace(settings, read_fallback=False))
    try:
        until(lambda: strict.probe().lag_s == 0.0)
        standby.pause("fast")
        # Before any probe noticed: the read that meets the closed standby goes to the primary.
        started = time.monotonic()
        assert orders_seen(reads) == 1
        assert time.monotonic() - started < 2.0
        assert not reads.health.up and reads.reads[PRIMARY] == 1
        # Without fallback, the same read is a typed refusal, not a hang.
        with pytest.raises(DatabaseUnavailableError):
            orders_seen(strict)
        standby.resume()
        until(lambda: reads.probe().up, 30)
        assert orders_seen(reads) == 1
        assert reads.reads[REPLICA] >= 1
    finally:
        strict.close()


def test_history_reads_the_standby_once_it_has_replayed_the_primary(
    app: CareLedger, reads: ReadRouting, settings: Settings, standby: PostgresServer
) -> None:
    history = open_history(app, reads, settings)
    assert isinstance(history, ReplicaHistory)
    try:
        someone = customer(app)
        placed = order(app, someone)

        def versions() -> list[int]:
            return [e.originator_version for e in history.get(placed)]

        # Read-your-writes: each read right after its write sees it, from the standby.
        assert versions() == [1]
        app.confirm_order(meta(), placed)
        assert versions() == [1, 2]
        assert history.reads[REPLICA] == 2 and history.reads[PRIMARY] == 0
        # A standby that does not replay: the read still sees the write, from the primary.
        with psycopg.connect(standby.url, autocommit=True) as conn:
            conn.execute("SELECT pg_wal_replay_pause()")
            app.start_preparation(meta(), placed)
            assert versions() == [1, 2, 3]
            assert history.reads[PRIMARY] == 1
            conn.execute("SELECT pg_wal_replay_resume()")
    finally:
        history.close()
