"""`GET /export/<kind>.csv?from=&to=[&department=&agent=&channel=&category=]`: a window of
complaints, orders (`channel`, `region`) or surveys as CSV, one row each, only those with every
filter's value, streamed page by page (api/export/csv_stream.py) with the same bearer tokens as
the API, for the roles of `EXPORTS` in api/permissions.py. Refusals are JSON error bodies: 401
without a valid token, 400 for an unknown kind (`UNKNOWN_EXPORT`) or a bad window or filter
(`VALIDATION_FAILED`), 403 for a role not allowed, 503 while the view is not installed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from uuid import uuid4

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from api.auth import AuthenticationError, Principal
from api.export.csv_stream import check_installed, csv_chunks
from api.export.kinds import KINDS, Kind
from api.export.personal import PersonalColumns
from api.graphql.dashboards import window
from api.graphql.problems import ForbiddenError
from api.pages import PageRefused, refusal
from api.permissions import authorize_export
from api.report.route import moment
from api.services import Services
from domain.errors import InvalidInputError

WINDOW_PARAMS = ("from", "to")


def export_route(services: Services) -> Route:
    async def export(request: Request) -> Response:
        try:
            caller, kind = asked_for(request, services)
            start, end = window_of(request)
            where = filters_of(request, kind)
        except PageRefused as refused:
            return refused.response
        try:
            await run_in_threadpool(check_installed, services.views, kind)
        except LookupError as error:
            if type(error) is not LookupError:  # KeyError, IndexError: a bug
                raise
            return refusal(503, "VIEW_NOT_READY", str(error))
        correlation = request.headers.get("x-correlation-id") or str(uuid4())
        personal = PersonalColumns.of(caller, services.ledger, services.views, correlation)
        chunks = csv_chunks(services.views, kind, personal, start, end, where=where)
        name = f"{kind.name}-{start:%Y%m%dT%H%M%SZ}-{end:%Y%m%dT%H%M%SZ}.csv"
        return StreamingResponse(
            encoded(chunks),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
            },
        )

    return Route("/export/{kind}.csv", export, methods=["GET"])


def asked_for(request: Request, services: Services) -> tuple[Principal, Kind]:
    try:
        caller = services.tokens.principal(request.headers.get("authorization"))
    except AuthenticationError as error:
        raise PageRefused(refusal(401, "UNAUTHENTICATED", str(error))) from error
    kind = KINDS.get(request.path_params["kind"])
    if kind is None:
        known = ", ".join(f"{name}.csv" for name in KINDS)
        message = f"no export named {request.path_params['kind']!r}.csv; known: {known}"
        raise PageRefused(refusal(400, "UNKNOWN_EXPORT", message))
    try:
        return authorize_export(caller, kind.name), kind
    except ForbiddenError as error:
        raise PageRefused(refusal(403, "FORBIDDEN", str(error))) from error


def window_of(request: Request) -> tuple[datetime, datetime]:
    query = request.query_params
    try:
        return window(moment(query, "from"), moment(query, "to"))
    except InvalidInputError as error:
        raise PageRefused(refusal(400, error.code, str(error))) from error


def filters_of(request: Request, kind: Kind) -> dict[str, str]:
    """The filters of the query besides the window, e.g. `department=quality&channel=phone`:
    a parameter given twice, unknown to the kind, or with a value its slice cannot have is
    refused before any row is read."""
    query = request.query_params
    asked = {name: query[name] for name in query if name not in WINDOW_PARAMS}
    try:
        for name in asked:
            if len(query.getlist(name)) > 1:
                raise InvalidInputError(name, "given more than once: one value per filter")
        return kind.where(asked)
    except InvalidInputError as error:
        raise PageRefused(refusal(400, error.code, str(error))) from error


async def encoded(chunks: Iterator[str]) -> AsyncIterator[bytes]:
    """Each chunk read on a worker thread (a page is a database read), so the event loop
    never waits on the database; one page is in memory at a time."""
    while (chunk := await run_in_threadpool(next, chunks, None)) is not None:
        yield chunk.encode()
