"""Incidents through their response, the incident board's and the incident index's scenario."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.app import CareLedger
from tests.application.builders import customer, order
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
