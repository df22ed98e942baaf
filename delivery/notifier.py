"""The delivery process: follows the log, requests the notices events call for, and delivers them.

Each pass (docs/architecture.md#notices):
1. catches up the `notices` view (its own runner, like the policies');
2. for each event still *wanted*, requests its notifications: one to the customer (the order's,
   complaint's or survey's) or one per staff recipient the routes name; command ids derive from
   the event and the recipient, so a repeat after a crash or in another process is a replay.
   A notice that quiet hours cannot hold is requested with its first attempt claimed in the
   same write and sent at once by the worker that requested it (step 3 without the queue);
3. for each notification due, opens what it needs now (the customer's contact, the staff
   directory), suppresses it when it must not go (customer erased, no address on the channel,
   opted out of non-essential notices, quiet hours for non-urgent ones), else claims the next
   attempt (a lease: the one process that recorded it sends), renders its template version, sends
   through the channel, and records sent, or failed with the next attempt after an exponential
   backoff with jitter, or refused for good, or given up after the allowed attempts.

At least once: a crash between sending and recording leaves the attempt claimed; when its lease
ends the next attempt sends again, with the same message id (the notification's), so the
receiver can recognise the repeat. Deliveries of different notifications run in a small pool of
threads, each with its own channel connections.
"""

from __future__ import annotations

import logging
import math
import random
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlsplit
from uuid import UUID
from zoneinfo import ZoneInfo

from application.app import CareLedger
from application.customers import ERASED_CONTACT, ContactDetails
from application.errors import ServiceUnavailableError
from application.handling import Outcome
from application.notifications import NoticeRequest
from delivery.channels.base import (
    Channel,
    ChannelKind,
    DeliveryError,
    Message,
)
from delivery.staff import Context, Directory, Routes
from delivery.templates import TemplateFailure, Templates
from domain.cluster import ClusterDetection
from domain.complaint import Complaint
from domain.customer import Customer, CustomerStatus
from domain.errors import DomainError
from domain.incident import Incident
from domain.meta import Meta
from domain.notification import (
    ESSENTIAL_NOTICES,
    FINAL,
    NoticeChannel,
    NoticeKind,
    Notification,
    RecipientKind,
    SuppressionReason,
)
from domain.order import Order
from domain.survey import Survey
from domain.webhook import WebhookEndpoint
from policies.system import system_meta
from projections.engine.runner import TRANSIENT, Runner
from projections.engine.store import ViewStore
from projections.engine.wakeup import run_woken, wakeup_for
from projections.views.notices import (
    NoticesProjection,
    QueuedNotice,
    Wanted,
    due_notifications,
    forget_wanted,
    next_due,
    wanted_notices,
)

log = logging.getLogger(__name__)

ACTOR = "notifier"
RETRIED: tuple[type[Exception], ...] = (*TRANSIENT, ServiceUnavailableError)
POLL_S = 0.1  # SQLite: how often an idle delivery process looks for new events
PLATFORM_ZONE = "Asia/Shanghai"
# the channel a customer is told through, by how they asked or spoke to us
VIA = {"sms": NoticeChannel.SMS, "email": NoticeChannel.EMAIL, "app": NoticeChannel.PUSH}
SPOKEN = {
    "email": NoticeChannel.EMAIL,
    "app": NoticeChannel.PUSH,
    "web": NoticeChannel.PUSH,
    "chat": NoticeChannel.PUSH,
}
CUSTOMER_KINDS = {
    "ConfirmationSent": NoticeKind.ORDER_CONFIRMATION,
    "DelayNoticeSent": NoticeKind.DELAY_NOTICE,
    "SurveySent": NoticeKind.SURVEY_INVITATION,
    "AgentReplied": NoticeKind.COMPLAINT_REPLY,
    "ComplaintResolved": NoticeKind.COMPLAINT_RESOLVED,
}
STAFF_KINDS = {
    "SlaWarning": NoticeKind.SLA_WARNING,
    "SlaBreached": NoticeKind.SLA_BREACH,
    "ComplaintEscalated": NoticeKind.ESCALATION,
    "WarningIssued": NoticeKind.INCIDENT_WARNING,
    "StatusUpdatePublished": NoticeKind.INCIDENT_UPDATE,
    "ClusterDetected": NoticeKind.CLUSTER_DETECTED,
    "WebhookEndpointDisabled": NoticeKind.WEBHOOK_DISABLED,
    "GlassBroken": NoticeKind.GLASS_BROKEN,
}
URGENT_CUSTOMER_NOTICES = frozenset({NoticeKind.ORDER_CONFIRMATION, NoticeKind.DELAY_NOTICE})


