"""The SLA catalogue's commands (admins define calendars, policy versions and the rules that
choose them) and the book every complaint command that starts or moves a clock reads
(docs/architecture.md#sla-clocks)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from application.errors import NotFoundError
from application.handling import Outcome, command
from application.tiers import TierCommands
from domain.calendar import WorkCalendar
from domain.complaint import Complaint
from domain.meta import Meta
from domain.sla import SlaPolicy
from domain.sla_book import STANDARD_BOOK, PolicyRule, SlaBook, SlaContext
from domain.sla_catalog import SLA_CATALOG_ID, SlaCatalog
from domain.sla_explain import ClockStory, explain


class SlaCatalogCommands(TierCommands):
    def sla_book(self) -> SlaBook:
        """The book as recorded; the built-in one before any admin defined anything."""
        try:
            return self.load(SlaCatalog, SLA_CATALOG_ID, shared=True).book
        except NotFoundError:
            return STANDARD_BOOK

    def sla_context(self, customer_id: UUID, at: datetime) -> SlaContext:
        """The book, and the customer's tier at `at` where the rules name tiers."""
        book = self.sla_book()
        return SlaContext(book, self.tier_of(customer_id, at) if _rules_name_tiers(book) else None)

    def filing_context(self, customer_id: UUID, at: datetime) -> SlaContext:
        """As `sla_context`, with the tier always: the complaint records the one it came in
        with (the agent queue orders by it)."""
        return SlaContext(self.sla_book(), self.tier_of(customer_id, at))

    def clock_context(self) -> SlaContext:
        """Enough to settle or sweep a clock (its calendar): no tier, nothing chosen."""
        return SlaContext(self.sla_book())

    def explain_complaint_sla(self, complaint_id: UUID) -> list[ClockStory]:
        """Each of the complaint's clocks, step by step, from its recorded events."""
        self.load(Complaint, complaint_id, shared=True)
        return explain(self.events.get(complaint_id), self.sla_book())

    @command()
    def define_sla_calendar(self, meta: Meta, calendar: WorkCalendar) -> Outcome:
        return self._in_catalog(meta, lambda c: c.define_calendar(meta, calendar))

    @command()
    def define_sla_policy(self, meta: Meta, policy: SlaPolicy) -> Outcome:
        return self._in_catalog(meta, lambda c: c.define_policy(meta, policy))

    @command()
    def set_sla_policy_rules(self, meta: Meta, rules: list[PolicyRule]) -> Outcome:
        return self._in_catalog(meta, lambda c: c.set_rules(meta, rules))

    @command()
    def retarget_complaint_sla(self, meta: Meta, complaint_id: UUID) -> Outcome:
        """Moves a complaint's running clocks to the policies and calendars in force now,
        recording each one's old and new due time (`SlaPolicyReapplied`)."""
        return self.change(
            meta,
            Complaint,
            complaint_id,
            lambda c: c.retarget_sla(meta, self.sla_context(c.customer_id, meta.occurred_at)),
        )

    def _in_catalog(self, meta: Meta, action: Callable[[SlaCatalog], None]) -> Outcome:
        def attempt() -> SlaCatalog:
            try:
                catalog = self.load(SlaCatalog, SLA_CATALOG_ID)
            except NotFoundError:
                catalog = SlaCatalog.open(meta)
            action(catalog)
            return catalog

        return self._execute(meta, SlaCatalog.__name__, lambda: (attempt(),), SLA_CATALOG_ID)


def _rules_name_tiers(book: SlaBook) -> bool:
    return any(rule.tier is not None for rules in book.rule_sets for rule in rules.rules)
