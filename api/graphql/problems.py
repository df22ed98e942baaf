"""Expected failures as data: the typed members of every mutation's result union."""

from __future__ import annotations

import re
from typing import Any

import strawberry

from application.errors import (
    ConcurrencyConflictError,
    CustomerErasedError,
    IdempotencyKeyReusedError,
    NotFoundError,
)
from domain.errors import InvalidInputError, RuleViolationError, TransitionRefusedError


class ForbiddenError(Exception):
    code = "FORBIDDEN"

    def __init__(self, message: str) -> None:
        super().__init__(message)


@strawberry.interface(description="Why a command was not carried out; nothing was recorded.")
class Problem:
    code: str = strawberry.field(description="Stable, machine-readable reason")
    message: str = strawberry.field(description="For people")


@strawberry.type
class NotFound(Problem):
    entity: str
    id: str


@strawberry.type
class TransitionRefused(Problem):
    entity: str
    state: str = strawberry.field(description="The entity's current state")
    action: str


@strawberry.type
class FieldProblem:
    path: list[str]
    message: str


@strawberry.type
class ValidationFailed(Problem):
    problems: list[FieldProblem]


@strawberry.type
class Conflict(Problem):
    pass


@strawberry.type
class Forbidden(Problem):
    pass


@strawberry.type
class RuleViolated(Problem):
    pass


# What any mutation may answer instead of its payload, in the order the result unions list them.
Problems = NotFound | TransitionRefused | ValidationFailed | Conflict | Forbidden | RuleViolated


def field_path(field: str) -> list[str]:
    """`items[2].unit_price` -> ["input", "items", "2", "unitPrice"]: the client's own names."""
    return ["input", *[_camel(part) for part in re.split(r"[.\[\]]+", field) if part]]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.capitalize() for word in rest)


def problem_of(error: Exception) -> Any:
    """The union member for an expected failure, or None for anything else (a bug)."""
    code = getattr(error, "code", "ERROR")
    message = str(error)
    if isinstance(error, NotFoundError):
        return NotFound(code=code, message=message, entity=error.entity, id=error.entity_id)
    if isinstance(error, TransitionRefusedError):
        return TransitionRefused(
            code=code, message=message, entity=error.entity, state=error.state, action=error.action
        )
    if isinstance(error, InvalidInputError):
        problem = FieldProblem(path=field_path(error.field), message=error.message)
        return ValidationFailed(code=code, message=message, problems=[problem])
    if isinstance(error, ConcurrencyConflictError | IdempotencyKeyReusedError):
        return Conflict(code=code, message=message)
    if isinstance(error, ForbiddenError):
        return Forbidden(code=code, message=message)
    if isinstance(error, RuleViolationError | CustomerErasedError):
        return RuleViolated(code=code, message=message)
    return None
