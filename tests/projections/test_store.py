from __future__ import annotations

import threading
from typing import Any

import psycopg
import pytest

from projections.engine.store import BULK_FROM, ViewStore, postgres_placeholders


def test_merge_inserts_then_updates_many_rows_the_same_way_on_both_backends(
    views: ViewStore,
) -> None:
    # given a counters table, and enough rows to take PostgreSQL's bulk path
    rows = [(f"k{i:03}", i) for i in range(BULK_FROM * 3)]
    with views.transaction() as tx:
        tx.execute("CREATE TABLE merge_test (k TEXT PRIMARY KEY, n BIGINT NOT NULL)")
    # when the rows are merged twice, in two transactions and then twice in one
    update = "n = merge_test.n + excluded.n"
    with views.transaction() as tx:
        tx.merge("merge_test", ("k", "n"), ("k",), rows, update)
    with views.transaction() as tx:
        tx.merge("merge_test", ("k", "n"), ("k",), rows, update)
        tx.merge("merge_test", ("k", "n"), ("k",), rows[:5], update)
    # then every key holds the sum of what was merged into it
    with views.transaction() as tx:
        stored = dict(tx.all("SELECT k, n FROM merge_test"))
    expected = {k: n * 2 + (n if n < 5 else 0) for k, n in rows}
    assert stored == expected


def test_question_marks_and_percents_inside_literals_stay_text_on_both_backends(
    views: ViewStore,
) -> None:
    # given a table and rows whose text holds the placeholder and the percent sign
    with views.transaction() as tx:
        tx.execute('CREATE TABLE "odd?names" (k TEXT PRIMARY KEY, note TEXT NOT NULL)')
        tx.execute("INSERT INTO \"odd?names\" VALUES (?, 'why? 100%')", ("a",))
        tx.execute('INSERT INTO "odd?names" VALUES (?, ?)', ("b", "it''s ? and %"))
    # when they are read back with placeholders beside literals that hold ? and %
    with views.transaction() as tx:
        found = tx.all(
            'SELECT k, note FROM "odd?names" -- which? 10%\n'
            " WHERE note LIKE '%?%' AND k <> ? AND 'it''s?' = 'it''s?' ORDER BY k",
            ("z",),
        )
    # then only the placeholders took parameters, and the literals kept their text
    assert found == [("a", "why? 100%"), ("b", "it''s ? and %")]


def test_the_postgres_style_leaves_literals_names_and_comments_alone() -> None:
    assert postgres_placeholders("SELECT ? WHERE a = '?' AND \"b?\" = ? -- ?") == (
        "SELECT %s WHERE a = '?' AND \"b?\" = %s -- ?"
    )
    assert postgres_placeholders("SELECT 'it''s ?', 7 % 2, ?") == "SELECT 'it''s ?', 7 %% 2, %s"
    assert postgres_placeholders("SELECT 'a%b'") == "SELECT 'a%%b'"


def _count_with_a_commit_between(views: ViewStore, reading: Any) -> tuple[int, int]:
    """Counts a table's rows twice in one read, while another thread inserts a row and commits
    between the two counts (on SQLite it waits for the read to end: one writer at a time)."""

    def insert() -> None:
        with views.transaction() as tx:
            tx.execute("INSERT INTO snapshot_test VALUES (?)", (2,))

    with reading() as tx:
        before = int(tx.scalar("SELECT COUNT(*) FROM snapshot_test"))
        writer = threading.Thread(target=insert)
        writer.start()
        writer.join(timeout=10 if views.dialect == "postgres" else 0.3)
        if views.dialect == "postgres":
            assert not writer.is_alive()  # committed between the two statements
        after = int(tx.scalar("SELECT COUNT(*) FROM snapshot_test"))
    writer.join()
    return before, after


def test_a_snapshot_reads_one_state_though_a_batch_commits_between_its_statements(
    views: ViewStore,
) -> None:
    # given a table with one row
    with views.transaction() as tx:
        tx.execute("CREATE TABLE snapshot_test (n BIGINT NOT NULL)")
        tx.execute("INSERT INTO snapshot_test VALUES (?)", (1,))
    # when a snapshot counts it twice, with a commit between the two counts
    before, after = _count_with_a_commit_between(views, views.snapshot)
    # then both counts are the state it began with, and the commit is there afterwards
    assert (before, after) == (1, 1)
    with views.transaction() as tx:
        assert tx.scalar("SELECT COUNT(*) FROM snapshot_test") == 2


def test_a_plain_postgres_read_sees_a_commit_between_its_statements(views: ViewStore) -> None:
    # given a table with one row, on PostgreSQL (READ COMMITTED: what a snapshot is for)
    if views.dialect != "postgres":
        pytest.skip("SQLite's transactions read one state")
    with views.transaction() as tx:
        tx.execute("CREATE TABLE snapshot_test (n BIGINT NOT NULL)")
        tx.execute("INSERT INTO snapshot_test VALUES (?)", (1,))
    # when a plain transaction counts it twice, with a commit between
    before, after = _count_with_a_commit_between(views, views.transaction)
    # then the second count sees the commit: a read of several statements could straddle it
    assert (before, after) == (1, 2)


def test_a_snapshot_refuses_writes_on_postgres(views: ViewStore) -> None:
    if views.dialect != "postgres":
        pytest.skip("on SQLite a snapshot is an ordinary transaction")
    with views.transaction() as tx:
        tx.execute("CREATE TABLE snapshot_test (n BIGINT NOT NULL)")
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction), views.snapshot() as tx:
        tx.execute("INSERT INTO snapshot_test VALUES (?)", (1,))
    with views.transaction() as tx:
        assert tx.scalar("SELECT COUNT(*) FROM snapshot_test") == 0
