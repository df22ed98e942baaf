"""CARELEDGER_DATABASE_URL naming several servers, of which one is the primary
(`target_session_attrs=read-write`): commands, projections, the LISTEN wakeups and the key
listener all find it, whichever the URL lists first, as they would after a failover."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest
from eventsourcing.persistence import InternalError

from application.app import CareLedger
from application.postgres_keystore import PostgresKeyStore
from application.settings import Settings
from projections.catalog import projections
from projections.engine.runner import Runner
from projections.engine.store import PostgresViewStore, open_view_store
from projections.views.order_index import order_index
from testing.postgres_server import PostgresServer
from tests.application.builders import customer, order
from tests.backends import MASTER_KEY
from tests.wakeup_check import seconds_to_wake

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[PostgresServer, PostgresServer]]:
    primary = PostgresServer().start()
    try:
        standby = PostgresServer.standby_of(primary)
        try:
            yield primary, standby
        finally:
            standby.stop()
    finally:
        primary.stop()


def both(pair: tuple[PostgresServer, PostgresServer], tmp_path: Path, query: str) -> Settings:
    primary, standby = pair
    # The standby first: a client that took the first host would land on it.
    url = f"postgresql://postgres@127.0.0.1:{standby.port},127.0.0.1:{primary.port}/postgres"
    env = {
        "CARELEDGER_DATABASE_URL": url + query,
        "CARELEDGER_DB_SCHEMA": f"t_{uuid4().hex[:12]}",
        "CARELEDGER_DATA_DIR": str(tmp_path),
        "CARELEDGER_DB_POOL_SIZE": "4",
    }
    return replace(Settings.from_env(env), master_key=MASTER_KEY)


def on_primary(conninfo: str) -> bool:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
    return row is not None and row[0] is False


def test_the_service_finds_the_primary_among_the_hosts(
    pair: tuple[PostgresServer, PostgresServer], tmp_path: Path
) -> None:
    settings = both(pair, tmp_path, "?target_session_attrs=read-write")
    app = CareLedger(settings)
    store = open_view_store(settings)
    try:
        # Commands write (the event store and the key store are on the primary).
        placed = [order(app, customer(app)) for _ in range(3)]
        for runner in [Runner(app, store, p) for p in projections(["order_index"])]:
            runner.catch_up()
        assert len(order_index(store, limit=10).rows) == len(placed)
        # The views' pool, and the LISTEN of the wakeups and of the key listener, too.
        assert isinstance(store, PostgresViewStore)
        assert on_primary(store.conninfo) and on_primary(store.listen_conninfo)
        # The key listener LISTENs, which a standby refuses: it is heard, so it is on the primary.
        keys = app.keys
        assert isinstance(keys, PostgresKeyStore)
        deadline = time.monotonic() + 10
        while not keys._cache_trusted():
            assert time.monotonic() < deadline, "the key listener never connected"
            time.sleep(0.05)
        waited = seconds_to_wake(app, store)
        assert 0.1 < waited < 5.0  # woken by the commit's NOTIFY on the primary
    finally:
        store.close()
        app.close()


def test_without_the_session_attribute_the_first_host_is_taken(
    pair: tuple[PostgresServer, PostgresServer], tmp_path: Path
) -> None:
    """The control: the same hosts without target_session_attrs land on the standby, where
    the service cannot even create its schema."""
    settings = both(pair, tmp_path, "")
    with pytest.raises(InternalError, match="read-only transaction"):
        CareLedger(settings).close()
