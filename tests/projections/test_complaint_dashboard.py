from __future__ import annotations

from datetime import timedelta

import pytest

from application.app import CareLedger
from projections.engine import tracking
from projections.engine.store import ViewStore
from projections.views.complaint_dashboard import ComplaintDashboardProjection, complaint_dashboard
from projections.views.complaint_dashboard_tables import (
    Bucket,
    DurationStats,
    bucket_of,
    duration_stats,
    milliseconds,
    percentile,
)
from projections.views.satisfaction import SatisfactionProjection
from tests.projections.batch_invariance import live_and_rebuilt
from tests.projections.catch_up import Project
from tests.projections.complaint_hours import at, run_scenario
from tests.support import T0, meta


def test_dashboard_counts_the_first_hour_and_both_hours_exactly(
    app: CareLedger,
    views: ViewStore,
    project: Project,
) -> None:
    # given the scenario, projected one event per batch
    run_scenario(app)
    project(ComplaintDashboardProjection(), batch_size=1)
    # when the window is 09:00-10:00
    first = complaint_dashboard(views, at(9, 0), at(10, 0))
    # then C1-C4 were received then, each counted with its current labels (C2 food_safety,
    # urgent, quality after its reclassification and reassignment)
    assert first.received == 4
    assert first.by_channel == {"app": 1, "phone": 1, "email": 1, "web": 1}
    assert first.by_category == {
        "product_quality": 1,
        "food_safety": 1,
        "service_attitude": 1,
        "after_sales": 1,
    }
    assert first.by_severity == {"general": 2, "urgent": 1, "major": 1}
    # the reasons: the desk classifies with reason "detail"; C2 moved from logistics/detail to
    # food_safety/foreign_object, in its received hour
    assert first.by_subcategory == {
        "product_quality/detail": 1,
        "food_safety/foreign_object": 1,
        "service_attitude/detail": 1,
        "after_sales/detail": 1,
    }
    assert first.by_department == {"quality": 2, "customer_service": 1, "after_sales": 1}
    assert (first.unclassified, first.unassigned) == (0, 0)
    # and C0 (09:30) and C1 (09:35) were resolved, none reopened: rate 0 / 2
    assert first.by_outcome == {"compensated": 1, "explained": 1}
    assert (first.resolutions, first.complaints_resolved) == (2, 2)
    assert (first.reopened, first.reopen_rate) == (0, 0.0)
    # first responses 60 (C1), 600 (C2), 900 (C3), 120 (C4) s; sorted 60 120 600 900:
    # p50 = rank ceil(0.5*4)=2 -> 120, p90 = rank ceil(3.6)=4 -> 900, p99 = rank 4 -> 900;
    # mean (60 + 600 + 900 + 120) / 4
    assert first.first_response_time == DurationStats(4, 120.0, 900.0, 900.0, 1680 / 4)
    # resolutions C0 08:30->09:30 = 3600 s, C1 09:05->09:35 = 1800 s:
    # p50 = rank 1 -> 1800, p90 = rank ceil(1.8)=2 -> 3600, p99 -> 3600
    assert first.resolution_time == DurationStats(2, 1800.0, 3600.0, 3600.0, 5400 / 2)
    # SLA: first response met C1 and C4 (120 s is on time), breached C2 (late) and C3 (sweep);
    # registration met by C1-C4's classifications; resolution met by C0 and C1
    assert first.sla_met == {"first_response": 2, "registration": 4, "resolution": 2}
    assert first.sla_breached == {"first_response": 2}
    assert first.sla_warnings == {"first_response": 1}
    # so per clock: first response 2 of C1-C4 met, registration 4 of 4, resolution 2 of 2
    assert first.sla_met_share == {"first_response": 2 / 4, "registration": 1.0, "resolution": 1.0}
    # each first-response breach escalated to level 1
    assert first.escalations_by_trigger == {"sla": 2}
    assert first.escalations_by_level == {1: 2}

    # when the window is 09:00-11:00
    both = complaint_dashboard(views, at(9, 0), at(11, 0))
    # then C1-C7 were received; C7 is neither classified nor assigned
    assert both.received == 7
    assert both.by_channel == {
        "app": 1,
        "phone": 1,
        "email": 1,
        "web": 1,
        "chat": 1,
        "sms": 1,
        "api": 1,
    }
    assert both.by_category == {
        "product_quality": 2,
        "food_safety": 1,
        "service_attitude": 1,
        "after_sales": 1,
        "privacy": 1,
    }
    assert both.by_severity == {"general": 3, "urgent": 2, "major": 1}
    # C5 privacy/detail, C6 a second product_quality/detail; C0 (08:30) and C7 (never
    # classified) are not among them
    assert both.by_subcategory == {
        "product_quality/detail": 2,
        "food_safety/foreign_object": 1,
        "service_attitude/detail": 1,
        "after_sales/detail": 1,
        "privacy/detail": 1,
    }
    assert both.by_department == {
        "quality": 2,
        "customer_service": 1,
        "after_sales": 1,
        "technical": 1,
        "merchant_relations": 1,
    }
    assert (both.unclassified, both.unassigned) == (1, 1)
    # and resolutions: C0, C1, then C1 again (10:25), C3 (10:40), C6 (10:45); one reopening.
    # Five resolution events of four complaints (C1 twice)
    assert both.by_outcome == {"compensated": 1, "explained": 2, "redelivered": 1, "rejected": 1}
    assert (both.resolutions, both.complaints_resolved) == (5, 4)
    assert (both.reopened, both.reopen_rate) == (1, 1 / 5)
    # first responses add C5 60 s and C6 60 s, and C7 (10:40) still unanswered at the window's
    # end counts at its age then, 1200 s: sorted 60 60 60 120 600 900 1200:
    # p50 = rank 4 -> 120, p90 = rank ceil(6.3)=7 -> 1200, p99 = rank 7 -> 1200
    assert both.first_response_time == DurationStats(7, 120.0, 1200.0, 1200.0, 3000 / 7, 1)
    # resolutions add C1 09:05->10:25 = 4800, C3 09:30->10:40 = 4200, C6 10:20->10:45 = 1500:
    # sorted 1500 1800 3600 4200 4800: p50 = rank ceil(2.5)=3 -> 3600, p90/p99 = rank 5 -> 4800
    assert both.resolution_time == DurationStats(5, 3600.0, 4800.0, 4800.0, 15900 / 5)
    # SLA met: first response + C5, C6; registration + C5, C6; resolution + C1 again, C3, C6;
    # the after-sales hand-back of C4
    assert both.sla_met == {
        "first_response": 4,
        "registration": 6,
        "resolution": 5,
        "after_sales_handback": 1,
    }
    assert both.sla_breached == {"first_response": 2}
    # first response: C1, C4, C5, C6 met, C2, C3 breached; every other clock only met
    assert both.sla_met_share == {
        "first_response": 4 / 6,
        "registration": 1.0,
        "resolution": 1.0,
        "after_sales_handback": 1.0,
    }
    # escalations add C5's urgent severity (level 1) and the manual one (level 2)
    assert both.escalations_by_trigger == {"sla": 2, "severity": 1, "manual": 1}
    assert both.escalations_by_level == {1: 3, 2: 1}
    assert both.escalations == 4

    # and 11:00-12:00 holds only C5's hand-back sweep: warned, breached, escalated to level 3
    late = complaint_dashboard(views, at(11, 0), at(12, 0))
    assert (late.received, late.resolutions, late.reopen_rate) == (0, 0, None)
    assert late.complaints_resolved == 0
    assert late.sla_warnings == {"technical_handback": 1}
    assert late.sla_breached == {"technical_handback": 1}
    assert late.sla_met_share == {"technical_handback": 0.0}
    assert late.escalations_by_level == {3: 1}
    assert late.first_response_time == DurationStats(0, None, None, None)
    # and 08:00-09:00 keeps C0 where it was received, with its own labels
    early = complaint_dashboard(views, at(8, 0), at(9, 0))
    assert (early.by_category, early.by_department) == ({"logistics": 1}, {"logistics": 1})
    assert early.by_subcategory == {"logistics/detail": 1}
    assert early.first_response_time == DurationStats(1, 60.0, 60.0, 60.0, 60.0)
    # and 10:00-11:00 alone: C1 again, C3 and C6, three complaints
    ten = complaint_dashboard(views, at(10, 0), at(11, 0))
    assert (ten.resolutions, ten.complaints_resolved) == (3, 3)


