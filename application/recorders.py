"""Event recorders that also write command receipts, in the same transaction as the events.

A receipt makes a command idempotent with the store's own uniqueness: a second transaction with
the same command id fails on the receipts table's primary key and records nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Notification, StoredEvent
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
)
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore
from eventsourcing.utils import strtobool
from psycopg import Connection, Cursor, Rollback
from psycopg import Error as PsycopgError
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composable, Identifier

from application.deadline import DEFAULT_DEADLINE_S, bounded, current
from application.log_order import LogOrder
from application.settings import PREPARED_STATEMENTS_ENV, TARGET_SESSION_ATTRS_ENV

log = logging.getLogger(__name__)

# How long a read of the log's head waits for the events committed before it to settle (every
# older transaction ended) before it answers with the settled part only.
SETTLE_WAIT_S = 1.0


# The library's own methods without its retry (10 tries, 0.2 s apart, each waiting up to the
# pool's timeout): ours try again only until the deadline.
def _unretried(method: Any) -> Any:
    return method.__wrapped__


_select_events = _unretried(PostgresAggregateRecorder.select_events)


@dataclass(frozen=True)
class Receipt:
    """The first outcome of a command: which aggregate it changed, and to which version."""

    command_id: str
    command: str
    fingerprint: str
    originator_id: UUID
    originator_version: int


class ReceiptTakenError(IntegrityError):
    """Another transaction recorded one of these command ids first: nothing was written."""


@dataclass
class _Claim:
    taken: bool = False


class BoundedAggregateRecorder(PostgresAggregateRecorder):
    """The snapshots' recorder: reads end by the deadline."""

    deadline_s: float = DEFAULT_DEADLINE_S

    def select_events(self, originator_id: UUID | str, **kwargs: Any) -> Sequence[StoredEvent]:
        deadline = current(self.deadline_s)
        return bounded(lambda: _select_events(self, originator_id, **kwargs), deadline)


def _connect_kwargs(datastore: PostgresDatastore) -> dict[str, Any]:
    kwargs = datastore.pool.kwargs
    assert isinstance(kwargs, dict)  # the library passes a dict of connect arguments
    return kwargs


def seek_session_attrs(datastore: PostgresDatastore, attrs: str | None) -> None:
    """With several hosts, libpq keeps the first whose session has these attributes
    (`read-write`: the primary); the library's datastore has no argument for it."""
    if attrs is not None:
        _connect_kwargs(datastore)["target_session_attrs"] = attrs


class CareLedgerPostgresFactory(PostgresFactory):
    aggregate_recorder_class = BoundedAggregateRecorder

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        if not strtobool(self.env.get(PREPARED_STATEMENTS_ENV, "y")):
            # Behind a transaction pooler a statement prepared on one server connection is
            # unknown on the next: none at all, even where the library asks (prepare=True).
            _connect_kwargs(self.datastore)["prepare_threshold"] = None
        seek_session_attrs(self.datastore, self.env.get(TARGET_SESSION_ATTRS_ENV))


