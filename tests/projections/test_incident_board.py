from __future__ import annotations

import pytest

from application.app import CareLedger
from projections.engine import tracking
from projections.engine.runner import Runner
from projections.engine.store import ViewStore
from projections.views.incident_board import (
    IncidentBoardProjection,
    IncidentPage,
    incident_metrics,
    open_incidents,
)
from projections.views.satisfaction import SatisfactionProjection
from tests.projections.catch_up import Project
from tests.projections.incident_scenario import at, run_scenario
from tests.support import T0


def test_the_board_lists_open_incidents_gravest_first_with_roles_and_update_age(
    app: CareLedger, views: ViewStore, project: Project
) -> None:
    # given the scenario, projected one event per batch
    ids = run_scenario(app)
    project(IncidentBoardProjection(), batch_size=1)
    # when the board is read at 15:00, two incidents a page
    now = at(15, 0)
    first = open_incidents(views, now=now, limit=2)
    second = open_incidents(views, now=now, limit=2, after=first.after)
    # then the open ones are A and G (II, reported 09:00 and 09:20), C (III), F (unassessed)
    assert [i.incident_id for i in first.rows] == [str(ids.a), str(ids.g)]
    assert first.after == (2, at(9, 20).timestamp(), str(ids.g))
    assert [i.incident_id for i in second.rows] == [str(ids.c), str(ids.f)]
    assert second.after is None
    a, g = first.rows
    c, f = second.rows
    assert (a.status, a.severity, a.warning_colour, a.type, a.source) == (
        "Resolved",
        "II",
        "orange",
        "public_health",
        "complaint_cluster",
    )
    assert a.roles == {"commander": "Zhang Min", "ops_lead": "Chen Jie", "comms_lead": "Liu Yang"}
    assert (a.reported_at, a.acknowledged_at, a.resolved_at, a.last_update_at) == (
        at(9, 0),
        at(9, 12),
        at(11, 30),
        at(10, 40),
    )
    # and the linked orders and complaints are counted once each: {o1, o2, o3} and {c1}
    assert (a.orders_linked, a.complaints_linked, a.is_open) == (3, 1, True)
    # and ages: A 15:00 - 10:40 = 4h20m = 15600 s; G never updated, 15:00 - 09:20 = 20400 s;
    # C 15:00 - 10:15 = 17100 s; F 15:00 - 14:00 = 3600 s
    assert [x.last_update_age_s for x in (a, g, c, f)] == [15600.0, 20400.0, 17100.0, 3600.0]
    assert (g.status, g.severity, g.roles, g.acknowledged_at, g.last_update_at) == (
        "Reported",
        "II",
        {},
        None,
        None,
    )
    assert (f.severity, f.title) == (None, "system_failure at 14:00")


def test_the_board_filters_by_type_and_severity(
    app: CareLedger, views: ViewStore, project: Project
) -> None:
    ids = run_scenario(app)
    project(IncidentBoardProjection())
    now = at(15, 0)

    def listed(page: IncidentPage) -> list[str]:
        return [i.incident_id for i in page.rows]

    assert listed(open_incidents(views, now=now, type="accident")) == [str(ids.g), str(ids.c)]
    assert listed(open_incidents(views, now=now, severity="II")) == [str(ids.a), str(ids.g)]
    assert listed(open_incidents(views, now=now, type="accident", severity="III")) == [str(ids.c)]
    assert listed(open_incidents(views, now=now, type="natural_disaster")) == []
    # and a page of the whole board in one go has no next page
    assert open_incidents(views, now=now).after is None


def test_metrics_count_reports_and_mean_times_to_acknowledge_and_resolve(
    app: CareLedger, views: ViewStore, project: Project
) -> None:
    run_scenario(app)
    project(IncidentBoardProjection(), batch_size=1)
    # when the window 09:00-12:00 is read
    m = incident_metrics(views, at(9), at(12))
    # then six reported (F at 14:00 is outside): A, G public_health/accident, B, E, C, D
    assert m.reported == 6
    assert m.reported_by_type == {
        "natural_disaster": 1,
        "accident": 2,
        "public_health": 1,
        "social_safety": 1,
        "system_failure": 1,
    }
    # and by current severity: B I; A, G, E II (E moved from IV); C III; D never assessed
    assert m.reported_by_severity == {"I": 1, "II": 3, "III": 1, "IV": 0, "unassessed": 1}
    # and MTTA: A 12 min, B 10 min, E 15 min = (720 + 600 + 900) / 3 = 740 s
    assert (m.acknowledged, m.mtta_s) == (3, 740.0)
    # and MTTR: A 09:00-11:30 = 9000 s, B 09:30-10:30 = 3600 s, mean 6300 s
    assert (m.resolved, m.mttr_s) == (2, 6300.0)
    # and open now: A Resolved, G, C, F Reported
    assert m.open == 4
    assert m.open_by_status == {
        "Reported": 3,
        "Confirmed": 0,
        "Responding": 0,
        "Mitigated": 0,
        "Resolved": 1,
        "InReview": 0,
    }
    assert m.open_by_type == {
        "natural_disaster": 0,
        "accident": 2,
        "public_health": 1,
        "social_safety": 0,
        "system_failure": 1,
    }
    assert m.open_by_severity == {"I": 0, "II": 2, "III": 1, "IV": 0, "unassessed": 1}


