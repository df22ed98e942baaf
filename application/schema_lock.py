"""Schema creation and upgrades under a PostgreSQL advisory lock, so any number of processes
may start at once on an empty database: `CREATE … IF NOT EXISTS` alone races on the catalog
(`UniqueViolation pg_type_typname_nsp_index`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from application.settings import Settings

LOCK_NAME = "careledger schema "  # + the schema's name, hashed into the lock's key
LOCK_SQL = "SELECT pg_advisory_lock(hashtext(%s))"
XACT_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtext(%s))"


def lock_key(schema: str) -> str:
    return LOCK_NAME + schema


@contextmanager
def schema_lock(settings: Settings) -> Iterator[None]:
    """Holds the schema's lock on a connection of its own (nothing on SQLite, whose writers
    queue anyway). Closing the connection releases it, whatever happens in between. A session
    lock: on PostgreSQL itself, never through a transaction pooler (which would leave it held
    on a server connection after this one closed)."""
    pg = settings.direct_postgres
    if pg is None:
        yield
        return
    with psycopg.connect(pg.conninfo, autocommit=True) as conn:
        conn.execute(LOCK_SQL, (lock_key(settings.db_schema),))
        yield
