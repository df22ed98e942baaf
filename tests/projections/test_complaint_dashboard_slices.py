"""The complaint dashboard by department, agent, channel, category and region: every figure of
every slice checked against a recomputation from the scripted hours' commands, written out below
as what each complaint went through (tests/projections/complaint_stories.py, not from the
view's code)."""

from __future__ import annotations

from uuid import UUID

import pytest

from application.app import CareLedger
from domain.errors import InvalidInputError
from projections.engine.store import ViewStore
from projections.views.complaint_dashboard import (
    ComplaintDashboardProjection,
    complaint_breakdown,
    complaint_dashboard,
)
from projections.views.complaint_dashboard_slices import checked_filter
from tests.application.builders import customer, order
from tests.projections.batch_invariance import live_and_rebuilt
from tests.projections.catch_up import Project
from tests.projections.complaint_hours import at
from tests.projections.complaint_stories import WINDOWS, Expected, expected_by, merged, record
from tests.support import CUSTOMER, meta


@pytest.mark.parametrize("by", ["department", "agent", "channel", "category", "region"])
def test_every_slice_has_the_figures_of_its_complaints(
    app: CareLedger, views: ViewStore, project: Project, by: str
) -> None:
    # given the scripted hours, projected one event per batch (C2 reassigned from logistics to
    # quality at 10:20 and reclassified from logistics to food_safety at 09:50, after its late
    # answer and its breach), and a survey answered about C1
    record(app)
    project(ComplaintDashboardProjection(), batch_size=1)
    for start, end in WINDOWS:
        # when the window is broken down by the slice
        found = complaint_breakdown(views, start, end, by)
        expected = expected_by(by, start, end)
        # then it holds exactly the values with complaints, each with its complaints' figures
        # (C2's with quality and food_safety, none left with logistics)
        shown = {v for v, e in expected.items() if e != Expected()}
        assert set(found) == shown, (start, end)
        for value in shown:
            expected[value].check(found[value])
            # and filtering the dashboard by that value gives the same figures
            assert complaint_dashboard(views, start, end, only={by: value}) == found[value]


# pairs and more of slices AND-ed: C0 and C2 came by phone (logistics, quality), C1 and C2 are
# quality's (app, phone); C1 and C6 are product_quality (quality, merchant_relations)
COMBINED = [
    {"department": "quality", "channel": "phone"},
    {"department": "quality", "channel": "app"},
    {"channel": "phone", "category": "food_safety"},
    {"category": "product_quality", "department": "merchant_relations"},
    {"department": "quality", "agent": "p2", "channel": "phone", "category": "food_safety"},
    {"department": "quality", "channel": "email"},  # no complaint has both
    {"region": "chaoyang", "channel": "phone"},  # C0 and C2
    {"region": "haidian", "department": "after_sales"},  # C4
]


@pytest.mark.parametrize("only", COMBINED, ids=lambda f: "+".join(f.values()))
def test_filters_combine_to_the_complaints_with_every_value(
    app: CareLedger, views: ViewStore, project: Project, only: dict[str, str]
) -> None:
    # given the scripted hours projected one event per batch (C2 moved to quality at 10:20)
    record(app)
    project(ComplaintDashboardProjection(), batch_size=1)
    for start, end in WINDOWS:
        # when the dashboard is filtered by several slices at once
        board = complaint_dashboard(views, start, end, only=only)
        # then it has the figures of the complaints with all of those values, recomputed from
        # the stories (every story has a channel, so "by channel" lists each matching story)
        expected = Expected()
        for e in expected_by("channel", start, end, only).values():
            expected = merged(expected, e)
        expected.check(board)
        # and a breakdown under the same filter has, per agent, the agent's share of them
        by_agent = complaint_breakdown(views, start, end, "agent", only=only)
        agents = expected_by("agent", start, end, only)
        wanted = {v: e for v, e in agents.items() if e != Expected()}
        assert set(by_agent) == set(wanted), (start, end)
        for agent, figures in wanted.items():
            figures.check(by_agent[agent])


def test_a_bad_filter_is_refused_before_reading() -> None:
    # an unknown department, channel or category, a blank agent, an unknown slice or no slice
    # at all: each refused with the field it names, before any view is read
    for bad, named, message in (
        ({"department": "marketing"}, "filter.department", "'marketing' is not one of"),
        ({"channel": "pigeon"}, "filter.channel", "'pigeon' is not one of"),
        ({"category": "weather"}, "filter.category", "'weather' is not one of"),
        ({"agent": "  "}, "filter.agent", "must not be blank"),
        ({"region": ""}, "filter.region", "must not be blank"),
        ({"team": " "}, "filter.team", "must not be blank"),
        ({"zone": "east"}, "filter", "no slice 'zone'"),
        ({}, "filter", "set at least one of department, agent, channel, category, region, team"),
    ):
        with pytest.raises(InvalidInputError, match=message) as refused:
            checked_filter(bad)
        assert refused.value.field == named


