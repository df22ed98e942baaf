from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from enum import StrEnum
from uuid import UUID, uuid4

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain.errors import DomainError
from domain.incident import Incident
from domain.incident_types import IncidentStatus, Severity
from domain.meta import Meta
from tests.support import meta, minutes
from tests.unit.replay import assert_replays_equal, state_of

S = IncidentStatus
OPEN = {S.REPORTED, S.CONFIRMED, S.RESPONDING, S.MITIGATED, S.RESOLVED, S.IN_REVIEW}
COMMANDED = {S.RESPONDING, S.MITIGATED, S.RESOLVED, S.IN_REVIEW, S.CLOSED}
AFTER_RESOLUTION = {S.RESOLVED, S.IN_REVIEW, S.CLOSED}
BEFORE_RESOLUTION = {S.REPORTED, S.CONFIRMED, S.DECLINED, S.RESPONDING, S.MITIGATED}

text = st.sampled_from(["east", "ops-anna", "fail over", "", "  ", "x" * 5000])
ids = st.lists(st.sampled_from([uuid4() for _ in range(5)]), max_size=4)


Step = Callable[[Incident, Meta], None]

NEXT_STEP: dict[StrEnum, Step] = {
    S.REPORTED: lambda i, m: i.confirm(m),
    S.CONFIRMED: lambda i, m: i.establish_command(m, "ops-anna"),
    S.RESPONDING: lambda i, m: i.mitigate(m),
    S.MITIGATED: lambda i, m: i.resolve(m),
    S.RESOLVED: lambda i, m: i.start_review(m),
    S.IN_REVIEW: lambda i, m: i.complete_review(m, "a cause", ["a fix"]),
}
CLOSABLE = {S.RESOLVED, S.IN_REVIEW}


def close(incident: Incident, at: Meta) -> None:
    incident.close(at)


def one_of_or_bogus(*values: str) -> st.SearchStrategy[str]:
    return st.sampled_from([*values, "bogus"])


