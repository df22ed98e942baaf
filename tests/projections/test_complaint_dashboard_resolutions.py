"""The distinct complaints resolved, filtered and broken down: the resolution rows carry the
complaint's slices and move with it when it is reassigned after a resolution, whatever the
batches, on SQLite and PostgreSQL."""

from __future__ import annotations

from uuid import UUID

import pytest

from application.app import CareLedger
from projections.engine.store import ViewStore
from projections.views.complaint_dashboard import (
    ComplaintDashboardProjection,
    complaint_breakdown,
    complaint_dashboard,
)
from tests.projections.batch_invariance import live_and_rebuilt
from tests.projections.catch_up import Project
from tests.projections.complaint_hours import at
from tests.projections.desk import Desk
from tests.support import CUSTOMER, meta


def handled(desk: Desk, minute: int, department: str, agent: str) -> UUID:
    complaint = desk.file(at(9, minute), "app")
    desk.classify(at(9, minute + 1), complaint, "logistics", "general")
    desk.app.assign_responsibility(meta(at(9, minute + 2)), complaint, department, agent)
    return complaint


@pytest.mark.parametrize("batch_size", [1, 500])
def test_resolutions_count_under_the_slices_their_complaint_is_in_now(
    app: CareLedger, views: ViewStore, project: Project, batch_size: int
) -> None:
    # given A and B in logistics with agent-7, C in quality with agent-9; A resolved at 10:00,
    # B at 09:45, C at 10:40; B disputed at 10:20, moved to quality and agent-9 at 10:30 and
    # resolved again at 10:50
    desk = Desk(app)
    a, b = handled(desk, 0, "logistics", "agent-7"), handled(desk, 5, "logistics", "agent-7")
    c = handled(desk, 10, "quality", "agent-9")
    desk.resolve((at(9, 50), at(9, 55), at(10, 0)), a, "explained")
    desk.resolve((at(9, 40), at(9, 42), at(9, 45)), b, "explained")
    desk.resolve((at(10, 30), at(10, 35), at(10, 40)), c, "explained")
    app.dispute_resolution(meta(at(10, 20), actor=CUSTOMER), b)
    app.assign_responsibility(meta(at(10, 30)), b, "quality", "agent-9")
    desk.resolve((at(10, 41), at(10, 45), at(10, 50)), b, "redelivered")
    project(ComplaintDashboardProjection(), batch_size=batch_size)
    window = (at(9, 0), at(11, 0))
    # then overall three complaints were resolved, four times
    board = complaint_dashboard(views, *window)
    assert (board.complaints_resolved, board.resolutions) == (3, 4)
    # and logistics keeps A alone; quality has B (both of its resolutions) and C
    departments = complaint_breakdown(views, *window, "department")
    assert {d: (x.complaints_resolved, x.resolutions) for d, x in departments.items()} == {
        "logistics": (1, 1),
        "quality": (2, 3),
    }
    agents = complaint_breakdown(views, *window, "agent")
    assert {g: x.complaints_resolved for g, x in agents.items()} == {"agent-7": 1, "agent-9": 2}
    # and filters read the same, combined too
    for only, resolved in (
        ({"department": "quality"}, 2),
        ({"department": "quality", "agent": "agent-9"}, 2),
        ({"department": "logistics", "agent": "agent-9"}, 0),
        ({"agent": "agent-7", "channel": "app"}, 1),
    ):
        assert complaint_dashboard(views, *window, only=only).complaints_resolved == resolved
    # and a rebuild holds the same rows, B's of both hours under quality and agent-9
    live, rebuilt = live_and_rebuilt(app, views, ComplaintDashboardProjection(), batch_size=1)
    assert live == rebuilt
    rows = {(row[1], row[0]): row[2:4] for row in live["complaint_resolutions"]}
    assert sorted(slices for (complaint, _), slices in rows.items() if complaint == str(b)) == [
        ("quality", "agent-9"),
        ("quality", "agent-9"),
    ]