def test_a_slice_moves_with_its_complaint_and_a_rebuild_agrees(
    app: CareLedger, views: ViewStore, project: Project
) -> None:
    # given the scripted hours
    record(app)
    project(ComplaintDashboardProjection())
    # then C2's late first response (600 s) and its breach count for quality, where it ended,
    # with C1's 60 s; logistics keeps only C0's resolution
    quality = complaint_dashboard(views, at(9, 0), at(11, 0), only={"department": "quality"})
    assert (quality.first_response_time.count, quality.first_response_time.mean) == (2, 330.0)
    assert quality.sla_breached == {"first_response": 1}
    assert quality.csat == 3 / 5  # C1's survey: 5, 4, 2, 3, 4
    logistics = complaint_dashboard(views, at(9, 0), at(11, 0), only={"department": "logistics"})
    assert (logistics.received, logistics.first_response_time.count) == (0, 0)
    assert (logistics.resolutions, logistics.sla_met) == (1, {"resolution": 1})
    # and an agent with nothing in the window has an empty dashboard, not an error
    nobody = complaint_dashboard(views, at(9, 0), at(11, 0), only={"agent": "nobody"})
    assert (nobody.received, nobody.first_response_time.count, nobody.csat) == (0, 0, None)
    # and a slice that is not kept is refused
    with pytest.raises(ValueError, match="no slice 'severity'"):
        complaint_breakdown(views, at(9, 0), at(11, 0), "severity")
    # and a rebuild in batches of one holds the same rows, no slice row left at 0
    live, rebuilt = live_and_rebuilt(app, views, ComplaintDashboardProjection(), batch_size=1)
    assert live == rebuilt
    for table, n in (
        ("complaint_slice_counts", 8),
        ("complaint_slice_counts_daily", 8),
        ("complaint_slice_durations", 8),
    ):
        assert live[table] and all(row[n] != 0 for row in live[table])


def test_compensation_totals_by_who_funds_it_move_with_the_complaint(
    app: CareLedger, views: ViewStore, project: Project
) -> None:
    # given two complaints about a 58.00 order, in logistics with agent-7: at 09:10 the first
    # is paid 12.50 by the platform, at 09:20 the second 8.00 by the merchant and at 09:25
    # 4.50 more by the courier
    customer_id = customer(app)
    order_id = order(app, customer_id)

    def proposed(minute: int) -> UUID:
        c = app.file_complaint(
            meta(at(9, minute), actor=CUSTOMER),
            customer_id=customer_id,
            order_id=order_id,
            content="cold soup",
            channel="app",
        ).aggregate_id
        app.classify_complaint(meta(at(9, minute)), c, "logistics", "late_delivery", "general")
        app.assign_responsibility(meta(at(9, minute)), c, "logistics", "agent-7")
        app.start_work(meta(at(9, minute)), c)
        app.propose_solution(meta(at(9, minute)), c, "partial_refund", "12.50")
        return c

    first, second = proposed(0), proposed(1)
    app.issue_compensation(meta(at(9, 10)), first, "12.50", "platform")
    app.issue_compensation(meta(at(9, 20)), second, "8.00", "merchant")
    app.issue_compensation(meta(at(9, 25)), second, "4.50", "courier")
    # and the second, resolved at 10:00 and disputed at 10:20, goes to quality, agent-9, at 10:30
    app.resolve_complaint(meta(at(10, 0)), second, "compensated")
    app.dispute_resolution(meta(at(10, 20), actor=CUSTOMER), second)
    app.assign_responsibility(meta(at(10, 30)), second, "quality", "agent-9")
    project(ComplaintDashboardProjection(), batch_size=1)
    # then 09:00-10:00 counts each funder's payouts and amount in cents
    board = complaint_dashboard(views, at(9, 0), at(10, 0))
    assert board.compensations == {"platform": 1, "merchant": 1, "courier": 1}
    assert board.compensation_cents == {"platform": 1250, "merchant": 800, "courier": 450}
    # and the second's payouts moved with it to quality: logistics keeps the platform's
    by_department = complaint_breakdown(views, at(9, 0), at(10, 0), "department")
    assert by_department["logistics"].compensation_cents == {"platform": 1250}
    assert by_department["quality"].compensation_cents == {"merchant": 800, "courier": 450}
    assert by_department["quality"].compensations == {"merchant": 1, "courier": 1}
    assert complaint_dashboard(
        views, at(9, 0), at(10, 0), only={"agent": "agent-9"}
    ).compensation_cents == {"merchant": 800, "courier": 450}
    # and the hour after holds none
    assert complaint_dashboard(views, at(10, 0), at(11, 0)).compensation_cents == {}
