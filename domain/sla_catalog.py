"""The SLA catalogue: the one aggregate that records the SLA book, an admin's definitions of
calendars, policy versions and the rules that choose them (docs/architecture.md#sla-clocks).

Each definition is a new version that takes effect at its command's business time; a version is
never changed or removed, so a clock that names one keeps its meaning. The catalogue starts from
the built-in book (`standard` version 1, the 24/7 calendar, no rules).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import UUID, uuid5

from domain.base import CareAggregate, Meta, recorded
from domain.calendar import ALWAYS, WorkCalendar, normalised
from domain.calendars import checked_calendar
from domain.errors import InvalidInputError
from domain.sla import SlaPolicy
from domain.sla_book import STANDARD_BOOK, PolicyRule, RuleSet, SlaBook
from domain.sla_checks import checked_policy, checked_rules

SLA_CATALOG_ID = uuid5(UUID("5d0c8a3e-7f41-5b2c-9a6e-1c3b5d7f9e20"), "sla-catalog")


class SlaCatalog(CareAggregate):
    TOPIC = "careledger.SlaCatalog"

    class Created(CareAggregate.Created):
        TOPIC = "careledger.SlaCatalog.Created"

    @recorded("SlaCatalogOpened")
    def __init__(self, meta: Meta, *, id: UUID) -> None:
        self.policies = list(STANDARD_BOOK.policies)
        self.calendars = list(STANDARD_BOOK.calendars)
        self.rule_sets = list(STANDARD_BOOK.rule_sets)

    @classmethod
    def open(cls, meta: Meta) -> SlaCatalog:
        return cls(meta=meta, id=SLA_CATALOG_ID)

    @property
    def book(self) -> SlaBook:
        return SlaBook(
            policies=tuple(self.policies),
            calendars=tuple(normalised(c) for c in self.calendars),
            rule_sets=tuple(self.rule_sets),
        )

    def define_calendar(self, meta: Meta, calendar: WorkCalendar) -> None:
        if calendar.name == ALWAYS:
            raise InvalidInputError("name", f"{ALWAYS} is the built-in 24/7 calendar")
        earlier = self.book.versions_of_calendar(calendar.name)
        self._check_in_order(meta, [c.effective_at for c in earlier])
        version = replace(
            normalised(calendar), version=len(earlier) + 1, effective_at=meta.occurred_at
        )
        self._calendar_defined(meta=meta, calendar=checked_calendar(version))

    @recorded("SlaCalendarDefined")
    def _calendar_defined(self, meta: Meta, calendar: WorkCalendar) -> None:
        self.calendars.append(normalised(calendar))

    def define_policy(self, meta: Meta, policy: SlaPolicy) -> None:
        earlier = self.book.versions_of_policy(policy.name)
        self._check_in_order(meta, [p.effective_at for p in earlier])
        version = replace(policy, version=len(earlier) + 1, effective_at=meta.occurred_at)
        self._policy_defined(meta=meta, policy=checked_policy(version, self.book))

    @recorded("SlaPolicyDefined")
    def _policy_defined(self, meta: Meta, policy: SlaPolicy) -> None:
        self.policies.append(policy)

    def set_rules(self, meta: Meta, rules: list[PolicyRule]) -> None:
        self._check_in_order(meta, [r.effective_at for r in self.rule_sets])
        checked = checked_rules(rules, self.book)
        version = len(self.rule_sets) + 1
        self._rules_set(meta=meta, version=version, rules=checked)

    @recorded("SlaPolicyRulesSet")
    def _rules_set(self, meta: Meta, version: int, rules: list[PolicyRule]) -> None:
        self.rule_sets.append(RuleSet(version, tuple(rules), meta.occurred_at))

    @staticmethod
    def _check_in_order(meta: Meta, effective: list[datetime | None]) -> None:
        latest = max((at for at in effective if at is not None), default=None)
        if latest is not None and meta.occurred_at < latest:
            raise InvalidInputError(
                "occurredAt", f"before the version in force from {latest.isoformat()}"
            )
