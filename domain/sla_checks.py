"""The checks an SLA policy version and a rule set must pass before the catalogue records them."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from domain.calendars import NAME_MAX
from domain.complaint_types import Category, Severity
from domain.customer import Tier
from domain.errors import InvalidInputError
from domain.meta import Channel
from domain.sla import ClockName, SlaPolicy
from domain.sla_book import PolicyRule, SlaBook

TARGET_MAX_S = 366 * 86_400
RULES_MAX = 200


def checked_policy(policy: SlaPolicy, book: SlaBook) -> SlaPolicy:
    name = policy.name
    if not name.strip() or len(name) > NAME_MAX or name != name.strip():
        raise InvalidInputError("name", f"must be 1 to {NAME_MAX} characters, no outer spaces")
    for field, target in _targets(policy):
        if not 0 < target <= TARGET_MAX_S:
            raise InvalidInputError(field, f"a target is 1 to {TARGET_MAX_S} seconds")
    if set(policy.resolution_s) != {s.value for s in Severity}:
        raise InvalidInputError("resolution", "give a target for each of urgent, major, general")
    if not 1 <= policy.warn_percent <= 100:
        raise InvalidInputError("warnPercent", "must be 1 to 100")
    for clock, calendar in policy.calendars.items():
        if clock not in ClockName.__members__.values():
            raise InvalidInputError("calendars", f"{clock!r} is not an SLA clock")
        if not book.versions_of_calendar(calendar):
            raise InvalidInputError("calendars", f"no calendar is named {calendar!r}")
    return policy


def _targets(policy: SlaPolicy) -> list[tuple[str, int]]:
    return [
        ("firstResponseSeconds", policy.first_response_s),
        ("registrationSeconds", policy.registration_s),
        ("technicalHandbackSeconds", policy.technical_handback_s),
        ("afterSalesHandbackSeconds", policy.after_sales_handback_s),
        *((f"resolution.{s}", t) for s, t in policy.resolution_s.items()),
    ]


def checked_rules(rules: Sequence[PolicyRule], book: SlaBook) -> list[PolicyRule]:
    if len(rules) > RULES_MAX:
        raise InvalidInputError("rules", f"at most {RULES_MAX} rules")
    for rule in rules:
        if not book.versions_of_policy(rule.policy):
            raise InvalidInputError("rules", f"no policy is named {rule.policy!r}")
        _one_of("category", rule.category, Category)
        _one_of("severity", rule.severity, Severity)
        _one_of("channel", rule.channel, Channel)
        _one_of("tier", rule.tier, Tier)
    return list(rules)


def _one_of(field: str, value: str | None, kind: type[StrEnum]) -> None:
    if value is not None and value not in kind.__members__.values():
        raise InvalidInputError(f"rules.{field}", f"{value!r} is not a {kind.__name__}")
