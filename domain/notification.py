"""A notice to a person: what is wanted, then what became of each attempt to deliver it.

The request names the notice kind, the recipient (a customer, a member of staff or a staff
robot: never an address), the channel, the template and the version it is rendered with, and its
parameters (sealed under the customer's own key when a customer is told, so erasure makes them
unreadable). The delivery process (`delivery/notifier.py`, docs/architecture.md#notices) then
claims an attempt, renders, sends and records the outcome here. Nothing rendered and no address
is ever recorded.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from domain.base import CareAggregate, Meta, recorded
from domain.errors import InvalidInputError, TransitionRefusedError
from domain.values import Sealed, bounded_text, one_of

REASON_MAX = 200
PARAMS_MAX = 20
PARAM_MAX = 4000
MAX_ATTEMPTS_LIMIT = 50


class NoticeKind(StrEnum):
    # to customers
    ORDER_CONFIRMATION = "order_confirmation"
    DELAY_NOTICE = "delay_notice"
    SURVEY_INVITATION = "survey_invitation"
    COMPLAINT_REPLY = "complaint_reply"
    COMPLAINT_RESOLVED = "complaint_resolved"
    # to staff
    SLA_WARNING = "sla_warning"
    SLA_BREACH = "sla_breach"
    ESCALATION = "escalation"
    INCIDENT_WARNING = "incident_warning"
    INCIDENT_UPDATE = "incident_update"
    CLUSTER_DETECTED = "cluster_detected"
    WEBHOOK_DISABLED = "webhook_disabled"
    GLASS_BROKEN = "glass_broken"


CUSTOMER_NOTICES = frozenset(
    {
        NoticeKind.ORDER_CONFIRMATION,
        NoticeKind.DELAY_NOTICE,
        NoticeKind.SURVEY_INVITATION,
        NoticeKind.COMPLAINT_REPLY,
        NoticeKind.COMPLAINT_RESOLVED,
    }
)
# What a customer cannot opt out of: it is about their own order or complaint.
ESSENTIAL_NOTICES = CUSTOMER_NOTICES - {NoticeKind.SURVEY_INVITATION}


class RecipientKind(StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"  # a member of staff, reached at their own address
    ROBOT = "robot"  # a team's IM robot (duty channel, rota channel)


class NoticeChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"
    IM = "im"


class NotificationStatus(StrEnum):
    QUEUED = "Queued"
    SENDING = "Sending"
    RETRYING = "Retrying"
    SENT = "Sent"
    DELIVERED = "Delivered"
    FAILED = "Failed"
    GAVE_UP = "GaveUp"
    SUPPRESSED = "Suppressed"


S = NotificationStatus
PENDING = frozenset({S.QUEUED, S.RETRYING, S.SENDING})
FINAL = frozenset({S.SENT, S.DELIVERED, S.FAILED, S.GAVE_UP, S.SUPPRESSED})


class SuppressionReason(StrEnum):
    CUSTOMER_ERASED = "customer_erased"
    NO_ADDRESS = "no_address"
    OPTED_OUT = "opted_out"
    QUIET_HOURS = "quiet_hours"
    NO_RECIPIENT = "no_recipient"


def _reason(field: str, text: str) -> str:
    return bounded_text(field, text, REASON_MAX)


def _params(params: dict[str, str]) -> dict[str, str]:
    if not isinstance(params, dict) or len(params) > PARAMS_MAX:
        raise InvalidInputError("params", f"must be at most {PARAMS_MAX} named values")
    for name, value in params.items():
        bounded_text("params.name", name, 64)
        if not isinstance(value, str) or len(value) > PARAM_MAX:
            raise InvalidInputError(
                f"params.{name}", f"must be text of at most {PARAM_MAX} characters"
            )
    return dict(params)


class Notification(CareAggregate):
    TOPIC = "careledger.Notification"

    class Created(CareAggregate.Created):
        TOPIC = "careledger.Notification.Created"

    @recorded("NotificationRequested")
    def __init__(
        self,
        meta: Meta,
        *,
        kind: NoticeKind,
        recipient_kind: RecipientKind,
        recipient_id: str,
        channel: NoticeChannel,
        template_locale: str,
        template_version: int,
        subject_type: str,
        subject_id: UUID,
        public: dict[str, str],
        sealed: Sealed | None,
        urgent: bool,
        max_attempts: int,
        id: UUID,
    ) -> None:
        self.kind = NoticeKind(kind)
        self.recipient_kind = RecipientKind(recipient_kind)
        self.recipient_id = recipient_id
        self.channel = NoticeChannel(channel)
        self.template_locale = template_locale
        self.template_version = template_version
        self.subject_type = subject_type
        self.subject_id = subject_id
        self.public = dict(public)
        self.sealed = sealed
        self.urgent = urgent
        self.max_attempts = max_attempts
        self.requested_at = meta.occurred_at
        self.status = S.QUEUED
        self.attempts = 0
        self.lease_until: datetime | None = None
        self.next_attempt_at: datetime | None = meta.occurred_at
        self.provider_id: str | None = None
        self.sent_at: datetime | None = None
        self.last_error: str | None = None
        self.acknowledged_by: str | None = None

    @classmethod
    def request(
        cls,
        meta: Meta,
        *,
        id: UUID,
        kind: str,
        recipient_kind: str,
        recipient_id: str,
        channel: str,
        template_locale: str,
        template_version: int,
        subject_type: str,
        subject_id: UUID,
        public: dict[str, str],
        sealed: Sealed | None,
        urgent: bool,
        max_attempts: int,
    ) -> Notification:
        valid_kind = one_of("kind", kind, NoticeKind)
        who = one_of("recipient_kind", recipient_kind, RecipientKind)
        if (who is RecipientKind.CUSTOMER) != (valid_kind in CUSTOMER_NOTICES):
            raise InvalidInputError("recipient_kind", f"{who} is not told of {valid_kind}")
        if who is RecipientKind.CUSTOMER and sealed is not None and sealed.subject != recipient_id:
            raise InvalidInputError("sealed", "must be sealed with the customer's own key")
        if not isinstance(template_version, int) or template_version < 1:
            raise InvalidInputError("template_version", "must be 1 or more")
        if not isinstance(max_attempts, int) or not 1 <= max_attempts <= MAX_ATTEMPTS_LIMIT:
            raise InvalidInputError("max_attempts", f"must lie in 1..{MAX_ATTEMPTS_LIMIT}")
        return cls(
            meta=meta,
            id=id,
            kind=valid_kind,
            recipient_kind=who,
            recipient_id=bounded_text("recipient_id", recipient_id, 128),
            channel=one_of("channel", channel, NoticeChannel),
            template_locale=bounded_text("template_locale", template_locale, 16),
            template_version=template_version,
            subject_type=bounded_text("subject_type", subject_type, 32),
            subject_id=subject_id,
            public=_params(public),
            sealed=sealed,
            urgent=bool(urgent),
            max_attempts=max_attempts,
        )

    @property
    def essential(self) -> bool:
        return self.kind in ESSENTIAL_NOTICES or self.kind not in CUSTOMER_NOTICES

    def start_attempt(self, meta: Meta, attempt: int, lease: timedelta) -> None:
        """Claims the next attempt: one process sends it, until its lease runs out."""
        self.require("start a delivery attempt", PENDING)
        if attempt != self.attempts + 1:
            raise InvalidInputError("attempt", f"the next attempt is {self.attempts + 1}")
        lease_until = self.lease_until
        if self.status is S.SENDING and lease_until is not None and meta.occurred_at < lease_until:
            raise TransitionRefusedError("Notification", "Sending", "start another attempt")
        self._attempt_started(meta=meta, attempt=attempt, lease_until=meta.occurred_at + lease)

    @recorded("DeliveryAttemptStarted")
    def _attempt_started(self, meta: Meta, attempt: int, lease_until: datetime) -> None:
        self.status = S.SENDING
        self.attempts = attempt
        self.lease_until = lease_until
        self.next_attempt_at = None

    def record_sent(self, meta: Meta, attempt: int, provider_id: str) -> None:
        """The channel took the message. An earlier attempt whose lease ran out may still
        report it: the message went, whichever attempt carried it."""
        self.require("record it sent", {S.SENDING, S.RETRYING})
        self._check_attempt(attempt)
        self._sent(meta=meta, attempt=attempt, provider_id=bounded_text("provider_id", provider_id))

    @recorded("NotificationSent")
    def _sent(self, meta: Meta, attempt: int, provider_id: str) -> None:
        self.status = S.SENT
        self.provider_id = provider_id
        self.sent_at = meta.occurred_at
        self.lease_until = None

    def record_failure(
        self, meta: Meta, attempt: int, reason: str, permanent: bool, retry_in: timedelta
    ) -> None:
        """An attempt failed: retried after `retry_in`, unless it was refused for good or it
        was the last attempt allowed."""
        self.require("record a failed attempt", {S.SENDING})
        if attempt != self.attempts:
            raise InvalidInputError("attempt", f"the current attempt is {self.attempts}")
        text = _reason("reason", reason)
        last = permanent or attempt >= self.max_attempts
        next_at = None if last else meta.occurred_at + retry_in
        self._failed(meta=meta, attempt=attempt, reason=text, permanent=permanent, next_at=next_at)
        if not permanent and attempt >= self.max_attempts:
            self._gave_up(meta=meta, attempts=attempt)

    @recorded("NotificationAttemptFailed")
    def _failed(
        self, meta: Meta, attempt: int, reason: str, permanent: bool, next_at: datetime | None
    ) -> None:
        self.last_error = reason
        self.lease_until = None
        self.next_attempt_at = next_at
        self.status = S.FAILED if permanent else S.RETRYING

    @recorded("NotificationGaveUp")
    def _gave_up(self, meta: Meta, attempts: int) -> None:
        self.status = S.GAVE_UP
        self.next_attempt_at = None

    def defer(self, meta: Meta, until: datetime, reason: str) -> None:
        """Not now (quiet hours for a notice that must still arrive): the next attempt waits."""
        self.require("defer", {S.QUEUED, S.RETRYING})
        if until <= meta.occurred_at:
            raise InvalidInputError("until", "must be later than now")
        self._deferred(meta=meta, until=until, reason=one_of("reason", reason, SuppressionReason))

    @recorded("DeliveryDeferred")
    def _deferred(self, meta: Meta, until: datetime, reason: SuppressionReason) -> None:
        self.next_attempt_at = until

    def suppress(self, meta: Meta, reason: str) -> None:
        """Not sent, and never will be: the customer was erased, there is no address on the
        channel, they opted out, or it is quiet hours for a notice that cannot wait."""
        valid = one_of("reason", reason, SuppressionReason)
        self.require("suppress", PENDING)
        self._suppressed(meta=meta, reason=valid)

    @recorded("NotificationSuppressed")
    def _suppressed(self, meta: Meta, reason: SuppressionReason) -> None:
        self.status = S.SUPPRESSED
        self.next_attempt_at = None
        self.lease_until = None

    def record_receipt(
        self, meta: Meta, delivered: bool, error: str | None, provider_id: str | None = None
    ) -> None:
        """The channel's report: delivered to the device or mailbox, or bounced after all.
        A report naming another message than the one sent (`provider_id`) is refused."""
        self.require("record a delivery report", {S.SENT})
        if provider_id is not None and provider_id != self.provider_id:
            raise InvalidInputError("message_id", "is not the message this notification sent")
        if delivered:
            self._delivered(meta=meta)
        else:
            self._bounced(meta=meta, reason=_reason("error", error or "bounced"))

    @recorded("NotificationDelivered")
    def _delivered(self, meta: Meta) -> None:
        self.status = S.DELIVERED

    @recorded("NotificationBounced")
    def _bounced(self, meta: Meta, reason: str) -> None:
        self.status = S.FAILED
        self.last_error = reason

    def acknowledge(self, meta: Meta) -> None:
        """A member of staff took the alert in hand."""
        if self.recipient_kind is RecipientKind.CUSTOMER:
            raise InvalidInputError("notification_id", "customer notices are not acknowledged")
        if self.acknowledged_by is not None:
            raise TransitionRefusedError("Notification", "Acknowledged", "acknowledge again")
        self._acknowledged(meta=meta)

    @recorded("AlertAcknowledged")
    def _acknowledged(self, meta: Meta) -> None:
        self.acknowledged_by = meta.actor.id

    def _check_attempt(self, attempt: int) -> None:
        if not isinstance(attempt, int) or not 1 <= attempt <= self.attempts:
            raise InvalidInputError("attempt", f"must be one of the {self.attempts} attempts made")
