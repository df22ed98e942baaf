from __future__ import annotations

from uuid import UUID

import pytest

from application.app import CareLedger
from projections.engine import tracking
from projections.engine.keyset import Page
from projections.engine.runner import Runner
from projections.engine.store import ViewStore
from projections.views.incident_index import (
    IncidentIndexProjection,
    IndexedIncident,
    incident_index,
)
from tests.projections.batch_invariance import dump, live_and_rebuilt
from tests.projections.catch_up import Project
from tests.projections.incident_scenario import Incidents, at, run_scenario
from tests.projections.log_positions import last_positions


def ids(page: Page[IndexedIncident]) -> list[UUID]:
    return [UUID(row.incident_id) for row in page.rows]


def scenario(app: CareLedger, project: Project) -> Incidents:
    """The incident board's scenario (A-G), projected one event at a time."""
    incidents = run_scenario(app)
    project(IncidentIndexProjection(), batch_size=1)
    return incidents


def test_every_incident_is_indexed_in_report_order(
    app: CareLedger, views: ViewStore, project: Project
) -> None:
    # given the scenario
    i = scenario(app, project)
    positions = last_positions(app, IncidentIndexProjection())

    def row(
        incident: UUID,
        status: str,
        kind: tuple[str, str],
        severity: str | None,
        colour: str | None,
        reported: tuple[int, int],
    ) -> IndexedIncident:
        return IndexedIncident(
            str(incident),
            status,
            *kind,
            severity,
            colour,
            at(*reported),
            positions[str(incident)],
            (at(*reported).timestamp(), str(incident)),
        )

    # when the index is read, then all seven come by report time, open, ended, declined or
    # merged, with the position of each one's last event
    assert incident_index(views) == Page(
        [
            row(i.a, "Resolved", ("public_health", "complaint_cluster"), "II", "orange", (9, 0)),
            row(i.g, "Reported", ("accident", "staff"), "II", None, (9, 20)),
            row(i.b, "Closed", ("system_failure", "monitor"), "I", "red", (9, 30)),
            row(i.e, "Merged", ("social_safety", "staff"), "II", None, (9, 50)),
            row(i.c, "Reported", ("accident", "staff"), "III", None, (10, 15)),
            row(i.d, "Declined", ("natural_disaster", "authority"), None, None, (10, 30)),
            row(i.f, "Reported", ("system_failure", "monitor"), None, None, (14, 0)),
        ],
        None,
    )


def test_filters_keep_the_report_order(app: CareLedger, views: ViewStore, project: Project) -> None:
    i = scenario(app, project)
    assert ids(incident_index(views, status="Reported")) == [i.g, i.c, i.f]
    assert ids(incident_index(views, status="Closed")) == [i.b]
    assert ids(incident_index(views, status="Declined")) == [i.d]
    assert ids(incident_index(views, type="accident")) == [i.g, i.c]
    assert ids(incident_index(views, severity="II")) == [i.a, i.g, i.e]
    assert ids(incident_index(views, type="system_failure", status="Reported")) == [i.f]
    assert ids(incident_index(views, type="accident", severity="I")) == []


def test_pages_follow_the_keyset_cursor(
    app: CareLedger, views: ViewStore, project: Project
) -> None:
    i = scenario(app, project)
    # when read three at a time, then [A, G, B], [E, C, D], [F]
    found, after = [], None
    for _ in range(3):
        page = incident_index(views, after=after, limit=3)
        found.append(ids(page))
        after = page.after
    assert (found, after) == ([[i.a, i.g, i.b], [i.e, i.c, i.d], [i.f]], None)
    # and with a filter, two at a time: [A, G], [E]
    first = incident_index(views, severity="II", limit=2)
    assert first.after == (at(9, 20).timestamp(), str(i.g))
    assert ids(incident_index(views, severity="II", after=first.after, limit=2)) == [i.e]


def test_reads_refuse_bad_arguments(app: CareLedger, views: ViewStore, project: Project) -> None:
    project(IncidentIndexProjection())
    assert incident_index(views, limit=200) == Page([], None)
    for bad in ({"limit": 0}, {"limit": 201}, {"after": ("x",)}):
        with pytest.raises(ValueError):
            incident_index(views, **bad)


def test_tables_do_not_depend_on_batch_boundaries(
    app: CareLedger, views: ViewStore, project: Project
) -> None:
    # given the scenario, built live one event at a time
    scenario(app, project)
    # when rebuilt in batches of 1000 into generation 2, and of 5 into generation 3
    projection = IncidentIndexProjection()
    live, rebuilt = live_and_rebuilt(app, views, projection)
    with views.transaction() as tx:
        tracking.start_generation(tx, projection, 3)
    Runner(app, views, projection, batch_size=5, generation=3).catch_up()
    # then all hold the same seven rows
    assert live == rebuilt == dump(views, projection, 3)
    assert len(live["incidents"]) == 7
