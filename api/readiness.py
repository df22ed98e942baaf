"""`/readyz`: whether this process can serve now, answered within a second.

Not ready while the database does not answer, or while a view has not followed the log for
`STALL_S` (its follower, here or in `careledger project run`, is stuck or gone).
"""

from __future__ import annotations

import asyncio
import time

from starlette.concurrency import run_in_threadpool

from application.app import CareLedger
from application.deadline import within
from application.errors import ServiceUnavailableError
from projections.engine.store import ViewStore

ANSWER_WITHIN_S = 0.5
STALL_S = 30.0

POSITIONS = (
    "SELECT t.projection, t.position, t.updated_at FROM projection_tracking t"
    " JOIN projection_generations g ON g.projection = t.projection AND g.active = t.generation"
)


def not_ready_because(ledger: CareLedger, views: ViewStore, now: float) -> str | None:
    """Why this process is not ready, or None when it is."""
    with within(ANSWER_WITHIN_S):
        head = ledger.recorder.max_notification_id() or 0
    with views.transaction() as tx:
        rows = tx.all(POSITIONS)
    for name, position, updated_at in rows:
        if int(position) < head and now - float(updated_at or 0) > STALL_S:
            behind = head - int(position)
            return f"view {name} is {behind} events behind and has not moved for {STALL_S:.0f}s"
    return None


async def readiness(ledger: CareLedger, views: ViewStore) -> str | None:
    try:
        return await asyncio.wait_for(
            run_in_threadpool(not_ready_because, ledger, views, time.time()), ANSWER_WITHIN_S
        )
    except TimeoutError:
        return f"the database did not answer within {ANSWER_WITHIN_S}s"
    except ServiceUnavailableError:
        return "the database is unavailable"
