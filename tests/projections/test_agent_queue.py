from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from application.app import CareLedger
from projections.engine import tracking
from projections.engine.runner import Runner
from projections.engine.store import ViewStore
from projections.views.agent_queue import AgentQueueProjection, QueuePage, agent_queue, queue_counts
from tests.projections.catch_up import Project
from tests.projections.complaint_scenario import Scenario, at, tomorrow
from tests.support import meta, minutes


def ids(page: QueuePage) -> list[UUID]:
    return [UUID(row.complaint_id) for row in page.rows]


def test_the_queue_orders_open_complaints_by_their_next_due_time(
    app: CareLedger,
    views: ViewStore,
    project: Project,
) -> None:
    # given phase one, projected live one event at a time
    s = Scenario(app)
    s.phase_one()
    project(AgentQueueProjection(), batch_size=1)
    # then the open complaints come by next due time: A 09:02, C 09:05 (overdue, its breached
    # clock still runs), E 09:17, B 10:10, G tomorrow 09:50, and D (nothing running) last
    queue = agent_queue(views)
    assert ids(queue) == [s.a, s.c, s.e, s.b, s.g, s.d]
    assert queue.after is None
    due = [(row.next_due_at, row.next_clock) for row in queue.rows]
    assert due == [
        (at(9, 2), "first_response"),
        (at(9, 5), "first_response"),
        (at(9, 17), "first_response"),
        (at(10, 10), "technical_handback"),
        (tomorrow(9, 50), "resolution"),
        (None, None),
    ]
    # and C's row carries the linked order, its classification and the two escalations
    c = queue.rows[1]
    assert (c.customer_id, c.order_id, c.channel) == (str(s.customer), str(s.order), "web")
    assert (c.status, c.category, c.subcategory, c.severity) == (
        "Classified",
        "logistics",
        "late",
        "urgent",
    )
    assert (c.department, c.assignee, c.escalation_level, c.received_at) == (
        None,
        None,
        2,
        at(9, 3),
    )
    # and D waits on the customer, B is Assigned to technical/agent-9
    assert (queue.rows[5].status, queue.rows[5].waiting_on) == ("OnHold", "customer")
    assert (queue.rows[3].status, queue.rows[3].department, queue.rows[3].assignee) == (
        "Assigned",
        "technical",
        "agent-9",
    )
    # and the counts: A and E Received, C Classified, B Assigned, D OnHold, G Reopened
    assert queue_counts(views) == {
        "by_status": {"Received": 2, "Classified": 1, "Assigned": 1, "OnHold": 1, "Reopened": 1},
        "by_severity": {"unclassified": 2, "urgent": 1, "major": 1, "general": 2},
    }


def test_clocks_met_resumed_and_retargeted_move_the_queue(
    app: CareLedger,
    views: ViewStore,
    project: Project,
) -> None:
    # given both phases, projected live after each
    s = Scenario(app)
    s.phase_one()
    project(AgentQueueProjection(), batch_size=1)
    s.phase_two()
    project(AgentQueueProjection(), batch_size=1)
    # then A 09:02, B 21:01, C 21:03, G tomorrow 09:50, D tomorrow 10:10; E merged away
    queue = agent_queue(views)
    assert ids(queue) == [s.a, s.b, s.c, s.g, s.d]
    assert [row.next_due_at for row in queue.rows] == [
        at(9, 2),
        at(21, 1),
        at(21, 3),
        tomorrow(9, 50),
        tomorrow(10, 10),
    ]
    assert [row.next_clock for row in queue.rows] == ["first_response", *["resolution"] * 4]
    assert [row.escalation_level for row in queue.rows] == [1, 0, 2, 0, 0]
    assert (queue.rows[4].status, queue.rows[4].waiting_on) == ("InProgress", None)
    # and the counts: A Received, C Classified, B Assigned, D InProgress, G Reopened
    assert queue_counts(views) == {
        "by_status": {
            "Received": 1,
            "Classified": 1,
            "Assigned": 1,
            "InProgress": 1,
            "Reopened": 1,
        },
        "by_severity": {"unclassified": 1, "major": 2, "general": 2},
    }
    # and the filters keep the order
    assert ids(agent_queue(views, department="customer_service")) == [s.g, s.d]
    assert ids(agent_queue(views, assignee="agent-9")) == [s.b]
    assert ids(agent_queue(views, severity="major")) == [s.b, s.c]
    assert ids(agent_queue(views, status="Received")) == [s.a]
    assert ids(agent_queue(views, department="technical", status="Assigned")) == [s.b]
    assert agent_queue(views, severity="urgent") == QueuePage([], None)