def test_metrics_count_each_figure_at_its_own_hour(
    app: CareLedger, views: ViewStore, project: Project
) -> None:
    run_scenario(app)
    project(IncidentBoardProjection())
    # 09:00-10:00: A, B, G, E reported; A and B confirmed (720 + 600) / 2 = 660 s; none resolved
    nine = incident_metrics(views, at(9), at(10))
    assert (nine.reported, nine.acknowledged, nine.mtta_s, nine.resolved, nine.mttr_s) == (
        4,
        2,
        660.0,
        0,
        None,
    )
    assert nine.reported_by_severity == {"I": 1, "II": 3, "III": 0, "IV": 0, "unassessed": 0}
    # 10:00-11:00: C and D reported; E confirmed after 900 s; B resolved after 3600 s
    ten = incident_metrics(views, at(10), at(11))
    assert (ten.reported, ten.acknowledged, ten.mtta_s, ten.resolved, ten.mttr_s) == (
        2,
        1,
        900.0,
        1,
        3600.0,
    )
    # and 09:30-10:15 resolves to the whole hours 09:00-11:00
    window = incident_metrics(views, at(9, 30), at(10, 15))
    assert (window.window_start, window.window_end) == (at(9), at(11))
    assert window == incident_metrics(views, at(9), at(11))


def dump(views: ViewStore, prefix: str, tables: tuple[str, ...]) -> list[list[tuple[object, ...]]]:
    with views.transaction() as tx:
        return [tx.all(f"SELECT * FROM {prefix}{t} ORDER BY 1, 2, 3") for t in tables]


def test_tables_do_not_depend_on_batch_boundaries(app: CareLedger, views: ViewStore) -> None:
    # given the scenario, built live one event at a time into generation 1
    run_scenario(app)
    projection = IncidentBoardProjection()
    Runner(app, views, projection, batch_size=1).catch_up()
    # when it is rebuilt in batches of 1000 into generation 2 and of 7 into generation 3
    with views.transaction() as tx:
        tracking.start_generation(tx, projection, 2)
        tracking.start_generation(tx, projection, 3)
    Runner(app, views, projection, batch_size=1000, generation=2).catch_up()
    Runner(app, views, projection, batch_size=7, generation=3).catch_up()
    # then all generations hold the same rows, and no counter row was left at 0
    tables = projection.tables()
    one_by_one = dump(views, tracking.prefix(projection.name, 1), tables)
    assert one_by_one == dump(views, tracking.prefix(projection.name, 2), tables)
    assert one_by_one == dump(views, tracking.prefix(projection.name, 3), tables)
    reported, open_counts = one_by_one[2], one_by_one[4]
    assert all(row[-1] != 0 for row in reported + open_counts)


def test_an_empty_board_has_no_incidents_and_no_figures(
    app: CareLedger, views: ViewStore, project: Project
) -> None:
    project(IncidentBoardProjection())
    assert open_incidents(views, now=T0) == IncidentPage([], None)
    m = incident_metrics(views, at(9), at(12))
    assert (m.reported, m.acknowledged, m.mtta_s, m.resolved, m.mttr_s, m.open) == (
        0,
        0,
        None,
        0,
        None,
        0,
    )


def test_reads_refuse_bad_arguments(app: CareLedger, views: ViewStore, project: Project) -> None:
    project(IncidentBoardProjection())
    for bad in ({"limit": 0}, {"limit": 201}, {"type": "flood"}, {"severity": "V"}):
        with pytest.raises(ValueError):
            open_incidents(views, now=T0, **bad)
    with pytest.raises(ValueError):
        incident_metrics(views, at(12), at(9))


def test_the_view_must_be_installed_before_it_is_read(views: ViewStore) -> None:
    # given another view installed, but not the board
    with views.transaction() as tx:
        tracking.install(tx, SatisfactionProjection())
    # when the board is read, then it says it is not there
    with pytest.raises(LookupError, match="incident_board"):
        open_incidents(views, now=T0)
