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

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage

from api.graphql.context import Context

TOKEN_EXPIRED = 4403
TOKEN_EXPIRED_REASON = "Forbidden: the bearer token expired"


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
        await super().handle_connection_init(message)
        principal = self.context.principal
        if not self.connection_acknowledged or principal is None or self._deadline is None:
            return
        if principal.expires_at is not None:
            left = principal.expires_at - time.time()
            self._deadline.reschedule(asyncio.get_running_loop().time() + left)
