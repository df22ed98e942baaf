from __future__ import annotations

from uuid import UUID

from domain.errors import DomainError


class NotFoundError(DomainError):
    code = "NOT_FOUND"

    def __init__(self, entity: str, entity_id: UUID | str) -> None:
        super().__init__(f"no {entity} with id {entity_id}")
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

    def __init__(self, command_id: str, first_command: str) -> None:
        super().__init__(
            f"command id {command_id!r} was already used for a different {first_command} command"
        )
        self.command_id = command_id
        self.first_command = first_command


class CustomerErasedError(DomainError):
    code = "CUSTOMER_ERASED"

    def __init__(self, customer_id: UUID | str) -> None:
        super().__init__(f"customer {customer_id} was erased: no personal data can be recorded")
        self.customer_id = str(customer_id)
