"""The composition root: `create_app(settings)` builds the whole service."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import uuid4

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import AuthenticationError, TokenVerifier
from api.embedded import EmbeddedWorkers
from api.export.route import export_route
from api.graphiql import ASSETS_PATH, graphiql_assets
from api.graphql.live import stop_live_feed
from api.graphql.schema import shared_schema
from api.graphql.wakeups import stop_wakeups
from api.headers import SecurityHeaders
from api.http import JSON, content_type_header, error_body, negotiate
from api.readiness import readiness
from api.receipts import receipts_endpoint
from api.report.route import report_route
from api.services import Services
from api.view import CareLedgerGraphQL
from api.wall.route import wall_route
from application.app import CareLedger
from application.settings import Settings
from delivery.staff import Directory
from projections.engine.read_routing import (
    ReplicaHistory,
    open_history,
    open_read_store,
    pinned,
)


class Gate:
    """Authenticates every GraphQL HTTP request before it runs; checks WebSocket origins.

    The GraphiQL page itself (a browser GET asking for HTML, development only) needs no token.
    """

    def __init__(self, app: ASGIApp, services: Services) -> None:
        self.app = app
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["careledger.request_id"] = uuid4().hex[:16]
        scope["careledger.arrived"] = time.monotonic()  # a command's deadline counts from here
        if scope["type"] == "websocket" and not self._origin_allowed(scope):
            await send({"type": "websocket.close", "code": 4403})
            return
        if scope["type"] != "http" or self._is_ide_page(scope):
            await self.app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        try:
            scope["careledger.principal"] = self.services.tokens.principal(
                headers.get("authorization")
            )
        except AuthenticationError as error:
            response = JSONResponse(
                error_body("UNAUTHENTICATED", str(error)),
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
                media_type=content_type_header(negotiate(headers.get("accept")) or JSON),
            )
            await response(scope, receive, send)
            return
        with pinned():  # one request reads from one server (projections/engine/read_routing.py)
            await self.app(scope, receive, send)

    def _is_ide_page(self, scope: Scope) -> bool:
        if scope["method"] != "GET" or self.services.settings.is_production:
            return False
        headers = dict(scope["headers"])
        return b"text/html" in headers.get(b"accept", b"")

    def _origin_allowed(self, scope: Scope) -> bool:
        origin = dict(scope["headers"]).get(b"origin")
        if origin is None:
            return True  # not a browser: the token decides
        host = dict(scope["headers"]).get(b"host", b"").decode()
        allowed = {*self.services.settings.allowed_origins, f"http://{host}", f"https://{host}"}
        return origin.decode() in allowed


def create_app(settings: Settings) -> Starlette:
    ledger = CareLedger(settings)
    views = open_read_store(settings)
    services = Services(
        settings=settings,
        ledger=ledger,
        views=views,
        tokens=TokenVerifier(settings),
        history=open_history(ledger, views, settings),
        teams=Directory.load(settings.staff_directory).teams,
    )
    view = CareLedgerGraphQL(shared_schema(introspection=not settings.is_production), services)
    graphql = Gate(view, services)

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(request: Request) -> Response:
        try:
            reason = await readiness(ledger, services.views)
        except Exception as error:  # any other failure to reach the database: "not ready"
            reason = f"the database failed ({type(error).__name__})"
        if reason is not None:
            return JSONResponse(
                {"ready": False, "reason": reason}, status_code=503, headers={"Retry-After": "1"}
            )
        return JSONResponse({"ready": True})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        embedded = EmbeddedWorkers(ledger, services.views) if settings.postgres is None else None
        if embedded is not None:
            await run_in_threadpool(embedded.start)
        try:
            yield
        finally:
            await stop_live_feed(services)
            await stop_wakeups(services)
            if embedded is not None:
                await run_in_threadpool(embedded.stop)
            services.views.close()
            if isinstance(services.history, ReplicaHistory):
                services.history.close()
            ledger.close()

    app = Starlette(
        routes=[
            Route("/graphql", graphql),  # the view answers other methods with a coded 405
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", view.metrics.endpoint),
            report_route(services),
            export_route(services),
            # signed by the provider, not behind a bearer token (api/receipts.py)
            Route("/notices/receipts", receipts_endpoint(services), methods=["POST"]),
            wall_route(services),
            *([] if settings.is_production else [Mount(ASSETS_PATH, graphiql_assets())]),
        ],
        middleware=[
            Middleware(SecurityHeaders),
            # preflights are answered here, before the Gate asks for a token
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.allowed_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type", "Accept"],
                max_age=600,
            ),
        ],
        lifespan=lifespan,
    )
    app.state.services = services  # for tests and operations tooling
    return app


def app_from_env() -> Starlette:
    """For `uvicorn --factory api.app:app_from_env` and `careledger serve`."""
    return create_app(Settings.from_env())
