from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain import complaint_clocks as clocks
from domain import complaint_conversation as conversation
from domain.base import CareAggregate, Meta, recorded
from domain.complaint_clocks import ComplaintClocks, ComplaintEvent
from domain.complaint_conversation import ComplaintConversation
from domain.complaint_types import (
    ASSIGNABLE_STATES,
    CLASSIFIED_OPEN_STATES,
    COMPENSABLE_STATES,
    HANDBACK_CLOCKS,
    OPEN_STATES,
    ROOT_CAUSE_SEVERITIES,
    ZERO,
    Category,
    ClosedBy,
    CompensationNeedsOrderError,
    ComplaintStatus,
    Department,
    FundedBy,
    NothingRefundedError,
    Remedy,
    Resolution,
    Severity,
    WaitingOn,
    checked_classification,
    checked_remedy_amount,
)
from domain.errors import (
    CompensationExceedsOrderAmountError,
    InvalidInputError,
    RootCauseRequiredError,
)
from domain.meta import ID_MAX, Channel
from domain.sla import ClockName, SlaClock
from domain.sla_book import STANDARD_CONTEXT, ClockFacts, SlaContext
from domain.tiers import Tier
from domain.values import Sealed, Unsealed, bounded_text, money, one_of, unsealed

S = ComplaintStatus
ROOT_CAUSE_MAX = 2000


