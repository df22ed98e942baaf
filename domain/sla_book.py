"""The SLA book: every version of every policy and calendar, and the rules that choose a policy
for a clock (docs/architecture.md#sla-clocks).

A clock takes the policy the rules choose when it starts, from the rule set and versions in force
at its start (business time): the first rule whose every named field matches the complaint wins,
and none matching means `standard`. Its calendar is the version of the policy's calendar for that
clock in force at the same time. The built-in book holds policy `standard` version 1
(`SLA_POLICY_V1`) and the 24/7 calendar: a history recorded before policies were data reads as
that.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from domain.calendar import ALWAYS_CALENDAR, WorkCalendar
from domain.sla import SLA_POLICY_V1, STANDARD, ClockName, SlaPolicy


class Dated(Protocol):
    @property
    def effective_at(self) -> datetime | None: ...


V = TypeVar("V", bound=Dated)


@dataclass(frozen=True)
class PolicyRule:
    """Chooses `policy` for complaints matching every field it names (None: any)."""

    policy: str
    category: str | None = None
    severity: str | None = None
    channel: str | None = None
    tier: str | None = None

    def matches(self, facts: ClockFacts) -> bool:
        pairs = (
            (self.category, facts.category),
            (self.severity, facts.severity),
            (self.channel, facts.channel),
            (self.tier, facts.tier),
        )
        return all(wanted is None or wanted == have for wanted, have in pairs)


@dataclass(frozen=True)
class RuleSet:
    version: int
    rules: tuple[PolicyRule, ...] = ()
    effective_at: datetime | None = None


@dataclass(frozen=True)
class ClockFacts:
    """What the rules may look at when a clock starts."""

    channel: str | None = None
    category: str | None = None
    severity: str | None = None
    tier: str | None = None


@dataclass(frozen=True)
class Choice:
    """A clock's policy and calendar, and its target under them."""

    policy: SlaPolicy
    calendar: WorkCalendar
    target_s: int


def in_force(versions: tuple[V, ...], at: datetime) -> V:
    """The latest version in force at `at`, or the first one if none was yet."""
    current = versions[0]
    for version in versions:
        if version.effective_at is None or version.effective_at <= at:
            current = version
    return current


@dataclass(frozen=True)
class SlaBook:
    policies: tuple[SlaPolicy, ...] = (SLA_POLICY_V1,)
    calendars: tuple[WorkCalendar, ...] = (ALWAYS_CALENDAR,)
    rule_sets: tuple[RuleSet, ...] = (RuleSet(1),)

    def versions_of_policy(self, name: str) -> tuple[SlaPolicy, ...]:
        return tuple(p for p in self.policies if p.name == name)

    def versions_of_calendar(self, name: str) -> tuple[WorkCalendar, ...]:
        return tuple(c for c in self.calendars if c.name == name)

    def policy(self, name: str, version: int) -> SlaPolicy:
        return next(p for p in self.versions_of_policy(name) if p.version == version)

    def calendar(self, name: str, version: int) -> WorkCalendar:
        return next(c for c in self.versions_of_calendar(name) if c.version == version)

    def policy_at(self, name: str, at: datetime) -> SlaPolicy:
        return in_force(self.versions_of_policy(name), at)

    def calendar_at(self, name: str, at: datetime) -> WorkCalendar:
        return in_force(self.versions_of_calendar(name), at)

    def rules_at(self, at: datetime) -> RuleSet:
        return in_force(self.rule_sets, at)

    def chosen_policy(self, at: datetime, facts: ClockFacts) -> SlaPolicy:
        rule = next((r for r in self.rules_at(at).rules if r.matches(facts)), None)
        return self.policy_at(rule.policy if rule else STANDARD, at)

    def choose(self, clock: ClockName, at: datetime, facts: ClockFacts) -> Choice:
        """The policy, calendar and target of `clock` started at `at` for these facts."""
        policy = self.chosen_policy(at, facts)
        calendar = self.calendar_at(policy.calendar_of(clock), at)
        return Choice(policy, calendar, policy.target_s(clock, facts.severity))


STANDARD_BOOK = SlaBook()


@dataclass(frozen=True)
class SlaContext:
    """What a complaint needs to start or move a clock: the book and the customer's tier."""

    book: SlaBook = STANDARD_BOOK
    tier: str | None = None


STANDARD_CONTEXT = SlaContext()
