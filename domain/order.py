from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.base import CareAggregate, Meta, recorded
from domain.errors import CompensationExceedsOrderAmountError, InvalidInputError
from domain.meta import ID_MAX, Channel
from domain.order_types import (
    BEFORE_PICK_UP,
    CLOSED,
    NEVER_ACCEPTED,
    OPEN,
    TRACKED,
    UNDER_WAY,
    CancellingParty,
    ConfirmationVia,
    DelayRisk,
    Department,
    FailureReason,
    LateAttribution,
    NoticeVia,
    OrderAlreadyLateError,
    OrderItem,
    OrderNotDelayedError,
    OrderNotLateError,
    OrderStatus,
    RefundOrigin,
    checked_items,
    later_than,
    whole_number,
)
from domain.values import Sealed, Unsealed, bounded_text, money, not_before, one_of, unsealed

S = OrderStatus
DELAY_MAX_MIN = 1440
MINUTE = timedelta(minutes=1)


class Order(CareAggregate):
    TOPIC = "careledger.Order"

    class Created(CareAggregate.Created):
        TOPIC = "careledger.Order.Created"

    class OrderRejected(CareAggregate.Event):
        """Version 2 holds the reason's words sealed under the customer's key (None: the
        customer was erased, nothing kept); a version 1 event's plain words read back as
        Unsealed, personal data all the same."""

        TOPIC = "careledger.OrderRejected"
        class_version = 2
        WORDS = ("reason",)
        reason: Sealed | Unsealed | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            unsealed(state, "reason")

    class OrderCancelled(CareAggregate.Event):
        """As `OrderRejected`: the reason's words sealed since version 2."""

        TOPIC = "careledger.OrderCancelled"
        class_version = 2
        WORDS = ("reason",)
        reason: Sealed | Unsealed | None
        cancelling_party: CancellingParty

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            unsealed(state, "reason")

    @recorded("OrderReceived")
    def __init__(
        self,
        meta: Meta,
        customer_id: UUID,
        restaurant: str,
        region: str,
        items: list[OrderItem],
        amount: Decimal,
        promised_at: datetime,
        address: Sealed,
        channel: Channel,
        *,
        id: UUID,
    ) -> None:
        self.customer_id = customer_id
        self.restaurant = restaurant
        self.region = region
        self.items = list(items)
        self.amount = amount
        self.promised_at = promised_at
        self.address = address
        self.channel = Channel(channel)
        self.status = S.RECEIVED
        # when each stage was reached (business time); a re-delivery overwrites picked_up_at
        self.received_at = meta.occurred_at
        self.confirmed_at: datetime | None = None
        self.preparation_started_at: datetime | None = None
        self.packed_at: datetime | None = None
        self.courier_assigned_at: datetime | None = None
        self.picked_up_at: datetime | None = None
        self.delivered_at: datetime | None = None
        self.delivery_failed_at: datetime | None = None
        self.closed_at: datetime | None = None
        # the work around the order
        self.confirmations_sent: list[ConfirmationVia] = []
        self.departments: dict[Department, str] = {}
        self.courier: str | None = None
        self.courier_provider: str | None = None
        self.failure_reason: FailureReason | None = None
        # sealed under the customer's key; Unsealed (or, from an older snapshot, str) words
        # only from events recorded before that
        self.closing_reason: Sealed | Unsealed | str | None = None
        self.cancelling_party: CancellingParty | None = None
        # the promise
        self.eta: datetime | None = None
        self.delay_risk = DelayRisk.ON_TRACK
        self.expected_late_min: int | None = None
        self.delay_notices_sent: list[NoticeVia] = []
        self.late_min: int | None = None
        self.late_attributed_to: LateAttribution | None = None
        self.refunded_total = Decimal("0.00")

    @classmethod
    def receive(
        cls,
        meta: Meta,
        *,
        id: UUID,
        customer_id: UUID,
        restaurant: str,
        region: str,
        items: Sequence[OrderItem],
        amount: Decimal | str,
        promised_at: datetime,
        address: Sealed,
        channel: str,
    ) -> Order:
        if not isinstance(address, Sealed) or address.subject != str(customer_id):
            raise InvalidInputError("address", "must be sealed with the customer's own key")
        return cls(
            meta=meta,
            customer_id=customer_id,
            restaurant=bounded_text("restaurant", restaurant),
            region=bounded_text("region", region, 100),
            items=checked_items(items),
            amount=money("amount", amount),
            promised_at=later_than("promised_at", promised_at, meta.occurred_at),
            address=address,
            channel=one_of("channel", channel, Channel),
            id=id,
        )

    # --- the promise ---------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED

    @property
    def promise_due_at(self) -> datetime | None:
        """The promise clock starts at confirmation; a later ETA does not move it."""
        return self.promised_at if self.confirmed_at is not None else None

    def is_late(self, at: datetime) -> bool:
        """Whether the promise is missed at `at`: not delivered by then, or delivered late."""
        return self._late_by(at) > timedelta(0)

    def _late_by(self, at: datetime) -> timedelta:
        due = self.promise_due_at
        if due is None:
            return timedelta(0)
        if self.delivered_at is not None:
            at = min(at, self.delivered_at)
        return at - due

    # --- acceptance ----------------------------------------------------------------------------

    def confirm(self, meta: Meta) -> None:
        self.require("confirm", {S.RECEIVED})
        self._confirmed(meta=meta)

    @recorded("OrderConfirmed")
    def _confirmed(self, meta: Meta) -> None:
        self.status = S.CONFIRMED
        self.confirmed_at = meta.occurred_at

    def send_confirmation(self, meta: Meta, via: str) -> None:
        confirmation_via = one_of("via", via, ConfirmationVia)
        self.require("send a confirmation", UNDER_WAY)
        self._confirmation_sent(meta=meta, via=confirmation_via)

    @recorded("ConfirmationSent")
    def _confirmation_sent(self, meta: Meta, via: ConfirmationVia) -> None:
        self.confirmations_sent.append(ConfirmationVia(via))

    def _check_sealed(self, field: str, sealed: Sealed | None) -> None:
        """Words come sealed under the customer's key; None: an erased customer's, not kept."""
        if sealed is None:
            return
        if not isinstance(sealed, Sealed) or sealed.subject != str(self.customer_id):
            raise InvalidInputError(field, "must be sealed with the customer's own key")

    def reject(self, meta: Meta, reason: Sealed | None) -> None:
        self._check_sealed("reason", reason)
        self.require("reject", {S.RECEIVED})
        self._rejected(meta=meta, reason=reason)

    @event(OrderRejected)
    def _rejected(self, meta: Meta, reason: Sealed | Unsealed | None) -> None:
        self._close(S.REJECTED, meta)
        self.closing_reason = reason

    def expire(self, meta: Meta) -> None:
        self.require("expire", {S.RECEIVED})
        self._expired(meta=meta)

    @recorded("OrderExpired")
    def _expired(self, meta: Meta) -> None:
        self._close(S.EXPIRED, meta)

    def cancel(self, meta: Meta, reason: Sealed | None, cancelling_party: str) -> None:
        self._check_sealed("reason", reason)
        party = one_of("cancelling_party", cancelling_party, CancellingParty)
        self.require("cancel", BEFORE_PICK_UP)
        self._cancelled(meta=meta, reason=reason, cancelling_party=party)

    @event(OrderCancelled)
    def _cancelled(
        self, meta: Meta, reason: Sealed | Unsealed | None, cancelling_party: CancellingParty
    ) -> None:
        self._close(S.CANCELLED, meta)
        self.closing_reason = reason
        self.cancelling_party = CancellingParty(cancelling_party)

    def _close(self, status: OrderStatus, meta: Meta) -> None:
        self.status = status
        self.closed_at = meta.occurred_at

    # --- preparation ---------------------------------------------------------------------------

    def assign_department(self, meta: Meta, department: str, assignee: str) -> None:
        kind = one_of("department", department, Department)
        bounded_text("assignee", assignee, ID_MAX)
        self.require("assign a department", BEFORE_PICK_UP)
        self._assigned_to_department(meta=meta, department=kind, assignee=assignee)

    @recorded("AssignedToDepartment")
    def _assigned_to_department(self, meta: Meta, department: Department, assignee: str) -> None:
        self.departments[Department(department)] = assignee

    def start_preparation(self, meta: Meta) -> None:
        self.require("start preparation", {S.CONFIRMED})
        self._preparation_started(meta=meta)

    @recorded("PreparationStarted")
    def _preparation_started(self, meta: Meta) -> None:
        self.status = S.IN_PREPARATION
        self.preparation_started_at = meta.occurred_at

    def pack(self, meta: Meta) -> None:
        self.require("pack", {S.IN_PREPARATION})
        self._packed(meta=meta)

    @recorded("OrderPacked")
    def _packed(self, meta: Meta) -> None:
        self.status = S.PACKED
        self.packed_at = meta.occurred_at

    # --- delivery ------------------------------------------------------------------------------

    def assign_courier(self, meta: Meta, courier: str, provider: str) -> None:
        bounded_text("courier", courier, ID_MAX)
        bounded_text("provider", provider, 100)
        self.require("assign a courier", {S.PACKED, S.COURIER_ASSIGNED})
        self._courier_assigned(meta=meta, courier=courier, provider=provider)

    @recorded("CourierAssigned")
    def _courier_assigned(self, meta: Meta, courier: str, provider: str) -> None:
        self.status = S.COURIER_ASSIGNED
        self.courier_assigned_at = meta.occurred_at
        self.courier = courier
        self.courier_provider = provider

    def pick_up(self, meta: Meta) -> None:
        self.require("pick up", {S.COURIER_ASSIGNED, S.DELIVERY_FAILED})
        self._picked_up(meta=meta)

    @recorded("OrderPickedUp")
    def _picked_up(self, meta: Meta) -> None:
        self.status = S.PICKED_UP
        self.picked_up_at = meta.occurred_at

    def deliver(self, meta: Meta) -> None:
        self.require("deliver", {S.PICKED_UP})
        self._delivered(meta=meta)

    @recorded("OrderDelivered")
    def _delivered(self, meta: Meta) -> None:
        self._close(S.DELIVERED, meta)
        self.delivered_at = meta.occurred_at

    def fail_delivery(self, meta: Meta, reason: str) -> None:
        failure = one_of("reason", reason, FailureReason)
        self.require("fail delivery", {S.PICKED_UP})
        self._delivery_failed(meta=meta, reason=failure)

    @recorded("DeliveryFailed")
    def _delivery_failed(self, meta: Meta, reason: FailureReason) -> None:
        self.status = S.DELIVERY_FAILED
        self.delivery_failed_at = meta.occurred_at
        self.failure_reason = FailureReason(reason)

    def mark_returned(self, meta: Meta) -> None:
        self.require("mark returned", {S.DELIVERY_FAILED})
        self._returned(meta=meta)

    @recorded("OrderReturned")
    def _returned(self, meta: Meta) -> None:
        self._close(S.RETURNED, meta)

    # --- delay and lateness --------------------------------------------------------------------

    def update_eta(self, meta: Meta, eta: datetime) -> None:
        not_before("eta", eta, meta.occurred_at)
        self.require("update the ETA", TRACKED)
        self._eta_updated(meta=meta, eta=eta)

    @recorded("EtaUpdated")
    def _eta_updated(self, meta: Meta, eta: datetime) -> None:
        self.eta = eta

    def detect_delay(self, meta: Meta, expected_late_min: int) -> None:
        whole_number("expected_late_min", expected_late_min, 1, DELAY_MAX_MIN)
        self.require("detect a delay", TRACKED)
        self._delay_detected(meta=meta, expected_late_min=expected_late_min, stage=S(self.status))

    @recorded("DelayDetected")
    def _delay_detected(self, meta: Meta, expected_late_min: int, stage: OrderStatus) -> None:
        self.expected_late_min = expected_late_min
        if self.delay_risk != DelayRisk.LATE:
            self.delay_risk = DelayRisk.AT_RISK

    def send_delay_notice(self, meta: Meta, via: str) -> None:
        notice_via = one_of("via", via, NoticeVia)
        self.require("send a delay notice", OPEN | {S.DELIVERED})
        if self.delay_risk == DelayRisk.ON_TRACK and not self.is_late(meta.occurred_at):
            raise OrderNotDelayedError()
        self._delay_notice_sent(meta=meta, via=notice_via)

    @recorded("DelayNoticeSent")
    def _delay_notice_sent(self, meta: Meta, via: NoticeVia) -> None:
        self.delay_notices_sent.append(NoticeVia(via))

    def record_late(self, meta: Meta, attributed_to: str) -> None:
        attribution = one_of("attributed_to", attributed_to, LateAttribution)
        self.require("record lateness", TRACKED | {S.DELIVERED})
        if self.late_min is not None:
            raise OrderAlreadyLateError(self.late_min)
        late_by = self._late_by(meta.occurred_at)
        if late_by <= timedelta(0):
            raise OrderNotLateError(str(self.promise_due_at))
        # whole minutes, rounded up: a promise missed by 10 seconds is 1 minute late
        late_min = -(-late_by // MINUTE)
        self._late(meta=meta, late_min=late_min, attributed_to=attribution)

    @recorded("OrderLate")
    def _late(self, meta: Meta, late_min: int, attributed_to: LateAttribution) -> None:
        self.late_min = late_min
        self.late_attributed_to = LateAttribution(attributed_to)
        self.delay_risk = DelayRisk.LATE

    # --- money ---------------------------------------------------------------------------------

    def record_refund(
        self, meta: Meta, amount: Decimal | str, origin: str, limit: Decimal | None = None
    ) -> None:
        """`limit`: what the order's refunds may come to (its amount, unless raised by an
        approved exception)."""
        refund = money("amount", amount)
        if refund == 0:
            raise InvalidInputError("amount", "must be more than 0")
        refund_origin = one_of("origin", origin, RefundOrigin)
        self.require_not("record a refund", NEVER_ACCEPTED)
        total, cap = self.refunded_total + refund, self.amount if limit is None else limit
        if total > cap:
            raise CompensationExceedsOrderAmountError(requested=str(total), limit=str(cap))
        self._refund_recorded(meta=meta, amount=refund, origin=refund_origin)

    @recorded("RefundRecorded")
    def _refund_recorded(self, meta: Meta, amount: Decimal, origin: RefundOrigin) -> None:
        self.refunded_total += amount

    # --- links -------------------------------------------------------------------------------

    linked_incident_ids: tuple[UUID, ...] = ()
    """The incidents that named this order (a blast radius, a linked order): the reverse of
    `Incident.order_ids`. A class default, so orders from before links were kept both ways
    load with none."""

    def note_incident_link(self, meta: Meta, incident_id: UUID) -> bool:
        """The reverse of an incident's link to this order, in whatever state the order is;
        False when it is linked already."""
        if incident_id in self.linked_incident_ids:
            return False
        self._incident_linked(meta=meta, incident_id=incident_id)
        return True

    @recorded("OrderLinkedToIncident")
    def _incident_linked(self, meta: Meta, incident_id: UUID) -> None:
        self.linked_incident_ids = (*self.linked_incident_ids, incident_id)