@dataclass(frozen=True)
class DeliverySettings:
    max_attempts: int = 8
    backoff_base_s: float = 2.0
    backoff_cap_s: float = 900.0
    lease_s: float = 60.0
    quiet_start: time | None = time(22, 0)
    quiet_end: time | None = time(8, 0)
    zone: str = PLATFORM_ZONE
    workers: int = 16
    batch: int = 500

    def backoff_s(self, attempt: int, hint_s: float | None = None) -> float:
        """Exponential in the attempt, capped, with full jitter over its upper half; a
        provider's Retry-After is honoured when it asks for longer."""
        ceiling = min(self.backoff_cap_s, self.backoff_base_s * 2 ** (attempt - 1))
        wait = random.uniform(ceiling / 2, ceiling)
        return max(wait, hint_s or 0.0)

    def quiet_until(self, now: datetime) -> datetime | None:
        """The end of the quiet hours `now` falls in (local time), or None outside them."""
        if self.quiet_start is None or self.quiet_end is None:
            return None
        local = now.astimezone(ZoneInfo(self.zone))
        start, end, clock = self.quiet_start, self.quiet_end, local.timetz().replace(tzinfo=None)
        overnight = start > end
        inside = (clock >= start or clock < end) if overnight else (start <= clock < end)
        if not inside:
            return None
        day = local.date() + timedelta(days=1 if overnight and clock >= start else 0)
        return datetime.combine(day, end, ZoneInfo(self.zone)).astimezone(UTC)


def short(entity_id: UUID) -> str:
    """The number a person reads out: the id's first eight hex digits."""
    return entity_id.hex[:8].upper()


@dataclass(frozen=True)
class Planned:
    request: NoticeRequest
    personal: dict[str, str] | None = None
    customer: Customer | None = None  # the recipient as read to plan it