class IncidentMachine(RuleBasedStateMachine):
    """Random commands, valid or not, in any order: the incident stays coherent and replayable."""

    def __init__(self) -> None:
        super().__init__()
        self.incident = Incident.report(
            meta(),
            id=uuid4(),
            type="public_health",
            source="complaint_cluster",
            title="Food poisoning",
            description="Seven customers of one kitchen",
        )
        self.clock = 0

    def attempt(self, command: Step) -> None:
        """Runs the command at the next minute; a refusal must leave no trace."""
        self.clock += 1
        before, events = deepcopy(state_of(self.incident)), len(self.incident.pending_events)
        try:
            command(self.incident, meta(minutes(self.clock)))
        except DomainError:
            assert len(self.incident.pending_events) == events
            assert state_of(self.incident) == before

    @initialize(level=st.sampled_from([None, "I", "II", "III", "IV"]))
    def assess_from_the_start(self, level: str | None) -> None:
        if level is not None:
            self.attempt(lambda i, m: i.assess_severity(m, level, "first estimate"))

    @rule(steps=st.integers(1, 4), close_early=st.booleans())
    def advance(self, steps: int, close_early: bool) -> None:
        """Takes the next steps of the usual response, so that runs reach the late states."""
        for _ in range(steps):
            incident = self.incident
            step = NEXT_STEP.get(incident.status)
            if incident.status in CLOSABLE and (close_early or incident.review_completed):
                step = close
            if step is not None:
                self.attempt(step)

    @rule(colour=one_of_or_bogus("red", "orange", "yellow", "blue"))
    def issue_warning(self, colour: str) -> None:
        self.attempt(lambda i, m: i.issue_warning(m, colour))

    @rule()
    def confirm(self) -> None:
        self.attempt(lambda i, m: i.confirm(m))

    @rule()
    def decline(self) -> None:
        self.attempt(lambda i, m: i.decline(m))

    @rule(level=one_of_or_bogus("I", "II", "III", "IV"), reason=text)
    def assess_severity(self, level: str, reason: str) -> None:
        self.attempt(lambda i, m: i.assess_severity(m, level, reason))

    @rule(to=text)
    def report_to_superior(self, to: str) -> None:
        self.attempt(lambda i, m: i.report_to_superior(m, to))

    @rule(commander=text)
    def establish_command(self, commander: str) -> None:
        self.attempt(lambda i, m: i.establish_command(m, commander))

    @rule(
        role=one_of_or_bogus("commander", "ops_lead", "comms_lead", "scribe", "liaison"),
        person=text,
    )
    def assign_role(self, role: str, person: str) -> None:
        self.attempt(lambda i, m: i.assign_role(m, role, person))

    @rule(resource=text)
    def allocate_resource(self, resource: str) -> None:
        self.attempt(lambda i, m: i.allocate_resource(m, resource))

    @rule(
        kind=one_of_or_bogus("contain", "restore", "troubleshoot", "recall", "rescue"), detail=text
    )
    def take_action(self, kind: str, detail: str) -> None:
        self.attempt(lambda i, m: i.take_action(m, kind, detail))

    @rule(audience=one_of_or_bogus("internal", "customers", "merchants", "regulator"), message=text)
    def publish_status_update(self, audience: str, message: str) -> None:
        self.attempt(lambda i, m: i.publish_status_update(m, audience, message))

    @rule(
        orders=st.integers(-1, 50),
        customers=st.integers(-1, 50),
        regions=st.lists(text, max_size=3),
    )
    def record_impact(self, orders: int, customers: int, regions: list[str]) -> None:
        self.attempt(lambda i, m: i.record_impact(m, orders, customers, regions))

    @rule(order_ids=ids)
    def link_orders(self, order_ids: list[UUID]) -> None:
        self.attempt(lambda i, m: i.link_orders(m, order_ids))

    @rule(complaint_ids=ids)
    def link_complaints(self, complaint_ids: list[UUID]) -> None:
        self.attempt(lambda i, m: i.link_complaints(m, complaint_ids))

    @rule()
    def mitigate(self) -> None:
        self.attempt(lambda i, m: i.mitigate(m))

    @rule()
    def resolve(self) -> None:
        self.attempt(lambda i, m: i.resolve(m))

    @rule()
    def start_review(self) -> None:
        self.attempt(lambda i, m: i.start_review(m))

    @rule(root_cause=text, follow_ups=st.lists(text, max_size=3))
    def complete_review(self, root_cause: str, follow_ups: list[str]) -> None:
        self.attempt(lambda i, m: i.complete_review(m, root_cause, follow_ups))

    @rule()
    def close(self) -> None:
        self.attempt(lambda i, m: i.close(m))

    @rule(itself=st.booleans())
    def merge_into(self, itself: bool) -> None:
        self.attempt(lambda i, m: i.merge_into(m, i.id if itself else uuid4()))

    @invariant()
    def open_exactly_in_open_states(self) -> None:
        assert self.incident.status in set(S)
        assert self.incident.is_open == (self.incident.status in OPEN)

    @invariant()
    def acknowledged_once_confirmed_and_not_before_the_report(self) -> None:
        incident = self.incident
        if incident.status in {S.REPORTED, S.DECLINED}:
            assert incident.acknowledged_at is None
        if incident.acknowledged_at is not None:
            assert incident.acknowledged_at >= incident.reported_at
        if incident.status in COMMANDED:
            assert incident.acknowledged_at is not None
            assert "commander" in incident.roles

    @invariant()
    def resolved_time_set_exactly_once_resolved(self) -> None:
        incident = self.incident
        if incident.status in BEFORE_RESOLUTION:
            assert incident.resolved_at is None
        if incident.status in AFTER_RESOLUTION:
            assert incident.resolved_at is not None
            assert incident.acknowledged_at is not None
            assert incident.resolved_at >= incident.acknowledged_at

    @invariant()
    def a_grave_incident_is_closed_only_after_its_review(self) -> None:
        incident = self.incident
        if incident.status == S.CLOSED and incident.severity in {Severity.I, Severity.II}:
            assert incident.review_completed
        if incident.review_completed:
            assert incident.status in {S.IN_REVIEW, S.CLOSED, S.MERGED}
            assert incident.root_cause

    @invariant()
    def linked_ids_are_distinct_and_merge_target_is_another_incident(self) -> None:
        incident = self.incident
        assert len(set(incident.order_ids)) == len(incident.order_ids)
        assert len(set(incident.complaint_ids)) == len(incident.complaint_ids)
        assert (incident.merged_into is not None) == (incident.status == S.MERGED)
        assert incident.merged_into != incident.id

    @invariant()
    def replay_rebuilds_an_equal_incident(self) -> None:
        assert_replays_equal(self.incident)


IncidentMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)
TestIncidentMachine = IncidentMachine.TestCase