class Complaint(ComplaintConversation, ComplaintClocks, CareAggregate):
    TOPIC = "careledger.Complaint"
    Event = ComplaintEvent
    tier: Tier = Tier.STANDARD  # a class default: complaints from before tiers were noted
    # the events the mixins record: naming them here registers their topics
    SlaClockStarted = clocks.SlaClockStarted
    SlaClockRetargeted = clocks.SlaClockRetargeted
    SlaPolicyReapplied = clocks.SlaPolicyReapplied
    SlaClockPaused = clocks.SlaClockPaused
    SlaClockResumed = clocks.SlaClockResumed
    SlaWarning = clocks.SlaWarning
    SlaBreached = clocks.SlaBreached
    SlaMet = clocks.SlaMet
    ComplaintEscalated = clocks.ComplaintEscalated
    CustomerMessageReceived = conversation.CustomerMessageReceived
    AgentReplied = conversation.AgentReplied
    FirstResponseSent = conversation.FirstResponseSent

    class Created(CareAggregate.Created):
        TOPIC = "careledger.Complaint.Created"

    class RootCauseRecorded(ComplaintEvent):
        """Version 2 holds the words sealed under the customer's key; a version 1 event's plain
        words read back as Unsealed, personal data all the same."""

        TOPIC = "careledger.RootCauseRecorded"
        class_version = 2
        WORDS = ("cause", "corrective_action")
        cause: Sealed | Unsealed
        corrective_action: Sealed | Unsealed
        incident_id: UUID | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            unsealed(state, "cause", "corrective_action")

    @recorded("ComplaintReceived")
    def __init__(
        self,
        meta: Meta,
        customer_id: UUID,
        order_id: UUID | None,
        content: Sealed,
        channel: Channel,
        policy_version: int,
        *,
        id: UUID,
    ) -> None:
        self.customer_id = customer_id
        self.order_id = order_id
        self.content = content
        self.channel = Channel(channel)
        self.sla_policy_version = policy_version
        self.status = S.RECEIVED
        self.received_at = meta.occurred_at
        self.classified_at: datetime | None = None
        self.first_response_at: datetime | None = None
        self.resolved_at: datetime | None = None
        self.closed_at: datetime | None = None
        self.category: Category | None = None
        self.subcategory: str | None = None
        self.severity: Severity | None = None
        self.department: Department | None = None
        self.assignee: str | None = None
        self.waiting_on: WaitingOn | None = None
        self.escalation_level = 0
        self.message_count = 0
        self.reply_count = 0
        self.remedy: Remedy | None = None
        self.proposed_amount: Decimal | None = None
        self.compensated_total = ZERO
        self.outcome: Resolution | None = None
        self.customer_satisfied = False
        self.reopen_count = 0
        self.root_cause_recorded = False
        # sealed under the customer's key; Unsealed (or, from an older snapshot, str) words
        # only from events recorded before that
        self.root_cause: Sealed | Unsealed | str | None = None
        self.corrective_action: Sealed | Unsealed | str | None = None
        self.root_cause_incident_id: UUID | None = None
        self.linked_incident_ids: list[UUID] = []
        self.linked_order_ids: list[UUID] = []
        self.merged_into: UUID | None = None
        self.closed_by: ClosedBy | None = None
        self.clocks: dict[str, SlaClock] = {}

    @classmethod
    def receive(
        cls,
        meta: Meta,
        *,
        id: UUID,
        customer_id: UUID,
        order_id: UUID | None,
        content: Sealed,
        channel: str,
        sla: SlaContext = STANDARD_CONTEXT,
    ) -> Complaint:
        checked_channel = one_of("channel", channel, Channel)
        if content.subject != str(customer_id):
            raise InvalidInputError("content", "must be sealed with the customer's own key")
        facts = ClockFacts(channel=checked_channel, tier=sla.tier)
        policy = sla.book.chosen_policy(meta.occurred_at, facts)
        complaint = cls(
            meta=meta,
            customer_id=customer_id,
            order_id=order_id,
            content=content,
            channel=checked_channel,
            policy_version=policy.version,
            id=id,
        )
        if sla.tier is not None and sla.tier != Tier.STANDARD:
            complaint._tier_noted(meta=meta, tier=Tier(sla.tier))
        for clock in (ClockName.FIRST_RESPONSE, ClockName.REGISTRATION, ClockName.RESOLUTION):
            complaint._start_clock(meta, clock, sla)
        return complaint

    @recorded("ComplaintTierNoted")
    def _tier_noted(self, meta: Meta, tier: Tier) -> None:
        """The customer's tier when the complaint came in, above standard (the queue puts a
        higher tier's equally due complaint first)."""
        self.tier = Tier(tier)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES

    # classification and responsibility

    def classify(
        self,
        meta: Meta,
        category: str,
        subcategory: str,
        severity: str,
        sla: SlaContext = STANDARD_CONTEXT,
    ) -> None:
        kind, sub, level = checked_classification(category, subcategory, severity)
        self.require("classify", {S.RECEIVED})
        self._classified(meta=meta, category=kind, subcategory=sub, severity=level)
        self._settle_clock(meta, ClockName.REGISTRATION, sla)
        self._retarget_resolution(meta, sla)
        self._escalate_if_urgent(meta)

    @recorded("ComplaintClassified")
    def _classified(
        self, meta: Meta, category: Category, subcategory: str, severity: Severity
    ) -> None:
        self._set_classification(category, subcategory, severity)
        self.status = S.CLASSIFIED
        self.classified_at = meta.occurred_at
        self.clocks[ClockName.REGISTRATION].stop(meta.occurred_at)

    def reclassify(
        self,
        meta: Meta,
        category: str,
        subcategory: str,
        severity: str,
        sla: SlaContext = STANDARD_CONTEXT,
    ) -> None:
        kind, sub, level = checked_classification(category, subcategory, severity)
        self.require("reclassify", CLASSIFIED_OPEN_STATES)
        self._reclassified(
            meta=meta,
            category=kind,
            subcategory=sub,
            severity=level,
            previous_severity=self.severity,
        )
        self._retarget_resolution(meta, sla)
        self._escalate_if_urgent(meta)

    @recorded("ComplaintReclassified")
    def _reclassified(
        self,
        meta: Meta,
        category: Category,
        subcategory: str,
        severity: Severity,
        previous_severity: Severity | None,
    ) -> None:
        self._set_classification(category, subcategory, severity)

    def _set_classification(self, category: str, subcategory: str, severity: str) -> None:
        self.category = Category(category)
        self.subcategory = subcategory
        self.severity = Severity(severity)

    def assign_responsibility(
        self, meta: Meta, department: str, person: str, sla: SlaContext = STANDARD_CONTEXT
    ) -> None:
        checked = one_of("department", department, Department)
        bounded_text("person", person, ID_MAX)
        self.require("assign responsibility", ASSIGNABLE_STATES)
        self._responsibility_assigned(meta=meta, department=checked, person=person)
        clock = HANDBACK_CLOCKS.get(checked)
        if clock is not None and not self._clock_active(clock):
            self._start_clock(meta, clock, sla)

    @recorded("ResponsibilityAssigned")
    def _responsibility_assigned(self, meta: Meta, department: Department, person: str) -> None:
        self.department = Department(department)
        self.assignee = person
        if self.status == S.CLASSIFIED:
            self.status = S.ASSIGNED

    def record_department_reply(
        self, meta: Meta, department: str, sla: SlaContext = STANDARD_CONTEXT
    ) -> None:
        checked = one_of("department", department, Department)
        self.require("record a department reply", OPEN_STATES)
        clock = HANDBACK_CLOCKS.get(checked)
        running = clock is not None and self._clock_active(clock)
        self._department_replied(meta=meta, department=checked)
        if running and clock is not None:
            self._settle_clock(meta, clock, sla)

    @recorded("DepartmentReplied")
    def _department_replied(self, meta: Meta, department: Department) -> None:
        clock = HANDBACK_CLOCKS.get(Department(department))
        if clock is not None:
            self._stop_clock(clock, meta.occurred_at)

    # work on the complaint

    def start_work(self, meta: Meta) -> None:
        self.require("start work", {S.ASSIGNED, S.REOPENED})
        self._work_started(meta=meta)

    @recorded("WorkStarted")
    def _work_started(self, meta: Meta) -> None:
        self.status = S.IN_PROGRESS

    def put_on_hold(self, meta: Meta, waiting_on: str) -> None:
        checked = one_of("waiting_on", waiting_on, WaitingOn)
        self.require("put on hold", {S.IN_PROGRESS})
        self._put_on_hold(meta=meta, waiting_on=checked)
        if checked == WaitingOn.CUSTOMER:
            self._pause_clock(meta, ClockName.RESOLUTION)

    @recorded("PutOnHold")
    def _put_on_hold(self, meta: Meta, waiting_on: WaitingOn) -> None:
        self.status = S.ON_HOLD
        self.waiting_on = WaitingOn(waiting_on)

    def resume(self, meta: Meta, sla: SlaContext = STANDARD_CONTEXT) -> None:
        self.require("resume", {S.ON_HOLD})
        self._resumed(meta=meta)
        self._resume_clock(meta, ClockName.RESOLUTION, sla)

    @recorded("Resumed")
    def _resumed(self, meta: Meta) -> None:
        self.status = S.IN_PROGRESS
        self.waiting_on = None

    def propose_solution(
        self, meta: Meta, remedy: str, amount: Decimal | str | None, order_amount: Decimal | None
    ) -> None:
        checked = one_of("remedy", remedy, Remedy)
        proposed = checked_remedy_amount(checked, amount)
        limit = None if order_amount is None else money("order_amount", order_amount)
        self.require("propose a solution", {S.IN_PROGRESS})
        if proposed is not None and limit is not None and proposed > limit:
            raise CompensationExceedsOrderAmountError(requested=str(proposed), limit=str(limit))
        self._solution_proposed(meta=meta, remedy=checked, amount=proposed)

    @recorded("SolutionProposed")
    def _solution_proposed(self, meta: Meta, remedy: Remedy, amount: Decimal | None) -> None:
        self.status = S.SOLUTION_PROPOSED
        self.remedy = Remedy(remedy)
        self.proposed_amount = amount

    def issue_compensation(
        self, meta: Meta, amount: Decimal | str, funded_by: str, order_amount: Decimal | None
    ) -> None:
        checked = money("amount", amount)
        if checked == ZERO:
            raise InvalidInputError("amount", "must be above 0")
        funder = one_of("funded_by", funded_by, FundedBy)
        limit = None if order_amount is None else money("order_amount", order_amount)
        self.require("issue compensation", COMPENSABLE_STATES)
        if limit is None:
            raise CompensationNeedsOrderError()
        total = self.compensated_total + checked
        if total > limit:
            raise CompensationExceedsOrderAmountError(requested=str(total), limit=str(limit))
        self._compensation_issued(meta=meta, amount=checked, funded_by=funder)

    @recorded("CompensationIssued")
    def _compensation_issued(self, meta: Meta, amount: Decimal, funded_by: FundedBy) -> None:
        self.compensated_total += amount

    def resolve(self, meta: Meta, outcome: str, sla: SlaContext = STANDARD_CONTEXT) -> None:
        checked = one_of("outcome", outcome, Resolution)
        self.require("resolve", {S.SOLUTION_PROPOSED})
        if checked == Resolution.REFUNDED and self.compensated_total == ZERO:
            raise NothingRefundedError()
        running = self._clock_active(ClockName.RESOLUTION)
        self._resolved(meta=meta, outcome=checked)
        if running:
            self._settle_clock(meta, ClockName.RESOLUTION, sla)

    @recorded("ComplaintResolved")
    def _resolved(self, meta: Meta, outcome: Resolution) -> None:
        self.status = S.RESOLVED
        self.outcome = Resolution(outcome)
        self.resolved_at = meta.occurred_at
        self._stop_clock(ClockName.RESOLUTION, meta.occurred_at)

    # after the resolution

    def confirm_satisfied(self, meta: Meta) -> None:
        self.require("confirm satisfaction", {S.RESOLVED})
        self._customer_confirmed_satisfied(meta=meta)

    @recorded("CustomerConfirmedSatisfied")
    def _customer_confirmed_satisfied(self, meta: Meta) -> None:
        self.customer_satisfied = True

    def dispute_resolution(self, meta: Meta, sla: SlaContext = STANDARD_CONTEXT) -> None:
        self.require("dispute the resolution", {S.RESOLVED})
        self._resolution_disputed(meta=meta)
        self._reopened(meta=meta)
        self._start_clock(meta, ClockName.RESOLUTION, sla)

    @recorded("ResolutionDisputed")
    def _resolution_disputed(self, meta: Meta) -> None:
        self.customer_satisfied = False

    @recorded("ComplaintReopened")
    def _reopened(self, meta: Meta) -> None:
        self.status = S.REOPENED
        self.reopen_count += 1

    def record_root_cause(
        self, meta: Meta, cause: Sealed, corrective_action: Sealed, incident_id: UUID | None
    ) -> None:
        """The cause and the corrective action are words about the customer's case: they come
        sealed under the customer's key (the application checks their length first)."""
        self._check_sealed("cause", cause)
        self._check_sealed("corrective_action", corrective_action)
        self.require("record a root cause", CLASSIFIED_OPEN_STATES)
        self._root_cause_recorded(
            meta=meta, cause=cause, corrective_action=corrective_action, incident_id=incident_id
        )

    @event(RootCauseRecorded)
    def _root_cause_recorded(
        self,
        meta: Meta,
        cause: Sealed | Unsealed,
        corrective_action: Sealed | Unsealed,
        incident_id: UUID | None,
    ) -> None:
        self.root_cause_recorded = True
        self.root_cause = cause
        self.corrective_action = corrective_action
        self.root_cause_incident_id = incident_id

    def close(self, meta: Meta, by: str) -> None:
        checked = one_of("by", by, ClosedBy)
        self.require("close", {S.RESOLVED})
        if self.severity in ROOT_CAUSE_SEVERITIES and not self.root_cause_recorded:
            raise RootCauseRequiredError(str(self.severity))
        self._closed(meta=meta, by=checked)

    @recorded("ComplaintClosed")
    def _closed(self, meta: Meta, by: ClosedBy) -> None:
        self.status = S.CLOSED
        self.closed_by = ClosedBy(by)
        self.closed_at = meta.occurred_at
        self._cancel_clocks(meta.occurred_at)

    # links and merging

    def link(
        self, meta: Meta, *, incident_id: UUID | None = None, order_id: UUID | None = None
    ) -> None:
        if (incident_id is None) == (order_id is None):
            raise InvalidInputError("incident_id", "give exactly one of incident_id and order_id")
        self.require("link", OPEN_STATES)
        self._linked(meta=meta, incident_id=incident_id, order_id=order_id)

    def note_incident_link(self, meta: Meta, incident_id: UUID) -> bool:
        """The reverse of an incident's link to this complaint, in whatever state it is (the
        link was made from the incident's side); False when it is linked already."""
        if incident_id in self.linked_incident_ids:
            return False
        self._linked(meta=meta, incident_id=incident_id, order_id=None)
        return True

    @recorded("ComplaintLinked")
    def _linked(self, meta: Meta, incident_id: UUID | None, order_id: UUID | None) -> None:
        if incident_id is not None and incident_id not in self.linked_incident_ids:
            self.linked_incident_ids.append(incident_id)
        if order_id is not None and order_id not in self.linked_order_ids:
            self.linked_order_ids.append(order_id)
        if self.order_id is None:
            self.order_id = order_id

    def merge_into(self, meta: Meta, into: UUID) -> None:
        if into == self.id:
            raise InvalidInputError("into", "a complaint cannot be merged into itself")
        self.require("merge", OPEN_STATES)
        self._merged(meta=meta, into=into)

    @recorded("ComplaintMerged")
    def _merged(self, meta: Meta, into: UUID) -> None:
        self.status = S.MERGED
        self.merged_into = into
        self._cancel_clocks(meta.occurred_at)
