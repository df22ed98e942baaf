"""The export tests' commands, and the rows they expect worked out from those commands alone:
three complaints and two orders in a window of an hour, one complaint before it and one at its
end (both left out), and a survey about the first complaint."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from application.app import CareLedger
from domain.order_types import OrderItem
from domain.survey import Scores
from tests.application.builders import customer
from tests.support import CUSTOMER, meta


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


@dataclass
class Script:
    """What the commands recorded, as the test knows it from issuing them."""

    app: CareLedger
    # two hours ago, so an ended complaint is within the need-to-know grace period
    start: datetime = field(
        default_factory=lambda: datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    )
    complaints: list[dict[str, str]] = field(default_factory=list)
    contents: dict[str, str] = field(default_factory=dict)
    addresses: dict[str, str] = field(default_factory=dict)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(hours=1)

    def at(self, minutes: float) -> datetime:
        return self.start + timedelta(minutes=minutes)

    def window(self) -> dict[str, str]:
        return {"from": iso(self.start), "to": iso(self.end)}

    def run(self) -> Script:
        app = self.app
        self.customer = customer(app)
        self.order = self.place(minutes=0, address="1 Road")
        # the second order: delivered five minutes after its promise by a courier whose
        # kitchen was chef-3
        self.delivered = self.place(minutes=5, address="=2 Lane")
        app.confirm_order(meta(self.at(6)), self.delivered)
        app.assign_order_department(meta(self.at(6)), self.delivered, "kitchen", "chef-3")
        app.start_preparation(meta(self.at(7)), self.delivered)
        app.pack_order(meta(self.at(20)), self.delivered)
        app.assign_courier(meta(self.at(21)), self.delivered, "courier-5", "fengniao")
        app.pick_up_order(meta(self.at(25)), self.delivered)
        app.deliver_order(meta(self.at(50)), self.delivered)
        # A: answered in a minute, classified, handed to technical (agent-9), resolved, closed,
        # then surveyed: five scores, two of them 4 or more, and a comment that looks like a
        # spreadsheet formula
        a = self.file(0, "app", "Soup arrived cold", order=True)
        app.send_first_response(meta(self.at(1)), a)
        app.classify_complaint(meta(self.at(5)), a, "product_quality", "cold_food", "general")
        app.assign_responsibility(meta(self.at(6)), a, "technical", "agent-9")
        app.start_work(meta(self.at(7)), a)
        app.propose_solution(meta(self.at(20)), a, "apology")
        app.resolve_complaint(meta(self.at(30)), a, "explained")
        app.close_complaint(meta(self.at(31), actor=CUSTOMER), a, "customer")
        self.survey = app.send_survey(meta(self.at(32)), self.customer, "complaint", a, "sms")
        scores = Scores(5, 4, 3, 2, 1)
        survey_id = self.survey.aggregate_id
        app.respond_to_survey(meta(self.at(40), actor=CUSTOMER), survey_id, scores, "=1+1 cold")
        # B: answered after eight minutes (first response breached, escalated to level 1),
        # classified in time, still open in the customer service queue
        b = self.file(2, "phone", "Courier was rude")
        app.send_first_response(meta(self.at(10)), b)
        app.classify_complaint(meta(self.at(12)), b, "logistics", "late", "major")
        # C: untouched
        c = self.file(3, "web", "Wrong dish")
        # before the window and at its end (excluded)
        self.file(-1, "app", "Before")
        self.file(60, "app", "At the end")
        self.complaints = [
            self.row(a, "app", "Closed", received=0, first=1, classified=5, resolved=30)
            | {
                "order_id": str(self.order),
                "category": "product_quality",
                "subcategory": "cold_food",
                "severity": "general",
                "department": "technical",
                "assignee": "agent-9",
                "outcome": "explained",
                "ended_at": iso(self.at(31)),
                "sla_first_response": "met",
                "sla_registration": "met",
                "sla_resolution": "met",
                "survey_status": "Responded",
                "csat": repr(2 / 5),
            },
            self.row(b, "phone", "Classified", received=2, first=10, classified=12)
            | {
                "category": "logistics",
                "subcategory": "late",
                "severity": "major",
                "escalation_level": "1",
                "sla_first_response": "breached",
                "sla_registration": "met",
            },
            self.row(c, "web", "Received", received=3),
        ]
        return self

    def file(self, minutes: float, channel: str, content: str, order: bool = False) -> UUID:
        complaint_id = self.app.file_complaint(
            meta(self.at(minutes), actor=CUSTOMER),
            customer_id=self.customer,
            order_id=self.order if order else None,
            content=content,
            channel=channel,
        ).aggregate_id
        self.contents[str(complaint_id)] = content
        return complaint_id

    def place(self, minutes: float, address: str) -> UUID:
        order_id = self.app.receive_order(
            meta(self.at(minutes), actor=CUSTOMER),
            customer_id=self.customer,
            restaurant="Golden Dumpling",
            region="chaoyang",
            items=[OrderItem("dumplings", 2, Decimal("12.50"))],
            amount="25.00",
            promised_at=self.at(minutes + 40),
            address=address,
            channel="app",
        ).aggregate_id
        self.addresses[str(order_id)] = address
        return order_id

    def row(
        self,
        complaint_id: UUID,
        channel: str,
        status: str,
        *,
        received: float,
        first: float | None = None,
        classified: float | None = None,
        resolved: float | None = None,
    ) -> dict[str, str]:
        """A complaint's expected cells: these, and empty ones for the rest."""

        def moment(minutes: float | None) -> str:
            return "" if minutes is None else iso(self.at(minutes))

        def seconds(minutes: float | None) -> str:
            return "" if minutes is None else repr(round((minutes - received) * 60.0, 3))

        return {
            "complaint_id": str(complaint_id),
            "customer_id": str(self.customer),
            "channel": channel,
            "status": status,
            "escalation_level": "0",
            "reopened": "0",
            "received_at": moment(received),
            "first_response_at": moment(first),
            "first_response_s": seconds(first),
            "classified_at": moment(classified),
            "resolved_at": moment(resolved),
            "resolution_s": seconds(resolved),
        }

    def survey_row(self) -> dict[str, str]:
        return {
            "survey_id": str(self.survey.aggregate_id),
            "customer_id": str(self.customer),
            "subject": "complaint",
            "subject_id": self.complaints[0]["complaint_id"],
            "via": "sms",
            "status": "Responded",
            "sent_at": iso(self.at(32)),
            "responded_at": iso(self.at(40)),
            "expired_at": "",
            "product_quality": "5",
            "service_attitude": "4",
            "after_sales": "3",
            "response_speed": "2",
            "problem_solving": "1",
            "csat": repr(2 / 5),
        }

    def order_rows(self) -> list[dict[str, str]]:
        common = {"customer_id": str(self.customer), "region": "chaoyang", "channel": "app"}
        common |= {"late_min": "", "attributed_to": ""}
        return [
            common
            | {
                "order_id": str(self.order),
                "status": "Received",
                "placed_at": iso(self.at(0)),
                "promised_at": iso(self.at(40)),
                "delivered_at": "",
                "late_at_delivery_min": "",
                "ended_at": "",
            },
            common
            | {
                "order_id": str(self.delivered),
                "status": "Delivered",
                "placed_at": iso(self.at(5)),
                "promised_at": iso(self.at(45)),
                "delivered_at": iso(self.at(50)),
                "late_at_delivery_min": "5.0",
                "ended_at": iso(self.at(50)),
            },
        ]
