"""A detected complaint cluster and the incident it proposes, until the commander decides.

`ClusterDetected` records the rule, the key and the complaints that formed the cluster, with
the orders likely touched and the incident to propose; `ClusterGrew` adds complaints (and
orders) that joined it later; `ClusterAccepted` names the incident it opened, and
`ClusterDismissed` why none was. A dismissed cluster takes no more complaints.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID, uuid5

from domain.base import CareAggregate, Meta, recorded
from domain.clusters import KeyKind, Trigger
from domain.complaint_types import Category
from domain.errors import InvalidInputError, RuleViolationError
from domain.incident_types import LINK_MAX, IncidentType, Severity, id_list
from domain.values import NAME_MAX, aware, bounded_text, coded, one_of

REASON_MAX = 64  # a code


class ClusterStatus(StrEnum):
    PROPOSED = "Proposed"
    ACCEPTED = "Accepted"
    DISMISSED = "Dismissed"


GROWING = frozenset({ClusterStatus.PROPOSED, ClusterStatus.ACCEPTED})


class ClusterUnchangedError(RuleViolationError):
    code = "CLUSTER_UNCHANGED"

    def __init__(self) -> None:
        super().__init__("every complaint and order given is in the cluster already")


class ClusterDetection(CareAggregate):
    TOPIC = "careledger.ClusterDetection"

    class Created(CareAggregate.Created):
        TOPIC = "careledger.ClusterDetection.Created"

    @recorded("ClusterDetected")
    def __init__(
        self,
        meta: Meta,
        rule: str,
        category: Category,
        key_kind: KeyKind,
        key: str,
        trigger: Trigger,
        complaint_ids: list[UUID],
        order_ids: list[UUID],
        first_at: datetime,
        last_at: datetime,
        incident_type: IncidentType,
        severity: Severity,
        *,
        id: UUID,
    ) -> None:
        self.rule = rule
        self.category = Category(category)
        self.key_kind = KeyKind(key_kind)
        self.key = key
        self.trigger = Trigger(trigger)
        self.complaint_ids = list(complaint_ids)
        self.order_ids = list(order_ids)
        self.first_at = first_at
        self.last_at = last_at
        self.incident_type = IncidentType(incident_type)
        self.severity = Severity(severity)
        self.status = ClusterStatus.PROPOSED
        self.detected_at = meta.occurred_at
        self.decided_at: datetime | None = None
        self.decided_by: str | None = None
        self.incident_id: UUID | None = None
        self.dismissal_reason: str | None = None

    @classmethod
    def detect(
        cls,
        meta: Meta,
        *,
        id: UUID,
        rule: str,
        category: str,
        key_kind: str,
        key: str,
        trigger: str,
        complaint_ids: list[UUID],
        order_ids: list[UUID],
        first_at: datetime,
        last_at: datetime,
        incident_type: str,
        severity: str,
    ) -> ClusterDetection:
        _span(first_at, last_at)
        return cls(
            meta=meta,
            rule=bounded_text("rule", rule, NAME_MAX),
            category=one_of("category", category, Category),
            key_kind=one_of("key_kind", key_kind, KeyKind),
            key=bounded_text("key", key, NAME_MAX),
            trigger=one_of("trigger", trigger, Trigger),
            complaint_ids=_distinct(id_list("complaint_ids", complaint_ids)),
            order_ids=_orders(order_ids),
            first_at=first_at,
            last_at=last_at,
            incident_type=one_of("incident_type", incident_type, IncidentType),
            severity=one_of("severity", severity, Severity),
            id=id,
        )

    @property
    def title(self) -> str:
        return (
            f"{len(self.complaint_ids)} {self.category} complaints about"
            f" {self.key_kind.replace('_', ' ')} {self.key}"
        )

    @property
    def description(self) -> str:
        return (
            f"Detected by the rule {self.rule} ({self.trigger}): {len(self.complaint_ids)}"
            f" complaints filed from {self.first_at.isoformat()} to {self.last_at.isoformat()},"
            f" {len(self.order_ids)} orders likely touched."
        )

    def grow(
        self, meta: Meta, complaint_ids: list[UUID], order_ids: list[UUID], last_at: datetime
    ) -> None:
        complaints = _distinct(id_list("complaint_ids", complaint_ids))
        orders = _orders(order_ids)
        _span(self.first_at, aware("last_at", last_at))
        self.require("grow", GROWING)
        known_complaints, known_orders = set(self.complaint_ids), set(self.order_ids)
        new_complaints = [c for c in complaints if c not in known_complaints]
        new_orders = [o for o in orders if o not in known_orders]
        room = LINK_MAX - len(self.order_ids)
        if not new_complaints:
            raise ClusterUnchangedError()
        self._grew(
            meta=meta,
            complaint_ids=new_complaints,
            order_ids=new_orders[: max(room, 0)],
            last_at=max(last_at, self.last_at),
        )

    @recorded("ClusterGrew")
    def _grew(
        self, meta: Meta, complaint_ids: list[UUID], order_ids: list[UUID], last_at: datetime
    ) -> None:
        self.complaint_ids.extend(complaint_ids)
        self.order_ids.extend(order_ids)
        self.last_at = last_at

    def accept(self, meta: Meta, incident_id: UUID) -> None:
        if not isinstance(incident_id, UUID):
            raise InvalidInputError("incident_id", "must be an id")
        self.check_acceptable()
        self._accepted(meta=meta, incident_id=incident_id)

    def check_acceptable(self) -> None:
        self.require("accept", {ClusterStatus.PROPOSED})

    @recorded("ClusterAccepted")
    def _accepted(self, meta: Meta, incident_id: UUID) -> None:
        self.status = ClusterStatus.ACCEPTED
        self.incident_id = incident_id
        self._decided(meta)

    def dismiss(self, meta: Meta, reason: str) -> None:
        """A cluster belongs to no customer, so no key could seal words about it: the reason is
        a code (`false_positive`, `known_cause`), words refused (docs/privacy.md#free-text)."""
        coded("reason", reason, REASON_MAX)
        self.require("dismiss", {ClusterStatus.PROPOSED})
        self._dismissed(meta=meta, reason=reason)

    @recorded("ClusterDismissed")
    def _dismissed(self, meta: Meta, reason: str) -> None:
        self.status = ClusterStatus.DISMISSED
        self.dismissal_reason = reason
        self._decided(meta)

    def _decided(self, meta: Meta) -> None:
        self.decided_at = meta.occurred_at
        self.decided_by = meta.actor.id


def _span(first_at: datetime, last_at: datetime) -> None:
    aware("first_at", first_at)
    aware("last_at", last_at)
    if last_at < first_at:
        raise InvalidInputError("last_at", "must not be before first_at")


def _orders(order_ids: list[UUID]) -> list[UUID]:
    """The likely touched orders: none is allowed (complaints without orders), at most LINK_MAX."""
    if not order_ids:
        return []
    return _distinct(id_list("order_ids", order_ids))


def _distinct(ids: list[UUID]) -> list[UUID]:
    return list(dict.fromkeys(ids))


CLUSTER_NAMESPACE = UUID("5b1f7c2e-8a4d-5e6f-9c3b-2d7a1e4f6b80")


def detection_id(rule: str, key: str, seq: int) -> UUID:
    """The id of the `seq`-th cluster of `rule` about `key`: whoever detects it names it alike."""
    return uuid5(CLUSTER_NAMESPACE, f"{rule}/{key}/{seq}")


class ClusterAlreadyDetectedError(RuleViolationError):
    code = "CLUSTER_ALREADY_DETECTED"

    def __init__(self, detection: UUID) -> None:
        super().__init__(f"the cluster {detection} is recorded already")
        self.detection = detection
