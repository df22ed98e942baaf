"""Where the data keys live: apart from the events, so a dump of the events holds none, and
moved there from the table they had beside the events before."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest

from application.app import CareLedger
from application.customers import ERASED_CONTACT
from application.postgres_keystore import keys_schema
from application.settings import Settings
from testing.postgres_server import PostgresServer
from tests.application.builders import CONTACT, customer
from tests.application.key_rows import pg_dump, wrapped_keys
from tests.application.test_privacy import record_personal_data
from tests.support import meta


def files(directory: Path, prefix: str) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.glob(f"{prefix}*")) if p.is_file())


def test_a_dump_of_the_events_holds_no_key(
    app: CareLedger, backend: str, request: pytest.FixtureRequest
) -> None:
    # given personal data sealed under a customer's key
    ids = record_personal_data(app)
    wrapped = wrapped_keys(app)
    assert str(ids["customer"]) in wrapped
    # when the events are dumped (pg_dump of their schema; on SQLite, their database file),
    # and the key store apart
    if backend == "postgres":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        events = pg_dump(server, app.settings.db_schema)
        keys = pg_dump(server, keys_schema(app.settings.db_schema))
    else:
        events = files(app.settings.data_dir, "careledger.db")
        keys = files(app.settings.data_dir, "keys.db")
    # then no wrapped key is among the events, and each one is in the key store's backup
    assert len(events) > 10_000
    for key in wrapped.values():
        assert key not in events and key.hex().encode() not in events
        assert key in keys or key.hex().encode() in keys
    # and neither is a digest of the contact index, which a backup of the events would keep
    # for as long as it is kept (the index key could be tried on it with guessed phones)
    digest = app.contact_index.digests(CONTACT.phone, None)[0].encode()
    assert digest not in events
    if backend == "postgres":
        assert digest in keys


GRANT_ALL = (
    "ALTER DEFAULT PRIVILEGES {} USAGE ON SCHEMAS {} PUBLIC",
    "ALTER DEFAULT PRIVILEGES {} SELECT ON TABLES {} PUBLIC",
)


@pytest.mark.postgres
def test_the_key_schema_is_closed_to_other_roles(postgres_server: PostgresServer) -> None:
    # given a database whose new schemas and tables everyone may read by default, a fresh
    # application on it, and a role that is not its owner
    settings = Settings(
        database_url=postgres_server.url,
        db_schema=f"t_{uuid4().hex[:12]}",
        master_key=b"k" * 32,
        db_pool_size=2,
    )
    role = f"reader_{uuid4().hex[:8]}"
    with psycopg.connect(postgres_server.url, autocommit=True) as conn:
        for grant in GRANT_ALL:
            conn.execute(grant.format("GRANT", "TO"))
        try:
            with CareLedger(settings) as app:
                customer(app)
        finally:
            for grant in GRANT_ALL:
                conn.execute(grant.format("REVOKE", "FROM"))
        conn.execute(f"CREATE ROLE {role} LOGIN")
        try:
            schema = keys_schema(settings.db_schema)
            # then it reads the events (as the defaults say) but may neither enter the key
            # schema nor read its table
            privileges = conn.execute(
                "SELECT has_schema_privilege(%s, %s, 'USAGE'),"
                " has_schema_privilege(%s, %s, 'USAGE'), has_table_privilege(%s, %s, 'SELECT')",
                (role, settings.db_schema, role, schema, role, f'"{schema}".data_keys'),
            ).fetchone()
            assert privileges == (True, False, False)
        finally:
            conn.execute(f"DROP ROLE {role}")


@pytest.mark.postgres
def test_keys_in_the_old_table_move_to_the_key_schema(
    settings: Settings, backend: str, postgres_server: PostgresServer
) -> None:
    if backend != "postgres":
        pytest.skip("the old table was PostgreSQL's")
    # given a customer and an erased one, with their keys and the contact index put back where
    # they were kept before
    with CareLedger(settings) as app:
        kept = customer(app)
        erased = app.register_customer(meta(command_id="two"), CONTACT).aggregate_id
        app.erase_customer(meta(command_id="erase"), erased)
    events, keys = settings.db_schema, keys_schema(settings.db_schema)
    with psycopg.connect(postgres_server.url) as conn:
        conn.execute(
            f'CREATE TABLE "{events}".careledger_data_keys AS'
            f' SELECT subject, wrapped_key, destroyed_at FROM "{keys}".data_keys'
        )
        conn.execute(
            f'CREATE TABLE "{events}".careledger_contact_index AS'
            f' SELECT digest, customer_id FROM "{keys}".contact_index'
        )
        conn.execute(f'DROP SCHEMA "{keys}" CASCADE')
    # when the application starts again
    with CareLedger(settings) as app:
        # then the keys and the index are in the key schema, the old tables are gone, and the
        # erased stay erased
        assert app.contact_of(kept) == CONTACT
        assert app.contact_of(erased) == ERASED_CONTACT
        assert app.contact_index.find(CONTACT.phone) == [kept]
        census = app.keys.census()
        assert census.wrapped_by == {app.keys.masters.current_id: 2}  # kept's, the index's
        assert census.destroyed == 1
        with psycopg.connect(postgres_server.url) as conn:
            found = conn.execute(
                "SELECT to_regclass(%s), to_regclass(%s)",
                (f'"{events}".careledger_data_keys', f'"{events}".careledger_contact_index'),
            ).fetchone()
        assert found == (None, None)


def test_keys_from_before_their_master_key_was_recorded_get_its_id(settings: Settings) -> None:
    if settings.database_url is not None:
        pytest.skip("SQLite's key file gains the column in place")
    # given a key file as it was before the master key's id was kept
    with CareLedger(settings) as app:
        kept = customer(app)
    with sqlite3.connect(settings.data_dir / "keys.db") as db:
        db.execute("ALTER TABLE data_keys DROP COLUMN wrapped_by")
    # when the application opens it
    with CareLedger(settings) as app:
        # then every key names the master key that wrapped it, and opens
        assert app.keys.census().wrapped_by == {app.keys.masters.current_id: 2}
        assert app.contact_of(kept) == CONTACT


def test_a_destroyed_key_leaves_the_sqlite_key_file(settings: Settings) -> None:
    if settings.database_url is not None:
        pytest.skip("PostgreSQL's heap and WAL keep old rows: a rotation makes them useless")
    # given a customer's wrapped key, on disk in the key file
    with CareLedger(settings) as app:
        erased = customer(app)
        wrapped = wrapped_keys(app)[str(erased)]
        assert wrapped in files(settings.data_dir, "keys.db")
        # when the customer is erased
        app.erase_customer(meta(command_id="erase"), erased)
        # then no byte of the key file or its log holds the wrapped key any more
        assert wrapped not in files(settings.data_dir, "keys.db")


@pytest.mark.postgres
def test_the_key_store_may_live_in_a_database_of_its_own(postgres_server: PostgresServer) -> None:
    # given a second database for the keys
    name = f"keys_{uuid4().hex[:8]}"
    with psycopg.connect(postgres_server.url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    keys_url = postgres_server.url.rsplit("/", 1)[0] + f"/{name}"
    settings = Settings(
        database_url=postgres_server.url,
        keys_database_url=keys_url,
        db_schema=f"t_{uuid4().hex[:12]}",
        master_key=b"k" * 32,
        db_pool_size=2,
    )
    try:
        # when a customer is registered and another erased
        with CareLedger(settings) as app:
            kept = customer(app)
            erased = app.register_customer(meta(command_id="two"), CONTACT).aggregate_id
            app.erase_customer(meta(command_id="erase"), erased)
            assert app.contact_of(kept) == CONTACT
            assert app.contact_of(erased) == ERASED_CONTACT
        # then their keys are in that database, and the events' database has no key schema
        schema = keys_schema(settings.db_schema)
        with psycopg.connect(keys_url) as conn:
            rows = conn.execute(f'SELECT subject FROM "{schema}".data_keys').fetchall()
        assert {str(kept), str(erased)} <= {row[0] for row in rows}
        with psycopg.connect(postgres_server.url) as conn:
            found = conn.execute(
                "SELECT count(*) FROM pg_namespace WHERE nspname = %s", (schema,)
            ).fetchone()
        assert found == (0,)
    finally:
        with psycopg.connect(postgres_server.url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")
