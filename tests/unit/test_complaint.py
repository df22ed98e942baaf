"""The complaint's state machine: every transition and every refusal."""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from datetime import timedelta

import pytest

from domain.complaint import Complaint
from domain.complaint_types import (
    ASSIGNABLE_STATES,
    CLASSIFIED_OPEN_STATES,
    COMPENSABLE_STATES,
    OPEN_STATES,
    ComplaintStatus,
)
from domain.errors import TransitionRefusedError
from domain.meta import Meta
from tests.support import meta
from tests.unit.complaint_builders import ORDER_AMOUNT, OTHER_ID, in_state, sealed
from tests.unit.replay import assert_replays_equal, state_of

S = ComplaintStatus
Command = Callable[[Complaint, Meta], None]

# command: (action named in the refusal, states that accept it, a call with valid input)
COMMANDS: dict[str, tuple[str, frozenset[ComplaintStatus], Command]] = {
    "classify": (
        "classify",
        frozenset({S.RECEIVED}),
        lambda c, m: c.classify(m, "logistics", "late", "major"),
    ),
    "reclassify": (
        "reclassify",
        CLASSIFIED_OPEN_STATES,
        lambda c, m: c.reclassify(m, "food_safety", "sick", "urgent"),
    ),
    "assign_responsibility": (
        "assign responsibility",
        ASSIGNABLE_STATES,
        lambda c, m: c.assign_responsibility(m, "technical", "t-1"),
    ),
    "record_department_reply": (
        "record a department reply",
        OPEN_STATES,
        lambda c, m: c.record_department_reply(m, "technical"),
    ),
    "send_first_response": (
        "send the first response",
        OPEN_STATES,
        lambda c, m: c.send_first_response(m),
    ),
    "receive_customer_message": (
        "record a customer message",
        OPEN_STATES,
        lambda c, m: c.receive_customer_message(m, sealed("more")),
    ),
    "reply": ("reply", OPEN_STATES, lambda c, m: c.reply(m, sealed("answer"))),
    "start_work": ("start work", frozenset({S.ASSIGNED, S.REOPENED}), lambda c, m: c.start_work(m)),
    "put_on_hold": (
        "put on hold",
        frozenset({S.IN_PROGRESS}),
        lambda c, m: c.put_on_hold(m, "courier"),
    ),
    "resume": ("resume", frozenset({S.ON_HOLD}), lambda c, m: c.resume(m)),
    "propose_solution": (
        "propose a solution",
        frozenset({S.IN_PROGRESS}),
        lambda c, m: c.propose_solution(m, "full_refund", "40", ORDER_AMOUNT),
    ),
    "issue_compensation": (
        "issue compensation",
        COMPENSABLE_STATES,
        lambda c, m: c.issue_compensation(m, "5", "merchant", ORDER_AMOUNT),
    ),
    "resolve": (
        "resolve",
        frozenset({S.SOLUTION_PROPOSED}),
        lambda c, m: c.resolve(m, "explained"),
    ),
    "confirm_satisfied": (
        "confirm satisfaction",
        frozenset({S.RESOLVED}),
        lambda c, m: c.confirm_satisfied(m),
    ),
    "dispute_resolution": (
        "dispute the resolution",
        frozenset({S.RESOLVED}),
        lambda c, m: c.dispute_resolution(m),
    ),
    "record_root_cause": (
        "record a root cause",
        CLASSIFIED_OPEN_STATES,
        lambda c, m: c.record_root_cause(m, sealed("oven fault"), sealed("repair"), None),
    ),
    "escalate": ("escalate", OPEN_STATES, lambda c, m: c.escalate(m)),
    "link": ("link", OPEN_STATES, lambda c, m: c.link(m, incident_id=OTHER_ID)),
    "merge_into": ("merge", OPEN_STATES, lambda c, m: c.merge_into(m, OTHER_ID)),
    "close": ("close", frozenset({S.RESOLVED}), lambda c, m: c.close(m, "agent")),
}

# where each accepted command leads (None: the status does not change)
LEADS_TO: dict[str, ComplaintStatus | None] = {
    "classify": S.CLASSIFIED,
    "start_work": S.IN_PROGRESS,
    "put_on_hold": S.ON_HOLD,
    "resume": S.IN_PROGRESS,
    "propose_solution": S.SOLUTION_PROPOSED,
    "resolve": S.RESOLVED,
    "dispute_resolution": S.REOPENED,
    "merge_into": S.MERGED,
    "close": S.CLOSED,
}

ACCEPTED = [(state, name) for name, (_, allowed, _) in COMMANDS.items() for state in allowed]
REFUSED = [
    (state, name)
    for name, (_, allowed, _) in COMMANDS.items()
    for state in S
    if state not in allowed
]


def later() -> Meta:
    return meta(timedelta(minutes=30))


def test_every_state_is_reached_and_every_command_is_in_the_tables() -> None:
    assert {state for state, _ in ACCEPTED} | {state for state, _ in REFUSED} == set(S)
    assert len(ACCEPTED) + len(REFUSED) == len(S) * len(COMMANDS)
    assert {name for name in dir(Complaint) if not name.startswith("_")} >= set(COMMANDS)


@pytest.mark.parametrize(("state", "name"), ACCEPTED, ids=[f"{s}-{n}" for s, n in ACCEPTED])
def test_an_allowed_command_records_its_event_and_moves_the_state(
    state: ComplaintStatus, name: str
) -> None:
    # given a complaint in that state
    complaint = in_state(state)
    before = len(complaint.pending_events)
    # when the command runs
    COMMANDS[name][2](complaint, later())
    # then it recorded its events and the complaint is in the state the design names
    expected = LEADS_TO.get(name) or state
    if name == "assign_responsibility" and state == S.CLASSIFIED:
        expected = S.ASSIGNED
    assert complaint.status == expected
    assert len(complaint.pending_events) > before
    assert_replays_equal(complaint)


@pytest.mark.parametrize(("state", "name"), REFUSED, ids=[f"{s}-{n}" for s, n in REFUSED])
def test_a_command_outside_its_states_is_refused_and_records_nothing(
    state: ComplaintStatus, name: str
) -> None:
    # given a complaint in a state that does not accept the command
    complaint = in_state(state)
    before, snapshot = len(complaint.pending_events), deepcopy(state_of(complaint))
    action = COMMANDS[name][0]
    # when it is tried, then it is refused naming the state and the action
    with pytest.raises(TransitionRefusedError) as refused:
        COMMANDS[name][2](complaint, later())
    assert (refused.value.entity, refused.value.state, refused.value.action) == (
        "Complaint",
        str(state),
        action,
    )
    # and the complaint is untouched
    assert len(complaint.pending_events) == before
    assert state_of(complaint) == snapshot


def test_the_first_response_goes_out_once() -> None:
    # given a complaint whose first response was sent
    complaint = in_state(S.IN_PROGRESS)
    complaint.send_first_response(later())
    before = len(complaint.pending_events)
    # when it is sent again, then it is refused
    with pytest.raises(TransitionRefusedError) as refused:
        complaint.send_first_response(later())
    assert (refused.value.state, refused.value.action) == (
        "InProgress",
        "send the first response again",
    )
    assert len(complaint.pending_events) == before


def test_a_reply_after_the_first_response_is_only_a_reply() -> None:
    complaint = in_state(S.IN_PROGRESS)
    complaint.send_first_response(later())
    before = len(complaint.pending_events)
    complaint.reply(later(), sealed("second"))
    assert [type(e).__name__ for e in complaint.pending_events[before:]] == ["AgentReplied"]
    assert complaint.reply_count == 1
