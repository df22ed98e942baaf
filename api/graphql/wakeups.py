"""What wakes the waits of one API process: read-your-writes (`atPosition`, a subscription
waiting for its view) when a view's position moves, and the live feed when the log grows.

On PostgreSQL one LISTEN per process, on a session of its own (the direct URL behind a pooler,
always the primary: a standby cannot LISTEN), hears the views' moves (NOTIFYed by the statement
that moves a position, projections/engine/progress.py) and the event store's inserts; in this
process the view store's `progress` tells the moves of the followers running here (the embedded
default). What is heard is only a hint to read again: each wait still reads the positions
itself, and reads again every FALLBACK_S when nothing is heard (a NOTIFY lost with its
connection, a projection process of an older version that announces nothing). While the LISTEN
is away, and with `CARELEDGER_LIVE_WAKE=poll`, the waits poll as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager

import psycopg
from psycopg import sql

from api.services import Services
from projections.engine.progress import Moved
from projections.engine.read_routing import ReadRouting
from projections.engine.store import PostgresViewStore, ViewStore
from projections.engine.wakeup import EVENTS_CHANNEL

log = logging.getLogger(__name__)

POLL_S = 0.01  # a waiter's reads while nothing would wake it (or it heard the move elsewhere)
FEED_POLL_S = 0.02  # the live feed's look at the log's head, likewise
FALLBACK_S = 0.1  # the reads of a wait that a wake-up should end: the safety net
MAX_BACKOFF_S = 2.0
STOP_WAIT_S = 5.0
APPLICATION_NAME = "careledger-live-wakeups"  # how the LISTEN session shows in pg_stat_activity


class Waiter:
    """One wait for `views` to reach `position`: set when a move to it or past it is heard."""

    def __init__(self, views: Sequence[str], position: int) -> None:
        self.views = frozenset(views)
        self.position = position
        self.heard: set[str] = set()
        self._woken = asyncio.Event()

    @property
    def woken(self) -> bool:
        """Whether woken since the last sleep."""
        return self._woken.is_set()

    def wake(self, view: str | None = None) -> None:
        if view is not None:
            self.heard.add(view)
        self._woken.set()

    async def sleep(self, timeout: float) -> None:
        """Until woken (at once if woken since the last sleep) or `timeout` s have passed."""
        await until_set(self._woken, timeout)
        self._woken.clear()


async def until_set(event: asyncio.Event, timeout: float) -> None:
    """Until `event` is set or `timeout` s have passed. Not `asyncio.wait_for`: on Python 3.11
    it swallows a cancellation that comes as the event is set (CPython gh-86296, fixed in
    3.12), and the live feed's loop then ran on through the shutdown that cancelled it."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            await event.wait()


