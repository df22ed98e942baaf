"""What every resolver gets: the caller, the services, and how to turn input into a command."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ParamSpec, TypeVar
from uuid import UUID

import strawberry
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.relay import from_base64

from api.auth import Principal
from api.graphql.problems import ForbiddenError
from api.permissions import authorize
from api.services import Services
from application.command_ids import mint_command_id
from application.deadline import until
from application.handling import Outcome
from domain.errors import InvalidInputError
from domain.meta import Channel, Meta, Reason

T = TypeVar("T")
P = ParamSpec("P")

FUTURE_SLACK = timedelta(minutes=5)


@strawberry.input(description="What every command may carry besides its own arguments.")
class CommandInput:
    command_id: str | None = strawberry.field(
        default=None, description="Idempotency key: a repeat returns the first outcome"
    )
    occurred_at: datetime | None = strawberry.field(
        default=None, description="Business time, if earlier than now (timezone required)"
    )
    reason_code: str | None = strawberry.field(
        default=None, description="Why, as a code (letters, digits and _ . : / -, no spaces)"
    )
    reason_text: str | None = strawberry.field(
        default=None,
        description="Why, in words (without reasonCode kept under the code `note`): sealed"
        " under the key of the customer the command is about and erased with them; refused on"
        " commands about no customer",
    )
    causation_id: str | None = None


@dataclass
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    services: Services
    principal: Principal | None
    request_id: str
    connection_params: dict[str, Any] | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def caller(self) -> Principal:
        if self.principal is None:
            raise ForbiddenError("this operation needs a bearer token")
        return self.principal

    def authorize(self, operation: str) -> Principal:
        """The caller, if api/permissions.py lets their role run `operation`."""
        return authorize(self.principal, operation)

    def meta(self, command: CommandInput | None, channel: str | None = None) -> Meta:
        now = datetime.now(UTC)
        occurred = command.occurred_at if command and command.occurred_at else now
        if occurred.tzinfo is None:
            raise InvalidInputError("occurredAt", "must carry a time zone")
        if occurred > now + FUTURE_SLACK:
            raise InvalidInputError("occurredAt", "must not be in the future")
        reason = None
        if command and (command.reason_code or command.reason_text):
            # a reason given only as text is kept, under the code "note"
            reason = Reason(command.reason_code or "note", command.reason_text or "")
        header_channel = self.request.headers.get("x-channel")
        return Meta(
            actor=self.caller.actor,
            occurred_at=occurred,
            command_id=(
                command.command_id if command and command.command_id else mint_command_id()
            ),
            correlation_id=self.request.headers.get("x-correlation-id") or self.request_id,
            causation_id=command.causation_id if command else None,
            channel=_channel(channel or header_channel),
            reason=reason,
        )

    async def run(
        self, command: Callable[P, Outcome], *args: P.args, **kwargs: P.kwargs
    ) -> Outcome:
        """Runs the command in the thread pool, by the deadline of the request: counted from
        its arrival over HTTP (time spent waiting for a worker thread counts), or from now for
        an operation over a WebSocket, whose connection may be hours old."""
        deadline = self.arrived() + self.services.settings.command_deadline_s

        def by_the_deadline() -> Outcome:
            with until(deadline):
                return command(*args, **kwargs)

        return await run_in_threadpool(by_the_deadline)

    def arrived(self) -> float:
        arrived = self.request.scope.get("careledger.arrived")
        if self.request.scope["type"] != "http" or not isinstance(arrived, float):
            return time.monotonic()
        return arrived

    async def call(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        return await run_in_threadpool(function, *args, **kwargs)


Info = strawberry.Info[Context, None]


def _channel(value: str | None) -> Channel | None:
    if value is None:
        return None
    try:
        return Channel(value)
    except ValueError:
        raise InvalidInputError("channel", f"{value!r} is not a known channel") from None


def parse_id(field_name: str, value: str) -> UUID:
    """An entity id: a UUID, or a global node id whose payload is one."""
    try:
        return UUID(value)
    except ValueError:
        pass
    try:
        _, raw = from_base64(value)
        return UUID(raw)
    except (ValueError, TypeError):
        raise InvalidInputError(field_name, f"{value!r} is not an id") from None
