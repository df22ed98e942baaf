"""The GraphQL endpoint: authentication, the per-request context, WebSocket admission."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from api.auth import AuthenticationError, Principal, principal_from_header
from api.context import Context
from api.services import Services

MAX_SUBSCRIPTIONS_PER_CONNECTION = 20


class CareLedgerGraphQL(GraphQL[Context, None]):
    def __init__(self, schema: Any, services: Services) -> None:
        production = services.settings.is_production
        super().__init__(
            schema,
            graphql_ide=None if production else "graphiql",
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=10),
        )
        self.services = services

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket | None = None
    ) -> Context:
        principal: Principal | None = request.scope.get("careledger.principal")
        request_id = request.scope.get("careledger.request_id") or uuid4().hex[:16]
        return Context(
            request=request,
            response=response,
            services=self.services,
            principal=principal,
            request_id=request_id,
        )

    async def on_ws_connect(self, context: Context) -> dict[str, object] | None:
        params = context.connection_params or {}
        header = params.get("authorization") or params.get("Authorization")
        try:
            context.principal = principal_from_header(
                self.services.settings, header if isinstance(header, str) else None
            )
        except AuthenticationError as error:
            rejection: dict[str, object] = {"code": "UNAUTHENTICATED", "message": str(error)}
            raise ConnectionRejectionError(rejection) from None
        return {"role": context.principal.role.value}
