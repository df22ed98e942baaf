from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from domain.errors import InvalidInputError, RuleViolationError
from domain.sla import ClockName
from domain.values import bounded_text, money, one_of

MAX_ESCALATION_LEVEL = 3
SUBCATEGORY_MAX = 100
ZERO = Decimal("0.00")


class ComplaintStatus(StrEnum):
    RECEIVED = "Received"
    CLASSIFIED = "Classified"
    ASSIGNED = "Assigned"
    IN_PROGRESS = "InProgress"
    ON_HOLD = "OnHold"
    SOLUTION_PROPOSED = "SolutionProposed"
    RESOLVED = "Resolved"
    REOPENED = "Reopened"
    CLOSED = "Closed"
    MERGED = "Merged"


class Category(StrEnum):
    PRODUCT_QUALITY = "product_quality"
    SERVICE_ATTITUDE = "service_attitude"
    AFTER_SALES = "after_sales"
    LOGISTICS = "logistics"
    FOOD_SAFETY = "food_safety"
    PRIVACY = "privacy"


class Severity(StrEnum):
    GENERAL = "general"
    MAJOR = "major"
    URGENT = "urgent"


class Department(StrEnum):
    CUSTOMER_SERVICE = "customer_service"
    TECHNICAL = "technical"
    AFTER_SALES = "after_sales"
    LOGISTICS = "logistics"
    QUALITY = "quality"
    MERCHANT_RELATIONS = "merchant_relations"


class WaitingOn(StrEnum):
    CUSTOMER = "customer"
    RESTAURANT = "restaurant"
    COURIER = "courier"


class Remedy(StrEnum):
    FULL_REFUND = "full_refund"
    PARTIAL_REFUND = "partial_refund"
    REDELIVERY = "redelivery"
    VOUCHER = "voucher"
    APOLOGY = "apology"


class FundedBy(StrEnum):
    PLATFORM = "platform"
    MERCHANT = "merchant"
    COURIER = "courier"


class Resolution(StrEnum):
    """How a complaint was resolved (the command result is `application.handling.Outcome`)."""

    REFUNDED = "refunded"
    REDELIVERED = "redelivered"
    COMPENSATED = "compensated"
    EXPLAINED = "explained"
    REJECTED = "rejected"


class ClosedBy(StrEnum):
    CUSTOMER = "customer"
    TIMEOUT = "timeout"
    AGENT = "agent"


class EscalationTrigger(StrEnum):
    SLA = "sla"
    SEVERITY = "severity"
    MANUAL = "manual"


S = ComplaintStatus
OPEN_STATES = frozenset(set(ComplaintStatus) - {S.CLOSED, S.MERGED})
CLASSIFIED_OPEN_STATES = OPEN_STATES - {S.RECEIVED}
ASSIGNABLE_STATES = frozenset({S.CLASSIFIED, S.ASSIGNED, S.IN_PROGRESS, S.ON_HOLD, S.REOPENED})
COMPENSABLE_STATES = frozenset({S.SOLUTION_PROPOSED, S.RESOLVED})

MONEY_REMEDIES = frozenset({Remedy.FULL_REFUND, Remedy.PARTIAL_REFUND, Remedy.VOUCHER})
ROOT_CAUSE_SEVERITIES = frozenset({Severity.MAJOR, Severity.URGENT})
HANDBACK_CLOCKS: dict[str, ClockName] = {
    Department.TECHNICAL: ClockName.TECHNICAL_HANDBACK,
    Department.AFTER_SALES: ClockName.AFTER_SALES_HANDBACK,
}


class CompensationNeedsOrderError(RuleViolationError):
    code = "COMPENSATION_NEEDS_ORDER"

    def __init__(self) -> None:
        super().__init__("compensation is capped by the order's amount, and none was given")


class NothingRefundedError(RuleViolationError):
    code = "NOTHING_REFUNDED"

    def __init__(self) -> None:
        super().__init__(
            "a complaint resolves as refunded only after compensation was issued on it"
        )


class ComplaintAtTopEscalationError(RuleViolationError):
    code = "COMPLAINT_AT_TOP_ESCALATION"

    def __init__(self, level: int) -> None:
        super().__init__(f"the complaint is already at the top escalation level {level}")
        self.level = level


def checked_classification(
    category: str, subcategory: str, severity: str
) -> tuple[Category, str, Severity]:
    return (
        one_of("category", category, Category),
        bounded_text("subcategory", subcategory, SUBCATEGORY_MAX),
        one_of("severity", severity, Severity),
    )


def checked_remedy_amount(remedy: Remedy, amount: Decimal | str | None) -> Decimal | None:
    """The amount a remedy pays: above 0 for refunds and vouchers, none (or 0) otherwise."""
    checked = None if amount is None else money("amount", amount)
    if remedy in MONEY_REMEDIES:
        if checked is None or checked == ZERO:
            raise InvalidInputError("amount", f"a {remedy} needs an amount above 0")
        return checked
    if checked is not None and checked != ZERO:
        raise InvalidInputError("amount", f"a {remedy} takes no amount")
    return None