class Wakeups:
    def __init__(self, views: ViewStore, events_channel: str, *, listen: bool) -> None:
        self.views = views
        self.events_channel = events_channel
        self.enabled = listen
        self._waiting: dict[str, set[Waiter]] = {}
        self._watching: dict[str, set[Callable[[int], None]]] = {}
        self._log_grew = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._listening = False
        self._tasks: list[asyncio.Task[None]] = []
        self._unlisten = views.progress.listen(self._moved_elsewhere) if listen else None
        primary = views.primary if isinstance(views, ReadRouting) else views
        if listen and isinstance(primary, PostgresViewStore):
            channels = (primary.channel, events_channel)
            task = asyncio.create_task(self._listen(primary.listen_conninfo, channels))
            self._tasks.append(task)
        elif listen:
            self._listening = True  # the followers are in this process: their moves are told

    @property
    def listening(self) -> bool:
        """Whether a move or an insert now wakes what waits for it."""
        return self._listening

    @contextmanager
    def waiter(self, views: Sequence[str], position: int) -> Iterator[Waiter]:
        """A wait registered from now on: read the positions inside, so no move is missed."""
        waiter = Waiter(views, position)
        for view in waiter.views:
            self._waiting.setdefault(view, set()).add(waiter)
        try:
            yield waiter
        finally:
            for view in waiter.views:
                waiting = self._waiting.get(view)
                if waiting is not None:
                    waiting.discard(waiter)
                    if not waiting:
                        del self._waiting[view]

    @contextmanager
    def watching(self, view: str, changed: Callable[[int], None]) -> Iterator[None]:
        """Inside, `changed(position)` is called (on the event loop) each time `view` is heard
        to have moved over events of its own, up to `position`."""
        self._watching.setdefault(view, set()).add(changed)
        try:
            yield
        finally:
            watching = self._watching.get(view)
            if watching is not None:
                watching.discard(changed)
                if not watching:
                    del self._watching[view]

    def period(self, waiter: Waiter, behind: Iterable[str]) -> float:
        """How long `waiter` may sleep before reading again, its `behind` views not there yet:
        briefly when nothing would wake it, or when it heard that they moved far enough (the
        standby it reads replays them later, or a rebuild's other generation moved)."""
        if not self._listening or waiter.heard.issuperset(behind):
            return POLL_S
        return FALLBACK_S

    async def log_grew(self) -> None:
        """Returns once the log may have grown since the last return: at a wake-up, or after a
        poll's time (the safety net while listening)."""
        await until_set(self._log_grew, FALLBACK_S if self._listening else FEED_POLL_S)
        self._log_grew.clear()

    def moved(self, moves: Iterable[Moved]) -> None:
        """Wakes the waiters that these moves may satisfy (on the event loop)."""
        for move in moves:
            for waiter in list(self._waiting.get(move.view, ())):
                if move.position >= waiter.position:
                    waiter.wake(move.view)
            if move.held:
                for changed in list(self._watching.get(move.view, ())):
                    changed(move.position)

    def _moved_elsewhere(self, moves: list[Moved]) -> None:
        """Told on the thread that committed the moves: a follower in this process."""
        with contextlib.suppress(RuntimeError):  # the loop has closed: nothing waits any more
            self._loop.call_soon_threadsafe(self._moved_here, moves)

    def _moved_here(self, moves: list[Moved]) -> None:
        self.moved(moves)
        self._log_grew.set()  # a view moved: the log has grown (or a stretch was recorded)

    def _wake_all(self) -> None:
        for waiting in list(self._waiting.values()):
            for waiter in list(waiting):
                waiter.wake()
        self._log_grew.set()

    def _heard(self, channel: str, payload: str) -> None:
        if channel == self.events_channel:
            self._log_grew.set()
            return
        move = Moved.parse(payload)
        if move is not None:
            self.moved([move])

    async def _listen(self, conninfo: str, channels: Sequence[str]) -> None:
        backoff = 0.1
        while True:
            try:
                async for heard in _notifies(conninfo, channels):
                    if heard is None:  # listening from now on: read again what moved before
                        self._listening, backoff = True, 0.1
                        self._wake_all()
                    else:
                        self._heard(*heard)
            except psycopg.Error as error:  # the server went, or refuses LISTEN (a standby)
                log.warning("live wake-ups: LISTEN failed (%s); polling meanwhile", error)
            self._listening = False
            self._wake_all()  # back to polling, from a read now
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)

    async def stop(self) -> None:
        if self._unlisten is not None:
            self._unlisten()
        for task in self._tasks:
            task.cancel()
        # Bounded: a cancellation that never reaches a task stuck in the driver (psycopg's
        # notifies() on a connection that went silent) must not hold the shutdown.
        if self._tasks:
            _, stuck = await asyncio.wait(self._tasks, timeout=STOP_WAIT_S)
            if stuck:
                log.warning("live wake-ups: %d task(s) still running at shutdown", len(stuck))
        self._listening = False
        self._wake_all()


async def _notifies(
    conninfo: str, channels: Sequence[str]
) -> AsyncIterator[tuple[str, str] | None]:
    """None once the LISTEN is in place, then each NOTIFY heard (its channel and payload),
    until the connection fails."""
    async with await psycopg.AsyncConnection.connect(
        conninfo, autocommit=True, connect_timeout=5, application_name=APPLICATION_NAME
    ) as conn:
        for channel in channels:
            await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
        yield None
        async for notify in conn.notifies():
            yield notify.channel, notify.payload


def wakeups(services: Services) -> Wakeups:
    """This process's wake-ups, made on first use (on the event loop) and kept until shutdown."""
    for piece in services.started:
        if isinstance(piece, Wakeups):
            return piece
    channel = getattr(services.ledger.recorder, "channel_name", EVENTS_CHANNEL)
    found = Wakeups(services.views, channel, listen=services.settings.live_wake == "notify")
    services.started.append(found)
    return found


async def stop_wakeups(services: Services) -> None:
    for piece in services.started:
        if isinstance(piece, Wakeups):
            await piece.stop()
