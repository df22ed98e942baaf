"""A proposed SLA policy and its calendars for the what-if replay, checked as the catalogue checks
a definition (docs/architecture.md#sla-what-if)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from domain.calendar import WorkCalendar, normalised
from domain.calendars import checked_calendar
from domain.errors import InvalidInputError
from domain.sla import SlaPolicy
from domain.sla_book import SlaBook, in_force
from domain.sla_checks import checked_policy
from domain.sla_replay import Proposal

T = TypeVar("T")
PROPOSED = 0
"""The version a proposed calendar carries: it is nobody's recorded version."""


def proposal(book: SlaBook, policy: SlaPolicy, calendars: Sequence[WorkCalendar] = ()) -> Proposal:
    """The policy for every clock; a calendar it names is the proposed one of that name, else
    the book's version in force when the clock starts. An unknown calendar, a negative target
    or a bad calendar is an InvalidInputError."""
    proposed: dict[str, WorkCalendar] = {}
    for i, calendar in enumerate(calendars):
        if calendar.name in proposed:
            raise InvalidInputError(f"calendars[{i}].name", f"{calendar.name!r} is proposed twice")
        checked = under(f"calendars[{i}]", checked_calendar, normalised(calendar))
        proposed[calendar.name] = replace(checked, version=PROPOSED, effective_at=None)
    known = replace(book, calendars=(*book.calendars, *proposed.values()))
    under("policy", checked_policy, policy, known)
    versions = {c.name: book.versions_of_calendar(c.name) for c in book.calendars}

    def calendar_at(name: str, at: datetime) -> WorkCalendar:
        return proposed[name] if name in proposed else in_force(versions[name], at)

    return Proposal(policy, calendar_at)


def under(argument: str, check: Callable[..., T], *args: Any) -> T:
    """`check(*args)`, its InvalidInputError naming the field under `argument`."""
    try:
        return check(*args)
    except InvalidInputError as error:
        raise InvalidInputError(f"{argument}.{error.field}", error.message) from None
