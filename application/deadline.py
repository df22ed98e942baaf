"""Every wait on the database ends by a deadline: a command, or a read, answers within it.

A command sets its deadline when it starts (`within`); a read outside any command gets one
from its own start. Calls that fail because the database is away are tried again until the
deadline, then answer `DatabaseUnavailableError`; a write that may have reached the database
answers `OutcomeUnknownError` instead (retry with the same command id).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import TypeVar

from eventsourcing.persistence import InterfaceError, OperationalError
from psycopg_pool import PoolTimeout

from application.errors import DatabaseUnavailableError, OutcomeUnknownError

T = TypeVar("T")

DEFAULT_DEADLINE_S = 5.0
RETRY_WAIT_S = 0.2
TRANSIENT = (InterfaceError, OperationalError)

_deadline: ContextVar[float | None] = ContextVar("careledger_deadline", default=None)


def within(seconds: float) -> AbstractContextManager[float]:
    """Sets the deadline `seconds` from now, unless an outer one is set already."""
    return until(time.monotonic() + seconds)


@contextmanager
def until(deadline: float) -> Iterator[float]:
    """Sets the deadline at `deadline` (monotonic), unless an outer one is set already: a
    request's deadline counts from its arrival, not from when a worker thread got to it."""
    outer = _deadline.get()
    if outer is not None:
        yield outer
        return
    token = _deadline.set(deadline)
    try:
        yield deadline
    finally:
        _deadline.reset(token)


def current(default_s: float) -> float:
    """The deadline in force, or one `default_s` from now."""
    deadline = _deadline.get()
    return time.monotonic() + default_s if deadline is None else deadline


def never_sent(error: BaseException) -> bool:
    """Whether the failure came before anything was sent: no connection could be had."""
    return isinstance(error, PoolTimeout) or isinstance(error.__cause__, PoolTimeout)


def bounded(call: Callable[[], T], deadline: float, *, writes: bool = False) -> T:
    """`call`, tried again while the database is away, until `deadline` (monotonic)."""
    maybe_sent = False
    while True:
        try:
            return call()
        except TRANSIENT as error:
            maybe_sent = maybe_sent or (writes and not never_sent(error))
            left = deadline - time.monotonic()
            if left <= 0:
                if maybe_sent:
                    raise OutcomeUnknownError() from error
                raise DatabaseUnavailableError(str(error)) from error
            if not never_sent(error):  # a wait for a connection has waited already
                time.sleep(min(left, RETRY_WAIT_S * (0.5 + random.random())))
