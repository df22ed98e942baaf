from __future__ import annotations

from datetime import datetime
from uuid import UUID

import pytest

from application.app import CareLedger
from projections.engine import tracking
from projections.engine.keyset import Page
from projections.engine.runner import Runner
from projections.engine.store import ViewStore
from projections.views.agent_queue_tickets import NO_DUE
from projections.views.complaint_index import (
    ComplaintIndexProjection,
    IndexedComplaint,
    complaint_index,
)
from projections.views.satisfaction import SatisfactionProjection
from tests.application.builders import customer
from tests.projections.batch_invariance import dump, live_and_rebuilt
from tests.projections.catch_up import Project
from tests.projections.complaint_scenario import Scenario, at, tomorrow
from tests.projections.log_positions import last_positions
from tests.support import CUSTOMER, meta, minutes


def ids(page: Page[IndexedComplaint]) -> list[UUID]:
    return [UUID(row.complaint_id) for row in page.rows]


def both_phases(app: CareLedger, project: Project) -> Scenario:
    """The agent queue's scenario (A-G), projected one event at a time after each phase; A to D
    and G stay open, E is merged into A, F closed."""
    s = Scenario(app)
    s.phase_one()
    project(ComplaintIndexProjection(), batch_size=1)
    s.phase_two()
    project(ComplaintIndexProjection(), batch_size=1)
    return s


def test_every_complaint_is_indexed_with_its_labels_and_times(
    app: CareLedger, views: ViewStore, project: Project
) -> None:
    # given both phases of the scenario
    s = both_phases(app, project)
    positions = last_positions(app, ComplaintIndexProjection())
    # when the index is read in received order
    page = complaint_index(views)
    # then all seven are there, the ended ones too, with their labels, times, and the log
    # position of each one's last event

    def row(
        complaint: UUID,
        status: str,
        labels: tuple[str | None, str | None, str | None],
        channel: str,
        received: datetime,
        due: tuple[datetime, str] | None,
    ) -> IndexedComplaint:
        return IndexedComplaint(
            str(complaint),
            str(s.customer),
            status,
            *labels,
            channel,
            received,
            None if due is None else due[0],
            None if due is None else due[1],
            positions[str(complaint)],
            (received.timestamp(), str(complaint)),
        )

    assert page == Page(
        [
            row(s.a, "Received", (None, None, None), "app", at(9), (at(9, 2), "first_response")),
            row(
                s.b,
                "Assigned",
                ("product_quality", "major", "technical"),
                "phone",
                at(9, 1),
                (at(21, 1), "resolution"),
            ),
            row(
                s.c,
                "Classified",
                ("logistics", "major", None),
                "web",
                at(9, 3),
                (at(21, 3), "resolution"),
            ),
            row(
                s.d,
                "InProgress",
                ("service_attitude", "general", "customer_service"),
                "app",
                at(9, 10),
                (tomorrow(10, 10), "resolution"),
            ),
            row(s.e, "Merged", (None, None, None), "chat", at(9, 15), None),
            row(
                s.f,
                "Closed",
                ("after_sales", "general", "customer_service"),
                "app",
                at(9, 20),
                None,
            ),
            row(
                s.g,
                "Reopened",
                ("product_quality", "general", "customer_service"),
                "email",
                at(9, 30),
                (tomorrow(9, 50), "resolution"),
            ),
        ],
        None,
    )


def test_by_due_time_the_ended_complaints_come_last(
    app: CareLedger, views: ViewStore, project: Project
) -> None:
    s = both_phases(app, project)
    # when read by next due time: A 09:02, B 21:01, C 21:03, G and D tomorrow 09:50 and 10:10,
    # then E and F, which have no clock running any more, in id order
    page = complaint_index(views, order_by="due")
    ended = sorted([s.e, s.f], key=str)
    assert ids(page) == [s.a, s.b, s.c, s.g, s.d, *ended]
    assert page.rows[0].sort_key == (at(9, 2).timestamp(), str(s.a))
    assert page.rows[6].sort_key == (NO_DUE, str(ended[1]))


