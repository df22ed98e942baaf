"""graphql-transport-ws connections that last no longer than the token they were opened with.

When the bearer token given in `connection_init` expires, every operation of the connection is
cancelled (each subscription runs its cleanup) and the socket is closed with 4403 Forbidden:
the code the protocol closes a refused `connection_init` with, and one after which graphql-ws
clients reconnect (asking their `connectionParams` for a fresh token). 4401 would not do: the
protocol keeps it for a `subscribe` sent before the acknowledgement, and clients give up on it.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from graphql import GraphQLError, GraphQLSchema
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    SubscribeMessage,
)

from api.auth import AuthenticationError
from api.graphql.context import Context
from api.graphql.cost import document_problem
from api.graphql.schema import MAX_TOKENS
from api.http import inspect_document

TOKEN_EXPIRED = 4403
TOKEN_EXPIRED_REASON = "Forbidden: the bearer token expired"
REFUSED = 4403
MAX_CLOSE_REASON_BYTES = 123  # what a WebSocket close frame can carry


class TokenBoundConnection(BaseGraphQLTransportWSHandler[Context, None]):
    _deadline: asyncio.Timeout | None = None

    async def handle(self) -> None:
        # The deadline (set once the token is known) cancels the message loop; the loop's own
        # cleanup then ends every operation before the socket is closed.
        self._deadline = deadline = asyncio.timeout(None)
        try:
            async with deadline:
                await super().handle()
        except TimeoutError:
            if not deadline.expired():
                raise
            await self.websocket.close(TOKEN_EXPIRED, TOKEN_EXPIRED_REASON)

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        refusal = self._token_refusal(message)
        if refusal is not None:
            # strawberry closes a rejected init with a bare "Forbidden": say why, as HTTP does
            reason = f"Forbidden: {refusal}".encode()[:MAX_CLOSE_REASON_BYTES]
            await self.websocket.close(REFUSED, reason.decode(errors="ignore"))
            return
        await super().handle_connection_init(message)
        principal = self.context.principal
        if not self.connection_acknowledged or principal is None or self._deadline is None:
            return
        if principal.expires_at is not None:
            left = principal.expires_at - time.time()
            self._deadline.reschedule(asyncio.get_running_loop().time() + left)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        # The checks HTTP makes before anything runs (syntax, size, variables), answered with
        # the protocol's `error` message and a code rather than a silent `complete`.
        if self.connection_acknowledged and message["id"] not in self.operations:
            problem = _problem(self.schema._schema, message.get("payload"))  # type: ignore[attr-defined]
            if problem is not None:
                error = {"id": message["id"], "type": "error", "payload": [problem.formatted]}
                await self.send_message(error)  # type: ignore[arg-type]
                return
        await super().handle_subscribe(message)

    def _token_refusal(self, message: ConnectionInitMessage) -> str | None:
        payload = message.get("payload")
        if self.connection_init_received or not isinstance(payload, dict):
            return None  # strawberry closes these with its own codes
        header = payload.get("authorization") or payload.get("Authorization")
        try:
            self.view.services.tokens.principal(header if isinstance(header, str) else None)  # type: ignore[attr-defined]
        except AuthenticationError as error:
            return str(error)
        return None


def _problem(schema: GraphQLSchema, payload: Any) -> GraphQLError | None:
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return GraphQLError(
            "the payload needs a `query` string", extensions={"code": "BAD_REQUEST"}
        )
    name = payload.get("operationName")
    inspection = inspect_document(
        payload["query"], name if isinstance(name, str) else None, MAX_TOKENS
    )
    if inspection.problem is not None:
        return inspection.problem
    variables = payload.get("variables")
    if variables is not None and not isinstance(variables, dict):
        return GraphQLError("`variables` must be an object", extensions={"code": "BAD_REQUEST"})
    name = name if isinstance(name, str) else None
    return document_problem(schema, inspection.document, name, variables)[1]
