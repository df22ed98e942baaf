"""The delivery process: follows the log, requests the notices events call for, and delivers them.

Each pass (docs/architecture.md#notices):
1. catches up the `notices` view (its own runner, like the policies');
2. requests the notifications of each event still *wanted* (`planner.py`), with command ids
   derived from the event and the recipient, so a repeat is a replay. A notice that quiet hours
   cannot hold is requested with its first attempt claimed and sent at once by its worker;
3. for each notification due, opens what it needs now (`opening.py`) or suppresses it, else
   claims the next attempt (a lease), renders its template version, sends through the
   channel, and records sent, or failed with the next attempt after a backoff with jitter, or
   refused for good, or given up after the allowed attempts.
The aggregates a pass acts on are read together (`pass_reads.py`).

At least once: a crash between sending and recording leaves the attempt claimed; when its lease
ends the next attempt sends again, with the same message id (the notification's), so the
receiver can recognise the repeat. Deliveries run in a small pool of threads, each with its own
channel connections.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from uuid import UUID

from application.app import CareLedger
from application.batch_reads import requested_before
from application.errors import ServiceUnavailableError
from application.handling import Outcome
from delivery.channels.base import (
    Channel,
    ChannelKind,
    DeliveryError,
    Message,
)
from delivery.delivery_settings import DeliverySettings
from delivery.opening import Opener
from delivery.pass_reads import NO_READS, PassReads, Reads, customer_in, read_as, to_deliver
from delivery.planner import Planned, Planner
from delivery.staff import Directory, Routes
from delivery.templates import TemplateFailure, Templates
from domain.customer import Customer
from domain.errors import DomainError
from domain.meta import Meta
from domain.notification import (
    FINAL,
    NoticeChannel,
    Notification,
    RecipientKind,
    SuppressionReason,
)
from policies.system import system_meta
from projections.engine.runner import TRANSIENT, Runner
from projections.engine.store import ViewStore
from projections.engine.wakeup import run_woken, wakeup_for
from projections.views.notice_work import (
    Wanted,
    due_notifications,
    forget_wanted,
    next_due,
    wanted_notices,
)
from projections.views.notices import NoticesProjection, QueuedNotice

log = logging.getLogger(__name__)

ACTOR = "notifier"
RETRIED: tuple[type[Exception], ...] = (*TRANSIENT, ServiceUnavailableError)
POLL_S = 0.1  # SQLite: how often an idle delivery process looks for new events

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
        self.opener = Opener(app, self.directory, self.settings)
        self.reads = PassReads(app)
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
        due = next_due(self.store, self.settings.share)
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
        now = self.clock()
        wanted = wanted_notices(self.store, self.settings.batch, self.settings.share, now)
        if not wanted:
            return 0
        reads = self.reads.read(self.planner.sources_of(wanted))
        reads |= self.reads.read(self.planner.customers_of(reads))
        plans = list(self.pool.map(lambda w: (w, self._plan(w, reads)), wanted))
        # one look-up for the pass instead of one a request: those found were requested before
        asked = requested_before(
            self.app.receipts, [_request_id(w, item) for w, items in plans for item in items]
        )
        todo = [(w, [i for i in items if _request_id(w, i) not in asked]) for w, items in plans]
        issued = sum(self.pool.map(lambda p: self._request(p[0], p[1], now, send_at_once), todo))
        forget_wanted(self.store, [w.trigger_key for w in wanted])
        return issued

    def _plan(self, wanted: Wanted, reads: Reads) -> list[Planned]:
        try:
            return self.planner.plan(wanted, reads)
        except (DomainError, TemplateFailure) as error:
            log.warning("notifier: no notice for %s: %s", wanted.trigger_key, error)
            return []

    def _request(
        self, wanted: Wanted, planned: list[Planned], now: datetime, send_at_once: bool = False
    ) -> int:
        """Requests what the pass found not requested yet (`receipt_checked`: a request made
        meanwhile by another process is found by the write, and answered as a replay)."""
        issued = 0
        for item in planned:
            request = item.request
            meta = _request_meta(wanted, item, now)
            claim = send_at_once and not self._held(request.recipient_kind, now)
            lease_s = self.settings.lease_s if claim else None
            made: list[Notification] = []
            outcome = self.app.request_notification(
                meta, request, item.personal, lease_s, made.append, receipt_checked=True
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
            opened = self.opener.open(notification, customer)
            if opened.refused is not None:
                return self._suppress(nid, opened.refused, self.clock())
            assert opened.address is not None and opened.params is not None
            return self._attempt(notification, 1, opened.address, opened.params, own=True)
        except DomainError as refused:
            log.info("notifier: %s left to the queue: %s", nid, refused)
            return 0

    # --- delivering ----------------------------------------------------------------------

    def deliver_due(self) -> int:
        due = due_notifications(self.store, self.clock(), self.settings.batch, self.settings.share)
        if not due:
            return 0
        reads = self.reads.read(to_deliver(due))
        return sum(self.pool.map(lambda queued: self._deliver_safely(queued, reads), due))

    def _deliver_safely(self, queued: QueuedNotice, reads: Reads) -> int:
        try:
            return self.deliver(queued, reads)
        except DomainError as refused:
            # another process got there first, or the view was behind the notification
            log.info("notifier: %s skipped: %s", queued.notification_id, refused)
            return 0

    def deliver(self, queued: QueuedNotice, reads: Reads = NO_READS) -> int:
        """`reads`: the notification and its customer as the pass read them, if it did."""
        nid = queued.notification_id
        notification = read_as(Notification, nid, reads, self.app)
        if notification.status in FINAL:
            return 0
        now = self.clock()
        opened = self.opener.open(notification, customer_in(reads, notification))
        if opened.refused is not None:
            self._suppress(nid, opened.refused, now)
            return 1
        address, params = opened.address, opened.params
        assert address is not None and params is not None
        quiet = self.opener.held_until(notification, now)
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

    def _suppress(self, nid: UUID, reason: SuppressionReason, now: datetime) -> int:
        return self._record(
            f"suppress:{reason}", nid, now, lambda m: self.app.suppress_notification(m, nid, reason)
        )

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


def _request_id(wanted: Wanted, planned: Planned) -> str:
    """The request's command id: derived from the event and the recipient, so that a repeat
    after a crash or in another process is a replay."""
    request = planned.request
    return f"{ACTOR}:request:{wanted.trigger_key}:{request.recipient_id}:{request.channel}"


def _request_meta(wanted: Wanted, planned: Planned, now: datetime) -> Meta:
    """The request's metadata: caused by the event, in its correlation."""
    meta = system_meta(ACTOR, _request_id(wanted, planned), now, wanted.trigger)
    correlation = str(wanted.fields.get("_correlation_id") or meta.correlation_id)
    return Meta(
        actor=meta.actor,
        occurred_at=meta.occurred_at,
        command_id=meta.command_id,
        correlation_id=correlation[:128],
        causation_id=wanted.trigger_key,
        reason=meta.reason,
    )
