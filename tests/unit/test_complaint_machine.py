"""Random command sequences keep a complaint valid, and its events rebuild it."""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from datetime import timedelta
from decimal import Decimal

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain.complaint_types import (
    OPEN_STATES,
    ROOT_CAUSE_SEVERITIES,
    Category,
    ComplaintStatus,
    Department,
    Severity,
    WaitingOn,
)
from domain.errors import DomainError
from domain.meta import Meta
from domain.sla import SLA_POLICY_V1, ClockName, ClockState
from tests.support import T0, meta
from tests.unit.complaint_builders import (
    CUSTOMER_ID,
    ORDER_AMOUNT,
    ORDER_ID,
    OTHER_ID,
    received,
    sealed,
)
from tests.unit.replay import assert_replays_equal, state_of

S = ComplaintStatus


def with_invalid(values: list[str], *invalid: str) -> st.SearchStrategy[str]:
    return st.sampled_from([*values, *invalid])


SEVERITY = st.sampled_from(list(Severity))
CATEGORIES = with_invalid(list(Category), "weather")
SEVERITIES = with_invalid(list(Severity), "critical")
DEPARTMENTS = with_invalid(list(Department), "kitchen")
WAITING_ON = with_invalid(list(WaitingOn), "merchant")
AMOUNTS = st.sampled_from([None, "0", "5", "15.50", "40", "40.01", "x"])
WAITS = st.sampled_from([0, 30, 90, 600, 3600, 4 * 3600, 20 * 3600])


class ComplaintMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.complaint = received()
        self.reopened = 0

    def attempt(self, command: Callable[[Meta], None]) -> bool:
        """Runs a command now; a refused one must leave the complaint untouched."""
        before = len(self.complaint.pending_events)
        snapshot = deepcopy(state_of(self.complaint))
        try:
            command(meta(self.now))
        except DomainError:
            assert len(self.complaint.pending_events) == before
            assert state_of(self.complaint) == snapshot
            return False
        return True

    @initialize(steps=st.lists(st.tuples(SEVERITY, st.booleans()), max_size=9))
    def start_somewhere_along_the_way(self, steps: list[tuple[str, bool]]) -> None:
        for severity, branch in steps:
            self.advance(severity, branch)

    @rule(severity=SEVERITY, branch=st.booleans())
    def advance(self, severity: str, branch: bool) -> None:
        """Takes the next step of a complaint's usual life, with valid input."""
        c = self.complaint
        hold_or_propose = (
            (lambda m: c.put_on_hold(m, "customer"))
            if branch
            else (lambda m: c.propose_solution(m, "partial_refund", "7.50", ORDER_AMOUNT))
        )
        steps: dict[str, Callable[[Meta], None]] = {
            S.RECEIVED: lambda m: c.classify(m, "product_quality", "cold", severity),
            S.CLASSIFIED: lambda m: c.assign_responsibility(
                m, "technical" if branch else "after_sales", "p-1"
            ),
            S.ASSIGNED: c.start_work,
            S.REOPENED: c.start_work,
            S.IN_PROGRESS: hold_or_propose,
            S.ON_HOLD: c.resume,
            S.SOLUTION_PROPOSED: lambda m: c.resolve(m, "explained"),
            S.RESOLVED: self.close_or_dispute(branch),
        }
        step = steps.get(c.status)
        if step is not None:
            self.now += timedelta(minutes=10)
            assert self.attempt(step)

    def close_or_dispute(self, close: bool) -> Callable[[Meta], None]:
        c = self.complaint

        def close_with_root_cause(m: Meta) -> None:
            if not c.root_cause_recorded:
                c.record_root_cause(m, sealed("cause"), sealed("action"), None)
            c.close(m, "agent")

        def dispute(m: Meta) -> None:
            c.dispute_resolution(m)
            self.reopened += 1

        return close_with_root_cause if close else dispute

    @rule(seconds=WAITS)
    def wait(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)

    @rule(category=CATEGORIES, severity=SEVERITIES, again=st.booleans())
    def classify(self, category: str, severity: str, again: bool) -> None:
        command = self.complaint.reclassify if again else self.complaint.classify
        self.attempt(lambda m: command(m, category, "sub", severity))

    @rule(department=DEPARTMENTS, reply=st.booleans())
    def hand_to_department(self, department: str, reply: bool) -> None:
        if reply:
            self.attempt(lambda m: self.complaint.record_department_reply(m, department))
        else:
            self.attempt(lambda m: self.complaint.assign_responsibility(m, department, "p-1"))

    @rule(kind=st.sampled_from(["first", "reply", "message", "foreign"]))
    def converse(self, kind: str) -> None:
        c = self.complaint
        commands: dict[str, Callable[[Meta], None]] = {
            "first": c.send_first_response,
            "reply": lambda m: c.reply(m, sealed("answer")),
            "message": lambda m: c.receive_customer_message(m, sealed("more")),
            "foreign": lambda m: c.reply(m, sealed(subject=OTHER_ID)),
        }
        self.attempt(commands[kind])

    @rule(waiting_on=WAITING_ON, action=st.sampled_from(["start", "hold", "resume"]))
    def work(self, waiting_on: str, action: str) -> None:
        c = self.complaint
        commands: dict[str, Callable[[Meta], None]] = {
            "start": c.start_work,
            "resume": c.resume,
            "hold": lambda m: c.put_on_hold(m, waiting_on),
        }
        self.attempt(commands[action])

    @rule(
        remedy=with_invalid(["full_refund", "voucher", "apology", "redelivery"], "cash"),
        amount=AMOUNTS,
        capped=st.booleans(),
    )
    def propose(self, remedy: str, amount: str | None, capped: bool) -> None:
        limit = ORDER_AMOUNT if capped else None
        self.attempt(lambda m: self.complaint.propose_solution(m, remedy, amount, limit))

    @rule(
        amount=AMOUNTS,
        funded_by=with_invalid(["platform", "merchant"], "customer"),
        capped=st.booleans(),
    )
    def compensate(self, amount: str | None, funded_by: str, capped: bool) -> None:
        limit = ORDER_AMOUNT if capped else None
        self.attempt(
            lambda m: self.complaint.issue_compensation(m, amount or "0", funded_by, limit)
        )

    @rule(outcome=with_invalid(["refunded", "explained"], "maybe"))
    def resolve(self, outcome: str) -> None:
        self.attempt(lambda m: self.complaint.resolve(m, outcome))

    @rule(satisfied=st.booleans())
    def customer_verdict(self, satisfied: bool) -> None:
        if satisfied:
            self.attempt(self.complaint.confirm_satisfied)
        elif self.attempt(self.complaint.dispute_resolution):
            self.reopened += 1

    @rule(incident=st.booleans())
    def record_root_cause(self, incident: bool) -> None:
        self.attempt(
            lambda m: self.complaint.record_root_cause(
                m, sealed("cause"), sealed("action"), OTHER_ID if incident else None
            )
        )

    @rule(by=with_invalid(["customer", "timeout", "agent"], "robot"))
    def close(self, by: str) -> None:
        self.attempt(lambda m: self.complaint.close(m, by))

    @rule(kind=st.sampled_from(["escalate", "incident", "order", "neither", "merge", "self"]))
    def organise(self, kind: str) -> None:
        c = self.complaint
        commands: dict[str, Callable[[Meta], None]] = {
            "escalate": c.escalate,
            "incident": lambda m: c.link(m, incident_id=OTHER_ID),
            "order": lambda m: c.link(m, order_id=ORDER_ID),
            "neither": lambda m: c.link(m),
            "merge": lambda m: c.merge_into(m, OTHER_ID),
            "self": lambda m: c.merge_into(m, c.id),
        }
        self.attempt(commands[kind])

    @rule()
    def check_sla(self) -> None:
        assert self.attempt(self.complaint.check_sla)
        # then nothing is left due now, and the next check lies ahead
        for clock in self.complaint.clocks.values():
            assert not clock.warning_due(self.now) or not self.complaint.is_open
            assert not clock.breach_due(self.now) or not self.complaint.is_open
        next_check = self.complaint.next_sla_check_at
        assert next_check is None or next_check > self.now

    @invariant()
    def levels_and_classification_are_consistent(self) -> None:
        c = self.complaint
        assert c.status in set(S) and 0 <= c.escalation_level <= 3
        assert (c.severity is None) == (c.classified_at is None)
        assert c.severity is None or c.status != S.RECEIVED
        assert c.severity != Severity.URGENT or c.escalation_level >= 1
        assert Decimal("0.00") <= c.compensated_total <= ORDER_AMOUNT
        assert not c.customer_satisfied or c.status in {S.RESOLVED, S.CLOSED, S.MERGED}
        assert (
            c.status != S.CLOSED
            or c.severity not in ROOT_CAUSE_SEVERITIES
            or (c.root_cause_recorded)
        )
        assert c.reopen_count == self.reopened
        contents = [e.content for e in c.pending_events if hasattr(e, "content")]
        assert {s.subject for s in contents} == {str(CUSTOMER_ID)}

    @invariant()
    def clocks_run_exactly_while_their_work_is_pending(self) -> None:
        c = self.complaint
        active = {name for name, clock in c.clocks.items() if clock.is_active}
        assert (ClockName.REGISTRATION in active) == (c.status == S.RECEIVED)
        assert (ClockName.FIRST_RESPONSE in active) == (c.is_open and c.first_response_at is None)
        assert (ClockName.RESOLUTION in active) == (c.is_open and c.status != S.RESOLVED)
        assert c.clocks[ClockName.RESOLUTION].is_paused == (
            c.status == S.ON_HOLD and c.waiting_on == WaitingOn.CUSTOMER
        )
        assert c.is_open == (c.status in OPEN_STATES)
        assert c.is_open or (not active and c.next_sla_check_at is None)

    @invariant()
    def every_clock_keeps_its_schedule(self) -> None:
        c = self.complaint
        for clock in c.clocks.values():
            shift = timedelta(seconds=clock.paused_s)
            assert clock.due_at == clock.started_at + timedelta(seconds=clock.target_s) + shift
            warn_s = clock.target_s * SLA_POLICY_V1.warn_percent // 100
            assert clock.warn_at == clock.started_at + timedelta(seconds=warn_s) + shift
            assert clock.state != ClockState.MET or not clock.breached
            assert clock.state != ClockState.BREACHED or clock.breached
        resolution = c.clocks[ClockName.RESOLUTION]
        if resolution.is_active:
            assert resolution.target_s == SLA_POLICY_V1.target_s(ClockName.RESOLUTION, c.severity)

    @invariant()
    def replay_rebuilds_an_equal_complaint(self) -> None:
        assert_replays_equal(self.complaint)


ComplaintMachine.TestCase.settings = settings(
    max_examples=60, stateful_step_count=25, deadline=None
)
TestComplaintMachine = ComplaintMachine.TestCase