def test_pages_follow_the_keyset_cursor(
    app: CareLedger,
    views: ViewStore,
    project: Project,
) -> None:
    # given both phases
    s = Scenario(app)
    s.phase_one()
    s.phase_two()
    project(AgentQueueProjection())
    # when read two at a time, then pages are [A, B], [C, G], [D] and the last has no cursor
    first = agent_queue(views, limit=2)
    assert (ids(first), first.after) == ([s.a, s.b], first.rows[1].sort_key)
    second = agent_queue(views, after=first.after, limit=2)
    assert ids(second) == [s.c, s.g]
    third = agent_queue(views, after=second.after, limit=2)
    assert (ids(third), third.after) == ([s.d], None)
    # and D, without a running clock, still has a cursor that sorts after every due time
    assert agent_queue(views, after=third.rows[0].sort_key) == QueuePage([], None)
    # and a cursor works with a filter: the major complaints one at a time
    major = agent_queue(views, severity="major", limit=1)
    assert ids(major) == [s.b]
    assert ids(agent_queue(views, severity="major", after=major.after, limit=1)) == [s.c]


def test_a_hold_pauses_only_for_the_customer(
    app: CareLedger,
    views: ViewStore,
    project: Project,
) -> None:
    # given two complaints filed at 09:00 and worked from 09:01, on hold from 09:10
    s = Scenario(app)
    restaurant, customer_hold = s.file(0, "app"), s.file(0, "app")
    for complaint, waiting_on in ((restaurant, "restaurant"), (customer_hold, "customer")):
        s.work(complaint, 1, "product_quality", "urgent")
        app.put_on_hold(meta(minutes(10)), complaint, waiting_on)
    project(AgentQueueProjection())
    # then waiting on the restaurant the resolution clock runs (09:00 + 4h), on the customer
    # it is paused and the complaint goes last
    queue = agent_queue(views)
    assert ids(queue) == [restaurant, customer_hold]
    assert [(r.next_due_at, r.waiting_on) for r in queue.rows] == [
        (at(13), "restaurant"),
        (None, "customer"),
    ]


def test_page_size_is_bounded(app: CareLedger, views: ViewStore, project: Project) -> None:
    # given an empty queue
    project(AgentQueueProjection())
    # then it reads empty, and a page of 0 or over 200 rows is refused
    assert agent_queue(views, limit=200) == QueuePage([], None)
    assert queue_counts(views) == {"by_status": {}, "by_severity": {}}
    for limit in (0, 201):
        with pytest.raises(ValueError, match="limit"):
            agent_queue(views, limit=limit)


def dump(views: ViewStore, prefix: str, tables: tuple[str, ...]) -> list[list[tuple[Any, ...]]]:
    with views.transaction() as tx:
        return [tx.all(f"SELECT * FROM {prefix}{t} ORDER BY 1, 2") for t in tables]


def test_tables_do_not_depend_on_batch_boundaries(app: CareLedger, views: ViewStore) -> None:
    # given both phases, built live one event at a time into generation 1
    s = Scenario(app)
    projection = AgentQueueProjection()
    live = Runner(app, views, projection, batch_size=1)
    s.phase_one()
    live.catch_up()
    s.phase_two()
    live.catch_up()
    # when rebuilt in batches of 1000 into generation 2
    with views.transaction() as tx:
        tracking.start_generation(tx, projection, 2)
    Runner(app, views, projection, batch_size=1000, generation=2).catch_up()
    # then both generations hold the same rows, and no count is left at 0
    tables = projection.tables()
    one_by_one = dump(views, tracking.prefix(projection.name, 1), tables)
    assert one_by_one == dump(views, tracking.prefix(projection.name, 2), tables)
    assert len(one_by_one[0]) == 5
    assert all(row[-1] > 0 for row in one_by_one[1])
