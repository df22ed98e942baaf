"""Where read models live: one small interface, a SQLite and a PostgreSQL implementation.

Read-model SQL is written once with `?` placeholders and portable types (TEXT, BIGINT,
DOUBLE PRECISION, times as epoch seconds); on PostgreSQL each statement is put in psycopg's
own parameter style once (`postgres_placeholders`), outside literals, names and comments.
"""

from __future__ import annotations

import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import psycopg
from psycopg_pool import ConnectionPool

from application.postgres_target import PostgresTarget
from application.schema_lock import LOCK_NAME, XACT_LOCK_SQL, lock_key
from application.settings import Settings
from projections.engine.progress import Moved, Progress, views_channel
from projections.engine.tables import R

Row = tuple[Any, ...]


BULK_FROM = 32  # rows: below this, plain statements beat the staging table's round trips


@lru_cache(maxsize=2048)
def postgres_placeholders(sql: str) -> str:
    """The statement in psycopg's parameter style: each `?` outside a string literal, a quoted
    name or a comment becomes `%s`, and each `%` (a LIKE pattern, the modulo operator) `%%`.
    The text of literals, names and comments is kept as it is, but for `%`."""
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        char = sql[i]
        if char in "'\"":
            end = _closing(sql, i, char)
            out.append(sql[i:end].replace("%", "%%"))
            i = end
            continue
        if sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(sql[i:end].replace("%", "%%"))
            i = end
            continue
        out.append("%s" if char == "?" else "%%" if char == "%" else char)
        i += 1
    return "".join(out)


def _closing(sql: str, start: int, quote: str) -> int:
    """Just past the quote that closes the one at `start` (a doubled quote stays inside)."""
    i = start + 1
    while i < len(sql):
        if sql[i] == quote:
            if i + 1 < len(sql) and sql[i + 1] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    return len(sql)  # unclosed: the server reports the syntax error


