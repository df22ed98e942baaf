"""Random commands on one Order: refusals change nothing, and what is accepted stays valid."""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import Decimal

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain.errors import DomainError
from domain.meta import Meta
from domain.order import Order
from domain.order_types import DelayRisk
from domain.order_types import OrderStatus as S
from tests.support import T0, meta, minutes
from tests.unit.order_paths import order_in, received_order, words
from tests.unit.replay import assert_replays_equal, state_of

ADVANCE = st.integers(0, 20)  # minutes of business time between two commands
VIA = st.sampled_from(["sms", "email", "app", "fax"])
TEXT = st.sampled_from(["busy", "courier-1", "courier-2", ""])

# the commands that move an order one step further on its way, for every state that has some
NEXT_STAGES: dict[S, list[Callable[[Order, Meta], None]]] = {
    S.RECEIVED: [lambda o, m: o.confirm(m)],
    S.CONFIRMED: [lambda o, m: o.start_preparation(m)],
    S.IN_PREPARATION: [lambda o, m: o.pack(m)],
    S.PACKED: [lambda o, m: o.assign_courier(m, "courier-1", "inhouse")],
    S.COURIER_ASSIGNED: [lambda o, m: o.pick_up(m)],
    S.PICKED_UP: [lambda o, m: o.deliver(m), lambda o, m: o.fail_delivery(m, "refused")],
    S.DELIVERY_FAILED: [lambda o, m: o.pick_up(m), lambda o, m: o.mark_returned(m)],
}


class OrderMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.order = received_order()
        self.now = T0

    @initialize(start=st.sampled_from(list(S)))
    def start_in(self, start: S) -> None:
        # random sequences alone seldom get past the first stages: start anywhere
        self.order = order_in(start)
        self.now = max(
            event.meta.occurred_at
            for event in self.order.pending_events
            if isinstance(event, Order.Event)
        )

    def attempt(self, advance: int, command: Callable[[Meta], None]) -> None:
        self.now += minutes(advance)
        before = copy.deepcopy(state_of(self.order))
        recorded = len(self.order.pending_events)
        try:
            command(meta(self.now))
        except DomainError:
            # a refused command records nothing and changes nothing
            assert len(self.order.pending_events) == recorded
            assert state_of(self.order) == before
        else:
            assert len(self.order.pending_events) == recorded + 1

    @rule(advance=ADVANCE, pick=st.integers(0, 1))
    def move_on(self, advance: int, pick: int) -> None:
        steps = NEXT_STAGES.get(S(self.order.status))
        if steps:
            step = steps[pick % len(steps)]
            self.attempt(advance, lambda m: step(self.order, m))

    @rule(advance=ADVANCE)
    def confirm(self, advance: int) -> None:
        self.attempt(advance, self.order.confirm)

    @rule(advance=ADVANCE, via=VIA)
    def send_confirmation(self, advance: int, via: str) -> None:
        self.attempt(advance, lambda m: self.order.send_confirmation(m, via))

    @rule(advance=ADVANCE, reason=TEXT)
    def reject(self, advance: int, reason: str) -> None:
        self.attempt(advance, lambda m: self.order.reject(m, words(reason)))

    @rule(advance=ADVANCE)
    def expire(self, advance: int) -> None:
        self.attempt(advance, self.order.expire)

    @rule(
        advance=ADVANCE,
        department=st.sampled_from(["kitchen", "delivery", "bakery"]),
        assignee=TEXT,
    )
    def assign_department(self, advance: int, department: str, assignee: str) -> None:
        self.attempt(advance, lambda m: self.order.assign_department(m, department, assignee))

    @rule(advance=ADVANCE)
    def start_preparation(self, advance: int) -> None:
        self.attempt(advance, self.order.start_preparation)

    @rule(advance=ADVANCE)
    def pack(self, advance: int) -> None:
        self.attempt(advance, self.order.pack)

    @rule(advance=ADVANCE, courier=TEXT)
    def assign_courier(self, advance: int, courier: str) -> None:
        self.attempt(advance, lambda m: self.order.assign_courier(m, courier, "fleetco"))

    @rule(advance=ADVANCE)
    def pick_up(self, advance: int) -> None:
        self.attempt(advance, self.order.pick_up)

    @rule(advance=ADVANCE)
    def deliver(self, advance: int) -> None:
        self.attempt(advance, self.order.deliver)

    @rule(advance=ADVANCE, reason=st.sampled_from(["unreachable", "refused", "lost"]))
    def fail_delivery(self, advance: int, reason: str) -> None:
        self.attempt(advance, lambda m: self.order.fail_delivery(m, reason))

    @rule(advance=ADVANCE)
    def mark_returned(self, advance: int) -> None:
        self.attempt(advance, self.order.mark_returned)

    @rule(advance=ADVANCE, reason=TEXT, party=st.sampled_from(["customer", "merchant", "alien"]))
    def cancel(self, advance: int, reason: str, party: str) -> None:
        self.attempt(advance, lambda m: self.order.cancel(m, words(reason), party))

    @rule(advance=ADVANCE, ahead=st.integers(-10, 90))
    def update_eta(self, advance: int, ahead: int) -> None:
        self.attempt(advance, lambda m: self.order.update_eta(m, m.occurred_at + minutes(ahead)))

    @rule(advance=ADVANCE, expected_late_min=st.integers(-5, 1500))
    def detect_delay(self, advance: int, expected_late_min: int) -> None:
        self.attempt(advance, lambda m: self.order.detect_delay(m, expected_late_min))

    @rule(advance=ADVANCE, via=VIA)
    def send_delay_notice(self, advance: int, via: str) -> None:
        self.attempt(advance, lambda m: self.order.send_delay_notice(m, via))

    @rule(advance=ADVANCE, attributed_to=st.sampled_from(["merchant", "courier", "weather"]))
    def record_late(self, advance: int, attributed_to: str) -> None:
        self.attempt(advance, lambda m: self.order.record_late(m, attributed_to))

    @rule(
        advance=ADVANCE,
        amount=st.decimals(-1, 12, places=2),
        origin=st.sampled_from(["complaint", "guarantee", "gift"]),
    )
    def record_refund(self, advance: int, amount: Decimal, origin: str) -> None:
        self.attempt(advance, lambda m: self.order.record_refund(m, amount, origin))

    @invariant()
    def refunds_stay_within_the_amount(self) -> None:
        assert Decimal("0.00") <= self.order.refunded_total <= self.order.amount

    @invariant()
    def the_promise_runs_from_confirmation(self) -> None:
        never_accepted = self.order.status in {S.RECEIVED, S.REJECTED, S.EXPIRED}
        assert (self.order.confirmed_at is None) == never_accepted
        assert (self.order.promise_due_at is None) == never_accepted

    @invariant()
    def stage_times_match_the_status(self) -> None:
        order = self.order
        assert (order.delivered_at is not None) == (order.status == S.DELIVERED)
        assert (order.closed_at is not None) == (not order.is_open)
        assert (order.courier is not None) == (order.courier_assigned_at is not None)

    @invariant()
    def late_exactly_when_recorded_late(self) -> None:
        late_min = self.order.late_min
        assert (self.order.delay_risk == DelayRisk.LATE) == (late_min is not None)
        assert late_min is None or late_min >= 1

    @invariant()
    def replay_rebuilds_an_equal_order(self) -> None:
        assert_replays_equal(self.order)


OrderMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)
TestOrderMachine = OrderMachine.TestCase