def test_filters_keep_their_order(app: CareLedger, views: ViewStore, project: Project) -> None:
    # given both phases, and one complaint of another customer filed at 11:00
    s = both_phases(app, project)
    other = customer(app)
    late = app.file_complaint(
        meta(minutes(120), actor=CUSTOMER),
        customer_id=other,
        order_id=None,
        content="wrong drink",
        channel="sms",
    ).aggregate_id
    project(ComplaintIndexProjection())
    # then each filter keeps its complaints, in received order or by due time
    assert ids(complaint_index(views, status="Closed")) == [s.f]
    assert ids(complaint_index(views, status="Merged")) == [s.e]
    assert ids(complaint_index(views, severity="major")) == [s.b, s.c]
    assert ids(complaint_index(views, category="product_quality")) == [s.b, s.g]
    assert ids(complaint_index(views, department="customer_service")) == [s.d, s.f, s.g]
    by_due = complaint_index(views, department="customer_service", order_by="due")
    assert ids(by_due) == [s.g, s.d, s.f]
    assert ids(complaint_index(views, status="Received")) == [s.a, late]
    assert ids(complaint_index(views, status="Received", severity="general")) == []
    # and the customer filter keeps one customer's own
    assert ids(complaint_index(views, customer_id=str(other))) == [late]
    mine = complaint_index(views, customer_id=str(s.customer))
    assert ids(mine) == [s.a, s.b, s.c, s.d, s.e, s.f, s.g]


def test_pages_follow_the_keyset_cursor(
    app: CareLedger, views: ViewStore, project: Project
) -> None:
    s = both_phases(app, project)
    ended = sorted([s.e, s.f], key=str)
    # when read by due time three at a time, then [A, B, C], [G, D, first ended], [last ended]
    first = complaint_index(views, order_by="due", limit=3)
    assert (ids(first), first.after) == ([s.a, s.b, s.c], first.rows[2].sort_key)
    second = complaint_index(views, order_by="due", after=first.after, limit=3)
    assert ids(second) == [s.g, s.d, ended[0]]
    third = complaint_index(views, order_by="due", after=second.after, limit=3)
    assert (ids(third), third.after) == ([ended[1]], None)
    # and in received order with a filter, one at a time: D, F, G
    pages, after = [], None
    for _ in range(3):
        page = complaint_index(views, department="customer_service", after=after, limit=1)
        pages.append(ids(page))
        after = page.after
    assert (pages, after) == ([[s.d], [s.f], [s.g]], None)


def test_reads_refuse_bad_arguments(app: CareLedger, views: ViewStore, project: Project) -> None:
    project(ComplaintIndexProjection())
    # an empty index reads empty, up to 200 rows a page
    assert complaint_index(views, limit=200) == Page([], None)
    for bad in (
        {"limit": 0},
        {"limit": 201},
        {"order_by": "severity"},
        {"after": (1.0,)},
    ):
        with pytest.raises(ValueError):
            complaint_index(views, **bad)


def test_tables_do_not_depend_on_batch_boundaries(
    app: CareLedger, views: ViewStore, project: Project
) -> None:
    # given both phases, built live one event at a time
    both_phases(app, project)
    # when rebuilt in batches of 1000 into generation 2, and of 3 into generation 3
    projection = ComplaintIndexProjection()
    live, rebuilt = live_and_rebuilt(app, views, projection)
    with views.transaction() as tx:
        tracking.start_generation(tx, projection, 3)
    Runner(app, views, projection, batch_size=3, generation=3).catch_up()
    # then all hold the same seven rows
    assert live == rebuilt == dump(views, projection, 3)
    assert len(live["complaints"]) == 7


def test_the_index_must_be_installed_before_it_is_read(views: ViewStore) -> None:
    with views.transaction() as tx:
        tracking.install(tx, SatisfactionProjection())
    with pytest.raises(LookupError, match="complaint_index"):
        complaint_index(views)