class PostgresReceiptRecorder(PostgresApplicationRecorder):
    deadline_s: float = DEFAULT_DEADLINE_S

    def __init__(self, datastore: PostgresDatastore, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        schema = Identifier(datastore.schema)
        table = Identifier(events_table_name.removesuffix("_events") + "_receipts")
        self.receipts_table_name = table
        self.sql_create_schema = SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {}.{} (command_id text PRIMARY KEY,"
                " command text NOT NULL, fingerprint text NOT NULL, originator_id uuid NOT NULL,"
                " originator_version bigint NOT NULL,"
                " recorded_at timestamptz NOT NULL DEFAULT now())"
            ).format(schema, table)
        )
        # Never a constraint violation: one would abort the pipeline, which psycopg reports
        # as an OperationalError (retried as if the connection were lost) and which leaves its
        # prepared statements out of step with the server's.
        self.sql_claim_receipts = SQL(
            "INSERT INTO {}.{} (command_id, command, fingerprint, originator_id,"
            " originator_version) SELECT * FROM unnest(%s::text[], %s::text[], %s::text[],"
            " %s::uuid[], %s::bigint[]) ON CONFLICT (command_id) DO NOTHING RETURNING command_id"
        ).format(schema, table)
        self.sql_select_receipt = SQL(
            "SELECT command_id, command, fingerprint, originator_id, originator_version"
            " FROM {}.{} WHERE command_id = %s"
        ).format(schema, table)
        self.sql_count = SQL(
            "SELECT COUNT(*) AS n FROM {}.{} WHERE notification_id > %s AND notification_id <= %s"
        ).format(schema, Identifier(events_table_name))
        self.sql_select_position = SQL(
            "SELECT notification_id FROM {}.{} WHERE originator_id = %s AND originator_version = %s"
        ).format(schema, Identifier(events_table_name))
        self.log_order = LogOrder(datastore.schema, events_table_name, datastore.originator_id_type)
        self.sql_select_log = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state FROM {}.{}"
        ).format(schema, Identifier(events_table_name))
        self.sql_notify = SQL("NOTIFY {}").format(Identifier(self.channel_name))

    def create_table(self) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self.sql_create_schema)
        super().create_table()

    def _create_table(self, curs: Cursor[DictRow]) -> None:
        super()._create_table(curs)
        self.log_order.migrate(curs)

    def _statement_timeout_ms(self) -> int:
        return max(1, int(self.deadline_s * 1000))

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        deadline = kwargs.pop("deadline", None) or current(self.deadline_s)
        receipts: Sequence[Receipt] = kwargs.get("receipts", ())
        claim = _Claim()
        ids = bounded(lambda: self._write(stored_events, receipts, claim), deadline, writes=True)
        if claim.taken:
            raise ReceiptTakenError("a command id in this transaction was recorded before")
        return ids

    def _write(
        self, stored_events: Sequence[StoredEvent], receipts: Sequence[Receipt], claim: _Claim
    ) -> list[int]:
        """One transaction: the events' ids claimed (`application.log_order`), the receipts,
        the events; then, committed, the wake-up of the log's followers."""
        error: Exception | None = None
        ids: list[int] = []
        with self.datastore.get_connection() as conn:
            with conn.pipeline() as pipeline, conn.transaction():
                with conn.cursor() as curs:
                    # The statements end by the deadline too (the claim's lock wait included).
                    curs.execute(
                        SQL("SET LOCAL statement_timeout = {}").format(self._statement_timeout_ms())
                    )
                    try:
                        if stored_events:  # first: before anything gives it a transaction id
                            curs.execute(self.log_order.claim, (len(stored_events),), prepare=True)
                        if receipts:
                            # When one is there already, everything is rolled back cleanly (no
                            # server error, so no aborted pipeline) before any event is written.
                            columns = [list(c) for c in zip(*map(_row, receipts), strict=True)]
                            curs.execute(self.sql_claim_receipts, columns, prepare=True)
                            claim.taken = len(curs.fetchall()) < len(receipts)
                        if stored_events and not claim.taken:
                            curs.execute(
                                self.log_order.insert, _columns(stored_events), prepare=True
                            )
                            # A version conflict raises here (an IntegrityError), not at commit.
                            pipeline.sync()
                            ids = sorted(row["notification_id"] for row in curs.fetchall())
                    except Exception as failed:  # re-raised once out of the pipeline
                        error = failed
                if claim.taken:
                    raise Rollback
            if error is not None:
                raise error
            if not claim.taken and stored_events:
                self._notify(conn)
        return ids

    def _notify(self, conn: Connection[DictRow]) -> None:
        # After the commit, on its own: a NOTIFY inside the writing transaction would take the
        # database's notification lock at commit and hold it through the WAL flush, queueing
        # every writer behind it again. The followers also poll, so a lost wake-up only delays.
        try:
            conn.execute(self.sql_notify)
        except PsycopgError as failed:
            log.warning("could not wake the log's followers: %s", failed)

    def select_events(self, originator_id: UUID | str, **kwargs: Any) -> Sequence[StoredEvent]:
        deadline = current(self.deadline_s)
        return bounded(lambda: _select_events(self, originator_id, **kwargs), deadline)

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        """The settled events from `start`, in position order (`application.log_order`)."""
        conditions: list[Composable] = [self.log_order.settled]
        params: list[Any] = []
        if start is not None:
            conditions.append(
                SQL("notification_id >= %s" if inclusive_of_start else "notification_id > %s")
            )
            params.append(start)
        if stop is not None:
            conditions.append(SQL("notification_id <= %s"))
            params.append(stop)
        if topics:
            conditions.append(SQL("topic = ANY(%s)"))
            params.append(list(topics))
        statement = SQL("{} WHERE {} ORDER BY notification_id LIMIT %s").format(
            self.sql_select_log, SQL(" AND ").join(conditions)
        )
        params.append(limit)

        def select() -> list[Notification]:
            with self.datastore.get_connection() as conn, conn.cursor() as curs:
                curs.execute(statement, params, prepare=True)
                return [_notification(row) for row in curs.fetchall()]

        return bounded(select, current(self.deadline_s))

    def max_notification_id(self) -> int | None:
        """The log's head for a reader: everything committed before this call, once settled
        (every older transaction ended); after SETTLE_WAIT_S (or the deadline) the settled
        part only. Everything at or below the answer is final: no event will appear there."""
        deadline = current(self.deadline_s)
        committed, settled = bounded(self._heads, deadline)
        give_up = min(deadline, time.monotonic() + SETTLE_WAIT_S)
        pause = 0.0005
        while committed is not None and (settled or 0) < committed:
            if time.monotonic() >= give_up:
                log.warning(
                    "the log is settled up to %s of %s: an older transaction is still running",
                    settled,
                    committed,
                )
                break
            time.sleep(pause)
            pause = min(pause * 2, 0.01)
            settled = bounded(self._settled_head, deadline)
        return settled

    def _heads(self) -> tuple[int | None, int | None]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.log_order.heads, prepare=True)
            row = curs.fetchone()
        assert row is not None  # an aggregate query answers one row
        return row["committed"], row["settled"]

    def _settled_head(self) -> int | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.log_order.settled_head, prepare=True)
            row = curs.fetchone()
        assert row is not None
        settled: int | None = row["settled"]
        return settled

    def select_receipt(self, command_id: str) -> Receipt | None:
        return bounded(lambda: self._select_receipt(command_id), current(self.deadline_s))

    def _select_receipt(self, command_id: str) -> Receipt | None:
        # An autocommit read, as the library reads events: no BEGIN/ROLLBACK, which would
        # also make psycopg drop its prepared statements on every command.
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.sql_select_receipt, (command_id,), prepare=True)
            row = curs.fetchone()
        return None if row is None else Receipt(**row)

    def count_notifications(self, after: int, stop: int, topics: Sequence[str] = ()) -> int:
        """How many events lie in (after, stop], of the given topics if any."""
        statement, params = self.sql_count, [after, stop]
        if topics:
            statement += SQL(" AND topic = ANY(%s)")
            params.append(list(topics))  # type: ignore[arg-type]

        def count() -> int:
            with self.datastore.get_connection() as conn, conn.cursor() as curs:
                curs.execute(statement, params)
                row = curs.fetchone()
            return 0 if row is None else int(row["n"])

        return bounded(count, current(self.deadline_s))

    def position_of(self, originator_id: UUID, originator_version: int) -> int | None:
        def find() -> int | None:
            with self.datastore.get_connection() as conn, conn.cursor() as curs:
                curs.execute(
                    self.sql_select_position, (originator_id, originator_version), prepare=True
                )
                row = curs.fetchone()
            return None if row is None else int(row["notification_id"])

        return bounded(find, current(self.deadline_s))


