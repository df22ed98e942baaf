"""The event log's order on PostgreSQL without a table lock held through each commit.

The library keeps notification ids in commit order by locking the event table in every
inserting transaction until it has committed, WAL flush included, so writers in different
processes take turns. Here a writer takes its ids, and its transaction id, in one short
critical section at the start of its transaction (`claim`, under an advisory lock released
before the statement ends; its receipts and events follow), and stores the transaction id
with each event. Within the section the transaction id is assigned first, so among writers a
lower id always belongs to a lower transaction id. A reader takes only events whose
transaction id is below the oldest transaction still running (`pg_snapshot_xmin` of its own
snapshot), in id order: every event below one it has seen belongs to a transaction at least
as old, finished by then, so none can turn up later below a position already passed. Exactly
once, in one order, for every reader.

An event becomes readable ("settled") once every transaction older than its own has ended,
which under load is a few milliseconds after its commit (a long write transaction anywhere
on the server delays every reader of the log until it ends; nothing is lost meanwhile).

Rows stored before this layout were written under the table lock, in commit order: they are
given transaction id 0, below every snapshot's xmin. The migration drops the id column's
default, so a writer of the old layout (an older version still running) fails instead of
inserting ids outside the critical section.
"""

from __future__ import annotations

import zlib

from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier, Literal

XMIN = SQL("pg_snapshot_xmin(pg_current_snapshot())")
LOCK_SPACE = zlib.crc32(b"careledger log order") & 0x7FFFFFFF
CLAIMED = "careledger.log_claimed"  # the first id the transaction claimed


class LogOrder:
    """The statements of one event table: its migration, the insert and the reads."""

    def __init__(self, schema: str, table: str, originator_id_type: str) -> None:
        self.schema, self.table = schema, table
        self.qualified = SQL("{}.{}").format(Identifier(schema), Identifier(table))
        self.claim_function = SQL("{}.{}").format(Identifier(schema), Identifier(table + "_claim"))
        self.lock_key = zlib.crc32(f"{schema}.{table}".encode()) & 0x7FFFFFFF
        # The claim stashes its first id for the transaction's insert (a setting local to the
        # transaction: gone, and the insert refused, once it ends), so the receipts can be
        # written between the two with no round trip added.
        self.claim = SQL("SELECT {}(%s)").format(self.claim_function)
        self.insert = SQL(
            "INSERT INTO {t} (originator_id, originator_version, topic, state, notification_id,"
            " transaction_id) SELECT e.originator_id, e.originator_version, e.topic, e.state,"
            " current_setting({claimed})::bigint + e.n - 1, pg_current_xact_id()"
            " FROM unnest(%s::{id_type}[], %s::bigint[], %s::text[], %s::bytea[]) WITH ORDINALITY"
            " AS e(originator_id, originator_version, topic, state, n)"
            " RETURNING notification_id"
        ).format(t=self.qualified, claimed=Literal(CLAIMED), id_type=SQL(originator_id_type))
        self.heads = SQL(
            "SELECT (SELECT max(notification_id) FROM {t}) AS committed,"
            " (SELECT max(notification_id) FROM {t} WHERE transaction_id < {xmin}) AS settled"
        ).format(t=self.qualified, xmin=XMIN)
        self.settled_head = SQL(
            "SELECT max(notification_id) AS settled FROM {t} WHERE transaction_id < {xmin}"
        ).format(t=self.qualified, xmin=XMIN)
        self.settled = SQL("transaction_id < {}").format(XMIN)

    def migrate(self, curs: Cursor[DictRow]) -> None:
        """Brings the table to this layout (idempotent; in the caller's transaction, under the
        schema lock): the transaction id column, no id default, a sequence that hands its
        values out in order (no per-session cache), and the claim function."""
        curs.execute(
            "SELECT column_name, column_default FROM information_schema.columns"
            " WHERE table_schema = %s AND table_name = %s"
            " AND column_name IN ('notification_id', 'transaction_id')",
            (self.schema, self.table),
        )
        defaults = {row["column_name"]: row["column_default"] for row in curs.fetchall()}
        if "transaction_id" not in defaults:
            # Existing rows read 0: written under the table lock, in order, all long settled.
            curs.execute(
                SQL("ALTER TABLE {} ADD COLUMN transaction_id xid8 NOT NULL DEFAULT '0'").format(
                    self.qualified
                )
            )
            defaults["transaction_id"] = "'0'::xid8"
        for column, default in defaults.items():
            if default is not None:
                curs.execute(
                    SQL("ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT").format(
                        self.qualified, Identifier(column)
                    )
                )
        sequence = self._sequence(curs)
        curs.execute("SELECT seqcache FROM pg_sequence WHERE seqrelid = %s::regclass", (sequence,))
        row = curs.fetchone()
        if row is None or row["seqcache"] != 1:
            curs.execute(SQL("ALTER SEQUENCE {} CACHE 1").format(SQL(sequence)))
        curs.execute(self._claim_function_sql(sequence))

    def _sequence(self, curs: Cursor[DictRow]) -> str:
        curs.execute(
            "SELECT pg_get_serial_sequence(%s, 'notification_id') AS seq",
            (self.qualified.as_string(curs),),
        )
        row = curs.fetchone()
        if row is None or row["seq"] is None:
            raise RuntimeError(f"{self.schema}.{self.table}.notification_id owns no sequence")
        return str(row["seq"])

    def _claim_function_sql(self, sequence: str) -> Composed:
        # The lock is a session lock taken and released inside this one call (so it is never
        # held through the commit); the handler releases it whatever fails in between, a
        # cancelled statement included, and the lock wait itself ends by the statement timeout.
        keys = SQL("{}, {}").format(Literal(LOCK_SPACE), Literal(self.lock_key))
        return SQL(
            "CREATE OR REPLACE FUNCTION {claim}(n integer) RETURNS void LANGUAGE plpgsql"
            " AS $claim$"
            " DECLARE first_id bigint;"
            " BEGIN"
            "   IF pg_current_xact_id_if_assigned() IS NOT NULL THEN"
            "     RAISE EXCEPTION 'log positions must be claimed before the transaction writes';"
            "   END IF;"
            "   BEGIN"
            "     PERFORM pg_advisory_lock({keys});"
            "     PERFORM pg_current_xact_id();"
            "     first_id := nextval({seq}::regclass);"
            "     IF n > 1 THEN PERFORM setval({seq}::regclass, first_id + n - 1); END IF;"
            "     PERFORM pg_advisory_unlock({keys});"
            "   EXCEPTION WHEN OTHERS OR query_canceled THEN"
            "     IF EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory'"
            "         AND pid = pg_backend_pid() AND classid = {space} AND objid = {key}"
            "         AND objsubid = 2 AND granted) THEN"
            "       PERFORM pg_advisory_unlock({keys});"
            "     END IF;"
            "     RAISE;"
            "   END;"
            "   PERFORM set_config({claimed}, first_id::text, true);"
            " END $claim$"
        ).format(
            claim=self.claim_function,
            keys=keys,
            seq=Literal(sequence),
            space=Literal(LOCK_SPACE),
            key=Literal(self.lock_key),
            claimed=Literal(CLAIMED),
        )
