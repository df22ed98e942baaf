"""The commands of notices: request one, then record each attempt and its outcome."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from application.handling import CommandHandling, Outcome, command, new_id
from application.vault import ERASED, Vault
from domain.errors import InvalidInputError
from domain.meta import Meta
from domain.notification import Notification, RecipientKind

DEFAULT_MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class NoticeRequest:
    """What is wanted: the kind of notice, to whom and through which channel, about what."""

    kind: str
    recipient_kind: str
    recipient_id: str
    channel: str
    subject_type: str
    subject_id: UUID
    template_locale: str
    template_version: int
    public: dict[str, str] = field(default_factory=dict)
    """Parameters that name no person (order number, minutes late, category)."""
    urgent: bool = False
    max_attempts: int = DEFAULT_MAX_ATTEMPTS


class NotificationCommands(CommandHandling):
    vault: Vault

    @command(
        personal=("personal",),
        incidental=("claim_lease_s", "created", "receipt_checked"),
        precheck_unless="receipt_checked",
    )
    def request_notification(
        self,
        meta: Meta,
        notice: NoticeRequest,
        personal: dict[str, str] | None = None,
        claim_lease_s: float | None = None,
        created: Callable[[Notification], None] | None = None,
        receipt_checked: bool = False,
    ) -> Outcome:
        """`personal`: parameters about the customer (a reply's text), sealed under their key;
        only a notice to a customer carries any. With `claim_lease_s` the requesting process
        also claims the first attempt, in the same write, to send it at once; `created` is
        given the new notification (not on a replay), so that it need not load it again.
        `receipt_checked`: the caller looked for this command's receipt already (a pass's
        requests at once), so none is looked for before the write; a repeat is still found by
        it (the receipt's command id, the notification's id derived from it) and replayed."""
        sealed = None
        if personal:
            if notice.recipient_kind != RecipientKind.CUSTOMER:
                raise InvalidInputError("personal", "only a notice to a customer carries any")
            try:
                subject = UUID(notice.recipient_id)
            except ValueError:
                raise InvalidInputError("recipient_id", "must be the customer's id") from None
            sealed = self.vault.seal(subject, json.dumps(personal, ensure_ascii=False))

        def requested() -> Notification:
            notification = Notification.request(
                meta,
                id=new_id(meta, Notification),
                kind=notice.kind,
                recipient_kind=notice.recipient_kind,
                recipient_id=notice.recipient_id,
                channel=notice.channel,
                template_locale=notice.template_locale,
                template_version=notice.template_version,
                subject_type=notice.subject_type,
                subject_id=notice.subject_id,
                public=notice.public,
                sealed=sealed,
                urgent=notice.urgent,
                max_attempts=notice.max_attempts,
            )
            if claim_lease_s is not None:
                notification.start_attempt(meta, 1, timedelta(seconds=claim_lease_s))
            made.append(notification)
            return notification

        made: list[Notification] = []
        outcome = self.create(meta, Notification, requested)
        if created is not None and made and not outcome.replayed:
            created(made[-1])
        return outcome

    @command()
    def start_delivery_attempt(
        self, meta: Meta, notification_id: UUID, attempt: int, lease_s: float
    ) -> Outcome:
        lease = timedelta(seconds=lease_s)
        return self.change(
            meta, Notification, notification_id, lambda n: n.start_attempt(meta, attempt, lease)
        )

    @command(incidental=("known",), precheck_unless="known")
    def record_notification_sent(
        self,
        meta: Meta,
        notification_id: UUID,
        attempt: int,
        provider_id: str,
        known: Notification | None = None,
    ) -> Outcome:
        """`known`: the notification as the caller claimed the attempt, its own copy (see
        `change`), so that it need not be loaded again."""
        return self.change(
            meta,
            Notification,
            notification_id,
            lambda n: n.record_sent(meta, attempt, provider_id),
            known,
        )

    @command()
    def record_delivery_failure(
        self,
        meta: Meta,
        notification_id: UUID,
        attempt: int,
        reason: str,
        permanent: bool,
        retry_in_s: float,
    ) -> Outcome:
        retry_in = timedelta(seconds=retry_in_s)
        return self.change(
            meta,
            Notification,
            notification_id,
            lambda n: n.record_failure(meta, attempt, reason, permanent, retry_in),
        )

    @command()
    def defer_notification(
        self, meta: Meta, notification_id: UUID, until: datetime, reason: str
    ) -> Outcome:
        return self.change(
            meta, Notification, notification_id, lambda n: n.defer(meta, until, reason)
        )

    @command()
    def suppress_notification(self, meta: Meta, notification_id: UUID, reason: str) -> Outcome:
        return self.change(meta, Notification, notification_id, lambda n: n.suppress(meta, reason))

    @command()
    def record_delivery_receipt(
        self,
        meta: Meta,
        notification_id: UUID,
        delivered: bool,
        error: str | None = None,
        provider_id: str | None = None,
    ) -> Outcome:
        return self.change(
            meta,
            Notification,
            notification_id,
            lambda n: n.record_receipt(meta, delivered, error, provider_id),
        )

    @command()
    def acknowledge_alert(self, meta: Meta, notification_id: UUID) -> Outcome:
        return self.change(meta, Notification, notification_id, lambda n: n.acknowledge(meta))

    def notice_parameters(self, notification: Notification) -> dict[str, str] | None:
        """Every parameter of the notice, opened now; None once its customer was erased."""
        params = dict(notification.public)
        if notification.sealed is not None:
            opened = self.vault.open(notification.sealed)
            if opened == ERASED:
                return None
            params.update(json.loads(opened))
        return params