class SQLiteReceiptRecorder(SQLiteApplicationRecorder):
    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        self.insert_events_statement = (
            f"INSERT INTO {self.events_table_name} (originator_id, originator_version, topic,"
            " state) VALUES (?, ?, ?, ?)"
        )
        self.sql_insert_receipt = (
            "INSERT INTO command_receipts (command_id, command, fingerprint, originator_id,"
            " originator_version) VALUES (?, ?, ?, ?, ?)"
        )

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            (
                "CREATE TABLE IF NOT EXISTS command_receipts (command_id TEXT PRIMARY KEY,"
                " command TEXT NOT NULL, fingerprint TEXT NOT NULL, originator_id TEXT NOT NULL,"
                " originator_version INTEGER NOT NULL,"
                " recorded_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
            ),
        ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        receipts: Sequence[Receipt] = kwargs.get("receipts", ())
        if receipts:
            c.executemany(self.sql_insert_receipt, [_row(r, hex_id=True) for r in receipts])
        return super()._insert_events(c, stored_events, **kwargs)

    def select_receipt(self, command_id: str) -> Receipt | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT command, fingerprint, originator_id, originator_version"
                " FROM command_receipts WHERE command_id = ?",
                (command_id,),
            )
            row = c.fetchone()
        if row is None:
            return None
        return Receipt(
            command_id=command_id,
            command=row["command"],
            fingerprint=row["fingerprint"],
            originator_id=UUID(row["originator_id"]),
            originator_version=row["originator_version"],
        )

    def count_notifications(self, after: int, stop: int, topics: Sequence[str] = ()) -> int:
        """How many events lie in (after, stop], of the given topics if any."""
        statement = f"SELECT COUNT(*) FROM {self.events_table_name} WHERE rowid > ? AND rowid <= ?"
        params: list[object] = [after, stop]
        if topics:
            statement += f" AND topic IN ({', '.join('?' for _ in topics)})"
            params.extend(topics)
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, params)
            return int(c.fetchone()[0])

    def position_of(self, originator_id: UUID, originator_version: int) -> int | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid FROM {self.events_table_name}"
                " WHERE originator_id = ? AND originator_version = ?",
                (originator_id.hex, originator_version),
            )
            row = c.fetchone()
        return None if row is None else int(row[0])


ReceiptRecorder = PostgresReceiptRecorder | SQLiteReceiptRecorder


def _columns(stored_events: Sequence[StoredEvent]) -> list[Any]:
    """The events as the insert's arrays."""
    return [
        [e.originator_id for e in stored_events],
        [e.originator_version for e in stored_events],
        [e.topic for e in stored_events],
        [e.state for e in stored_events],
    ]


def _notification(row: DictRow) -> Notification:
    return Notification(
        id=row["notification_id"],
        originator_id=row["originator_id"],
        originator_version=row["originator_version"],
        topic=row["topic"],
        state=bytes(row["state"]),
    )


def _row(receipt: Receipt, *, hex_id: bool = False) -> tuple[Any, ...]:
    originator: Any = receipt.originator_id.hex if hex_id else receipt.originator_id
    return (
        receipt.command_id,
        receipt.command,
        receipt.fingerprint,
        originator,
        receipt.originator_version,
    )
