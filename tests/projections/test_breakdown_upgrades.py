"""The views whose tables the breakdowns changed are rebuilt when an older version of them is
found: a generation built by the code before them lacks their new tables (the complaint
dashboard's order_regions and complaint_resolutions, the delay monitor's late_by), so it is
rebuilt into a new generation before it is followed, with the same figures, on SQLite and
PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from application.app import CareLedger
from projections.engine import tracking
from projections.engine.follower import Followers
from projections.engine.projection import Projection
from projections.engine.runner import Runner
from projections.engine.store import ViewStore
from projections.views.complaint_dashboard import ComplaintDashboardProjection, complaint_breakdown
from projections.views.order_delays import OrderDelaysProjection, delay_summary
from tests.projections.complaint_hours import at
from tests.projections.complaint_stories import record


def by_region(views: ViewStore) -> Any:
    return complaint_breakdown(views, at(8, 0), at(12, 0), "region")


def delays(views: ViewStore) -> Any:
    return delay_summary(views, at(8, 0), at(12, 0))


@pytest.mark.parametrize(
    ("projection", "added", "read"),
    [
        (ComplaintDashboardProjection(), ("order_regions", "complaint_resolutions"), by_region),
        (OrderDelaysProjection(), ("late_by", "late_by_daily"), delays),
    ],
    ids=["complaint_dashboard", "order_delays"],
)
def test_a_generation_without_the_new_tables_is_rebuilt_before_it_is_followed(
    app: CareLedger,
    views: ViewStore,
    projection: Projection,
    added: tuple[str, ...],
    read: Callable[[ViewStore], Any],
) -> None:
    # given the scripted hours (their complaints about orders in three regions) projected
    record(app)
    Runner(app, views, projection).catch_up()
    current = read(views)
    # and the generation made to look as the code before the breakdowns left it
    with views.transaction() as tx:
        for table in added:
            tx.execute(f"DROP TABLE {tracking.prefix(projection.name, 1)}{table}")
        assert tracking.outdated(tx, projection)
    # when the code follows it
    followers = Followers(app, views, [projection], poll_interval=0.02).start()
    try:
        # then it is rebuilt into generation 2, with every table and the same figures
        deadline = time.monotonic() + 30
        while not (generation(views, projection) == 2 and read(views) == current):
            assert time.monotonic() < deadline, "not rebuilt within 30 s"
            time.sleep(0.05)
    finally:
        followers.stop()
    with views.transaction() as tx:
        assert not tracking.outdated(tx, projection)


def generation(views: ViewStore, projection: Projection) -> int | None:
    with views.transaction() as tx:
        return tracking.active_generation(tx, projection.name)
