"""Keys and the contact index move out of the events' schema: before `<schema>_keys`, they
were kept in the tables `<app>_data_keys` and `<app>_contact_index` beside the events. The
first process to start takes them over and drops those tables, under the schema lock."""

from __future__ import annotations

from eventsourcing.postgres import PostgresDatastore
from psycopg.sql import SQL, Composed, Identifier

from application.contact_index import PostgresContactIndex
from application.keystore import as_bytes
from application.postgres_keystore import PostgresKeyStore


def move_legacy_keys(events: PostgresDatastore, legacy_table: str, store: PostgresKeyStore) -> int:
    """Moves every key of the old table into `store`, then drops the table; returns how many
    keys (destroyed ones included) were moved."""
    rows = _legacy_rows(events, legacy_table, ("subject", "wrapped_key"))
    if rows is None:
        return 0
    # Copied before the table goes: a crash in between copies again, and keeps what is there.
    store.adopt([(str(row["subject"]), as_bytes(row["wrapped_key"])) for row in rows])
    _drop(events, legacy_table)
    return len(rows)


def move_legacy_index(
    events: PostgresDatastore, legacy_table: str, index: PostgresContactIndex
) -> int:
    rows = _legacy_rows(events, legacy_table, ("digest", "customer_id"))
    if rows is None:
        return 0
    index.adopt([(str(row["digest"]), str(row["customer_id"])) for row in rows])
    _drop(events, legacy_table)
    return len(rows)


def _legacy_rows(
    events: PostgresDatastore, legacy_table: str, columns: tuple[str, ...]
) -> list[dict[str, object]] | None:
    """The old table's rows, or None when there is no such table (any more)."""
    with events.transaction(commit=False) as curs:
        curs.execute("SELECT to_regclass(%s) AS found", (f'"{events.schema}"."{legacy_table}"',))
        found = curs.fetchone()
        if found is None or found["found"] is None:
            return None
        names = SQL(", ").join(Identifier(column) for column in columns)
        curs.execute(SQL("SELECT {} FROM {}").format(names, _table(events, legacy_table)))
        return list(curs.fetchall())


def _drop(events: PostgresDatastore, legacy_table: str) -> None:
    with events.transaction(commit=True) as curs:
        curs.execute(SQL("DROP TABLE {}").format(_table(events, legacy_table)))


def _table(events: PostgresDatastore, name: str) -> Composed:
    return SQL("{}.{}").format(Identifier(events.schema), Identifier(name))
