from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    """An expected refusal: the command was understood and turned down; nothing was recorded."""

    code: ClassVar[str] = "DOMAIN_ERROR"


class InvalidInputError(DomainError):
    code = "VALIDATION_FAILED"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class TransitionRefusedError(DomainError):
    code = "TRANSITION_REFUSED"

    def __init__(self, entity: str, state: str, action: str) -> None:
        super().__init__(f"{entity} is {state}: cannot {action}")
        self.entity = entity
        self.state = state
        self.action = action


class RuleViolationError(DomainError):
    """A business rule refuses the command even though the state allows the action."""

    code = "RULE_VIOLATED"


class RootCauseRequiredError(RuleViolationError):
    code = "ROOT_CAUSE_REQUIRED"

    def __init__(self, severity: str) -> None:
        super().__init__(f"a {severity} complaint needs a recorded root cause before it closes")
        self.severity = severity


class CompensationExceedsOrderAmountError(RuleViolationError):
    code = "COMPENSATION_EXCEEDS_ORDER_AMOUNT"

    def __init__(self, requested: str, limit: str) -> None:
        super().__init__(f"compensation {requested} would exceed the order amount {limit}")
        self.requested = requested
        self.limit = limit


class ReviewRequiredError(RuleViolationError):
    code = "REVIEW_REQUIRED"

    def __init__(self, severity: str) -> None:
        super().__init__(f"an incident of severity {severity} closes only after its review")
        self.severity = severity