def test_an_unanswered_complaint_counts_at_its_age_so_far(
    app: CareLedger,
    views: ViewStore,
    project: Project,
) -> None:
    # given the scenario, in which C7 (api, 10:40) is never answered
    c7 = run_scenario(app)["c7"]
    project(ComplaintDashboardProjection())
    # when the 10:00-11:00 window is read at 10:50, before it ends: C7 is 600 s old then
    window = complaint_dashboard(views, at(10, 0), at(11, 0), as_of=at(10, 50))
    # then the hour's responses, C5 60 s and C6 60 s, count with C7's 600 s, flagged
    assert window.first_response_time == DurationStats(3, 60.0, 600.0, 600.0, 720 / 3, 1)
    # and read after the window's end, C7 is aged at the end, 11:00: 1200 s, whenever it is read
    for later in (at(11, 0), at(15, 0), None):
        ended = complaint_dashboard(views, at(10, 0), at(11, 0), as_of=later)
        assert ended.first_response_time == DurationStats(3, 60.0, 1200.0, 1200.0, 1320 / 3, 1)
    # and once C7 is answered at 12:00, it counts in the window of its answer, 4800 s after it
    # was received, and no longer as unanswered where it was received
    app.send_first_response(meta(at(12, 0)), c7)
    project(ComplaintDashboardProjection())
    ten = complaint_dashboard(views, at(10, 0), at(11, 0))
    assert ten.first_response_time == DurationStats(2, 60.0, 60.0, 60.0, 60.0, 0)
    noon = complaint_dashboard(views, at(12, 0), at(13, 0))
    assert noon.first_response_time == DurationStats(1, 4800.0, 4800.0, 4800.0, 4800.0, 0)


