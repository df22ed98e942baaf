"""The complaint dashboard's scripted hours: eight complaints from 08:30 to 11:15, through the
commands (read by tests/projections/test_complaint_dashboard*.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from application.app import CareLedger
from tests.projections.desk import Desk
from tests.support import CUSTOMER, SYSTEM, T0, meta


def at(hh: int, mm: int) -> datetime:
    return T0.replace(hour=hh, minute=mm)


def run_scenario(app: CareLedger, regions: Sequence[str | None] = ()) -> dict[str, UUID]:
    """Records the scenario; returns the complaints' ids by name (c0..c7; C7 is never
    answered) and the customer's (customer). Given `regions`, complaint n is about an order
    received in the n-th region (tests/projections/desk.py)."""
    desk = Desk(app, regions)
    # C0 (phone) 08:30, before both windows: answered 08:31, logistics/general, resolved 09:30
    c0 = desk.file(at(8, 30), "phone")
    app.send_first_response(meta(at(8, 31)), c0)
    desk.classify(at(8, 40), c0, "logistics", "general")
    app.assign_responsibility(meta(at(8, 45)), c0, "logistics", "p0")
    desk.resolve((at(8, 50), at(9, 0), at(9, 30)), c0, "compensated")
    # C1 (app) 09:05: answered 09:06, resolved 09:35, disputed 10:05, resolved again 10:25
    c1 = desk.file(at(9, 5), "app")
    app.send_first_response(meta(at(9, 6)), c1)
    desk.classify(at(9, 10), c1, "product_quality", "general")
    app.assign_responsibility(meta(at(9, 15)), c1, "quality", "p1")
    desk.resolve((at(9, 20), at(9, 25), at(9, 35)), c1, "explained")
    app.dispute_resolution(meta(at(10, 5), actor=CUSTOMER), c1)
    desk.resolve((at(10, 10), at(10, 15), at(10, 25)), c1, "redelivered")
    # C2 (phone) 09:10: answered late at 09:20 (breach + escalation), logistics/major, then
    # reclassified food_safety/urgent (reason foreign_object) at 09:50 and reassigned from
    # logistics to quality at 10:20
    c2 = desk.file(at(9, 10), "phone")
    app.send_first_response(meta(at(9, 20)), c2)
    desk.classify(at(9, 30), c2, "logistics", "major")
    app.assign_responsibility(meta(at(9, 40)), c2, "logistics", "p2")
    app.reclassify_complaint(meta(at(9, 50)), c2, "food_safety", "foreign_object", "urgent")
    app.assign_responsibility(meta(at(10, 20)), c2, "quality", "p2")
    # C3 (email) 09:30: the sweep at 09:40 warns and breaches the first response (escalates)
    c3 = desk.file(at(9, 30), "email")
    app.check_complaint_sla(meta(at(9, 40), actor=SYSTEM), c3)
    app.send_first_response(meta(at(9, 45)), c3)
    desk.classify(at(9, 50), c3, "service_attitude", "general")
    app.assign_responsibility(meta(at(9, 55)), c3, "customer_service", "p3")
    desk.resolve((at(10, 0), at(10, 10), at(10, 40)), c3, "explained")
    # C4 (web) 09:50: answered at exactly the 2-minute target, after_sales hand-back met 10:15
    c4 = desk.file(at(9, 50), "web")
    app.send_first_response(meta(at(9, 52)), c4)
    desk.classify(at(9, 55), c4, "after_sales", "major")
    app.assign_responsibility(meta(at(10, 5)), c4, "after_sales", "p4")
    app.record_department_reply(meta(at(10, 15)), c4, "after_sales")
    # C5 (chat) 10:00: urgent privacy (escalates), escalated by hand 10:30, technical hand-back
    # (due 11:10) breached by the sweep at 11:15
    c5 = desk.file(at(10, 0), "chat")
    app.send_first_response(meta(at(10, 1)), c5)
    desk.classify(at(10, 5), c5, "privacy", "urgent")
    app.assign_responsibility(meta(at(10, 10)), c5, "technical", "p5")
    app.escalate_complaint(meta(at(10, 30)), c5)
    app.check_complaint_sla(meta(at(11, 15), actor=SYSTEM), c5)
    # C6 (sms) 10:20: answered 10:21, resolved rejected 10:45
    c6 = desk.file(at(10, 20), "sms")
    app.send_first_response(meta(at(10, 21)), c6)
    desk.classify(at(10, 25), c6, "product_quality", "general")
    app.assign_responsibility(meta(at(10, 30)), c6, "merchant_relations", "p6")
    desk.resolve((at(10, 35), at(10, 40), at(10, 45)), c6, "rejected")
    # C7 (api) 10:40: nothing else happens to it
    c7 = desk.file(at(10, 40), "api")
    return {
        **{f"c{i}": c for i, c in enumerate((c0, c1, c2, c3, c4, c5, c6, c7))},
        "customer": desk.customer,
    }
