from __future__ import annotations

from projections.engine.store import BULK_FROM, ViewStore


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