def test_a_complaint_resolved_twice_is_one_complaint_and_two_resolutions(
    app: CareLedger,
    views: ViewStore,
    project: Project,
) -> None:
    # given the scenario, projected one event per batch: C1 resolved at 09:35 and 10:25
    run_scenario(app)
    project(ComplaintDashboardProjection(), batch_size=1)
    # then each hour counts C1 once, and both hours together count it once too
    assert complaint_dashboard(views, at(9, 0), at(10, 0)).complaints_resolved == 2  # C0, C1
    assert complaint_dashboard(views, at(10, 0), at(11, 0)).complaints_resolved == 3  # C1 C3 C6
    assert complaint_dashboard(views, at(8, 0), at(12, 0)).complaints_resolved == 4
    assert complaint_dashboard(views, at(8, 0), at(12, 0)).resolutions == 5


def test_a_window_resolves_to_whole_hours(
    app: CareLedger,
    views: ViewStore,
    project: Project,
) -> None:
    # given the scenario
    run_scenario(app)
    project(ComplaintDashboardProjection())
    # when the window is 09:30-10:15, then it covers the whole hours 09:00-11:00
    window = complaint_dashboard(views, at(9, 30), at(10, 15))
    assert (window.window_start, window.window_end) == (at(9, 0), at(11, 0))
    assert window == complaint_dashboard(views, at(9, 0), at(11, 0))


