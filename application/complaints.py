from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from application.errors import NotYoursError
from application.handling import Outcome, command, new_id
from application.ledgers import LedgerCommands
from application.sla_catalog import SlaCatalogCommands
from application.vault import Vault
from domain.complaint import ROOT_CAUSE_MAX, Complaint
from domain.incident import Incident
from domain.meta import Meta
from domain.order import Order
from domain.order_ledger import OrderLedger
from domain.values import bounded_text, money

CONTENT_MAX = 4000


class ComplaintCommands(SlaCatalogCommands, LedgerCommands):
    vault: Vault

    @command(personal=("content",))
    def file_complaint(
        self, meta: Meta, *, customer_id: UUID, order_id: UUID | None, content: str, channel: str
    ) -> Outcome:
        bounded_text("content", content, CONTENT_MAX)
        self.registered(customer_id)
        if order_id is not None:
            self.order_of(customer_id, order_id)
        return self.create(
            meta,
            Complaint,
            lambda: Complaint.receive(
                meta,
                id=new_id(meta, Complaint),
                customer_id=customer_id,
                order_id=order_id,
                channel=channel,
                content=self.vault.seal(customer_id, content),
                sla=self.filing_context(customer_id, meta.occurred_at),
            ),
        )

    @command()
    def classify_complaint(
        self, meta: Meta, complaint_id: UUID, category: str, subcategory: str, severity: str
    ) -> Outcome:
        return self.change(
            meta,
            Complaint,
            complaint_id,
            lambda c: c.classify(
                meta,
                category,
                subcategory,
                severity,
                self.sla_context(c.customer_id, meta.occurred_at),
            ),
        )

    @command()
    def reclassify_complaint(
        self, meta: Meta, complaint_id: UUID, category: str, subcategory: str, severity: str
    ) -> Outcome:
        return self.change(
            meta,
            Complaint,
            complaint_id,
            lambda c: c.reclassify(
                meta,
                category,
                subcategory,
                severity,
                self.sla_context(c.customer_id, meta.occurred_at),
            ),
        )

    @command()
    def assign_responsibility(
        self, meta: Meta, complaint_id: UUID, department: str, person: str
    ) -> Outcome:
        return self.change(
            meta,
            Complaint,
            complaint_id,
            lambda c: c.assign_responsibility(
                meta, department, person, self.sla_context(c.customer_id, meta.occurred_at)
            ),
        )

    @command()
    def record_department_reply(self, meta: Meta, complaint_id: UUID, department: str) -> Outcome:
        return self.change(
            meta,
            Complaint,
            complaint_id,
            lambda c: c.record_department_reply(meta, department, self.clock_context()),
        )

    @command()
    def send_first_response(self, meta: Meta, complaint_id: UUID) -> Outcome:
        return self.change(
            meta,
            Complaint,
            complaint_id,
            lambda c: c.send_first_response(meta, self.clock_context()),
        )

    @command(personal=("content",))
    def receive_customer_message(self, meta: Meta, complaint_id: UUID, content: str) -> Outcome:
        bounded_text("content", content, CONTENT_MAX)
        return self.change(
            meta,
            Complaint,
            complaint_id,
            lambda c: c.receive_customer_message(meta, self.vault.seal(c.customer_id, content)),
        )

    @command(personal=("content",))
    def reply_to_customer(self, meta: Meta, complaint_id: UUID, content: str) -> Outcome:
        bounded_text("content", content, CONTENT_MAX)
        return self.change(
            meta,
            Complaint,
            complaint_id,
            lambda c: c.reply(meta, self.vault.seal(c.customer_id, content), self.clock_context()),
        )

    @command()
    def start_work(self, meta: Meta, complaint_id: UUID) -> Outcome:
        return self.change(meta, Complaint, complaint_id, lambda c: c.start_work(meta))

    @command()
    def put_on_hold(self, meta: Meta, complaint_id: UUID, waiting_on: str) -> Outcome:
        return self.change(meta, Complaint, complaint_id, lambda c: c.put_on_hold(meta, waiting_on))

    @command()
    def resume_complaint(self, meta: Meta, complaint_id: UUID) -> Outcome:
        return self.change(
            meta,
            Complaint,
            complaint_id,
            lambda c: c.resume(meta, self.sla_context(c.customer_id, meta.occurred_at)),
        )

    @command()
    def propose_solution(
        self, meta: Meta, complaint_id: UUID, remedy: str, amount: Decimal | str | None = None
    ) -> Outcome:
        return self.change(
            meta,
            Complaint,
            complaint_id,
            lambda c: c.propose_solution(meta, remedy, amount, self._order_amount(c.order_id)),
        )

    @command()
    def issue_compensation(
        self, meta: Meta, complaint_id: UUID, amount: Decimal | str, funded_by: str
    ) -> Outcome:
        """Pays the customer and charges the order's ledger, in one transaction."""

        def pay(complaint: Complaint) -> tuple[OrderLedger, ...]:
            if complaint.order_id is None:
                complaint.issue_compensation(meta, amount, funded_by, None)  # refused
                return ()
            ledger = self.ledger_of(meta, self.load(Order, complaint.order_id))
            complaint.issue_compensation(meta, amount, funded_by, ledger.limit)
            ledger.charge_compensation(meta, complaint.id, money("amount", amount))
            return (ledger,)

        return self.change_together(meta, Complaint, complaint_id, pay)

    @command()
    def resolve_complaint(self, meta: Meta, complaint_id: UUID, outcome: str) -> Outcome:
        return self.change(
            meta,
            Complaint,
            complaint_id,
            lambda c: c.resolve(meta, outcome, self.clock_context()),
        )

    @command()
    def confirm_satisfied(self, meta: Meta, complaint_id: UUID) -> Outcome:
        return self.change(meta, Complaint, complaint_id, lambda c: c.confirm_satisfied(meta))

    @command()
    def dispute_resolution(self, meta: Meta, complaint_id: UUID) -> Outcome:
        return self.change(
            meta,
            Complaint,
            complaint_id,
            lambda c: c.dispute_resolution(meta, self.sla_context(c.customer_id, meta.occurred_at)),
        )

    @command(personal=("cause", "corrective_action"))
    def record_root_cause(
        self,
        meta: Meta,
        complaint_id: UUID,
        cause: str,
        corrective_action: str,
        incident_id: UUID | None = None,
    ) -> Outcome:
        bounded_text("cause", cause, ROOT_CAUSE_MAX)
        bounded_text("corrective_action", corrective_action, ROOT_CAUSE_MAX)

        def record(c: Complaint) -> None:
            sealed = self.vault.seal(c.customer_id, cause)
            action = self.vault.seal(c.customer_id, corrective_action)
            c.record_root_cause(meta, sealed, action, incident_id)

        return self.change(meta, Complaint, complaint_id, record)

    @command()
    def escalate_complaint(self, meta: Meta, complaint_id: UUID) -> Outcome:
        return self.change(meta, Complaint, complaint_id, lambda c: c.escalate(meta))

    @command()
    def link_complaint(
        self,
        meta: Meta,
        complaint_id: UUID,
        *,
        incident_id: UUID | None = None,
        order_id: UUID | None = None,
    ) -> Outcome:
        """Links to an incident are kept both ways: the incident records the complaint too,
        in the same transaction."""
        if incident_id is not None:
            self.load(Incident, incident_id)
        if order_id is not None:
            self.load(Order, order_id)

        def link(complaint: Complaint) -> list[Incident]:
            complaint.link(meta, incident_id=incident_id, order_id=order_id)
            if incident_id is None:
                return []
            incident = self.load(Incident, incident_id)
            return [incident] if incident.note_complaint_link(meta, complaint_id) else []

        return self.change_together(meta, Complaint, complaint_id, link)

    @command()
    def merge_complaint(self, meta: Meta, complaint_id: UUID, into: UUID) -> Outcome:
        self.load(Complaint, into)
        return self.change(meta, Complaint, complaint_id, lambda c: c.merge_into(meta, into))

    @command()
    def close_complaint(self, meta: Meta, complaint_id: UUID, by: str) -> Outcome:
        return self.change(meta, Complaint, complaint_id, lambda c: c.close(meta, by))

    @command()
    def check_complaint_sla(self, meta: Meta, complaint_id: UUID) -> Outcome:
        return self.change(
            meta,
            Complaint,
            complaint_id,
            lambda c: c.check_sla(meta, self.clock_context()),
        )

    def order_of(self, customer_id: UUID, order_id: UUID) -> Order:
        """The order, if it is the customer's (NOT_FOUND, NOT_YOURS otherwise)."""
        order = self.load(Order, order_id)
        if order.customer_id != customer_id:
            raise NotYoursError("Order", order_id, customer_id)
        return order

    def _order_amount(self, order_id: UUID | None) -> Decimal | None:
        return None if order_id is None else self.load(Order, order_id).amount
