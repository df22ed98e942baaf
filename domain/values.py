from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

from domain.errors import InvalidInputError

E = TypeVar("E", bound=StrEnum)

MONEY_MAX = Decimal("1000000")
TEXT_MAX = 4000
NAME_MAX = 200


def bounded_text(field: str, value: str, max_len: int = NAME_MAX) -> str:
    if not isinstance(value, str):
        raise InvalidInputError(field, "must be text")
    if not value.strip():
        raise InvalidInputError(field, "must not be blank")
    if len(value) > max_len:
        raise InvalidInputError(field, f"must be at most {max_len} characters")
    return value


CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/-]*")


def coded(field: str, value: str, max_len: int = 64) -> str:
    """A code (`food_safety_goodwill`): letters, digits and `_ . : / -`, no spaces; free text
    is refused here, as it would be stored where nothing seals it."""
    bounded_text(field, value, max_len)
    if not CODE.fullmatch(value):
        raise InvalidInputError(
            field, "must be a code (letters, digits and _ . : / -, no spaces), not free text"
        )
    return value


def optional_text(field: str, value: str | None, max_len: int = NAME_MAX) -> str | None:
    if value is None or value == "":
        return value
    return bounded_text(field, value, max_len)


def one_of(field: str, value: str, kind: type[E]) -> E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise InvalidInputError(field, f"{value!r} is not one of: {allowed}") from None


def money(field: str, value: Decimal | int | str) -> Decimal:
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidInputError(field, f"{value!r} is not an amount") from None
    if not amount.is_finite() or amount < 0:
        raise InvalidInputError(field, "must be a finite amount of at least 0")
    if amount > MONEY_MAX:
        raise InvalidInputError(field, f"must be at most {MONEY_MAX}")
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidInputError(field, "must have at most two decimal places")
    return amount.quantize(Decimal("0.01"))


def aware(field: str, value: datetime) -> datetime:
    if not isinstance(value, datetime):
        raise InvalidInputError(field, "must be a date and time")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInputError(field, "must carry a time zone")
    return value


def not_before(field: str, value: datetime, earliest: datetime) -> datetime:
    aware(field, value)
    if value < earliest:
        raise InvalidInputError(field, f"must not be before {earliest.isoformat()}")
    return value


def count(field: str, value: int, maximum: int = 10_000_000) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= maximum:
        raise InvalidInputError(field, f"must be a whole number from 0 to {maximum}")
    return value


@dataclass(frozen=True)
class Sealed:
    """Personal data encrypted with its subject's own key; the domain only carries it."""

    subject: str
    token: str

    def __post_init__(self) -> None:
        bounded_text("sealed.subject", self.subject, 128)
        bounded_text("sealed.token", self.token, 64_000)


@dataclass(frozen=True)
class Unsealed:
    """Words an older version recorded in plain text where they are sealed now, as an upcaster
    reads them back: personal data all the same, shown only where a sealed value there would
    open, and "[erased]" once their customer was erased. Never recorded anew."""

    text: str


def unsealed(state: dict[str, object], *names: str) -> None:
    """An upcaster's step: the named fields' plain words (a version 1 event's) as Unsealed."""
    for name in names:
        value = state.get(name)
        if isinstance(value, str):
            state[name] = Unsealed(value)
