from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from domain.errors import DomainError, RuleViolationError


class NotFoundError(DomainError):
    code = "NOT_FOUND"

    def __init__(self, entity: str, entity_id: UUID | str) -> None:
        super().__init__(f"no {entity} with id {entity_id}")
        self.entity = entity
        self.entity_id = str(entity_id)


class NotYoursError(RuleViolationError):
    code = "NOT_YOURS"

    def __init__(self, entity: str, entity_id: UUID, customer_id: UUID) -> None:
        # Names nothing of the owner: it is another customer.
        super().__init__(f"{entity} {entity_id} does not belong to customer {customer_id}")
        self.entity = entity
        self.entity_id = str(entity_id)


class ConcurrencyConflictError(DomainError):
    code = "CONFLICT"

    def __init__(self, entity: str, entity_id: UUID, attempts: int) -> None:
        super().__init__(
            f"{entity} {entity_id} kept changing under this command ({attempts} attempts); retry"
        )
        self.entity = entity
        self.entity_id = str(entity_id)


class IdempotencyKeyReusedError(DomainError):
    code = "IDEMPOTENCY_KEY_REUSED"

    def __init__(self, command_id: str) -> None:
        # Names nothing of the first use: it may have been someone else's.
        super().__init__(
            f"command id {command_id!r} was already used for another command, caller or"
            " arguments; send a new command id"
        )
        self.command_id = command_id


class CustomerErasedError(DomainError):
    code = "CUSTOMER_ERASED"

    def __init__(self, customer_id: UUID | str) -> None:
        super().__init__(f"customer {customer_id} was erased: no personal data can be recorded")
        self.customer_id = str(customer_id)


class ServiceUnavailableError(Exception):
    """The database did not answer within the deadline: not a refusal, try again later."""

    code: ClassVar[str] = "UNAVAILABLE"
    retry_after_s: ClassVar[int] = 1


class DatabaseUnavailableError(ServiceUnavailableError):
    code = "UNAVAILABLE"

    def __init__(self, detail: str = "") -> None:
        super().__init__("the database is unavailable; nothing was recorded: try again shortly")
        self.detail = detail  # for the log, not the client


class OutcomeUnknownError(ServiceUnavailableError):
    code = "OUTCOME_UNKNOWN"

    def __init__(self) -> None:
        super().__init__(
            "the database did not confirm this command in time: it may or may not have been"
            " recorded; retry with the same command id"
        )
