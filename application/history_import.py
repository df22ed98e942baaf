"""Histories written late: a complaint recorded whole from a previous system, its clocks judged
at the business times of its own steps (docs/architecture.md#sla-clocks)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from application.complaints import CONTENT_MAX, ComplaintCommands
from application.handling import Outcome, command, new_id
from domain.complaint import ROOT_CAUSE_MAX, Complaint
from domain.complaint_history import Filing, HistoryStep, imported_complaint
from domain.meta import Meta
from domain.values import Sealed, bounded_text


class HistoryImportCommands(ComplaintCommands):
    @command(personal=("content", "steps"))
    def import_complaint_history(
        self,
        meta: Meta,
        *,
        customer_id: UUID,
        order_id: UUID | None,
        channel: str,
        content: str,
        received_at: datetime,
        steps: Sequence[HistoryStep],
    ) -> Outcome:
        """Records a complaint filed at `received_at` and every later step, in one transaction:
        no live policy sees it half written, and none acts on what it records."""
        bounded_text("content", content, CONTENT_MAX)
        self.registered(customer_id)
        for number, step in enumerate(steps):
            for name, value, most in (
                ("text", step.text, CONTENT_MAX),
                ("cause", step.cause, ROOT_CAUSE_MAX),
                ("corrective_action", step.corrective_action, ROOT_CAUSE_MAX),
            ):
                if value is not None:
                    bounded_text(f"steps[{number}].{name}", value, most)
        order_amount = None
        if order_id is not None:
            order_amount = self.order_of(customer_id, order_id).amount

        def seal(text: str) -> Sealed:
            return self.vault.seal(customer_id, text)

        def build() -> Complaint:
            filing = Filing(
                new_id(meta, Complaint), customer_id, order_id, channel, seal(content), received_at
            )
            sla = self.filing_context(customer_id, received_at)
            return imported_complaint(meta, filing, steps, sla, seal, order_amount)

        return self.create(meta, Complaint, build)
