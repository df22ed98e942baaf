from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.base import CareAggregate, Meta, recorded
from domain.errors import InvalidInputError, ReviewRequiredError
from domain.incident_types import (
    ACTIVE_STATES,
    OPEN_STATES,
    REVIEWED_SEVERITIES,
    STAFFED_STATES,
    ActionKind,
    Audience,
    IncidentImpact,
    IncidentSource,
    IncidentStatus,
    IncidentType,
    ReviewAlreadyCompletedError,
    Role,
    Severity,
    WarningColour,
    id_list,
    text_list,
)
from domain.values import NAME_MAX, TEXT_MAX, bounded_text, count, not_before, one_of

REASON_MAX = 2000
REGIONS_MAX = 200
FOLLOW_UPS_MAX = 50
FOLLOW_UP_MAX = 1000

S = IncidentStatus


class Incident(CareAggregate):
    """An emergency and the response to it, from the first report to the closing review."""

    TOPIC = "careledger.Incident"

    class Created(CareAggregate.Created):
        TOPIC = "careledger.Incident.Created"

    @recorded("IncidentReported")
    def __init__(
        self,
        meta: Meta,
        type: IncidentType,
        source: IncidentSource,
        title: str,
        description: str,
        *,
        id: UUID,
    ) -> None:
        self.type = IncidentType(type)
        self.source = IncidentSource(source)
        self.title = title
        self.description = description
        self.status = S.REPORTED
        self.reported_at = meta.occurred_at
        self.acknowledged_at: datetime | None = None
        self.resolved_at: datetime | None = None
        self.last_update_at: datetime | None = None
        self.reported_up_at: datetime | None = None
        self.warning_colour: WarningColour | None = None
        self.severity: Severity | None = None
        self.impact: IncidentImpact | None = None
        self.review_completed = False
        self.root_cause: str | None = None
        self.follow_ups: list[str] = []
        self.merged_into: UUID | None = None
        self._roles: dict[Role, str] = {}
        self._order_ids: list[UUID] = []
        self._complaint_ids: list[UUID] = []

    @classmethod
    def report(
        cls,
        meta: Meta,
        *,
        id: UUID,
        type: str,
        source: str,
        title: str,
        description: str,
    ) -> Incident:
        return cls(
            meta=meta,
            type=one_of("type", type, IncidentType),
            source=one_of("source", source, IncidentSource),
            title=bounded_text("title", title, NAME_MAX),
            description=bounded_text("description", description, TEXT_MAX),
            id=id,
        )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES

    @property
    def roles(self) -> dict[str, str]:
        return {str(role): person for role, person in self._roles.items()}

    @property
    def order_ids(self) -> list[UUID]:
        return list(self._order_ids)

    @property
    def complaint_ids(self) -> list[UUID]:
        return list(self._complaint_ids)

    def issue_warning(self, meta: Meta, colour: str) -> None:
        valid = one_of("colour", colour, WarningColour)
        self.require("issue a warning", OPEN_STATES)
        self._warning_issued(meta=meta, colour=valid)

    @recorded("WarningIssued")
    def _warning_issued(self, meta: Meta, colour: WarningColour) -> None:
        self.warning_colour = WarningColour(colour)

    def confirm(self, meta: Meta) -> None:
        not_before("occurred_at", meta.occurred_at, self.reported_at)
        self.require("confirm", {S.REPORTED})
        self._confirmed(meta=meta)

    @recorded("IncidentConfirmed")
    def _confirmed(self, meta: Meta) -> None:
        self.status = S.CONFIRMED
        self.acknowledged_at = meta.occurred_at

    def decline(self, meta: Meta) -> None:
        self.require("decline", {S.REPORTED})
        self._declined(meta=meta)

    @recorded("IncidentDeclined")
    def _declined(self, meta: Meta) -> None:
        self.status = S.DECLINED

    def assess_severity(self, meta: Meta, level: str, reason: str) -> None:
        valid = one_of("level", level, Severity)
        bounded_text("reason", reason, REASON_MAX)
        self.require("assess severity", OPEN_STATES)
        self._severity_assessed(meta=meta, level=valid, reason=reason)

    @recorded("SeverityAssessed")
    def _severity_assessed(self, meta: Meta, level: Severity, reason: str) -> None:
        self.severity = Severity(level)

    def report_to_superior(self, meta: Meta, to: str) -> None:
        bounded_text("to", to, NAME_MAX)
        self.require("report to a superior", OPEN_STATES)
        self._reported_to_superior(meta=meta, to=to)

    @recorded("ReportedToSuperior")
    def _reported_to_superior(self, meta: Meta, to: str) -> None:
        if self.reported_up_at is None:
            self.reported_up_at = meta.occurred_at

    def establish_command(self, meta: Meta, commander: str) -> None:
        bounded_text("commander", commander, NAME_MAX)
        self.require("establish command", {S.CONFIRMED})
        self._command_established(meta=meta, commander=commander)

    @recorded("CommandEstablished")
    def _command_established(self, meta: Meta, commander: str) -> None:
        self._roles[Role.COMMANDER] = commander
        self.status = S.RESPONDING

    def assign_role(self, meta: Meta, role: str, person: str) -> None:
        valid = one_of("role", role, Role)
        bounded_text("person", person, NAME_MAX)
        self.require("assign a role", STAFFED_STATES)
        self._role_assigned(meta=meta, role=valid, person=person)

    @recorded("RoleAssigned")
    def _role_assigned(self, meta: Meta, role: Role, person: str) -> None:
        self._roles[Role(role)] = person

    def allocate_resource(self, meta: Meta, resource: str) -> None:
        bounded_text("resource", resource, NAME_MAX)
        self.require("allocate a resource", ACTIVE_STATES)
        self._resource_allocated(meta=meta, resource=resource)

    @recorded("ResourceAllocated")
    def _resource_allocated(self, meta: Meta, resource: str) -> None:
        """The event itself is the record; the aggregate keeps nothing from it."""

    def take_action(self, meta: Meta, kind: str, detail: str) -> None:
        valid = one_of("kind", kind, ActionKind)
        bounded_text("detail", detail, TEXT_MAX)
        self.require("take an action", ACTIVE_STATES)
        self._action_taken(meta=meta, kind=valid, detail=detail)

    @recorded("ActionTaken")
    def _action_taken(self, meta: Meta, kind: ActionKind, detail: str) -> None:
        """The event itself is the record; the aggregate keeps nothing from it."""

    def publish_status_update(self, meta: Meta, audience: str, message: str) -> None:
        valid = one_of("audience", audience, Audience)
        bounded_text("message", message, TEXT_MAX)
        self.require("publish a status update", STAFFED_STATES)
        self._status_update_published(meta=meta, audience=valid, message=message)

    @recorded("StatusUpdatePublished")
    def _status_update_published(self, meta: Meta, audience: Audience, message: str) -> None:
        self.last_update_at = meta.occurred_at

    def record_impact(self, meta: Meta, orders: int, customers: int, regions: list[str]) -> None:
        count("orders", orders)
        count("customers", customers)
        valid = text_list("regions", regions, REGIONS_MAX, NAME_MAX)
        self.require("record impact", OPEN_STATES)
        self._impact_recorded(meta=meta, orders=orders, customers=customers, regions=valid)

    @recorded("ImpactRecorded")
    def _impact_recorded(self, meta: Meta, orders: int, customers: int, regions: list[str]) -> None:
        self.impact = IncidentImpact(orders=orders, customers=customers, regions=list(regions))

    def link_orders(self, meta: Meta, order_ids: list[UUID]) -> None:
        valid = id_list("order_ids", order_ids)
        self.require("link orders", OPEN_STATES)
        self._orders_linked(meta=meta, order_ids=valid)

    @recorded("OrdersLinked")
    def _orders_linked(self, meta: Meta, order_ids: list[UUID]) -> None:
        _extend_unique(self._order_ids, order_ids)

    def link_complaints(self, meta: Meta, complaint_ids: list[UUID]) -> None:
        valid = id_list("complaint_ids", complaint_ids)
        self.require("link complaints", OPEN_STATES)
        self._complaints_linked(meta=meta, complaint_ids=valid)

    def note_complaint_link(self, meta: Meta, complaint_id: UUID) -> bool:
        """The reverse of a complaint's link to this incident, in whatever state it is (the
        link was made from the complaint's side); False when it is linked already."""
        if complaint_id in self._complaint_ids:
            return False
        self._complaints_linked(meta=meta, complaint_ids=[complaint_id])
        return True

    @recorded("ComplaintsLinked")
    def _complaints_linked(self, meta: Meta, complaint_ids: list[UUID]) -> None:
        _extend_unique(self._complaint_ids, complaint_ids)

    def mitigate(self, meta: Meta) -> None:
        self.require("mitigate", {S.RESPONDING})
        self._mitigated(meta=meta)

    @recorded("IncidentMitigated")
    def _mitigated(self, meta: Meta) -> None:
        self.status = S.MITIGATED

    def resolve(self, meta: Meta) -> None:
        if self.acknowledged_at is not None:
            not_before("occurred_at", meta.occurred_at, self.acknowledged_at)
        self.require("resolve", ACTIVE_STATES)
        self._resolved(meta=meta)

    @recorded("IncidentResolved")
    def _resolved(self, meta: Meta) -> None:
        self.status = S.RESOLVED
        self.resolved_at = meta.occurred_at

    def start_review(self, meta: Meta) -> None:
        self.require("start the review", {S.RESOLVED})
        self._review_started(meta=meta)

    @recorded("PostIncidentReviewStarted")
    def _review_started(self, meta: Meta) -> None:
        self.status = S.IN_REVIEW

    def complete_review(self, meta: Meta, root_cause: str, follow_ups: list[str]) -> None:
        bounded_text("root_cause", root_cause, TEXT_MAX)
        valid = text_list("follow_ups", follow_ups, FOLLOW_UPS_MAX, FOLLOW_UP_MAX)
        self.require("complete the review", {S.IN_REVIEW})
        if self.review_completed:
            raise ReviewAlreadyCompletedError()
        self._review_completed(meta=meta, root_cause=root_cause, follow_ups=valid)

    @recorded("PostIncidentReviewCompleted")
    def _review_completed(self, meta: Meta, root_cause: str, follow_ups: list[str]) -> None:
        self.review_completed = True
        self.root_cause = root_cause
        self.follow_ups = list(follow_ups)

    def close(self, meta: Meta) -> None:
        self.require("close", {S.RESOLVED, S.IN_REVIEW})
        if self.severity in REVIEWED_SEVERITIES and not self.review_completed:
            raise ReviewRequiredError(str(self.severity))
        self._closed(meta=meta)

    @recorded("IncidentClosed")
    def _closed(self, meta: Meta) -> None:
        self.status = S.CLOSED

    def merge_into(self, meta: Meta, into: UUID) -> None:
        if not isinstance(into, UUID):
            raise InvalidInputError("into", "must be an id")
        if into == self.id:
            raise InvalidInputError("into", "an incident cannot be merged into itself")
        self.require("merge", OPEN_STATES)
        self._merged(meta=meta, into=into)

    @recorded("IncidentMerged")
    def _merged(self, meta: Meta, into: UUID) -> None:
        self.status = S.MERGED
        self.merged_into = into


def _extend_unique(kept: list[UUID], new: list[UUID]) -> None:
    seen = set(kept)
    for item in new:
        if item not in seen:
            seen.add(item)
            kept.append(item)