class Planner:
    """Turns an event that calls for notices into the notifications to request."""

    def __init__(
        self,
        app: CareLedger,
        templates: Templates,
        directory: Directory,
        routes: Routes,
        settings: DeliverySettings,
    ) -> None:
        self.app = app
        self.templates = templates
        self.directory = directory
        self.routes = routes
        self.settings = settings

    def plan(self, wanted: Wanted) -> list[Planned]:
        if wanted.trigger in CUSTOMER_KINDS:
            planned = self._customer(wanted, CUSTOMER_KINDS[wanted.trigger])
            return [] if planned is None else [planned]
        if wanted.trigger in STAFF_KINDS:
            return self._staff(wanted, STAFF_KINDS[wanted.trigger])
        return []

    def _local(self, moment: datetime) -> str:
        return moment.astimezone(ZoneInfo(self.settings.zone)).strftime("%Y-%m-%d %H:%M")

    def _customer(self, wanted: Wanted, kind: NoticeKind) -> Planned | None:
        fields, source = wanted.fields, wanted.source_id
        personal: dict[str, str] | None = None
        if kind in (NoticeKind.ORDER_CONFIRMATION, NoticeKind.DELAY_NOTICE):
            order = self.app.load(Order, source, shared=True)
            customer_id, subject = order.customer_id, "order"
            channel = VIA.get(str(fields.get("via")), NoticeChannel.SMS)
            public = {
                "order_no": short(source),
                "restaurant": order.restaurant,
                "promised_at": self._local(order.promised_at),
            }
        elif kind is NoticeKind.SURVEY_INVITATION:
            survey = self.app.load(Survey, source, shared=True)
            customer_id, subject = survey.customer_id, "survey"
            channel = VIA.get(str(fields.get("via")), NoticeChannel.SMS)
            public = {"survey_no": short(source), "subject": str(survey.subject)}
        else:
            complaint = self.app.load(Complaint, source, shared=True)
            customer_id, subject = complaint.customer_id, "complaint"
            channel = SPOKEN.get(str(complaint.channel), NoticeChannel.SMS)
            public = {"complaint_no": short(source)}
            if kind is NoticeKind.COMPLAINT_REPLY:
                sealed = wanted.sealed("content")
                reply = self.app.vault.open_optional(sealed)
                personal = {"reply": reply or ""}
            else:
                public["resolution"] = str(fields.get("outcome", ""))
        customer = self.app.load(Customer, customer_id, shared=True)
        template = self.templates.choose(kind, customer.locale)
        request = NoticeRequest(
            kind=kind,
            recipient_kind=RecipientKind.CUSTOMER,
            recipient_id=str(customer_id),
            channel=channel,
            subject_type=subject,
            subject_id=source,
            template_locale=template.locale,
            template_version=template.version,
            public=public,
            urgent=kind in URGENT_CUSTOMER_NOTICES,
            max_attempts=self.settings.max_attempts,
        )
        # an erased customer's reply stays unreadable: the request records only the intent
        kept = personal if personal and personal["reply"] != "[erased]" else None
        return Planned(request, kept, customer)

    def _staff(self, wanted: Wanted, kind: NoticeKind) -> list[Planned]:
        fields, source = wanted.fields, wanted.source_id
        if kind in (NoticeKind.SLA_WARNING, NoticeKind.SLA_BREACH, NoticeKind.ESCALATION):
            complaint = self.app.load(Complaint, source, shared=True)
            subject = "complaint"
            ctx = Context(
                assignee=complaint.assignee,
                department=None if complaint.department is None else str(complaint.department),
                escalation_level=int(fields.get("level") or complaint.escalation_level or 0),
            )
            public = {
                "complaint_no": short(source),
                "severity": str(complaint.severity or "unclassified"),
            }
            if kind is NoticeKind.ESCALATION:
                public |= {"level": str(fields.get("level")), "trigger": str(fields.get("trigger"))}
            else:
                public["clock"] = str(fields.get("clock"))
                due = fields.get("due_at")
                if due is None:  # a breach tells how late; its due time is that long before
                    late = timedelta(seconds=int(fields.get("late_by_s") or 0))
                    due_at = wanted.occurred_at - late
                else:
                    due_at = datetime.fromisoformat(str(due))
                public["due_at"] = self._local(due_at)
        elif kind is NoticeKind.CLUSTER_DETECTED:
            cluster = self.app.load(ClusterDetection, source, shared=True)
            subject = "cluster"
            ctx = Context()
            spread = (cluster.last_at - cluster.first_at).total_seconds()
            public = {
                "category": str(cluster.category),
                "key": f"{str(cluster.key_kind).replace('_', ' ')} {cluster.key}",
                "count": str(len(cluster.complaint_ids)),
                "window_min": str(max(1, math.ceil(spread / 60))),
            }
        elif kind is NoticeKind.WEBHOOK_DISABLED:
            endpoint = self.app.load(WebhookEndpoint, source, shared=True)
            subject = "webhook"
            ctx = Context(owner=str(fields.get("owner") or "") or None)
            public = {
                "endpoint": urlsplit(endpoint.url).hostname or "?",
                "failures": str(fields.get("failures", 0)),
            }
        elif kind is NoticeKind.GLASS_BROKEN:
            subject, ctx = "customer", Context()
            public = {
                "customer_no": short(source),
                "actor": wanted.actor_id,
                "role": str(fields.get("role") or "staff"),
                "until": self._local(datetime.fromisoformat(str(fields["until"]))),
            }
        else:
            incident = self.app.load(Incident, source, shared=True)
            subject = "incident"
            ctx = Context(commander=incident.roles.get("commander"))
            public = {"incident_no": short(source), "title": incident.title}
            if kind is NoticeKind.INCIDENT_WARNING:
                public["colour"] = str(fields.get("colour"))
            else:
                public |= {
                    "audience": str(fields.get("audience")),
                    "message": str(fields.get("message")),
                }
        recipients, urgent = self.routes.recipients(self.directory, kind, fields, ctx)
        template = self.templates.choose(kind, None)
        return [
            Planned(
                NoticeRequest(
                    kind=kind,
                    recipient_kind=r.kind,
                    recipient_id=r.id,
                    channel=r.channel,
                    subject_type=subject,
                    subject_id=source,
                    template_locale=template.locale,
                    template_version=template.version,
                    public=public,
                    urgent=urgent,
                    max_attempts=self.settings.max_attempts,
                )
            )
            for r in recipients
        ]


