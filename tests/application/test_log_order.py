"""The log's order on PostgreSQL without the table lock (`application/log_order.py`): an event
waits for every older transaction, the claim refuses a transaction that wrote first, and a
table of the old layout is upgraded in place."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder

from application import recorders
from application.app import CareLedger
from application.log_order import LOCK_SPACE
from application.recorders import PostgresReceiptRecorder, Receipt
from tests.backends import make_settings

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_app(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[CareLedger]:
    ledger = CareLedger(make_settings("postgres", tmp_path, request))
    try:
        yield ledger
    finally:
        ledger.close()


def events(n: int = 1) -> list[StoredEvent]:
    return [StoredEvent(uuid4(), 1, "tests.Happened", os.urandom(16)) for _ in range(n)]


def recorder_of(app: CareLedger) -> PostgresReceiptRecorder:
    assert isinstance(app.recorder, PostgresReceiptRecorder)
    return app.recorder


def settled_ids(recorder: PostgresReceiptRecorder) -> list[int]:
    return [n.id for n in recorder.select_notifications(0, 100, inclusive_of_start=False)]


def committed_ids(recorder: PostgresReceiptRecorder) -> list[int]:
    with recorder.datastore.get_connection() as conn:
        rows = conn.execute(
            f"SELECT notification_id FROM {recorder.datastore.schema}.{recorder.events_table_name}"
            " ORDER BY notification_id"
        ).fetchall()
    return [row["notification_id"] for row in rows]


def begin_insert(
    conn: psycopg.Connection[dict[str, object]],
    recorder: PostgresReceiptRecorder,
    stored: Sequence[StoredEvent],
) -> list[int]:
    """Opens a transaction and inserts as the recorder does, leaving it uncommitted."""
    conn.execute("BEGIN")
    conn.execute(recorder.log_order.claim, (len(stored),))
    rows = conn.execute(recorder.log_order.insert, recorders._columns(stored)).fetchall()
    return sorted(int(str(row["notification_id"])) for row in rows)


def test_an_event_is_read_only_once_every_older_transaction_has_ended(
    pg_app: CareLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = recorder_of(pg_app)
    monkeypatch.setattr(recorders, "SETTLE_WAIT_S", 0.05)
    with recorder.datastore.get_connection() as older, recorder.datastore.get_connection() as newer:
        # The older transaction claims the lower ids, the newer one commits first
        (a,) = begin_insert(older, recorder, events())
        b, c = begin_insert(newer, recorder, events(2))
        newer.execute("COMMIT")
        assert a < b < c
        # Committed and visible, but a reader that took b and c would pass a forever: none does
        assert committed_ids(recorder) == [b, c]
        assert settled_ids(recorder) == []
        assert recorder.max_notification_id() is None
        older.execute("COMMIT")
    # Now the three, in one order
    assert settled_ids(recorder) == [a, b, c]
    assert recorder.max_notification_id() == c


def test_a_rolled_back_claim_leaves_a_gap_that_nothing_waits_on(pg_app: CareLedger) -> None:
    recorder = recorder_of(pg_app)
    with recorder.datastore.get_connection() as conn:
        (lost,) = begin_insert(conn, recorder, events())
        conn.execute("ROLLBACK")
    (kept,) = recorder.insert_events(events(), receipts=[]) or []
    assert kept > lost
    assert settled_ids(recorder) == [kept]
    assert recorder.max_notification_id() == kept


def test_the_head_waits_for_events_committed_before_it_to_settle(pg_app: CareLedger) -> None:
    recorder = recorder_of(pg_app)
    (first,) = recorder.insert_events(events(), receipts=[]) or []
    with recorder.datastore.get_connection() as blocker:
        # Any transaction holding a transaction id (here one that wrote a receipt) holds back
        # the events committed after it began; the head says so by waiting, then answers what
        # is settled
        blocker.execute("BEGIN")
        blocker.execute(recorder.sql_claim_receipts, [["x"], ["c"], ["f"], [uuid4()], [1]])
        (second,) = recorder.insert_events(events(), receipts=[]) or []
        assert recorder.max_notification_id() == first
        blocker.execute("COMMIT")
    assert recorder.max_notification_id() == second


def test_positions_are_claimed_before_the_transaction_writes_anything(
    pg_app: CareLedger,
) -> None:
    recorder = recorder_of(pg_app)
    with recorder.datastore.get_connection() as conn:
        conn.execute("BEGIN")
        conn.execute(recorder.sql_claim_receipts, [["y"], ["c"], ["f"], [uuid4()], [1]])
        with pytest.raises(psycopg.errors.RaiseException, match="claimed before"):
            conn.execute(recorder.log_order.claim, (1,))
        conn.execute("ROLLBACK")
        # The claim's lock was not left behind: another writer goes on at once
        (later,) = recorder.insert_events(events(), receipts=[]) or []
    assert settled_ids(recorder) == [later]


def test_events_and_receipts_still_commit_together(pg_app: CareLedger) -> None:
    recorder = recorder_of(pg_app)
    stored = events(3)
    receipt = Receipt("cmd-1", "tests", "f", UUID(str(stored[0].originator_id)), 1)
    ids = recorder.insert_events(stored, receipts=[receipt]) or []
    assert ids == settled_ids(recorder) and len(ids) == 3
    with pytest.raises(recorders.ReceiptTakenError):
        recorder.insert_events(events(2), receipts=[receipt])
    assert settled_ids(recorder) == ids
    with pytest.raises(IntegrityError):  # the same aggregate version again: a conflict
        recorder.insert_events(stored[:1], receipts=[])
    assert settled_ids(recorder) == ids


def test_a_table_of_the_old_layout_is_upgraded_in_place(pg_app: CareLedger) -> None:
    datastore = recorder_of(pg_app).datastore
    # A log written by the library's own recorder (table lock, ids from the column default)
    old = PostgresApplicationRecorder(datastore, events_table_name="legacy_events")
    old.create_table()
    before = [n for batch in (events(2), events(1)) for n in old.insert_events(batch) or []]
    # Upgraded: the old rows read as they were, in their order; new ids come after them
    upgraded = PostgresReceiptRecorder(datastore, events_table_name="legacy_events")
    upgraded.create_table()
    upgraded.create_table()  # idempotent
    assert settled_ids(upgraded) == before
    after = list(upgraded.insert_events(events(2), receipts=[]) or [])
    assert min(after) > max(before)
    assert settled_ids(upgraded) == before + after
    assert upgraded.max_notification_id() == max(after)
    # A writer of the old layout still running is refused rather than let write out of order
    with pytest.raises(IntegrityError, match="notification_id"):
        old.insert_events(events())
    assert settled_ids(upgraded) == before + after


def test_an_insert_without_its_claim_is_refused(pg_app: CareLedger) -> None:
    recorder = recorder_of(pg_app)
    with recorder.datastore.get_connection() as conn:
        conn.execute("BEGIN")
        with pytest.raises(psycopg.errors.UndefinedObject):
            conn.execute(recorder.log_order.insert, recorders._columns(events()))
        conn.execute("ROLLBACK")
    assert committed_ids(recorder) == []


def advisory_locks_held(conn: psycopg.Connection[dict[str, object]]) -> int:
    row = conn.execute(
        "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND granted"
        " AND pid = pg_backend_pid()"
    ).fetchone()
    assert row is not None
    return int(str(row["n"]))


def test_a_claim_that_fails_inside_its_critical_section_releases_the_lock(
    pg_app: CareLedger,
) -> None:
    recorder = recorder_of(pg_app)
    table = f"{recorder.datastore.schema}.{recorder.events_table_name}"
    with recorder.datastore.get_connection() as conn:
        # given a sequence that cannot go on: the claim fails after taking the lock
        found = conn.execute(
            "SELECT pg_get_serial_sequence(%s, 'notification_id') AS s", (table,)
        ).fetchone()
        assert found is not None
        seq = found["s"]
        conn.execute(f"SELECT setval('{seq}', 100)")
        conn.execute(f"ALTER SEQUENCE {seq} MAXVALUE 100")
        conn.execute("BEGIN")
        with pytest.raises(psycopg.errors.SequenceGeneratorLimitExceeded):
            conn.execute(recorder.log_order.claim, (1,))
        conn.execute("ROLLBACK")
        # then the session holds no lock any more
        assert advisory_locks_held(conn) == 0
        conn.execute(f"ALTER SEQUENCE {seq} MAXVALUE 1000")
    (later,) = recorder.insert_events(events(), receipts=[]) or []
    assert later == 101


def test_a_claim_cancelled_while_waiting_for_the_lock_leaves_none_behind(
    pg_app: CareLedger,
) -> None:
    recorder = recorder_of(pg_app)
    with recorder.datastore.get_connection() as holder, recorder.datastore.get_connection() as conn:
        # given another session inside the critical section (holding its lock)
        space, key = LOCK_SPACE, recorder.log_order.lock_key
        holder.execute("SELECT pg_advisory_lock(%s, %s)", (space, key))
        # when a claim waits past its statement timeout
        conn.execute("BEGIN")
        conn.execute("SET LOCAL statement_timeout = 100")
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute(recorder.log_order.claim, (1,))
        conn.execute("ROLLBACK")
        # then it holds nothing, and claims go on once the holder lets go
        assert advisory_locks_held(conn) == 0
        holder.execute("SELECT pg_advisory_unlock(%s, %s)", (space, key))
    assert recorder.insert_events(events(), receipts=[])
