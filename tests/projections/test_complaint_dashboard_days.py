"""The complaint dashboard over several days: whole days read from the daily tables, the edges
from the hourly ones, with the same figures as summing the hours alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import combinations
from uuid import UUID

from application.app import CareLedger
from projections.engine import tracking
from projections.engine.reading import hours_between
from projections.engine.store import Row, ViewStore
from projections.views.complaint_dashboard import (
    ComplaintDashboard,
    ComplaintDashboardProjection,
    ages_at,
    complaint_dashboard,
    dashboard_of,
)
from projections.views.complaint_dashboard_records import complaints_resolved, unanswered_ages
from projections.views.complaint_dashboard_tables import Bucket, DurationStats
from tests.projections.batch_invariance import live_and_rebuilt
from tests.projections.catch_up import Project
from tests.projections.desk import Desk
from tests.support import meta

D0 = datetime(2026, 11, 23, tzinfo=UTC)
DAY_S = 86_400


def on(day: int, hh: int, mm: int, ss: int = 0) -> datetime:
    return D0 + timedelta(days=day, hours=hh, minutes=mm, seconds=ss)


def first_part(app: CareLedger, desk: Desk) -> dict[str, UUID]:
    """D0 20:30 to D2 09:05; returns the complaints the second part goes on with."""
    # Z (web) D0 20:30, before the main window: answered after 200 s, product_quality/major
    z = desk.file(on(0, 20, 30), "web")
    app.send_first_response(meta(on(0, 20, 33, 20)), z)
    desk.classify(on(0, 20, 40), z, "product_quality", "major")
    # A (phone) D0 21:10: answered after 59 s, logistics/general, resolved D1 08:10 (11 h)
    a = desk.file(on(0, 21, 10), "phone")
    app.send_first_response(meta(on(0, 21, 10, 59)), a)
    desk.classify(on(0, 21, 20), a, "logistics", "general")
    app.assign_responsibility(meta(on(0, 21, 25)), a, "logistics", "p1")
    desk.resolve((on(1, 7, 50), on(1, 7, 55), on(1, 8, 10)), a, "explained")
    # B (app) D0 23:40: answered after 120 s, product_quality/general, quality
    b = desk.file(on(0, 23, 40), "app")
    app.send_first_response(meta(on(0, 23, 42)), b)
    desk.classify(on(0, 23, 50), b, "product_quality", "general")
    app.assign_responsibility(meta(on(0, 23, 55)), b, "quality", "p2")
    # C (web) D1 02:00: answered after 120 s, logistics/major, logistics
    c = desk.file(on(1, 2, 0), "web")
    app.send_first_response(meta(on(1, 2, 2)), c)
    desk.classify(on(1, 2, 10), c, "logistics", "major")
    app.assign_responsibility(meta(on(1, 2, 15)), c, "logistics", "p3")
    # D (email) D1 14:00: answered after 61 s, after_sales/general, rejected at 15:00 (1 h)
    d = desk.file(on(1, 14, 0), "email")
    app.send_first_response(meta(on(1, 14, 1, 1)), d)
    desk.classify(on(1, 14, 5), d, "after_sales", "general")
    app.assign_responsibility(meta(on(1, 14, 10)), d, "after_sales", "p4")
    desk.resolve((on(1, 14, 20), on(1, 14, 30), on(1, 15, 0)), d, "rejected")
    # I (web) D1 20:00: answered after 120 s, classified only in the second part
    i = desk.file(on(1, 20, 0), "web")
    app.send_first_response(meta(on(1, 20, 2)), i)
    # E (chat) D2 09:00: answered after 61 s, logistics/general, technical
    e = desk.file(on(2, 9, 0), "chat")
    app.send_first_response(meta(on(2, 9, 1, 1)), e)
    desk.classify(on(2, 9, 5), e, "logistics", "general")
    app.assign_responsibility(meta(on(2, 9, 10)), e, "technical", "p5")
    return {"b": b, "c": c, "i": i, "e": e}


def second_part(app: CareLedger, desk: Desk, ids: dict[str, UUID]) -> None:
    """D2 10:00 to D3 05:10: relabels of complaints received on earlier days, new complaints."""
    b, c, i, e = ids["b"], ids["c"], ids["i"], ids["e"]
    # B becomes food_safety/urgent (in D0 23:00), resolved D2 10:30 (34 h 50 min after receipt)
    app.reclassify_complaint(meta(on(2, 10, 0)), b, "food_safety", "detail", "urgent")
    desk.resolve((on(2, 10, 10), on(2, 10, 20), on(2, 10, 30)), b, "compensated")
    # F (sms) D2 13:00: answered after 120 s, food_safety/general
    f = desk.file(on(2, 13, 0), "sms")
    app.send_first_response(meta(on(2, 13, 2)), f)
    desk.classify(on(2, 13, 5), f, "food_safety", "general")
    # E moves from technical to customer_service (in D2 09:00)
    app.assign_responsibility(meta(on(2, 18, 0)), e, "customer_service", "p6")
    # C leaves logistics/major for service_attitude/general (in D1 02:00) in the same batch
    # as I, of the same day, is classified logistics/general: D1's logistics count stays 1
    app.reclassify_complaint(meta(on(3, 1, 0)), c, "service_attitude", "detail", "general")
    desk.classify(on(3, 1, 5), i, "logistics", "general")
    # G (api) D3 01:30: answered after 61 s, nothing else
    g = desk.file(on(3, 1, 30), "api")
    app.send_first_response(meta(on(3, 1, 31, 1)), g)
    # H (phone) D3 05:00, after the main window: answered after 600 s, privacy/urgent
    h = desk.file(on(3, 5, 0), "phone")
    app.send_first_response(meta(on(3, 5, 10)), h)
    desk.classify(on(3, 5, 20), h, "privacy", "urgent")


def project_in_two_batches(app: CareLedger, project: Project) -> None:
    desk = Desk(app)
    ids = first_part(app, desk)
    project(ComplaintDashboardProjection())
    second_part(app, desk, ids)
    project(ComplaintDashboardProjection())


def hourly_only(views: ViewStore, start: datetime, end: datetime) -> ComplaintDashboard:
    """The dashboard summed from the hourly tables alone, as it was read before the rollup
    (the unanswered complaints and the distinct ones resolved are read by the hour anyway)."""
    first, last = hours_between(start, end)
    p = active(views)
    with views.transaction() as tx:
        counts = tx.all(
            f"SELECT dimension, label, SUM(n) FROM {p}counts WHERE hour BETWEEN ? AND ?"
            " GROUP BY dimension, label",
            (first, last),
        )
        buckets = tx.all(
            f"SELECT measure, bucket, SUM(n), SUM(total_ms) FROM {p}durations"
            " WHERE hour BETWEEN ? AND ? GROUP BY measure, bucket ORDER BY measure, bucket",
            (first, last),
        )
        waiting = unanswered_ages(tx, p, first, last, ages_at(last, None))
        resolved = complaints_resolved(tx, p, first, last)
    histograms: dict[str, list[Bucket]] = {}
    for measure, bucket, n, total in buckets:
        histograms.setdefault(measure, []).append(Bucket(int(bucket), int(n), int(total)))
    return dashboard_of(first, last, counts, histograms, waiting, resolved)


def active(views: ViewStore) -> str:
    name = ComplaintDashboardProjection.name
    with views.transaction() as tx:
        generation = tracking.active_generation(tx, name)
    assert generation is not None
    return tracking.prefix(name, generation)


def rows(views: ViewStore, sql: str) -> list[Row]:
    """The rows in order, numbers as int (PostgreSQL sums BIGINT to NUMERIC)."""
    with views.transaction() as tx:
        found = tx.all(sql)
    return sorted(tuple(v if isinstance(v, str) else int(v) for v in row) for row in found)


def test_a_window_with_partial_days_at_both_ends_counts_exactly(
    app: CareLedger,
    views: ViewStore,
    project: Project,
) -> None:
    # given complaints over four days, projected in two batches
    project_in_two_batches(app, project)
    # when the window is D0 21:00 to D3 03:00: 3 hours, the whole days D1 and D2, 3 hours
    window = complaint_dashboard(views, on(0, 21, 0), on(3, 3, 0))
    assert (window.window_start, window.window_end) == (on(0, 21, 0), on(3, 3, 0))
    # then A, B (leading hours), C, D, I (D1), E, F (D2) and G (trailing hours) were received,
    # each with its labels now; Z (D0 20:30) and H (D3 05:00) fall outside
    assert window.by_channel == {
        "phone": 1,
        "app": 1,
        "web": 2,
        "email": 1,
        "chat": 1,
        "sms": 1,
        "api": 1,
    }
    assert window.by_category == {
        "logistics": 3,
        "food_safety": 2,
        "service_attitude": 1,
        "after_sales": 1,
    }
    assert window.by_severity == {"general": 6, "urgent": 1}
    assert window.by_department == {
        "logistics": 2,
        "quality": 1,
        "after_sales": 1,
        "customer_service": 1,
    }
    assert (window.received, window.unclassified, window.unassigned) == (8, 1, 3)
    # and A (D1 08:10), D (D1 15:00) and B (D2 10:30) were resolved
    assert window.by_outcome == {"explained": 1, "rejected": 1, "compensated": 1}
    assert (window.resolutions, window.complaints_resolved) == (3, 3)
    assert (window.reopened, window.reopen_rate) == (0, 0.0)
    # first responses: 59 s (A, leading), 61 s (D, D1; E, D2; G, trailing) share one bucket,
    # merged from the three spans: 4 responses, 242 s; then 120 s (B, C, I, F):
    # p50 = rank 4 -> that bucket's mean 60.5 s, p90 = p99 = rank 8 -> 120 s;
    # mean (242 + 4 * 120) / 8
    assert window.first_response_time == DurationStats(8, 60.5, 120.0, 120.0, 722 / 8)
    # resolutions: D 3600 s, A 39600 s, B 125400 s: p50 = rank 2, p90 = p99 = rank 3;
    # mean (3600 + 39600 + 125400) / 3
    assert window.resolution_time == DurationStats(3, 39600.0, 125400.0, 125400.0, 168600 / 3)
    # and every figure, SLA results and escalations too, is what summing its hours gives
    assert window == hourly_only(views, on(0, 21, 0), on(3, 3, 0))


def test_every_window_reads_the_same_as_summing_its_hours(
    app: CareLedger,
    views: ViewStore,
    project: Project,
) -> None:
    # given complaints over four days, projected in two batches
    project_in_two_batches(app, project)
    # when windows start and end at midnights, inside days, at the first and last hour of a
    # day and half-way through an hour
    edges = [
        on(0, 0, 0),
        on(0, 20, 0),
        on(0, 21, 0),
        on(1, 0, 0),
        on(1, 2, 0),
        on(1, 8, 30),
        on(1, 23, 0),
        on(2, 0, 0),
        on(2, 13, 0),
        on(3, 0, 0),
        on(3, 1, 0),
        on(3, 3, 0),
        on(3, 5, 0),
        on(4, 0, 0),
    ]
    # then each dashboard equals the one summed from the hourly tables alone
    for start, end in combinations(edges, 2):
        assert complaint_dashboard(views, start, end) == hourly_only(views, start, end)


def test_daily_tables_are_the_hourly_ones_summed_per_day(
    app: CareLedger,
    views: ViewStore,
    project: Project,
) -> None:
    # given complaints over four days, relabelled in a later batch than their receipt
    project_in_two_batches(app, project)
    p = active(views)
    # then each daily table holds its hourly table summed by UTC day
    day_of_hour = f"hour / {DAY_S} * {DAY_S}"
    for table, keys, values, sums in (
        ("counts", "dimension, label", "n", "SUM(n)"),
        ("durations", "measure, bucket", "n, total_ms", "SUM(n), SUM(total_ms)"),
    ):
        by_hour = rows(
            views,
            f"SELECT {day_of_hour}, {keys}, {sums} FROM {p}{table} GROUP BY {day_of_hour}, {keys}",
        )
        assert rows(views, f"SELECT day, {keys}, {values} FROM {p}{table}_daily") == by_hour
    # and a day's category counts follow the relabels: C left logistics and I joined it on D1,
    # B moved from product_quality to food_safety on D0
    day = [int(on(d, 0, 0).timestamp()) for d in range(4)]
    assert rows(views, f"SELECT * FROM {p}counts_daily WHERE dimension = 'category'") == [
        (day[0], "category", "food_safety", 1),
        (day[0], "category", "logistics", 1),
        (day[0], "category", "product_quality", 1),
        (day[1], "category", "after_sales", 1),
        (day[1], "category", "logistics", 1),
        (day[1], "category", "service_attitude", 1),
        (day[2], "category", "food_safety", 1),
        (day[2], "category", "logistics", 1),
        (day[3], "category", "privacy", 1),
    ]
    # and D1's major severity, C's only, went back to 0 and was removed, by hour and by day
    assert rows(views, f"SELECT * FROM {p}counts_daily WHERE dimension = 'severity'") == [
        (day[0], "severity", "general", 1),
        (day[0], "severity", "major", 1),
        (day[0], "severity", "urgent", 1),
        (day[1], "severity", "general", 3),
        (day[2], "severity", "general", 2),
        (day[3], "severity", "urgent", 1),
    ]
    for table in ("counts", "counts_daily"):
        assert rows(views, f"SELECT COUNT(*) FROM {p}{table} WHERE n = 0") == [(0,)]


def test_daily_tables_do_not_depend_on_batch_boundaries(
    app: CareLedger,
    views: ViewStore,
    project: Project,
) -> None:
    # given complaints over four days, projected in two batches
    project_in_two_batches(app, project)
    # when the view is rebuilt one event per batch into a new generation
    live, rebuilt = live_and_rebuilt(app, views, ComplaintDashboardProjection(), batch_size=1)
    # then every table, hourly and daily, holds the same rows, for the ten complaints
    assert live == rebuilt
    assert len(live["complaint_facts"]) == 10
