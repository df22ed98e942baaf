from __future__ import annotations

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
