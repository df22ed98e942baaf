"""Webhook endpoints over GraphQL: registered and managed by admins, with their delivery log.

The signing secret goes in (registration, rotation) and never comes back out.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import strawberry

from api.graphql.consistency import read_view
from api.graphql.context import CommandInput, Info, parse_id
from api.graphql.entity import Changed, Entity
from api.graphql.outcomes import EntityCommands, answer, call
from api.graphql.paging import page_size
from api.graphql.problems import Conflict, Forbidden, NotFound, TransitionRefused, ValidationFailed
from application.app import CareLedger
from domain.errors import InvalidInputError
from domain.webhook import EndpointStatus, WebhookEndpoint
from projections.engine.store import ViewStore
from projections.views.webhook_delivery_log import AttemptRow, DeliveryRow, deliveries, endpoints

MAX_ENDPOINTS = 200
DELIVERY_PAGE = 50

strawberry.enum(EndpointStatus, name="WebhookEndpointStatus")


@strawberry.enum(description="Where a delivery stands")
class WebhookDeliveryStatus(StrEnum):
    PENDING = "pending"  # not yet delivered: retrying, or held while the endpoint is disabled
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # a permanent refusal (a 4xx other than 408/425/429): not retried


@strawberry.type(description="One POST of a delivery and what came of it")
class WebhookAttempt:
    attempt: int
    attempted_at: datetime
    status_code: int | None = strawberry.field(description="None: no HTTP answer")
    latency_ms: float
    error: str | None
    outcome: str = strawberry.field(description="delivered, failed or retry")
    next_attempt_at: datetime | None

    @classmethod
    def of(cls, a: AttemptRow) -> WebhookAttempt:
        return cls(
            attempt=a.attempt,
            attempted_at=a.attempted_at,
            status_code=a.status_code,
            latency_ms=a.latency_ms,
            error=a.error,
            outcome=a.outcome,
            next_attempt_at=a.next_attempt_at,
        )


@strawberry.type(description="One event on its way to one endpoint")
class WebhookDelivery:
    webhook_id: str = strawberry.field(description="The `webhook-id` header, stable per event")
    endpoint_id: str
    position: int = strawberry.field(description="The event's log position")
    event_type: str
    event_id: str = strawberry.field(description="The id of the entity the event is about")
    occurred_at: datetime
    status: WebhookDeliveryStatus
    attempts: list[WebhookAttempt]
    next_attempt_at: datetime | None
    last_status_code: int | None
    finished_at: datetime | None

    @classmethod
    def of(cls, d: DeliveryRow) -> WebhookDelivery:
        return cls(
            webhook_id=d.webhook_id,
            endpoint_id=d.endpoint_id,
            position=d.position,
            event_type=d.event_type,
            event_id=d.event_id,
            occurred_at=d.occurred_at,
            status=WebhookDeliveryStatus(d.status),
            attempts=[WebhookAttempt.of(a) for a in d.attempts],
            next_attempt_at=d.next_attempt_at,
            last_status_code=d.last_status_code,
            finished_at=d.finished_at,
        )


@strawberry.type(name="WebhookEndpoint", description="An integration's endpoint; no secret")
class WebhookEndpointView:
    endpoint_id: str
    version: int
    url: str
    event_types: list[str]
    status: EndpointStatus
    owner: str = strawberry.field(description="Who registered it, told when it is disabled")
    registered_at: datetime
    disabled_at: datetime | None
    disabled_reason: str | None

    @classmethod
    def of(cls, e: WebhookEndpoint) -> WebhookEndpointView:
        return cls(
            endpoint_id=str(e.id),
            version=e.version,
            url=e.url,
            event_types=list(e.event_types),
            status=EndpointStatus(e.status),
            owner=e.owner,
            registered_at=e.registered_at,
            disabled_at=e.disabled_at,
            disabled_reason=e.disabled_reason,
        )


@strawberry.type(description="Deliveries in log order; ask again with `after: nextAfter`")
class WebhookDeliveryPage:
    deliveries: list[WebhookDelivery]
    next_after: int | None = strawberry.field(description="None: this was the last page")


ENDPOINT = Entity("endpoint", WebhookEndpoint, WebhookEndpointView, read="webhookEndpoint")
WebhookEndpointResult = Annotated[
    Changed[WebhookEndpointView]
    | NotFound
    | TransitionRefused
    | ValidationFailed
    | Conflict
    | Forbidden,
    strawberry.union("WebhookEndpointResult"),
]
changed = ENDPOINT.changed


@strawberry.input
class RegisterWebhookEndpointInput(CommandInput):
    url: str = strawberry.field(description="http(s), no credentials; https in production")
    event_types: list[str] = strawberry.field(description="Event names, e.g. ComplaintReceived")
    secret: str = strawberry.field(description="A Standard Webhooks secret: whsec_<base64>")


@strawberry.input
class WebhookEndpointInput(CommandInput):
    endpoint_id: strawberry.ID


@strawberry.input
class ChangeWebhookEventTypesInput(WebhookEndpointInput):
    event_types: list[str]


@strawberry.input
class RotateWebhookSecretInput(WebhookEndpointInput):
    secret: str


@strawberry.input
class DisableWebhookEndpointInput(WebhookEndpointInput):
    reason: str = strawberry.field(
        description="A code for why (letters, digits and _ . : / -, no spaces), e.g."
        " maintenance; words are refused: an endpoint is no customer's, nothing would seal them"
    )


ENDPOINTS = EntityCommands("endpoint", changed)


@strawberry.type
class WebhookMutations:
    @strawberry.mutation(description="Register an endpoint; its secret is never shown again")
    async def register_webhook_endpoint(
        self, info: Info, input: RegisterWebhookEndpointInput
    ) -> WebhookEndpointResult:
        async def attempt() -> object:
            context = info.context
            context.authorize("registerWebhookEndpoint")
            outcome = await context.run(
                context.services.ledger.register_webhook_endpoint,
                context.meta(input),
                input.url,
                list(input.event_types),
                input.secret,
            )
            return await changed(info, outcome)

        return await answer(attempt)

    @strawberry.mutation(description="Replace the event types the endpoint receives")
    async def change_webhook_event_types(
        self, info: Info, input: ChangeWebhookEventTypesInput
    ) -> WebhookEndpointResult:
        command = call(CareLedger.change_webhook_event_types, list(input.event_types))
        return await ENDPOINTS.run(info, input, command)

    @strawberry.mutation(description="Sign from now on with a new secret")
    async def rotate_webhook_secret(
        self, info: Info, input: RotateWebhookSecretInput
    ) -> WebhookEndpointResult:
        return await ENDPOINTS.run(
            info, input, call(CareLedger.rotate_webhook_secret, input.secret)
        )

    @strawberry.mutation(description="Stop deliveries; they wait, none lost, until re-enabled")
    async def disable_webhook_endpoint(
        self, info: Info, input: DisableWebhookEndpointInput
    ) -> WebhookEndpointResult:
        command = call(CareLedger.disable_webhook_endpoint, input.reason)
        return await ENDPOINTS.run(info, input, command)

    @strawberry.mutation(description="Resume deliveries where they stopped")
    async def re_enable_webhook_endpoint(
        self, info: Info, input: WebhookEndpointInput
    ) -> WebhookEndpointResult:
        return await ENDPOINTS.run(info, input, call(CareLedger.re_enable_webhook_endpoint))


@strawberry.type
class WebhookQueries:
    @strawberry.field(description="A webhook endpoint as recorded (never its secret)")
    async def webhook_endpoint(self, info: Info, id: strawberry.ID) -> WebhookEndpointView:
        return await ENDPOINT.load(info, parse_id("id", id))

    @strawberry.field(description="Every webhook endpoint, the earliest registered first")
    async def webhook_endpoints(self, info: Info) -> list[WebhookEndpointView]:
        context = info.context
        context.authorize("webhookEndpoints")
        rows = await read_view(context, endpoints, context.services.views)
        ledger = context.services.ledger
        loaded = [
            await context.call(ledger.load, WebhookEndpoint, parse_id("id", row.endpoint_id))
            for row in rows[:MAX_ENDPOINTS]
        ]
        return [WebhookEndpointView.of(e) for e in loaded]

    @strawberry.field(description="An endpoint's delivery log: each delivery with its attempts")
    async def webhook_deliveries(
        self,
        info: Info,
        endpoint_id: strawberry.ID,
        status: WebhookDeliveryStatus | None = None,
        first: int = DELIVERY_PAGE,
        after: int | None = None,
    ) -> WebhookDeliveryPage:
        context = info.context
        context.authorize("webhookDeliveries")
        found = await read_view(
            context,
            _page,
            context.services.views,
            str(parse_id("endpointId", endpoint_id)),
            status,
            first,
            after,
        )
        rows = [WebhookDelivery.of(d) for d in found]
        full = len(rows) == first
        return WebhookDeliveryPage(
            deliveries=rows, next_after=rows[-1].position if full and rows else None
        )


def _page(
    views: ViewStore,
    endpoint_id: str,
    status: WebhookDeliveryStatus | None,
    first: int,
    after: int | None,
) -> list[DeliveryRow]:
    if after is not None and after < 0:
        raise InvalidInputError("after", "must be a log position of 0 or more")
    return deliveries(
        views,
        endpoint_id,
        after=after,
        limit=page_size(first),
        status=None if status is None else status.value,
    )