def test_tables_do_not_depend_on_batch_boundaries(
    app: CareLedger,
    views: ViewStore,
    project: Project,
) -> None:
    # given the scenario, built live one event at a time
    run_scenario(app)
    project(ComplaintDashboardProjection(), batch_size=1)
    # when it is rebuilt in batches of 1000 into a new generation
    live, rebuilt = live_and_rebuilt(app, views, ComplaintDashboardProjection())
    # then both hold the same rows, hourly and daily, and no count, by hour or by day, was left
    # at 0 by a reclassification
    assert live == rebuilt
    assert len(live["complaint_facts"]) == 8
    assert all(row[-1] != 0 for row in live["counts"] + live["counts_daily"])


def test_an_empty_window_has_no_figures(
    app: CareLedger,
    views: ViewStore,
    project: Project,
) -> None:
    # given nothing happened yet
    project(ComplaintDashboardProjection())
    # when the dashboard is read, then it is all zeros and no rates or percentiles
    empty = complaint_dashboard(views, T0, T0 + timedelta(days=1))
    assert (empty.received, empty.unclassified, empty.resolutions, empty.escalations) == (
        0,
        0,
        0,
        0,
    )
    assert empty.complaints_resolved == 0
    assert empty.reopen_rate is None
    assert empty.resolution_time == DurationStats(0, None, None, None)
    # and a window that does not move forward is refused
    with pytest.raises(ValueError, match="must end after"):
        complaint_dashboard(views, T0, T0)
    with pytest.raises(ValueError, match="timezone-aware"):
        complaint_dashboard(views, T0.replace(tzinfo=None), T0.replace(tzinfo=None, hour=10))


def test_the_view_must_be_installed_before_it_is_read(views: ViewStore) -> None:
    # given another view installed, but not the dashboard
    with views.transaction() as tx:
        tracking.install(tx, SatisfactionProjection())
    # when the dashboard is read, then it says it is not there
    with pytest.raises(LookupError, match="complaint_dashboard"):
        complaint_dashboard(views, T0, T0 + timedelta(hours=1))


def test_buckets_are_log_spaced_sixteen_to_the_octave() -> None:
    # under one second is bucket 0; then 16 buckets between each doubling
    assert [bucket_of(ms) for ms in (0, 999, 1000, 1999, 2000, 4000)] == [0, 0, 1, 16, 17, 33]
    assert milliseconds(-3.0) == 0
    assert milliseconds(1.2345) == 1234


def test_a_percentile_is_the_mean_of_the_bucket_holding_its_rank() -> None:
    # given 100 s and 103 s (one bucket: 2 ** (1/16) is 4.4 % wide) and 1000 s
    ms = [100_000, 103_000, 1_000_000]
    assert bucket_of(ms[0]) == bucket_of(ms[1]) != bucket_of(ms[2])
    buckets = [Bucket(bucket_of(ms[0]), 2, 203_000), Bucket(bucket_of(ms[2]), 1, 1_000_000)]
    # then the median (rank 2) is the bucket's mean, 101.5 s: 1.5 % off the true 103 s
    assert percentile(buckets, 50) == 101.5
    assert duration_stats(buckets) == DurationStats(3, 101.5, 1000.0, 1000.0, 1203.0 / 3)
    assert percentile([], 50) is None


def test_the_reported_percentile_stays_within_the_bucket_width() -> None:
    # given 1000 spread durations, each bucket reported by its mean
    samples = sorted(1_000 + (i * 7919) % 500_000 for i in range(1000))
    by_bucket: dict[int, list[int]] = {}
    for ms in samples:
        by_bucket.setdefault(bucket_of(ms), []).append(ms)
    buckets = [Bucket(b, len(v), sum(v)) for b, v in sorted(by_bucket.items())]
    # then every percentile is within 2 ** (1/16) - 1 of the exact nearest-rank value
    for p in (1, 50, 90, 99, 100):
        exact = samples[max(1, (p * len(samples) + 99) // 100) - 1] / 1000
        reported = percentile(buckets, p)
        assert reported is not None
        assert abs(reported - exact) / exact < 2 ** (1 / 16) - 1
