"""Read-your-writes: a query given the position a mutation returned waits, bounded, until the
read models it reads have projected that far."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from graphql import GraphQLError

from api.graphql.context import Context
from api.graphql.wakeups import wakeups
from domain.errors import InvalidInputError
from projections.engine import tracking
from projections.engine.store import ViewStore

T = TypeVar("T")

NOT_INSTALLED = -1


def view_positions(store: ViewStore, view_names: Sequence[str]) -> dict[str, int]:
    """Each view's position in its active generation; -1 for a view not installed yet."""
    positions: dict[str, int] = {}
    with store.transaction() as tx:
        for name in view_names:
            generation = tracking.active_generation(tx, name)
            positions[name] = (
                NOT_INSTALLED if generation is None else tracking.position(tx, name, generation)
            )
    return positions


async def wait_for_position(
    context: Context, view_names: Sequence[str], position: int | None, timeout_s: float = 2.0
) -> None:
    """Returns once every named view has reached `position` (at once when it is None); raises a
    NOT_CAUGHT_UP error after `timeout_s`."""
    if position is None:
        return
    if position < 0:
        raise InvalidInputError("atPosition", "`atPosition` must not be negative")
    behind = await views_behind(context, view_names, position, timeout_s)
    if behind:
        raise not_caught_up(behind, position, timeout_s)


async def views_behind(
    context: Context, view_names: Sequence[str], position: int, timeout_s: float
) -> dict[str, int]:
    """Reads the views' positions until every view has reached `position` or the time is up,
    again each time a move of theirs is heard (api/graphql/wakeups.py); those still behind."""
    deadline = time.monotonic() + timeout_s
    wake = wakeups(context.services)
    with wake.waiter(view_names, position) as waiter:
        while True:
            reached = await context.call(view_positions, context.services.views, view_names)
            behind = {name: at for name, at in reached.items() if at < position}
            left = deadline - time.monotonic()
            if not behind or left <= 0:
                return behind
            await waiter.sleep(min(left, wake.period(waiter, behind)))


def not_caught_up(behind: dict[str, int], position: int, timeout_s: float) -> GraphQLError:
    where = ", ".join(f"{name} at {at}" for name, at in sorted(behind.items()))
    return GraphQLError(
        f"the read models have not reached position {position} within {timeout_s:g} s ({where});"
        " retry, or read without atPosition",
        extensions={"code": "NOT_CAUGHT_UP", "position": position},
    )


async def read_view(context: Context, read: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Runs a read-model query in the thread pool; a view not installed yet is a VIEW_NOT_READY
    error rather than a bug."""
    try:
        return await context.call(read, *args, **kwargs)
    except LookupError as error:
        if type(error) is not LookupError:  # KeyError, IndexError: a bug
            raise
        raise GraphQLError(str(error), extensions={"code": "VIEW_NOT_READY"}) from None


async def read_at(
    context: Context,
    view_names: Sequence[str],
    position: int | None,
    read: Callable[..., T],
    *args: Any,
    **kwargs: Any,
) -> T:
    """Waits for `position` in the views, then reads."""
    await wait_for_position(context, view_names, position)
    return await read_view(context, read, context.services.views, *args, **kwargs)
