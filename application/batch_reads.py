"""Many aggregates' new events, or many commands' receipts, read in one round trip each."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from psycopg.sql import SQL, Identifier

from application.deadline import bounded, current
from application.recorders import PostgresReceiptRecorder, ReceiptRecorder

# The primary key (originator_id, originator_version) answers each pair with an index range.
_AFTER = (
    "SELECT e.originator_id, e.originator_version, e.topic, e.state"
    " FROM unnest(%s::uuid[], %s::bigint[]) AS a(id, version)"
    " JOIN {}.{} AS e ON e.originator_id = a.id AND e.originator_version > a.version"
    " ORDER BY e.originator_id, e.originator_version"
)


def select_events_after(
    recorder: ReceiptRecorder, after: Mapping[UUID, int]
) -> Sequence[StoredEvent]:
    """Each aggregate's events after the version given for it (0: all of them), by aggregate
    and version; on PostgreSQL in one statement, on SQLite (in-process) one read each."""
    if not after:
        return []
    if not isinstance(recorder, PostgresReceiptRecorder):
        return [e for aid, v in after.items() for e in recorder.select_events(aid, gt=v)]
    statement = SQL(_AFTER).format(
        Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name)
    )
    ids, versions = list(after), list(after.values())

    def select() -> list[StoredEvent]:
        with recorder.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, (ids, versions), prepare=True)
            return [
                StoredEvent(
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in curs.fetchall()
            ]

    return bounded(select, current(recorder.deadline_s))


def requested_before(recorder: ReceiptRecorder, command_ids: Sequence[str]) -> set[str]:
    """Those of the command ids that have a receipt: commands that ran already."""
    if not command_ids:
        return set()
    ids = list(dict.fromkeys(command_ids))
    if not isinstance(recorder, PostgresReceiptRecorder):
        marks = ", ".join("?" for _ in ids)
        with recorder.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT command_id FROM command_receipts WHERE command_id IN ({marks})", ids)
            return {str(row[0]) for row in c.fetchall()}
    statement = SQL("SELECT command_id FROM {}.{} WHERE command_id = ANY(%s)").format(
        Identifier(recorder.datastore.schema), recorder.receipts_table_name
    )

    def select() -> set[str]:
        with recorder.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, (ids,), prepare=True)
            return {str(row["command_id"]) for row in curs.fetchall()}

    return bounded(select, current(recorder.deadline_s))