ChannelsFactory = Callable[[], Mapping[ChannelKind, Channel]]
CHANNEL_KINDS = {
    NoticeChannel.EMAIL: ChannelKind.EMAIL,
    NoticeChannel.SMS: ChannelKind.SMS,
    NoticeChannel.PUSH: ChannelKind.PUSH,
    NoticeChannel.IM: ChannelKind.IM,
}


class Notifier:
    def __init__(
        self,
        app: CareLedger,
        store: ViewStore,
        channels: ChannelsFactory,
        *,
        templates: Templates | None = None,
        directory: Directory | None = None,
        routes: Routes | None = None,
        settings: DeliverySettings | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.app = app
        self.store = store
        self.settings = settings or DeliverySettings()
        self.templates = templates or Templates.load()
        self.directory = directory or Directory.load()
        self.planner = Planner(
            app, self.templates, self.directory, routes or Routes.load(), self.settings
        )
        self.clock = clock
        self.runner = Runner(app, store, NoticesProjection())
        self._channels_factory = channels
        self._local = threading.local()
        self._opened: list[Mapping[ChannelKind, Channel]] = []
        self._lock = threading.Lock()
        self.pool = ThreadPoolExecutor(self.settings.workers, thread_name_prefix="notifier")

    # --- the loop ------------------------------------------------------------------------

    def run_once(self) -> int:
        """One pass; the commands that changed something (requests, attempts, outcomes)."""
        self.runner.catch_up()
        done = self.request_wanted(send_at_once=True)
        if done:
            self.runner.catch_up()
        return done + self.deliver_due()

    def run(self, stop: threading.Event, max_sleep: float = 1.0) -> None:
        """Until `stop` is set; woken by new events (LISTEN/NOTIFY on PostgreSQL, a short poll
        on SQLite) and by the next attempt falling due."""
        run_woken(
            stop,
            self.run_once,
            lambda done: self.sleep_s(done, max_sleep),
            wakeup_for(self.app.recorder, self.store, POLL_S),
            RETRIED,
            "notifier",
            max_sleep,
        )

    def sleep_s(self, done: int, max_sleep: float) -> float:
        if done:
            return 0.0
        due = next_due(self.store)
        if due is None:
            return max_sleep
        wait = (due - self.clock()).total_seconds()
        return max_sleep if wait <= 0 else min(wait, max_sleep)

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        with self._lock:
            for channels in self._opened:
                for channel in channels.values():
                    try:
                        channel.close()
                    except Exception:  # closing must not mask what stopped the process
                        log.warning("notifier: closing a channel failed", exc_info=True)
            self._opened.clear()

    # --- requesting ----------------------------------------------------------------------

    def request_wanted(self, send_at_once: bool = False) -> int:
        """Requests the notices of every wanted event, events in parallel (each one's requests
        are idempotent and independent of the others'); then forgets those events.

        `send_at_once`: a notice that can go now (not held by quiet hours) is requested with
        its first attempt claimed in the same write, and sent by the worker that requested
        it, without waiting for the queue: two writes a notice instead of three, and no trip
        through the view. Whatever fails on the way is left to the queue, as any attempt."""
        wanted = wanted_notices(self.store, self.settings.batch)
        if not wanted:
            return 0
        now = self.clock()
        issued = sum(self.pool.map(lambda w: self._request(w, now, send_at_once), wanted))
        forget_wanted(self.store, [w.trigger_key for w in wanted])
        return issued

    def _request(self, wanted: Wanted, now: datetime, send_at_once: bool = False) -> int:
        try:
            planned = self.planner.plan(wanted)
        except (DomainError, TemplateFailure) as error:
            log.warning("notifier: no notice for %s: %s", wanted.trigger_key, error)
            return 0
        issued = 0
        for item in planned:
            request = item.request
            command_id = (
                f"{ACTOR}:request:{wanted.trigger_key}:{request.recipient_id}:{request.channel}"
            )
            meta = _caused_by(system_meta(ACTOR, command_id, now, wanted.trigger), wanted)
            claim = send_at_once and not self._held(request.recipient_kind, now)
            lease_s = self.settings.lease_s if claim else None
            made: list[Notification] = []
            outcome = self.app.request_notification(
                meta, request, item.personal, lease_s, made.append
            )
            if outcome.replayed:
                continue
            issued += 1
            if claim and made:
                issued += self._send_claimed(made[0], item.customer)
        return issued

    def _held(self, recipient: str, now: datetime) -> bool:
        """Whether quiet hours may hold or drop a notice requested now: such a notice takes
        the queue's path, which decides."""
        return recipient == RecipientKind.CUSTOMER and self.settings.quiet_until(now) is not None

    def _send_claimed(self, notification: Notification, customer: Customer | None) -> int:
        """Sends attempt 1, which the request claimed; a refusal leaves it to the queue.
        `customer`: as the planner read it an instant ago, to open the contact from."""
        nid = notification.id
        try:
            address, params, reason = self._open(notification, self.clock(), customer)
            if reason is not None:
                return self._record(
                    f"suppress:{reason}",
                    nid,
                    self.clock(),
                    lambda m: self.app.suppress_notification(m, nid, reason),
                )
            assert address is not None and params is not None
            return self._attempt(notification, 1, address, params, own=True)
        except DomainError as refused:
            log.info("notifier: %s left to the queue: %s", nid, refused)
            return 0

    # --- delivering ----------------------------------------------------------------------

    def deliver_due(self) -> int:
        due = due_notifications(self.store, self.clock(), self.settings.batch)
        if not due:
            return 0
        return sum(self.pool.map(self._deliver_safely, due))

    def _deliver_safely(self, queued: QueuedNotice) -> int:
        try:
            return self.deliver(queued)
        except DomainError as refused:
            # another process got there first, or the view was behind the notification
            log.info("notifier: %s skipped: %s", queued.notification_id, refused)
            return 0

    def deliver(self, queued: QueuedNotice) -> int:
        nid = queued.notification_id
        notification = self.app.load(Notification, nid, shared=True)
        if notification.status in FINAL:
            return 0
        now = self.clock()
        address, params, reason = self._open(notification, now)
        if reason is not None:
            self._record(
                f"suppress:{reason}",
                nid,
                now,
                lambda m: self.app.suppress_notification(m, nid, reason),
            )
            return 1
        assert address is not None and params is not None
        quiet = self._quiet(notification, now)
        if quiet is not None:
            until = quiet
            return self._record(
                f"defer:{until.isoformat()}",
                nid,
                now,
                lambda m: self.app.defer_notification(m, nid, until, SuppressionReason.QUIET_HOURS),
            )
        attempt = notification.attempts + 1
        claim = self._command(
            f"attempt:{attempt}",
            nid,
            now,
            lambda m: self.app.start_delivery_attempt(m, nid, attempt, self.settings.lease_s),
        )
        if claim.replayed:
            return 0  # this attempt is someone else's
        # the claim's own copy (the one just written), not the cache's shared one
        mine = claim.aggregate if isinstance(claim.aggregate, Notification) else None
        return 1 + self._attempt(mine or notification, attempt, address, params, mine is not None)

    def _attempt(
        self,
        notification: Notification,
        attempt: int,
        address: str,
        params: dict[str, str],
        own: bool = False,
    ) -> int:
        """`own`: `notification` is this process's own copy as it claimed the attempt (not the
        cache's), which recording the outcome may start from instead of loading it again."""
        nid = notification.id
        known = notification if own else None
        try:
            template = self.templates.get(
                notification.kind, notification.template_locale, notification.template_version
            )
            rendered = self.templates.render(template, params)
        except TemplateFailure as failure:
            return self._failed(nid, attempt, f"template: {failure.reason}", permanent=True)
        message = Message(
            id=str(nid),
            channel=CHANNEL_KINDS[notification.channel],
            to=address,
            subject=rendered.subject,
            body=rendered.body,
            kind=str(notification.kind),
            locale=notification.template_locale,
            urgent=notification.urgent,
        )
        channel = self._channels().get(message.channel)
        if channel is None:
            return self._failed(nid, attempt, f"no {message.channel} channel configured", True)
        try:
            sent = channel.send(message)
        except DeliveryError as error:
            hint = getattr(error, "retry_after_s", None)
            return self._failed(nid, attempt, error.reason, error.permanent, hint)
        except Exception as error:  # a channel's own bug must not stop the others
            log.exception("notifier: channel %s crashed on %s", message.channel, nid)
            return self._failed(nid, attempt, f"channel error: {type(error).__name__}", False)
        return self._record(
            f"sent:{attempt}",
            nid,
            self.clock(),
            lambda m: self.app.record_notification_sent(m, nid, attempt, sent.provider_id, known),
        )

    def _open(
        self, notification: Notification, now: datetime, customer: Customer | None = None
    ) -> tuple[str | None, dict[str, str] | None, SuppressionReason | None]:
        """The address and parameters opened now, or why the notice must not go."""
        if notification.recipient_kind is not RecipientKind.CUSTOMER:
            address = self.directory.address(notification.recipient_kind, notification.recipient_id)
            if address is None:
                return None, None, SuppressionReason.NO_RECIPIENT
            return address, {"name": notification.recipient_id, **notification.public}, None
        customer_id = UUID(notification.recipient_id)
        if customer is None or customer.id != customer_id:
            customer = self.app.load(Customer, customer_id, shared=True)
        if customer.status is CustomerStatus.ERASED:
            return None, None, SuppressionReason.CUSTOMER_ERASED
        contact = self.app.contact_from(customer)
        params = self.app.notice_parameters(notification)
        if contact == ERASED_CONTACT or params is None:
            return None, None, SuppressionReason.CUSTOMER_ERASED
        if notification.kind not in ESSENTIAL_NOTICES and customer.notice_opt_out:
            return None, None, SuppressionReason.OPTED_OUT
        address = _customer_address(contact, customer_id, notification.channel)
        if address is None:
            return None, None, SuppressionReason.NO_ADDRESS
        quiet = self.settings.quiet_until(notification.requested_at)
        if notification.kind not in ESSENTIAL_NOTICES and quiet is not None:
            return None, None, SuppressionReason.QUIET_HOURS
        return address, {"name": contact.name, **params}, None

    def _quiet(self, notification: Notification, now: datetime) -> datetime | None:
        """Quiet hours hold back a customer's essential notice that is not urgent (a reply
        written at 3 a.m. goes out at 8); urgent ones and staff alerts go at once. The hours
        are those of the time it was requested: one sent late (a backlog, a replayed day)
        waits only while they still last."""
        if notification.recipient_kind is not RecipientKind.CUSTOMER or notification.urgent:
            return None
        until = self.settings.quiet_until(notification.requested_at)
        return until if until is not None and until > now else None

    def _failed(
        self, nid: UUID, attempt: int, reason: str, permanent: bool, hint: float | None = None
    ) -> int:
        retry_in = self.settings.backoff_s(attempt, hint)
        return self._record(
            f"failed:{attempt}",
            nid,
            self.clock(),
            lambda m: self.app.record_delivery_failure(
                m, nid, attempt, reason[:200], permanent, retry_in
            ),
        )

    def _record(
        self, step: str, nid: UUID, now: datetime, command: Callable[[Meta], Outcome]
    ) -> int:
        """Runs one command of the process; 1 when it changed something, 0 on a replay."""
        return 0 if self._command(step, nid, now, command).replayed else 1

    def _command(
        self, step: str, nid: UUID, now: datetime, command: Callable[[Meta], Outcome]
    ) -> Outcome:
        meta = system_meta(ACTOR, f"{ACTOR}:{nid}:{step}", now, step.split(":")[0])
        return command(meta)

    def _channels(self) -> Mapping[ChannelKind, Channel]:
        channels: Mapping[ChannelKind, Channel] | None = getattr(self._local, "channels", None)
        if channels is None:
            channels = self._local.channels = self._channels_factory()
            with self._lock:
                self._opened.append(channels)
        return channels


def _customer_address(contact: ContactDetails, customer_id: UUID, channel: str) -> str | None:
    if channel == NoticeChannel.EMAIL:
        return contact.email or None
    if channel == NoticeChannel.SMS:
        return contact.phone or None
    if channel == NoticeChannel.PUSH:
        return str(customer_id)  # the push provider addresses the app's user, not a device
    return None


def _caused_by(meta: Meta, wanted: Wanted) -> Meta:
    correlation = str(wanted.fields.get("_correlation_id") or meta.correlation_id)
    return Meta(
        actor=meta.actor,
        occurred_at=meta.occurred_at,
        command_id=meta.command_id,
        correlation_id=correlation[:128],
        causation_id=wanted.trigger_key,
        reason=meta.reason,
    )
