"""The export rows view: the same tables however the log is batched, and keyset scans that read
each row of a window once, in order, whatever the page size; on SQLite and PostgreSQL."""

from __future__ import annotations

from application.app import CareLedger
from projections.engine import tracking
from projections.engine.keyset import keyset_scan
from projections.engine.runner import Runner
from projections.engine.store import ViewStore
from projections.views.export_rows import COMPLAINT_ROWS, ExportRowsProjection
from tests.api.export_script import Script
from tests.projections.batch_invariance import dump, live_and_rebuilt
from tests.projections.catch_up import Project


def test_tables_do_not_depend_on_batch_boundaries(
    app: CareLedger, views: ViewStore, project: Project
) -> None:
    # given the script built live one event at a time
    Script(app).run()
    projection = ExportRowsProjection()
    project(projection, batch_size=1)
    # when rebuilt in batches of 1000 into generation 2, and of 3 into generation 3
    live, rebuilt = live_and_rebuilt(app, views, projection)
    with views.transaction() as tx:
        tracking.start_generation(tx, projection, 3)
    Runner(app, views, projection, batch_size=3, generation=3).catch_up()
    # then all hold the same five complaints, one survey and two orders
    assert live == rebuilt == dump(views, projection, 3)
    tables = ("complaint_rows", "survey_rows", "order_rows")
    assert [len(live[table]) for table in tables] == [5, 1, 2]


def test_a_scan_reads_each_row_of_the_window_once_in_order(
    app: CareLedger, views: ViewStore, project: Project
) -> None:
    script = Script(app).run()
    project(ExportRowsProjection())
    expected = [row["complaint_id"] for row in script.complaints]

    def scanned(batch: int) -> list[list[str]]:
        pages = keyset_scan(
            views,
            ExportRowsProjection.name,
            COMPLAINT_ROWS,
            key="received_at",
            start=script.start.timestamp(),
            end=script.end.timestamp(),
            batch=batch,
        )
        return [[row.complaint_id for row in page] for page in pages]

    assert scanned(1000) == [expected]
    assert scanned(2) == [expected[:2], expected[2:]]
    # a page exactly full: the next (empty) read ends the scan without an empty page
    assert scanned(3) == [expected]
    assert scanned(1) == [[complaint] for complaint in expected]
