from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from domain.errors import InvalidInputError, RuleViolationError
from domain.values import bounded_text


class IncidentStatus(StrEnum):
    REPORTED = "Reported"
    CONFIRMED = "Confirmed"
    DECLINED = "Declined"
    RESPONDING = "Responding"
    MITIGATED = "Mitigated"
    RESOLVED = "Resolved"
    IN_REVIEW = "InReview"
    CLOSED = "Closed"
    MERGED = "Merged"


OPEN_STATES = frozenset(
    {
        IncidentStatus.REPORTED,
        IncidentStatus.CONFIRMED,
        IncidentStatus.RESPONDING,
        IncidentStatus.MITIGATED,
        IncidentStatus.RESOLVED,
        IncidentStatus.IN_REVIEW,
    }
)
STAFFED_STATES = OPEN_STATES - {IncidentStatus.REPORTED}
ACTIVE_STATES = frozenset({IncidentStatus.RESPONDING, IncidentStatus.MITIGATED})


class IncidentType(StrEnum):
    """The four event classes of the PRC Emergency Response Law, plus our own system failures."""

    NATURAL_DISASTER = "natural_disaster"
    ACCIDENT = "accident"
    PUBLIC_HEALTH = "public_health"
    SOCIAL_SAFETY = "social_safety"
    SYSTEM_FAILURE = "system_failure"


class IncidentSource(StrEnum):
    MONITOR = "monitor"
    COMPLAINT_CLUSTER = "complaint_cluster"
    STAFF = "staff"
    AUTHORITY = "authority"


class Severity(StrEnum):
    """Grades I to IV; I is the gravest."""

    I = "I"  # noqa: E741
    II = "II"
    III = "III"
    IV = "IV"


REVIEWED_SEVERITIES = frozenset({Severity.I, Severity.II})


class WarningColour(StrEnum):
    RED = "red"
    ORANGE = "orange"
    YELLOW = "yellow"
    BLUE = "blue"


class Role(StrEnum):
    COMMANDER = "commander"
    OPS_LEAD = "ops_lead"
    COMMS_LEAD = "comms_lead"
    SCRIBE = "scribe"
    LIAISON = "liaison"


class ActionKind(StrEnum):
    CONTAIN = "contain"
    RESTORE = "restore"
    TROUBLESHOOT = "troubleshoot"
    RECALL = "recall"
    RESCUE = "rescue"


class Audience(StrEnum):
    INTERNAL = "internal"
    CUSTOMERS = "customers"
    MERCHANTS = "merchants"
    REGULATOR = "regulator"


@dataclass(frozen=True)
class IncidentImpact:
    """The latest estimate of what the incident touched."""

    orders: int
    customers: int
    regions: list[str]


class ReviewAlreadyCompletedError(RuleViolationError):
    code = "REVIEW_ALREADY_COMPLETED"

    def __init__(self) -> None:
        super().__init__("the post-incident review is already completed")


LINK_MAX = 1000


def text_list(field: str, values: Sequence[str], max_items: int, max_len: int) -> list[str]:
    """Validates a list of distinct non-blank texts; errors name the item, e.g. `regions[2]`."""
    if not isinstance(values, list | tuple):
        raise InvalidInputError(field, "must be a list")
    if len(values) > max_items:
        raise InvalidInputError(field, f"must hold at most {max_items} items")
    for index, value in enumerate(values):
        bounded_text(f"{field}[{index}]", value, max_len)
        if value in values[:index]:
            raise InvalidInputError(f"{field}[{index}]", f"repeats {value!r}")
    return list(values)


def id_list(field: str, values: Sequence[UUID]) -> list[UUID]:
    """Validates a list of 1 to LINK_MAX ids; repeats are allowed (linking is a union)."""
    if not isinstance(values, list | tuple):
        raise InvalidInputError(field, "must be a list")
    if not 1 <= len(values) <= LINK_MAX:
        raise InvalidInputError(field, f"must hold from 1 to {LINK_MAX} ids")
    for index, value in enumerate(values):
        if not isinstance(value, UUID):
            raise InvalidInputError(f"{field}[{index}]", "must be an id")
    return list(values)
