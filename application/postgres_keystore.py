"""The key store on PostgreSQL: a schema of its own, `<schema>_keys`, closed to PUBLIC, in the
events' database or another one (`CARELEDGER_KEYS_DATABASE_URL`), so a dump of the events
holds no key and the keys are backed up on their own, with a short retention."""

from __future__ import annotations

from eventsourcing.postgres import PostgresDatastore
from psycopg.sql import SQL, Identifier

from application.deadline import DEFAULT_DEADLINE_S, bounded, current
from application.key_listener import CHANNEL, KeyEvictionListener
from application.keystore import KeyCensus, KeyStore, StoredKey, as_bytes
from application.master_keys import MasterKeys

TABLE = "data_keys"
LOCK = "careledger keys "  # + the keys schema, hashed into an advisory lock's key


def keys_schema(events_schema: str) -> str:
    return f"{events_schema}_keys"


class PostgresKeyStore(KeyStore):
    def __init__(
        self,
        datastore: PostgresDatastore,
        conninfo: str,
        schema: str,
        masters: MasterKeys,
        cache_seconds: float = 5.0,
        *,
        deadline_s: float = DEFAULT_DEADLINE_S,
    ) -> None:
        super().__init__(masters, cache_seconds)
        self._datastore = datastore
        self._deadline_s = deadline_s
        self.schema = schema
        self._table = SQL("{}.{}").format(Identifier(schema), Identifier(TABLE))
        self._create()
        self._listener = KeyEvictionListener(conninfo, schema, self.evict, self._notify)

    def _create(self) -> None:
        schema = Identifier(self.schema)
        with self._datastore.transaction(commit=True) as curs:
            curs.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (LOCK + self.schema,))
            curs.execute(SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema))
            curs.execute(SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(schema))
            curs.execute(
                SQL(
                    "CREATE TABLE IF NOT EXISTS {} (subject text PRIMARY KEY, wrapped_key bytea,"
                    " wrapped_by text, destroyed_at timestamptz)"
                ).format(self._table)
            )
            curs.execute(SQL("REVOKE ALL ON TABLE {} FROM PUBLIC").format(self._table))
            curs.execute(
                SQL("CREATE INDEX IF NOT EXISTS {} ON {} (wrapped_by)").format(
                    Identifier(f"{TABLE}_wrapped_by"), self._table
                )
            )

    def _notify(self, channel: str, payload: str) -> None:
        with self._datastore.transaction(commit=True) as curs:
            curs.execute("SELECT pg_notify(%s, %s)", (channel, payload))

    def _cache_trusted(self) -> bool:
        return self._listener.trusted

    # Every statement here is safe to repeat; like the recorder's, it rides out a lost
    # connection (a database restart leaves every pooled connection dead), until the deadline.
    def _one(self, sql: SQL, *params: object) -> dict[str, object] | None:
        def run() -> dict[str, object] | None:
            with self._datastore.transaction(commit=True) as curs:
                curs.execute(sql.format(self._table), params)
                return curs.fetchone() if curs.description else None

        return bounded(run, current(self._deadline_s))

    def _all(self, sql: SQL, *params: object) -> list[dict[str, object]]:
        def run() -> list[dict[str, object]]:
            with self._datastore.transaction(commit=False) as curs:
                curs.execute(sql.format(self._table), params)
                return list(curs.fetchall())

        return bounded(run, current(self._deadline_s))

    def _load(self, subject: str) -> StoredKey | None:
        row = self._one(SQL("SELECT wrapped_key, wrapped_by FROM {} WHERE subject = %s"), subject)
        return None if row is None else _stored(row)

    def _is_destroyed(self, subject: str) -> bool:
        row = self._one(SQL("SELECT destroyed_at FROM {} WHERE subject = %s"), subject)
        return row is not None and row["destroyed_at"] is not None

    def _insert(self, subject: str, wrapped: bytes, wrapped_by: str) -> None:
        self._one(
            SQL(
                "INSERT INTO {} (subject, wrapped_key, wrapped_by) VALUES (%s, %s, %s)"
                " ON CONFLICT (subject) DO NOTHING"
            ),
            subject,
            wrapped,
            wrapped_by,
        )

    def _destroy(self, subject: str) -> None:
        # The notice goes out when the destruction commits, to every process listening.
        def run() -> None:
            with self._datastore.transaction(commit=True) as curs:
                curs.execute(
                    SQL(
                        "INSERT INTO {} (subject, wrapped_key, destroyed_at)"
                        " VALUES (%s, NULL, now()) ON CONFLICT (subject) DO UPDATE"
                        " SET wrapped_key = NULL, wrapped_by = NULL, destroyed_at = now()"
                    ).format(self._table),
                    (subject,),
                )
                curs.execute("SELECT pg_notify(%s, %s)", (CHANNEL, f"{self.schema} {subject}"))

        bounded(run, current(self._deadline_s))

    def _census(self) -> KeyCensus:
        rows = self._all(
            SQL(
                "SELECT wrapped_by, count(*) AS n FROM {} WHERE wrapped_key IS NOT NULL"
                " GROUP BY wrapped_by"
            )
        )
        destroyed = self._one(SQL("SELECT count(*) AS n FROM {} WHERE wrapped_key IS NULL"))
        return KeyCensus(
            {str(row["wrapped_by"]): _count(row["n"]) for row in rows},
            _count(None if destroyed is None else destroyed["n"]),
        )

    def _wrapped_elsewhere(self, current: str, limit: int) -> list[tuple[str, StoredKey]]:
        rows = self._all(
            SQL(
                "SELECT subject, wrapped_key, wrapped_by FROM {} WHERE wrapped_key IS NOT NULL"
                " AND wrapped_by IS DISTINCT FROM %s LIMIT %s"
            ),
            current,
            limit,
        )
        return [(str(row["subject"]), _stored(row)) for row in rows]

    def _rewrap(self, changes: list[tuple[str, StoredKey, bytes]], wrapped_by: str) -> int:
        def run() -> int:
            with self._datastore.transaction(commit=True) as curs:
                curs.execute(
                    SQL(
                        "UPDATE {} AS k SET wrapped_key = v.new, wrapped_by = %s"
                        " FROM unnest(%s::text[], %s::bytea[], %s::bytea[]) AS v(subject, old, new)"
                        " WHERE k.subject = v.subject AND k.wrapped_key = v.old"
                    ).format(self._table),
                    (
                        wrapped_by,
                        [subject for subject, _, _ in changes],
                        [stored.wrapped for _, stored, _ in changes],
                        [new for _, _, new in changes],
                    ),
                )
                return curs.rowcount

        return bounded(run, current(self._deadline_s))

    def adopt(self, rows: list[tuple[str, bytes | None]]) -> None:
        """Takes over keys kept elsewhere before (the old table in the events' schema): a key
        this store holds already, destroyed or not, stays as it is."""
        params = [
            (subject, wrapped, None if wrapped is None else self.masters.identify(subject, wrapped))
            for subject, wrapped in rows
        ]

        def run() -> None:
            with self._datastore.transaction(commit=True) as curs:
                curs.executemany(
                    SQL(
                        "INSERT INTO {} (subject, wrapped_key, wrapped_by, destroyed_at)"
                        " VALUES (%s, %s, %s, CASE WHEN %s::bytea IS NULL THEN now() END)"
                        " ON CONFLICT (subject) DO NOTHING"
                    ).format(self._table),
                    [(subject, wrapped, by, wrapped) for subject, wrapped, by in params],
                )

        bounded(run, current(self._deadline_s))

    def close(self) -> None:
        self._listener.close()
        super().close()


def _stored(row: dict[str, object]) -> StoredKey:
    by = row["wrapped_by"]
    return StoredKey(as_bytes(row["wrapped_key"]), None if by is None else str(by))


def _count(value: object) -> int:
    return value if isinstance(value, int) else 0
