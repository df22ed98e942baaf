"""Seven complaints in two phases, the agent queue's and the complaint index's scenario."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from application.app import CareLedger
from tests.application.builders import customer, order
from tests.support import CUSTOMER, SYSTEM, T0, meta, minutes


def at(hour: int, minute: int = 0) -> datetime:
    return T0.replace(hour=hour, minute=minute)


def tomorrow(hour: int, minute: int) -> datetime:
    return at(hour, minute) + timedelta(days=1)


class Scenario:
    """Seven complaints A-G filed from 09:00 (T0); phase two runs from 09:50 to 10:50."""

    def __init__(self, app: CareLedger) -> None:
        self.app = app
        self.customer = customer(app)
        self.order = order(app, self.customer)

    def file(self, minute: int, channel: str, with_order: bool = True) -> UUID:
        return self.app.file_complaint(
            meta(minutes(minute), actor=CUSTOMER),
            customer_id=self.customer,
            order_id=self.order if with_order else None,
            content="cold soup",
            channel=channel,
        ).aggregate_id

    def work(self, complaint: UUID, start: int, category: str, severity: str) -> None:
        """First response, classification, assignment to agent-7 and work started, a minute
        apart from `start`."""
        app = self.app
        app.send_first_response(meta(minutes(start)), complaint)
        app.classify_complaint(meta(minutes(start + 1)), complaint, category, "other", severity)
        app.assign_responsibility(
            meta(minutes(start + 2)), complaint, "customer_service", "agent-7"
        )
        app.start_work(meta(minutes(start + 3)), complaint)

    def phase_one(self) -> None:
        app = self.app
        # A: filed 09:00, untouched: first response due 09:02
        self.a = self.file(0, "app")
        # B: filed 09:01, answered 09:02, major 09:05 (resolution 09:01+12h = 21:01),
        # handed to technical 09:10 (hand-back due 10:10)
        self.b = self.file(1, "phone")
        app.send_first_response(meta(minutes(2)), self.b)
        app.classify_complaint(meta(minutes(5)), self.b, "product_quality", "cold_food", "major")
        app.assign_responsibility(meta(minutes(10)), self.b, "technical", "agent-9")
        # C: filed 09:03 without an order, urgent 09:04 (resolution 13:03, escalated to 1),
        # linked to the order 09:05, swept 09:06: first response breached (due 09:05, level 2)
        self.c = self.file(3, "web", with_order=False)
        app.classify_complaint(meta(minutes(4)), self.c, "logistics", "late", "urgent")
        app.link_complaint(meta(minutes(5)), self.c, order_id=self.order)
        app.check_complaint_sla(meta(minutes(6), actor=SYSTEM), self.c)
        # D: filed 09:10 (resolution due tomorrow 09:10), worked from 09:11, on hold for the
        # customer at 09:20: the resolution clock pauses, no clock runs
        self.d = self.file(10, "app")
        self.work(self.d, 11, "service_attitude", "general")
        app.put_on_hold(meta(minutes(20)), self.d, "customer")
        # E: filed 09:15, first response due 09:17
        self.e = self.file(15, "chat")
        # F: filed 09:20, worked, resolved 09:26 and closed 09:27: never in the queue
        self.f = self.file(20, "app")
        self.work(self.f, 21, "after_sales", "general")
        app.propose_solution(meta(minutes(25)), self.f, "apology")
        app.resolve_complaint(meta(minutes(26)), self.f, "explained")
        app.close_complaint(meta(minutes(27), actor=CUSTOMER), self.f, "customer")
        # G: filed 09:30, resolved 09:45, disputed 09:50: reopened, resolution restarted,
        # due 09:50 + 24h = tomorrow 09:50
        self.g = self.file(30, "email")
        self.work(self.g, 31, "product_quality", "general")
        app.propose_solution(meta(minutes(40)), self.g, "apology")
        app.resolve_complaint(meta(minutes(45)), self.g, "explained")
        app.dispute_resolution(meta(minutes(50), actor=CUSTOMER), self.g)

    def phase_two(self) -> None:
        app = self.app
        # B: technical replies 09:50, the hand-back is met: next is the resolution at 21:01
        app.record_department_reply(meta(minutes(50)), self.b, "technical")
        # C: answered 10:00, which stops the breached clock: next is the resolution at 13:03
        app.send_first_response(meta(minutes(60)), self.c)
        # D: resumed 10:20 after a 60 min pause: resolution due tomorrow 09:10 + 60 min = 10:10
        app.resume_complaint(meta(minutes(80)), self.d)
        # E: merged into A at 10:30, leaves the queue; A escalated by hand at 10:40
        app.merge_complaint(meta(minutes(90)), self.e, self.a)
        app.escalate_complaint(meta(minutes(100)), self.a)
        # C: reclassified major 10:50: resolution retargeted to 09:03 + 12h = 21:03
        app.reclassify_complaint(meta(minutes(110)), self.c, "logistics", "late", "major")
