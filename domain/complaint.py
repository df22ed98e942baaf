from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from domain.base import CareAggregate, Meta, recorded
from domain.complaint_types import (
    ASSIGNABLE_STATES,
    CLASSIFIED_OPEN_STATES,
    COMPENSABLE_STATES,
    HANDBACK_CLOCKS,
    MAX_ESCALATION_LEVEL,
    OPEN_STATES,
    ROOT_CAUSE_SEVERITIES,
    ZERO,
    Category,
    ClosedBy,
    CompensationNeedsOrderError,
    ComplaintAtTopEscalationError,
    ComplaintStatus,
    Department,
    EscalationTrigger,
    FundedBy,
    Outcome,
    Remedy,
    Severity,
    WaitingOn,
    checked_classification,
    checked_remedy_amount,
)
from domain.errors import (
    CompensationExceedsOrderAmountError,
    InvalidInputError,
    RootCauseRequiredError,
    TransitionRefusedError,
)
from domain.meta import ID_MAX, Channel
from domain.sla import (
    SLA_POLICY_V1,
    ClockName,
    ClockState,
    SlaClock,
    SlaPolicy,
    known_policy,
    policy_for,
    schedule,
)
from domain.values import Sealed, bounded_text, money, one_of

S = ComplaintStatus
ROOT_CAUSE_MAX = 2000


