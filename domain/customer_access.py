"""What a customer's record grants beyond handling their complaints and orders: glass broken by
a member of staff (open to them until a time) and privacy cases a compliance officer opened
(open to that officer until closed). Both need a reason, which the event's metadata carries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.errors import InvalidInputError, RuleViolationError
from domain.meta import Meta

GLASS_MINUTES = range(1, 241)  # how long broken glass may stay open: up to four hours


class NoOpenPrivacyCaseError(RuleViolationError):
    code = "NO_OPEN_PRIVACY_CASE"

    def __init__(self, officer: str) -> None:
        super().__init__(f"{officer} has no privacy case open on this customer")
        self.officer = officer


class PrivacyCaseAlreadyOpenError(RuleViolationError):
    code = "PRIVACY_CASE_ALREADY_OPEN"

    def __init__(self, officer: str) -> None:
        super().__init__(f"{officer} has a privacy case open on this customer already")
        self.officer = officer


@dataclass(frozen=True)
class Grants:
    """Who opens the customer's data without handling it: actor id to the end of their broken
    glass, and the officers with a privacy case open."""

    glass: dict[str, datetime] = field(default_factory=dict)
    cases: frozenset[str] = frozenset()

    def glass_open(self, actor_id: str, now: datetime) -> bool:
        until = self.glass.get(actor_id)
        return until is not None and now < until

    def glass_expired(self, actor_id: str, now: datetime) -> bool:
        until = self.glass.get(actor_id)
        return until is not None and now >= until


NO_GRANTS = Grants()


def require_reason(meta: Meta, action: str) -> None:
    if meta.reason is None or not meta.reason.has_words:
        raise InvalidInputError("reasonText", f"{action} needs a reason (reasonCode, reasonText)")


def glass_until(meta: Meta, minutes: int) -> datetime:
    if minutes not in GLASS_MINUTES:
        raise InvalidInputError("minutes", f"must be from 1 to {GLASS_MINUTES[-1]}")
    require_reason(meta, "breaking the glass")
    return meta.occurred_at + timedelta(minutes=minutes)
