"""A command's deadline counts from the request's arrival, not from when a worker thread got to
it: under load, time spent queueing for the thread pool is part of the answer's time."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from typing import Any, cast

from starlette.requests import Request

from api.graphql.context import Context
from application.deadline import current
from application.handling import Outcome


def context(scope_type: str, arrived: float | None) -> Context:
    scope: dict[str, Any] = {"type": scope_type, "headers": []}
    if arrived is not None:
        scope["careledger.arrived"] = arrived
    services = SimpleNamespace(settings=SimpleNamespace(command_deadline_s=2.0))
    return Context(
        request=Request({**scope, "type": "http"}) if scope_type == "http" else _ws(scope),
        response=None,
        services=cast(Any, services),
        principal=None,
        request_id="r",
    )


def _ws(scope: dict[str, Any]) -> Any:
    return SimpleNamespace(scope=scope, headers={})


def deadline_seen(ctx: Context) -> float:
    def command() -> Outcome:
        return cast(Outcome, current(default_s=1000.0))  # the deadline in force in the thread

    return cast(float, asyncio.run(ctx.run(command)))


def test_an_http_command_has_what_is_left_of_the_deadline_since_arrival() -> None:
    arrived = time.monotonic() - 1.5  # waited 1.5 s before a worker thread took it
    assert deadline_seen(context("http", arrived)) == arrived + 2.0


def test_a_websocket_operation_counts_from_when_it_runs() -> None:
    before = time.monotonic()
    seen = deadline_seen(context("websocket", before - 3600))  # a connection an hour old
    assert before + 2.0 <= seen <= time.monotonic() + 2.0


def test_without_an_arrival_stamp_the_deadline_counts_from_now() -> None:
    before = time.monotonic()
    seen = deadline_seen(context("http", None))
    assert before + 2.0 <= seen <= time.monotonic() + 2.0