class Complaint(CareAggregate):
    TOPIC = "careledger.Complaint"

    class Created(CareAggregate.Created):
        TOPIC = "careledger.Complaint.Created"

    @recorded("ComplaintReceived")
    def __init__(
        self, meta: Meta, customer_id: UUID, order_id: UUID | None, content: Sealed,
        channel: Channel, policy_version: int, *, id: UUID,
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
        self.outcome: Outcome | None = None
        self.customer_satisfied = False
        self.reopen_count = 0
        self.root_cause_recorded = False
        self.root_cause: str | None = None
        self.corrective_action: str | None = None
        self.root_cause_incident_id: UUID | None = None
        self.linked_incident_ids: list[UUID] = []
        self.linked_order_ids: list[UUID] = []
        self.merged_into: UUID | None = None
        self.closed_by: ClosedBy | None = None
        self.clocks: dict[str, SlaClock] = {}

    @classmethod
    def receive(
        cls, meta: Meta, *, id: UUID, customer_id: UUID, order_id: UUID | None, content: Sealed,
        channel: str, policy: SlaPolicy = SLA_POLICY_V1,
    ) -> Complaint:
        checked_channel = one_of("channel", channel, Channel)
        if content.subject != str(customer_id):
            raise InvalidInputError("content", "must be sealed with the customer's own key")
        known_policy("policy", policy)
        complaint = cls(
            meta=meta, customer_id=customer_id, order_id=order_id, content=content,
            channel=checked_channel, policy_version=policy.version, id=id,
        )
        for clock in (ClockName.FIRST_RESPONSE, ClockName.REGISTRATION, ClockName.RESOLUTION):
            complaint._start_clock(meta, clock)
        return complaint

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES

    @property
    def sla_policy(self) -> SlaPolicy:
        return policy_for(self.sla_policy_version)

    # classification and responsibility

    def classify(self, meta: Meta, category: str, subcategory: str, severity: str) -> None:
        kind, sub, level = checked_classification(category, subcategory, severity)
        self.require("classify", {S.RECEIVED})
        self._classified(meta=meta, category=kind, subcategory=sub, severity=level)
        self._settle_clock(meta, ClockName.REGISTRATION)
        self._retarget_resolution(meta)
        self._escalate_if_urgent(meta)

    @recorded("ComplaintClassified")
    def _classified(self, meta: Meta, category: Category, subcategory: str,
                    severity: Severity) -> None:
        self._set_classification(category, subcategory, severity)
        self.status = S.CLASSIFIED
        self.classified_at = meta.occurred_at
        self.clocks[ClockName.REGISTRATION].stop(meta.occurred_at)

    def reclassify(self, meta: Meta, category: str, subcategory: str, severity: str) -> None:
        kind, sub, level = checked_classification(category, subcategory, severity)
        self.require("reclassify", CLASSIFIED_OPEN_STATES)
        self._reclassified(meta=meta, category=kind, subcategory=sub, severity=level,
                           previous_severity=self.severity)
        self._retarget_resolution(meta)
        self._escalate_if_urgent(meta)

    @recorded("ComplaintReclassified")
    def _reclassified(self, meta: Meta, category: Category, subcategory: str, severity: Severity,
                      previous_severity: Severity | None) -> None:
        self._set_classification(category, subcategory, severity)

    def _set_classification(self, category: str, subcategory: str, severity: str) -> None:
        self.category = Category(category)
        self.subcategory = subcategory
        self.severity = Severity(severity)

    def assign_responsibility(self, meta: Meta, department: str, person: str) -> None:
        checked = one_of("department", department, Department)
        bounded_text("person", person, ID_MAX)
        self.require("assign responsibility", ASSIGNABLE_STATES)
        self._responsibility_assigned(meta=meta, department=checked, person=person)
        clock = HANDBACK_CLOCKS.get(checked)
        if clock is not None and not self._clock_active(clock):
            self._start_clock(meta, clock)

    @recorded("ResponsibilityAssigned")
    def _responsibility_assigned(self, meta: Meta, department: Department, person: str) -> None:
        self.department = Department(department)
        self.assignee = person
        if self.status == S.CLASSIFIED:
            self.status = S.ASSIGNED

    def record_department_reply(self, meta: Meta, department: str) -> None:
        checked = one_of("department", department, Department)
        self.require("record a department reply", OPEN_STATES)
        clock = HANDBACK_CLOCKS.get(checked)
        running = clock is not None and self._clock_active(clock)
        self._department_replied(meta=meta, department=checked)
        if running and clock is not None:
            self._settle_clock(meta, clock)

    @recorded("DepartmentReplied")
    def _department_replied(self, meta: Meta, department: Department) -> None:
        clock = HANDBACK_CLOCKS.get(Department(department))
        if clock is not None and self._clock_active(clock):
            self.clocks[clock].stop(meta.occurred_at)

    # conversation

    def send_first_response(self, meta: Meta) -> None:
        self.require("send the first response", OPEN_STATES)
        if self.first_response_at is not None:
            raise TransitionRefusedError(
                type(self).__name__, str(self.status), "send the first response again"
            )
        self._respond_first(meta)

    def receive_customer_message(self, meta: Meta, content: Sealed) -> None:
        self._check_sealed("content", content)
        self.require("record a customer message", OPEN_STATES)
        self._customer_message_received(meta=meta, content=content)

    @recorded("CustomerMessageReceived")
    def _customer_message_received(self, meta: Meta, content: Sealed) -> None:
        self.message_count += 1

    def reply(self, meta: Meta, content: Sealed) -> None:
        self._check_sealed("content", content)
        self.require("reply", OPEN_STATES)
        self._agent_replied(meta=meta, content=content)
        if self.first_response_at is None:
            self._respond_first(meta)

    @recorded("AgentReplied")
    def _agent_replied(self, meta: Meta, content: Sealed) -> None:
        self.reply_count += 1

    def _respond_first(self, meta: Meta) -> None:
        running = self._clock_active(ClockName.FIRST_RESPONSE)
        self._first_response_sent(meta=meta)
        if running:
            self._settle_clock(meta, ClockName.FIRST_RESPONSE)

    @recorded("FirstResponseSent")
    def _first_response_sent(self, meta: Meta) -> None:
        self.first_response_at = meta.occurred_at
        if self._clock_active(ClockName.FIRST_RESPONSE):
            self.clocks[ClockName.FIRST_RESPONSE].stop(meta.occurred_at)

    def _check_sealed(self, field: str, sealed: Sealed) -> None:
        if sealed.subject != str(self.customer_id):
            raise InvalidInputError(field, "must be sealed with the customer's own key")

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
        resolution = self.clocks[ClockName.RESOLUTION]
        if checked == WaitingOn.CUSTOMER and resolution.is_running:
            self._sla_clock_paused(meta=meta, clock=ClockName.RESOLUTION)

    @recorded("PutOnHold")
    def _put_on_hold(self, meta: Meta, waiting_on: WaitingOn) -> None:
        self.status = S.ON_HOLD
        self.waiting_on = WaitingOn(waiting_on)

    def resume(self, meta: Meta) -> None:
        self.require("resume", {S.ON_HOLD})
        self._resumed(meta=meta)
        resolution = self.clocks[ClockName.RESOLUTION]
        if resolution.is_paused:
            warn_at, due_at = resolution.resumed_schedule(meta.occurred_at)
            self._sla_clock_resumed(meta=meta, clock=ClockName.RESOLUTION, due_at=due_at,
                                    warn_at=warn_at)

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

    def resolve(self, meta: Meta, outcome: str) -> None:
        checked = one_of("outcome", outcome, Outcome)
        self.require("resolve", {S.SOLUTION_PROPOSED})
        running = self._clock_active(ClockName.RESOLUTION)
        self._resolved(meta=meta, outcome=checked)
        if running:
            self._settle_clock(meta, ClockName.RESOLUTION)

    @recorded("ComplaintResolved")
    def _resolved(self, meta: Meta, outcome: Outcome) -> None:
        self.status = S.RESOLVED
        self.outcome = Outcome(outcome)
        self.resolved_at = meta.occurred_at
        if self._clock_active(ClockName.RESOLUTION):
            self.clocks[ClockName.RESOLUTION].stop(meta.occurred_at)

    # after the resolution

    def confirm_satisfied(self, meta: Meta) -> None:
        self.require("confirm satisfaction", {S.RESOLVED})
        self._customer_confirmed_satisfied(meta=meta)

    @recorded("CustomerConfirmedSatisfied")
    def _customer_confirmed_satisfied(self, meta: Meta) -> None:
        self.customer_satisfied = True

    def dispute_resolution(self, meta: Meta) -> None:
        self.require("dispute the resolution", {S.RESOLVED})
        self._resolution_disputed(meta=meta)
        self._reopened(meta=meta)
        self._start_clock(meta, ClockName.RESOLUTION)

    @recorded("ResolutionDisputed")
    def _resolution_disputed(self, meta: Meta) -> None:
        self.customer_satisfied = False

    @recorded("ComplaintReopened")
    def _reopened(self, meta: Meta) -> None:
        self.status = S.REOPENED
        self.reopen_count += 1

    def record_root_cause(
        self, meta: Meta, cause: str, corrective_action: str, incident_id: UUID | None
    ) -> None:
        bounded_text("cause", cause, ROOT_CAUSE_MAX)
        bounded_text("corrective_action", corrective_action, ROOT_CAUSE_MAX)
        self.require("record a root cause", CLASSIFIED_OPEN_STATES)
        self._root_cause_recorded(meta=meta, cause=cause, corrective_action=corrective_action,
                                  incident_id=incident_id)

    @recorded("RootCauseRecorded")
    def _root_cause_recorded(self, meta: Meta, cause: str, corrective_action: str,
                             incident_id: UUID | None) -> None:
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

    # escalation, links and merging

    def escalate(self, meta: Meta) -> None:
        self.require("escalate", OPEN_STATES)
        if self.escalation_level >= MAX_ESCALATION_LEVEL:
            raise ComplaintAtTopEscalationError(self.escalation_level)
        self._escalated(meta=meta, level=self.escalation_level + 1,
                        trigger=EscalationTrigger.MANUAL)

    @recorded("ComplaintEscalated")
    def _escalated(self, meta: Meta, level: int, trigger: EscalationTrigger) -> None:
        self.escalation_level = level

    def _escalate_if_urgent(self, meta: Meta) -> None:
        if self.severity == Severity.URGENT and self.escalation_level < 1:
            self._escalated(meta=meta, level=1, trigger=EscalationTrigger.SEVERITY)

    def link(self, meta: Meta, *, incident_id: UUID | None = None,
             order_id: UUID | None = None) -> None:
        if (incident_id is None) == (order_id is None):
            raise InvalidInputError("incident_id", "give exactly one of incident_id and order_id")
        self.require("link", OPEN_STATES)
        self._linked(meta=meta, incident_id=incident_id, order_id=order_id)

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

    # SLA clocks

    @property
    def next_sla_check_at(self) -> datetime | None:
        """When a sweep could next record a warning or a breach (None: nothing pending)."""
        if not self.is_open:
            return None
        times = [t for c in self.clocks.values() if (t := c.next_check_at()) is not None]
        return min(times, default=None)

    def check_sla(self, meta: Meta) -> None:
        """Records the warnings and breaches due at `meta.occurred_at`; repeating it adds none."""
        if not self.is_open:
            return
        at = meta.occurred_at
        for name in ClockName:
            clock = self.clocks.get(name)
            if clock is not None and clock.warning_due(at):
                self._sla_warning(meta=meta, clock=name, due_at=clock.due_at)
            if clock is not None and clock.breach_due(at):
                self._breach(meta, name)

    def _clock_active(self, name: ClockName) -> bool:
        clock = self.clocks.get(name)
        return clock is not None and clock.is_active

    def _start_clock(self, meta: Meta, name: ClockName) -> None:
        policy = self.sla_policy
        target_s = policy.target_s(name, self.severity)
        warn_at, due_at = schedule(meta.occurred_at, target_s, 0, policy.warn_percent)
        self._sla_clock_started(meta=meta, clock=name, due_at=due_at, warn_at=warn_at,
                                target_s=target_s, policy_version=policy.version)

    def _retarget_resolution(self, meta: Meta) -> None:
        clock = self.clocks[ClockName.RESOLUTION]
        policy = self.sla_policy
        target_s = policy.target_s(ClockName.RESOLUTION, self.severity)
        if not clock.is_active or target_s == clock.target_s:
            return
        # a paused clock's times leave out the current pause: resuming adds it
        warn_at, due_at = schedule(clock.started_at, target_s, clock.paused_s,
                                   policy.warn_percent)
        self._sla_clock_retargeted(meta=meta, clock=ClockName.RESOLUTION, due_at=due_at,
                                   warn_at=warn_at, target_s=target_s)

    def _settle_clock(self, meta: Meta, name: ClockName) -> None:
        """Records how a clock the last event stopped ended: met, or breached if not yet so."""
        clock = self.clocks[name]
        if clock.state == ClockState.MET:
            self._sla_met(meta=meta, clock=name, elapsed_s=clock.elapsed_s(meta.occurred_at))
        elif not clock.breached:
            self._breach(meta, name)

    def _breach(self, meta: Meta, name: ClockName) -> None:
        late_by_s = self.clocks[name].late_by_s(meta.occurred_at)
        self._sla_breached(meta=meta, clock=name, late_by_s=late_by_s)
        if self.escalation_level < MAX_ESCALATION_LEVEL:
            self._escalated(meta=meta, level=self.escalation_level + 1,
                            trigger=EscalationTrigger.SLA)

    def _cancel_clocks(self, at: datetime) -> None:
        for clock in self.clocks.values():
            if clock.is_active:
                clock.cancel(at)

    @recorded("SlaClockStarted")
    def _sla_clock_started(self, meta: Meta, clock: ClockName, due_at: datetime,
                           warn_at: datetime, target_s: int, policy_version: int) -> None:
        name = ClockName(clock)
        self.clocks[name] = SlaClock(
            name=name, started_at=meta.occurred_at, target_s=target_s, warn_at=warn_at,
            due_at=due_at, policy_version=policy_version,
        )

    @recorded("SlaClockRetargeted")
    def _sla_clock_retargeted(self, meta: Meta, clock: ClockName, due_at: datetime,
                              warn_at: datetime, target_s: int) -> None:
        self.clocks[ClockName(clock)].retarget(meta.occurred_at, target_s, warn_at, due_at)

    @recorded("SlaClockPaused")
    def _sla_clock_paused(self, meta: Meta, clock: ClockName) -> None:
        self.clocks[ClockName(clock)].pause(meta.occurred_at)

    @recorded("SlaClockResumed")
    def _sla_clock_resumed(self, meta: Meta, clock: ClockName, due_at: datetime,
                           warn_at: datetime) -> None:
        self.clocks[ClockName(clock)].resume(meta.occurred_at, warn_at, due_at)

    @recorded("SlaWarning")
    def _sla_warning(self, meta: Meta, clock: ClockName, due_at: datetime) -> None:
        self.clocks[ClockName(clock)].warned = True

    @recorded("SlaBreached")
    def _sla_breached(self, meta: Meta, clock: ClockName, late_by_s: int) -> None:
        self.clocks[ClockName(clock)].breached = True

    @recorded("SlaMet")
    def _sla_met(self, meta: Meta, clock: ClockName, elapsed_s: int) -> None:
        pass
