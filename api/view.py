"""The GraphQL endpoint: GraphQL over HTTP, the per-request context, WebSocket admission."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from time import perf_counter
from typing import Any
from uuid import uuid4

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData, process_result
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult

from api.auth import AuthenticationError, Principal
from api.graphiql import graphiql_page
from api.graphql.context import Context
from api.graphql.cost import BUDGET_PER_MINUTE, CostBuckets, document_problem
from api.graphql.problems import problem_of
from api.graphql.schema import MAX_TOKENS
from api.http import (
    JSON,
    MAX_BODY_BYTES,
    Exchange,
    RequestRefused,
    content_type_header,
    decode_request,
    error_body,
    inspect_document,
    negotiate,
    status_for,
    unavailable,
)
from api.metrics import Metrics
from api.services import Services
from api.websocket import TokenBoundConnection
from application.errors import ServiceUnavailableError
from application.handling import Outcome

MAX_SUBSCRIPTIONS_PER_CONNECTION = 20
HTTP_CODES = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}
SUBSCRIPTIONS_HERE = "subscriptions are served over WebSocket (graphql-transport-ws) at /graphql"


@dataclass
class MeasuredContext(Context):
    """The request context, counting every application command it runs."""

    metrics: Metrics | None = None

    async def run(self, command: Callable[..., Outcome], *args: Any, **kwargs: Any) -> Outcome:
        started, result = perf_counter(), "error"
        try:
            outcome = await super().run(command, *args, **kwargs)
            result = "replayed" if outcome.replayed else "ok"
            return outcome
        except Exception as error:
            problem = problem_of(error)
            result = "error" if problem is None else type(problem).__name__
            raise
        finally:
            if self.metrics is not None:
                self.metrics.command(command.__name__, result, perf_counter() - started)


class CareLedgerGraphQL(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = TokenBoundConnection

    def __init__(self, schema: Any, services: Services) -> None:
        production = services.settings.is_production
        super().__init__(
            schema,
            graphql_ide=None if production else "graphiql",
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=10),
            max_subscriptions_per_connection=MAX_SUBSCRIPTIONS_PER_CONNECTION,
        )
        self.services = services
        self.metrics = Metrics(services)
        self.costs = CostBuckets()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        exchange = Exchange(media=negotiate(headers.get("accept")))
        scope["careledger.exchange"] = exchange
        started = perf_counter()
        try:
            if _declared_length(headers) > MAX_BODY_BYTES:
                raise _too_large()
            response = await self.run(Request(scope, _bounded(receive)))
        except RequestRefused as refusal:
            response = _refusal(exchange, refusal)
        except HTTPException as error:
            code = HTTP_CODES.get(error.status_code, "BAD_REQUEST")
            allow = {"Allow": "GET, POST"} if error.status_code == 405 else {}
            translated = RequestRefused(error.status_code, code, error.reason, allow)
            response = _refusal(exchange, translated)
        self.metrics.request(exchange, perf_counter() - started)
        await response(scope, receive, send)

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(graphiql_page())

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequestData:
        if negotiate(request.headers.get("accept")) is None:
            raise RequestRefused(
                406,
                "NOT_ACCEPTABLE",
                f"this endpoint answers in {JSON} or application/graphql-response+json",
            )
        body = b"" if request.method == "GET" else await request.get_body()
        return decode_request(request.method, request.content_type, request.query_params, body)

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        exchange: Exchange = request.scope["careledger.exchange"]
        inspection = inspect_document(
            request_data.query or "", request_data.operation_name, MAX_TOKENS
        )
        exchange.operation = inspection.operation or "unknown"
        if inspection.problem is not None:
            return ExecutionResult(data=None, errors=[inspection.problem])
        if inspection.operation == "subscription":
            raise RequestRefused(400, "SUBSCRIPTION_NEEDS_WEBSOCKET", SUBSCRIPTIONS_HERE)
        if request_adapter.method == "GET" and inspection.operation != "query":
            raise RequestRefused(
                405, "METHOD_NOT_ALLOWED", f"a {inspection.operation} needs POST", {"Allow": "POST"}
            )
        price, problem = document_problem(
            self.schema._schema,  # type: ignore[attr-defined]
            inspection.document,
            request_data.operation_name,
            request_data.variables,
        )
        if problem is not None:
            return ExecutionResult(data=None, errors=[problem])
        # only the expensive fields spend the caller's budget (no lock for ordinary reads)
        wait = self.costs.charge(_caller(context), price.expensive) if price.expensive else None
        if wait is not None:
            raise RequestRefused(
                429,
                "RATE_LIMITED",
                f"this caller has spent its query budget ({BUDGET_PER_MINUTE:,} a minute)",
                {"Retry-After": str(math.ceil(wait))},
            )
        return await super().execute_single(
            request, request_adapter, sub_response, context, root_value, request_data
        )

    async def process_result(
        self, request: Request | WebSocket, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        body = process_result(result)
        exchange: Exchange | None = request.scope.get("careledger.exchange")
        if exchange is None:
            return body
        started = result.data is not None or any(e.path is not None for e in result.errors or [])
        if not started:
            del body["data"]  # a request error: execution never began, so no `data` at all
        errors: list[Any] = body.get("errors") or []
        exchange.codes = [error["extensions"]["code"] for error in errors]
        exchange.outcome = _outcome(started, bool(errors), exchange.payloads)
        return body

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        exchange: Exchange | None = request.scope.get("careledger.exchange")
        sub_response.media_type = (exchange.media if exchange else None) or JSON
        return sub_response

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        assert isinstance(response_data, dict), "batches are refused while parsing"
        media = sub_response.media_type or JSON
        status = sub_response.status_code or status_for(media, response_data)
        if unavailable(response_data):
            # The database did not answer in time: a transport-level failure, to be retried.
            status = 503
            sub_response.headers["Retry-After"] = str(ServiceUnavailableError.retry_after_s)
        response = Response(
            self.encode_json(response_data),
            status_code=status,
            media_type=content_type_header(media),
        )
        response.headers.raw.extend(sub_response.headers.raw)
        response.background = sub_response.background
        return response

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket | None = None
    ) -> Context:
        principal: Principal | None = request.scope.get("careledger.principal")
        request_id = request.scope.get("careledger.request_id") or uuid4().hex[:16]
        return MeasuredContext(
            request=request,
            response=response,
            services=self.services,
            principal=principal,
            request_id=request_id,
            metrics=self.metrics,
        )

    async def on_ws_connect(self, context: Context) -> dict[str, object] | None:
        params = context.connection_params or {}
        header = params.get("authorization") or params.get("Authorization")
        try:
            context.principal = self.services.tokens.principal(
                header if isinstance(header, str) else None
            )
        except AuthenticationError as error:
            rejection: dict[str, object] = {"code": "UNAUTHENTICATED", "message": str(error)}
            raise ConnectionRejectionError(rejection) from None
        return {"role": context.principal.role.value}


def _outcome(started: bool, errors: bool, payloads: list[str]) -> str:
    """`invalid` before execution, `errors` with top-level errors; a mutation's by the member of
    its result union it answered (`ComplaintChanged`, `TransitionRefused`; `mixed` when its
    fields answered differently); `ok` for the rest."""
    if not started:
        return "invalid"
    if errors:
        return "errors"
    members = set(payloads)
    if not members:
        return "ok"
    return members.pop() if len(members) == 1 else "mixed"


def _caller(context: Context) -> str:
    principal = context.principal
    return "-" if principal is None else f"{principal.role.value}:{principal.subject}"


def _refusal(exchange: Exchange, refusal: RequestRefused) -> Response:
    exchange.outcome, exchange.codes = "bad_request", [refusal.code]
    media = exchange.media or JSON
    return JSONResponse(
        error_body(refusal.code, refusal.message),
        status_code=refusal.status,
        headers=refusal.headers,
        media_type=content_type_header(media),
    )


def _too_large() -> RequestRefused:
    return RequestRefused(413, "PAYLOAD_TOO_LARGE", f"the body exceeds {MAX_BODY_BYTES} bytes")


def _declared_length(headers: dict[str, str]) -> int:
    length = headers.get("content-length", "")
    return int(length) if length.isdigit() else 0


def _bounded(receive: Receive) -> Receive:
    """Stops reading a body (sent without a length, or lying about it) past the limit."""
    received = 0

    async def bounded_receive() -> Message:
        nonlocal received
        message = await receive()
        received += len(message.get("body", b""))
        if received > MAX_BODY_BYTES:
            raise _too_large()
        return message

    return bounded_receive