class Tx:
    """One transaction on the view store. `moves`: the positions it moved (tracking.advance),
    told to the store's `progress` once it has committed; `channel`: where PostgreSQL NOTIFYs
    them to other processes (None on SQLite)."""

    def __init__(self, cursor: Any, dialect: str, channel: str | None = None) -> None:
        self._cursor = cursor
        self.dialect = dialect
        self.channel = channel
        self.moves: list[Moved] = []

    def _sql(self, sql: str) -> str:
        return postgres_placeholders(sql) if self.dialect == "postgres" else sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        self._cursor.execute(self._sql(sql), params)
        return int(self._cursor.rowcount)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        batch = list(rows)
        if batch:
            self._cursor.executemany(self._sql(sql), batch)

    def insert_rows(
        self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> None:
        """Appends new rows (no conflicts expected): COPY on PostgreSQL, several times faster
        than executemany for the one-row-per-event views."""
        names = ", ".join(columns)
        if self.dialect == "postgres":
            with self._cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join("?" for _ in columns)
        self.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)

    def merge(
        self,
        table: str,
        columns: Sequence[str],
        keys: Sequence[str],
        rows: Iterable[Sequence[Any]],
        updates: str,
    ) -> None:
        """Inserts rows, or updates the row of the same key with `updates` (SQL that may use
        `excluded.<column>`). On PostgreSQL the rows go in by COPY into a temporary table and
        one INSERT … SELECT … ON CONFLICT: executemany costs ~25 µs of Python per row, the
        bulk of a rebuild's writing. Keys must be unique within one call."""
        batch = list(rows)
        if not batch:
            return
        names, key_names = ", ".join(columns), ", ".join(keys)
        upsert = f" ON CONFLICT ({key_names}) DO UPDATE SET {updates}"
        if self.dialect != "postgres" or len(batch) < BULK_FROM:
            marks = ", ".join("?" for _ in columns)
            self.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks}){upsert}", batch)
            return
        staging = f"staging_{table}"[:63]
        self._cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {staging} ON COMMIT DELETE ROWS"
            f" AS SELECT {names} FROM {table} WITH NO DATA"
        )
        self.insert_rows(staging, columns, batch)
        self._cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {staging}{upsert}")
        self._cursor.execute(f"TRUNCATE {staging}")

    def lock_schema(self) -> None:
        """Until this transaction ends, no other process creates or upgrades the schema
        (PostgreSQL; SQLite's BEGIN IMMEDIATE already admits one writer at a time)."""
        if self.dialect == "postgres":
            key = "hashtext(? || current_schema())"
            self.execute(f"SELECT pg_advisory_xact_lock({key})", (LOCK_NAME,))

    def has_table(self, name: str) -> bool:
        if self.dialect == "postgres":
            return self.one("SELECT to_regclass(?) IS NOT NULL", (name,)) == (True,)
        found = self.one("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
        return found is not None

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        self._cursor.execute(self._sql(sql), params)
        return [tuple(row) for row in self._cursor.fetchall()]

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        self._cursor.execute(self._sql(sql), params)
        row = self._cursor.fetchone()
        return None if row is None else tuple(row)

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The one value a query selects (a count, a MIN, a position); None without a row."""
        self._cursor.execute(self._sql(sql), params)
        row = self._cursor.fetchone()
        if row is None:
            return None
        (value,) = row
        return value

    def records(self, record: type[R], sql: str, params: Sequence[Any] = ()) -> list[R]:
        """The rows of a query as records, by name: the query's columns must be named as the
        record's fields, in their order (checked on the first run of each query)."""
        self._cursor.execute(self._sql(sql), params)
        self._check_names(record, sql)
        make = record._make
        return [make(row) for row in self._cursor.fetchall()]

    def record(self, record: type[R], sql: str, params: Sequence[Any] = ()) -> R | None:
        self._cursor.execute(self._sql(sql), params)
        self._check_names(record, sql)
        row = self._cursor.fetchone()
        return None if row is None else record._make(row)

    def _check_names(self, record: type[NamedTuple], sql: str) -> None:
        if (record, sql) in _CHECKED:
            return
        names = tuple(str(column[0]).lower() for column in self._cursor.description)
        if names != tuple(field.lower() for field in record._fields):
            raise TypeError(f"the query gives columns {names}, not the fields {record._fields}")
        _CHECKED.add((record, sql))


_CHECKED: set[tuple[type[NamedTuple], str]] = set()  # queries whose column names matched the record


BOOKKEEPING = [
    "CREATE TABLE IF NOT EXISTS projection_generations (projection TEXT PRIMARY KEY,"
    " active INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS projection_tracking (projection TEXT NOT NULL,"
    " generation INTEGER NOT NULL, position BIGINT NOT NULL, updated_at DOUBLE PRECISION,"
    " PRIMARY KEY (projection, generation))",
    "CREATE TABLE IF NOT EXISTS projection_dead_letters (projection TEXT NOT NULL,"
    " generation INTEGER NOT NULL, position BIGINT NOT NULL, topic TEXT NOT NULL,"
    " originator_id TEXT NOT NULL, originator_version BIGINT NOT NULL, error TEXT NOT NULL,"
    " attempts INTEGER NOT NULL, failed_at DOUBLE PRECISION NOT NULL,"
    " PRIMARY KEY (projection, generation, position))",
]


class ViewStore(ABC):
    """The read models' database. Opening it creates the bookkeeping every projection shares
    (generations, positions, dead letters), so readers never meet a missing table."""

    dialect: str
    progress: Progress  # the moves committed through this store, told in this process

    def install_bookkeeping(self) -> None:
        with self.transaction() as tx:
            tx.lock_schema()
            for statement in BOOKKEEPING:
                tx.execute(statement)

    @abstractmethod
    def transaction(self, *, durable: bool = True, snapshot: bool = False) -> Any:
        """A context manager giving a Tx that commits on success and rolls back on error.

        `durable=False` lets the commit return before it is flushed to disk: for projection
        batches, which are derived from the log and move their position in the same
        transaction, a crash can only lose whole recent batches, which are then re-projected.
        `snapshot=True`: see `snapshot`.
        """

    def snapshot(self) -> Any:
        """A read-only transaction whose statements all see the same commits, for a read of
        several statements that must agree (a dashboard's counts, durations and ages): under
        PostgreSQL's READ COMMITTED each statement would see the commits made before it, so a
        read could straddle a projection batch. SQLite's transactions already read one state."""
        return self.transaction(snapshot=True)

    @abstractmethod
    def close(self) -> None: ...


CLOSE_WAIT_S = 10.0  # how long closing waits for the transactions still running


class SQLiteViewStore(ViewStore):
    """A database file of its own beside the events, so projecting never blocks commands."""

    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._active = 0  # transactions running: close waits for them (closing a connection
        # another thread is using crashes sqlite3: a request still reading at shutdown did)
        self.progress = Progress()

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def transaction(self, *, durable: bool = True, snapshot: bool = False) -> Iterator[Tx]:
        with self._idle:
            self._active += 1
        try:
            with self._transaction() as tx:
                yield tx
        finally:
            with self._idle:
                self._active -= 1
                self._idle.notify_all()

    @contextmanager
    def _transaction(self) -> Iterator[Tx]:
        conn = self._connection()  # BEGIN IMMEDIATE: one state throughout, snapshot or not
        cursor = conn.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        tx = Tx(cursor, self.dialect)
        try:
            yield tx
        except BaseException:
            conn.rollback()
            raise
        else:
            conn.commit()
        finally:
            cursor.close()
        self.progress.committed(tx.moves)

    def close(self) -> None:
        with self._idle:
            self._idle.wait_for(lambda: self._active == 0, timeout=CLOSE_WAIT_S)
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()


class PostgresViewStore(ViewStore):
    dialect = "postgres"

    def __init__(
        self,
        conninfo: str,
        schema: str,
        max_size: int = 8,
        timeout_s: float = 5.0,
        *,
        listen_conninfo: str | None = None,
        pooled: bool = False,
        prepared_statements: bool = True,
        standby: bool = False,
    ) -> None:
        """`pooled`: `conninfo` goes through a transaction pooler, which keeps no session
        state: the search path is set in each transaction instead of at connection, and
        `listen_conninfo` (PostgreSQL itself) is where LISTEN goes. `standby`: a read-only hot
        standby, where the primary has created everything."""
        if not standby:
            with psycopg.connect(conninfo) as conn, conn.transaction():
                conn.execute(XACT_LOCK_SQL, (lock_key(schema),))
                conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        self.conninfo = conninfo
        self.listen_conninfo = listen_conninfo or conninfo
        self.schema = schema
        self.channel = views_channel(schema)
        self.progress = Progress()
        self._search_path = f'SET LOCAL search_path = "{schema}"' if pooled else None
        kwargs: dict[str, Any] = {} if pooled else {"options": f"-c search_path={schema}"}
        if not prepared_statements:
            kwargs["prepare_threshold"] = None
        self.pool = ConnectionPool(
            conninfo,
            min_size=1,
            max_size=max_size,
            open=True,
            timeout=timeout_s,  # a read waits for a connection no longer than a command may
            check=ConnectionPool.check_connection,
            kwargs=kwargs,
        )

    @contextmanager
    def transaction(self, *, durable: bool = True, snapshot: bool = False) -> Iterator[Tx]:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
            if snapshot:  # before the transaction's first query, as PostgreSQL requires
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            if self._search_path is not None:
                cursor.execute(self._search_path)
            if not durable:
                cursor.execute("SET LOCAL synchronous_commit = off")
            tx = Tx(cursor, self.dialect, self.channel)
            yield tx
        self.progress.committed(tx.moves)

    def close(self) -> None:
        self.pool.close()


def target_conninfo(pg: PostgresTarget) -> str:
    return pg.conninfo


def open_view_store(settings: Settings) -> ViewStore:
    pg = settings.postgres
    if pg is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        store: ViewStore = SQLiteViewStore(settings.data_dir / "views.db")
    else:
        direct = settings.direct_postgres
        store = PostgresViewStore(
            target_conninfo(pg),
            settings.db_schema,
            max_size=settings.db_pool_size,
            timeout_s=settings.command_deadline_s,
            listen_conninfo=target_conninfo(direct) if direct is not None else None,
            pooled=settings.behind_pooler,
            prepared_statements=settings.db_prepared_statements,
        )
    store.install_bookkeeping()
    return store
