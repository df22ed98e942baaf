"""A scripted day of complaints with the SLA sweeper running as it does live: before each command
it records every warning and breach due before the command's time, at its due time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from uuid import UUID

from application.app import CareLedger
from domain.calendar import WorkCalendar, WorkingSpan
from domain.sla import SLA_POLICY_V1, ClockName, SlaPolicy
from policies.sla_sweeper import SlaSweeper
from projections.engine.store import ViewStore
from tests.projections.desk import Desk
from tests.support import CUSTOMER, T0, meta

OFFICE = WorkCalendar(
    name="office",
    zone="Asia/Shanghai",
    spans=tuple(WorkingSpan(day, 9 * 60, 18 * 60) for day in range(5)),
)
OFFICE_POLICY = replace(SLA_POLICY_V1, calendars={ClockName.AFTER_SALES_HANDBACK: "office"})
DAY_END = T0.replace(hour=6) + timedelta(days=1)  # the sweeper's last sweep, 06:00 the next day


def at(hh: int, mm: int, ss: int = 0) -> datetime:
    return T0.replace(hour=hh, minute=mm, second=ss)


class SweptDesk(Desk):
    def __init__(self, app: CareLedger, views: ViewStore) -> None:
        super().__init__(app)
        self.sweeper = SlaSweeper(app, views)

    def sweep_before(self, moment: datetime) -> None:
        while (due := self.sweeper.next_wake()) is not None and due < moment:
            self.sweeper.sweep(due)

    def do(self, moment: datetime, command: Callable[..., object], *args: object) -> None:
        self.sweep_before(moment)
        command(meta(moment), *args)

    def file_at(self, moment: datetime, channel: str) -> UUID:
        self.sweep_before(moment)
        return self.file(moment, channel)


def keep_office_hours(app: CareLedger) -> SlaPolicy:
    """Records the office calendar and the policy counting the after-sales hand-back in it,
    before the day; returns that policy."""
    before = T0.replace(hour=0)
    app.define_sla_calendar(meta(before), OFFICE)
    app.define_sla_policy(meta(before), OFFICE_POLICY)
    return OFFICE_POLICY


def swept_day(app: CareLedger, views: ViewStore) -> dict[str, UUID]:
    """Seven complaints on 2026-11-23 (a Monday), UTC; the sweeper runs until DAY_END."""
    d = SweptDesk(app, views)
    # A (web) 08:50: answered in exactly 60 s, logistics/general; technical hand-back 09:15,
    # warned 10:03 and breached 10:15 by the sweeper, replied 10:30; resolved 11:00 (met)
    a = d.file_at(at(8, 50), "web")
    d.do(at(8, 51), app.send_first_response, a)
    d.do(at(9, 10), lambda m, c: app.classify_complaint(m, c, "logistics", "late", "general"), a)
    d.do(at(9, 15), app.assign_responsibility, a, "technical", "p1")
    d.do(at(10, 30), app.record_department_reply, a, "technical")
    d.do(at(10, 40), app.start_work, a)
    d.do(at(10, 50), app.propose_solution, a, "apology")
    d.do(at(11, 0), app.resolve_complaint, a, "explained")
    # B (phone) 09:05: answered 09:08, after the sweeper warned (09:06:36) and breached (09:07);
    # classified urgent 09:20 (resolution 4 h), on hold for the customer 09:40-10:40, resolved
    # 12:00 (met: due 14:05 with the hour on hold)
    b = d.file_at(at(9, 5), "phone")
    d.do(at(9, 8), app.send_first_response, b)
    d.do(at(9, 20), lambda m, c: app.classify_complaint(m, c, "food_safety", "ill", "urgent"), b)
    d.do(at(9, 25), app.assign_responsibility, b, "quality", "p2")
    d.do(at(9, 30), app.start_work, b)
    d.do(at(9, 40), app.put_on_hold, b, "customer")
    d.do(at(10, 40), app.resume_complaint, b)
    d.do(at(11, 50), app.propose_solution, b, "apology")
    d.do(at(12, 0), app.resolve_complaint, b, "explained")
    # C (app) 09:30: answered 09:31, after_sales/major, the after-sales desk 09:45 (17:45 in
    # Shanghai) replies 10:10; resolved 10:50, disputed 11:10, resolved again 11:40
    c = d.file_at(at(9, 30), "app")
    d.do(at(9, 31), app.send_first_response, c)
    d.do(at(9, 40), lambda m, x: app.classify_complaint(m, x, "after_sales", "refund", "major"), c)
    d.do(at(9, 45), app.assign_responsibility, c, "after_sales", "p3")
    d.do(at(10, 10), app.record_department_reply, c, "after_sales")
    d.do(at(10, 20), app.start_work, c)
    d.do(at(10, 30), app.propose_solution, c, "apology")
    d.do(at(10, 50), app.resolve_complaint, c, "explained")
    d.sweep_before(at(11, 10))
    app.dispute_resolution(meta(at(11, 10), actor=CUSTOMER), c)
    d.do(at(11, 20), app.start_work, c)
    d.do(at(11, 30), app.propose_solution, c, "apology")
    d.do(at(11, 40), app.resolve_complaint, c, "redelivered")
    # D (chat) 10:00: answered after 90 s, never classified, merged into C at 10:30
    e = d.file_at(at(10, 0), "chat")
    d.do(at(10, 1, 30), app.send_first_response, e)
    d.do(at(10, 30), app.merge_complaint, e, c)
    # E (email) 10:20: answered 10:21, service_attitude/general, open: the resolution clock
    # warns the next day at 05:32 and is due at 10:20
    f = d.file_at(at(10, 20), "email")
    d.do(at(10, 21), app.send_first_response, f)
    d.do(
        at(10, 25),
        lambda m, x: app.classify_complaint(m, x, "service_attitude", "rude", "general"),
        f,
    )
    # F (sms) 11:00: answered at exactly the 2-minute target, 11:02
    g = d.file_at(at(11, 0), "sms")
    d.do(at(11, 2), app.send_first_response, g)
    # G (web) 11:30: never answered, warned 11:31:36 and breached 11:32 by the sweeper
    h = d.file_at(at(11, 30), "web")
    d.sweep_before(DAY_END)
    return {"A": a, "B": b, "C": c, "D": e, "E": f, "F": g, "G": h}
