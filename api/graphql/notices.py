"""Notices over GraphQL: the notifications about an entity with their delivery status, the
delivery dashboard, staff alerts (listed, acknowledged, pushed as they are raised)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated

import strawberry

from api.graphql.consistency import read_at, views_behind
from api.graphql.context import CommandInput, Info, parse_id
from api.graphql.dashboards import AtPosition, From, To, read_window
from api.graphql.live import live_feed
from api.graphql.outcomes import Written, answer
from api.graphql.problems import (
    Conflict,
    Forbidden,
    ForbiddenError,
    NotFound,
    RuleViolated,
    TransitionRefused,
    ValidationFailed,
)
from api.permissions import OWN_DATA, authorize_all_alerts
from domain import notification as n
from domain.errors import InvalidInputError
from projections.views.notices import (
    DeliveryDashboard,
    NoticesProjection,
    QueuedNotice,
    delivery_dashboard,
    notifications_of,
    staff_alerts,
)

strawberry.enum(n.NoticeKind, name="NoticeKind")
strawberry.enum(n.NoticeChannel, name="NoticeChannel")
strawberry.enum(n.NotificationStatus, name="NotificationStatus")
strawberry.enum(n.RecipientKind, name="RecipientKind")

VIEW = [NoticesProjection.name]
MAX_FIRST = 200
CATCH_UP_S = 2.0


@strawberry.type(
    name="Notification",
    description="A notice to a person and what became of it. Addresses and rendered text are"
    " never kept: the recipient is named by id (a customer, a member of staff, a team robot).",
)
class NotificationView:
    id: strawberry.ID
    kind: n.NoticeKind
    channel: n.NoticeChannel
    recipient_kind: n.RecipientKind
    recipient_id: str
    subject_type: str = strawberry.field(description="order, complaint, survey or incident")
    subject_id: strawberry.ID
    status: n.NotificationStatus
    attempts: int
    urgent: bool
    requested_at: datetime
    sent_at: datetime | None
    finished_at: datetime | None = strawberry.field(
        description="When it was sent, refused for good, given up or suppressed"
    )
    next_attempt_at: datetime | None = strawberry.field(
        description="While pending: the next attempt (or the end of the current one's lease)"
    )
    provider_message_id: str | None
    last_error: str | None = strawberry.field(
        description="The last failure, or why it was suppressed"
    )
    acknowledged_by: str | None
    acknowledged_at: datetime | None

    @classmethod
    def of(cls, row: QueuedNotice) -> NotificationView:
        pending = row.status in ("Queued", "Retrying", "Sending")
        return cls(
            id=strawberry.ID(str(row.notification_id)),
            kind=n.NoticeKind(row.kind),
            channel=n.NoticeChannel(row.channel),
            recipient_kind=n.RecipientKind(row.recipient_kind),
            recipient_id=row.recipient_id,
            subject_type=row.subject_type,
            subject_id=strawberry.ID(str(row.subject_id)),
            status=n.NotificationStatus(row.status),
            attempts=row.attempts,
            urgent=row.urgent,
            requested_at=row.requested_at,
            sent_at=row.sent_at,
            finished_at=row.finished_at,
            next_attempt_at=row.due_at if pending else None,
            provider_message_id=row.provider_id,
            last_error=row.last_error,
            acknowledged_by=row.acknowledged_by,
            acknowledged_at=row.acknowledged_at,
        )


@strawberry.type
class DeliveryCountView:
    channel: n.NoticeChannel
    kind: n.NoticeKind
    status: n.NotificationStatus
    count: int


@strawberry.type(name="DeliveryDashboard")
class DeliveryDashboardView:
    requested: int
    sent: int = strawberry.field(description="Sent or delivered")
    delivered: int = strawberry.field(description="Reported delivered by the channel")
    failed: int = strawberry.field(description="Refused for good, bounced, or given up")
    suppressed: int
    pending: int
    to_sent_p50_s: float | None = strawberry.field(description="Request to sent, median seconds")
    to_sent_p99_s: float | None
    to_sent_count: int
    counts: list[DeliveryCountView] = strawberry.field(
        description="By channel, notice kind and status"
    )

    @classmethod
    def of(cls, board: DeliveryDashboard) -> DeliveryDashboardView:
        return cls(
            requested=board.requested,
            sent=board.sent,
            delivered=board.delivered,
            failed=board.failed,
            suppressed=board.suppressed,
            pending=board.pending,
            to_sent_p50_s=board.to_sent_p50_s,
            to_sent_p99_s=board.to_sent_p99_s,
            to_sent_count=board.to_sent_count,
            counts=[
                DeliveryCountView(
                    channel=n.NoticeChannel(c.channel),
                    kind=n.NoticeKind(c.kind),
                    status=n.NotificationStatus(c.status),
                    count=c.count,
                )
                for c in board.counts
            ],
        )


@strawberry.input
class AcknowledgeAlertInput(CommandInput):
    notification_id: strawberry.ID


@strawberry.type
class AlertAcknowledged:
    notification_id: strawberry.ID
    acknowledged_by: str
    written: Written


AcknowledgeAlertResult = Annotated[
    AlertAcknowledged
    | ValidationFailed
    | NotFound
    | TransitionRefused
    | RuleViolated
    | Conflict
    | Forbidden,
    strawberry.union("AcknowledgeAlertResult"),
]

First = Annotated[int, strawberry.argument(description=f"At most this many (1 to {MAX_FIRST})")]


def _first(first: int) -> int:
    if not 1 <= first <= MAX_FIRST:
        raise InvalidInputError("first", f"must be from 1 to {MAX_FIRST}")
    return first


@strawberry.type
class NoticeQueries:
    @strawberry.field(
        description="Every notification about one order, complaint, survey or incident, with"
        " its delivery status; staff"
    )
    async def notifications(
        self, info: Info, subject_id: strawberry.ID, at_position: AtPosition = None
    ) -> list[NotificationView]:
        info.context.authorize("notifications")
        subject = parse_id("subjectId", subject_id)
        rows = await read_at(info.context, VIEW, at_position, notifications_of, subject)
        return [NotificationView.of(row) for row in rows]

    @strawberry.field(
        description="Notifications requested in the window: by channel, kind and status, and"
        " the time from request to sent"
    )
    async def delivery_dashboard(
        self, info: Info, from_: From, to: To, at_position: AtPosition = None
    ) -> DeliveryDashboardView:
        board = await read_window(info, VIEW, delivery_dashboard, from_, to, at_position)
        return DeliveryDashboardView.of(board)

    @strawberry.field(
        description="Alerts to staff, newest first: the caller's own (`mine`, the default), or"
        " every alert for supervisors, incident commanders and admins"
    )
    async def alerts(
        self,
        info: Info,
        mine: bool = True,
        unacknowledged: bool = False,
        first: First = 50,
        at_position: AtPosition = None,
    ) -> list[NotificationView]:
        caller = info.context.authorize("alerts")
        if not mine:
            authorize_all_alerts(caller)
        rows = await read_at(
            info.context,
            VIEW,
            at_position,
            staff_alerts,
            recipient_ids=[caller.actor.id] if mine else None,
            unacknowledged=unacknowledged,
            limit=_first(first),
        )
        return [NotificationView.of(row) for row in rows]


@strawberry.input
class SetNoticePreferencesInput(CommandInput):
    customer_id: strawberry.ID
    locale: str | None = strawberry.field(
        default=None, description="zh-CN or en; null: the platform's (zh-CN)"
    )
    opt_out: bool = strawberry.field(
        default=False,
        description="No notices the customer need not have (survey invitations); notices"
        " about their own orders and complaints still go",
    )


@strawberry.type
class NoticePreferencesSet:
    customer_id: strawberry.ID
    locale: str | None
    opt_out: bool
    written: Written


SetNoticePreferencesResult = Annotated[
    NoticePreferencesSet
    | ValidationFailed
    | NotFound
    | TransitionRefused
    | RuleViolated
    | Conflict
    | Forbidden,
    strawberry.union("SetNoticePreferencesResult"),
]


@strawberry.type
class NoticeMutations:
    @strawberry.mutation(
        description="The language of a customer's notices and whether they take non-essential"
        " ones; the customer themselves or staff"
    )
    async def set_notice_preferences(
        self, info: Info, input: SetNoticePreferencesInput
    ) -> SetNoticePreferencesResult:
        async def attempt() -> NoticePreferencesSet:
            context = info.context
            caller = context.authorize("setNoticePreferences")
            customer_id = parse_id("customerId", input.customer_id)
            if not OWN_DATA.allows(caller, customer_id):
                raise ForbiddenError("customers may set only their own preferences")
            outcome = await context.run(
                context.services.ledger.set_notice_preferences,
                context.meta(input),
                customer_id,
                input.locale,
                input.opt_out,
            )
            return NoticePreferencesSet(
                customer_id=strawberry.ID(str(customer_id)),
                locale=input.locale,
                opt_out=input.opt_out,
                written=Written.of(outcome),
            )

        return await answer(attempt)

    @strawberry.mutation(description="Take an alert in hand: recorded with who acknowledged it")
    async def acknowledge_alert(
        self, info: Info, input: AcknowledgeAlertInput
    ) -> AcknowledgeAlertResult:
        async def attempt() -> AlertAcknowledged:
            context = info.context
            caller = context.authorize("acknowledgeAlert")
            nid = parse_id("notificationId", input.notification_id)
            outcome = await context.run(
                context.services.ledger.acknowledge_alert, context.meta(input), nid
            )
            return AlertAcknowledged(
                notification_id=strawberry.ID(str(nid)),
                acknowledged_by=caller.actor.id,
                written=Written.of(outcome),
            )

        return await answer(attempt)


@strawberry.type
class NoticeSubscriptions:
    @strawberry.subscription(
        description="Each new alert addressed to the caller (or to anyone, with `mine: false`"
        " for supervisors, incident commanders and admins), as it is raised"
    )
    async def alert_raised(
        self, info: Info, mine: bool = True
    ) -> AsyncGenerator[NotificationView, None]:
        context = info.context
        caller = context.authorize("alertRaised")
        if not mine:
            authorize_all_alerts(caller)
        recipients = [caller.actor.id] if mine else None
        async with live_feed(context.services).subscription() as mailbox:
            newest = await read_at(context, VIEW, None, staff_alerts, recipient_ids=recipients)
            seen = {row.notification_id for row in newest}
            since = max((row.requested_at for row in newest), default=None)
            topics = NoticesProjection.topics()
            while (tick := await mailbox.next()) is not None:
                needed = tick.last_of(topics)
                if needed is None:
                    continue
                await views_behind(context, VIEW, needed, CATCH_UP_S)
                rows = await read_at(
                    context, VIEW, None, staff_alerts, recipient_ids=recipients, after=since
                )
                for row in sorted(rows, key=lambda r: (r.requested_at, str(r.notification_id))):
                    if row.notification_id not in seen:
                        seen.add(row.notification_id)
                        yield NotificationView.of(row)
                if rows:
                    since = max([r.requested_at for r in rows] + ([since] if since else []))
