"""Behind PgBouncer in transaction mode (Debian's 1.18, without protocol-level prepared
statements): commands, projections and reads go through the pooler, with no prepared
statements and no session state; LISTEN and the schema lock go to PostgreSQL itself."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from uuid import uuid4

import pytest

from application.app import CareLedger
from application.settings import Settings, SettingsError
from projections.catalog import projections
from projections.engine.runner import Runner
from projections.engine.store import PostgresViewStore, open_view_store
from projections.views.order_index import order_index
from testing.pgbouncer import PgBouncer, pgbouncer_binary
from testing.postgres_server import PostgresServer
from tests.application.builders import customer, order
from tests.backends import MASTER_KEY
from tests.wakeup_check import heard_move, seconds_to_wake

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(pgbouncer_binary() is None, reason="pgbouncer is not installed"),
]
THREADS, COMMANDS = 8, 15


@pytest.fixture
def bouncer(postgres_server: PostgresServer) -> Iterator[PgBouncer]:
    pooler = PgBouncer(postgres_server, pool_size=2).start()
    try:
        yield pooler
    finally:
        pooler.stop()


def pooled(bouncer: PgBouncer, tmp_path: Path, **extra: object) -> Settings:
    env = {
        "CARELEDGER_DATABASE_URL": bouncer.url,
        "CARELEDGER_DB_POOLER": "transaction",
        "CARELEDGER_DIRECT_DATABASE_URL": bouncer.server.url,
        "CARELEDGER_DB_SCHEMA": f"t_{uuid4().hex[:12]}",
        "CARELEDGER_DATA_DIR": str(tmp_path),
        "CARELEDGER_DB_POOL_SIZE": "6",
        **{k: str(v) for k, v in extra.items()},
    }
    return replace(Settings.from_env(env), master_key=MASTER_KEY)


def load(app: CareLedger) -> list[BaseException]:
    """THREADS threads each registering customers and placing their orders at once."""
    failures: list[BaseException] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(COMMANDS):
            try:
                order(app, customer(app))
            except Exception as error:  # collected: the control run expects some
                with lock:
                    failures.append(error)

    with ThreadPoolExecutor(THREADS) as pool:
        for future in [pool.submit(work) for _ in range(THREADS)]:
            future.result()
    return failures


def test_commands_projections_and_reads_go_through_the_pooler(
    bouncer: PgBouncer, tmp_path: Path
) -> None:
    settings = pooled(bouncer, tmp_path)
    assert not settings.db_prepared_statements and settings.behind_pooler
    before = bouncer.transactions()
    app = CareLedger(settings)
    store = open_view_store(settings)
    try:
        assert load(app) == []
        runners = [Runner(app, store, p) for p in projections(["order_index", "audit_trail"])]
        for runner in runners:
            runner.catch_up()
        page = order_index(store, limit=THREADS * COMMANDS + 1)
        assert len(page.rows) == THREADS * COMMANDS
        # Every command and every view batch went through PgBouncer.
        assert bouncer.transactions() - before > 2 * THREADS * COMMANDS
        # LISTEN is on PostgreSQL itself: a commit through the pooler wakes the follower.
        assert isinstance(store, PostgresViewStore)
        assert store.listen_conninfo != store.conninfo
        waited = seconds_to_wake(app, store)
        assert 0.1 < waited < 5.0  # woken by the commit's NOTIFY, not by the timeout
        # and a view's move, committed through the pooler, wakes a read-your-writes wait
        order(app, customer(app))
        listening = open_view_store(settings)
        try:
            assert heard_move(app, listening, store) == {"order_index"}
        finally:
            listening.close()
    finally:
        store.close()
        app.close()


def test_with_prepared_statements_the_pooler_breaks_commands(
    bouncer: PgBouncer, tmp_path: Path
) -> None:
    """The control: the same load with psycopg's prepared statements, through the same
    pooler, fails (a statement prepared on one server connection is unknown on another)."""
    settings = pooled(bouncer, tmp_path, CARELEDGER_DB_PREPARED_STATEMENTS="on")
    assert settings.db_prepared_statements
    app = CareLedger(settings)
    try:
        failures = load(app)
    finally:
        app.close()
    assert failures
    assert any("prepared statement" in str(f) for f in failures), failures[:3]


def test_a_transaction_pooler_needs_the_direct_url() -> None:
    with pytest.raises(SettingsError, match="CARELEDGER_DIRECT_DATABASE_URL"):
        Settings.from_env(
            {
                "CARELEDGER_DATABASE_URL": "postgresql://u@h/db",
                "CARELEDGER_DB_POOLER": "transaction",
            }
        )
    with pytest.raises(SettingsError, match="CARELEDGER_DB_POOLER"):
        Settings.from_env({"CARELEDGER_DB_POOLER": "session"})
    plain = Settings.from_env({"CARELEDGER_DATABASE_URL": "postgresql://u@h/db"})
    assert plain.db_prepared_statements and not plain.behind_pooler
    assert plain.direct_postgres == plain.postgres
