from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import pytest

from application.app import CareLedger
from projections import tracking
from projections.incident_board import (
    IncidentBoardProjection,
    IncidentPage,
    incident_metrics,
    open_incidents,
)
from projections.runner import Runner
from projections.satisfaction import SatisfactionProjection
from projections.store import ViewStore
from tests.application.builders import customer, order
from tests.projections.conftest import Project
from tests.support import T0, meta


def at(hh: int, mm: int = 0) -> datetime:
    return T0.replace(hour=hh, minute=mm)


@dataclass(frozen=True)
class Incidents:
    a: UUID  # public_health, II, resolved 11:30: open
    b: UUID  # system_failure, I, closed after review
    c: UUID  # accident, III, only reported: open
    d: UUID  # natural_disaster, declined
    e: UUID  # social_safety, IV then II, merged into A
    f: UUID  # system_failure, reported 14:00 (after the metrics window): open
    g: UUID  # accident, II, only reported: open


def report(app: CareLedger, when: datetime, type: str, source: str) -> UUID:
    return app.report_incident(
        meta(when), type=type, source=source, title=f"{type} at {when:%H:%M}", description="-"
    ).aggregate_id


def respond_to_a(app: CareLedger, a: UUID) -> None:
    # A: orange 09:05, confirmed 09:12, II 09:15, command 09:20, roles, two status updates,
    # orders o1, o2, o1 then o2, o3 (3 distinct), complaint c1 twice (1), mitigated, resolved 11:30
    someone = customer(app)
    o1, o2, o3 = (order(app, someone) for _ in range(3))
    c1 = app.file_complaint(
        meta(at(9, 1)), customer_id=someone, order_id=o1, content="sick", channel="app"
    ).aggregate_id
    app.issue_warning(meta(at(9, 5)), a, "orange")
    app.confirm_incident(meta(at(9, 12)), a)
    app.assess_severity(meta(at(9, 15)), a, "II", "three customers ill")
    app.establish_command(meta(at(9, 20)), a, "Zhang Min")
    app.assign_role(meta(at(9, 25)), a, "ops_lead", "Wang Fang")
    app.assign_role(meta(at(9, 26)), a, "comms_lead", "Liu Yang")
    app.assign_role(meta(at(9, 27)), a, "ops_lead", "Chen Jie")
    app.publish_status_update(meta(at(9, 30)), a, "internal", "kitchen closed")
    app.link_orders(meta(at(9, 35)), a, [o1, o2, o1])
    app.link_orders(meta(at(9, 36)), a, [o2, o3])
    app.link_complaints(meta(at(9, 37)), a, [c1])
    app.link_complaints(meta(at(9, 38)), a, [c1])
    app.publish_status_update(meta(at(10, 40)), a, "customers", "refunds on the way")
    app.mitigate_incident(meta(at(10, 50)), a)
    app.resolve_incident(meta(at(11, 30)), a)


def run_scenario(app: CareLedger) -> Incidents:
    a = report(app, at(9, 0), "public_health", "complaint_cluster")
    b = report(app, at(9, 30), "system_failure", "monitor")
    g = report(app, at(9, 20), "accident", "staff")
    e = report(app, at(9, 50), "social_safety", "staff")
    c = report(app, at(10, 15), "accident", "staff")
    d = report(app, at(10, 30), "natural_disaster", "authority")
    f = report(app, at(14, 0), "system_failure", "monitor")
    respond_to_a(app, a)
    # B: confirmed 09:40, I, red, command 09:50, resolved 10:30, reviewed, closed 11:10
    app.confirm_incident(meta(at(9, 40)), b)
    app.assess_severity(meta(at(9, 45)), b, "I", "payments down")
    app.issue_warning(meta(at(9, 46)), b, "red")
    app.establish_command(meta(at(9, 50)), b, "Zhao Lei")
    app.resolve_incident(meta(at(10, 30)), b)
    app.start_review(meta(at(10, 45)), b)
    app.complete_review(meta(at(11, 0)), b, "expired certificate", ["monitor expiry"])
    app.close_incident(meta(at(11, 10)), b)
    # G: II at 09:21; C: III at 10:20; D: declined 10:35
    app.assess_severity(meta(at(9, 21)), g, "II", "injuries")
    app.assess_severity(meta(at(10, 20)), c, "III", "one courier hurt")
    app.decline_incident(meta(at(10, 35)), d)
    # E: confirmed 10:05, IV at 10:06, reassessed II at 10:20, merged into A at 10:30
    app.confirm_incident(meta(at(10, 5)), e)
    app.assess_severity(meta(at(10, 6)), e, "IV", "minor")
    app.assess_severity(meta(at(10, 20)), e, "II", "worse than thought")
    app.merge_incident(meta(at(10, 30)), e, a)
    return Incidents(a, b, c, d, e, f, g)


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
