"""The live feed: one task per process watches the log's head and wakes every subscriber when
it moves; each subscriber then does its own reads.

A subscriber's mailbox holds at most one tick: a slow subscriber gets the ticks it missed
merged into one, never a growing backlog.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from api.services import Services
from application.app import CareLedger
from projections.engine.runner import TRANSIENT

log = logging.getLogger(__name__)

POLL_S = 0.02  # one max(id) query a tick per process, only while someone subscribes
MAX_BACKOFF_S = 2.0
DETAIL_LIMIT = 500


@dataclass(frozen=True)
class Tick:
    position: int  # the log's head now
    changed: frozenset[str] | None  # entities written since the last tick; None: too many to list
    # the last position of each event topic written since the last tick; None: too many to list
    topics: Mapping[str, int] | None = None

    def merged(self, later: Tick) -> Tick:
        if self.changed is None or later.changed is None:
            return Tick(later.position, None)
        if self.topics is None or later.topics is None:
            return Tick(later.position, self.changed | later.changed)
        return Tick(later.position, self.changed | later.changed, {**self.topics, **later.topics})

    def last_of(self, topics: Iterable[str]) -> int | None:
        """Up to where a view reading `topics` must have got to show this tick: the last of its
        events in it (None: there is none, the view did not change), or the head when the tick
        does not list its topics."""
        if self.topics is None:
            return self.position
        return max((self.topics[t] for t in topics if t in self.topics), default=None)


class Mailbox:
    def __init__(self) -> None:
        self._queue: asyncio.Queue[Tick | None] = asyncio.Queue(maxsize=1)

    def post(self, tick: Tick) -> None:
        if self._queue.full():
            waiting = self._queue.get_nowait()
            if waiting is None:  # closed: stays closed
                self._queue.put_nowait(None)
                return
            tick = waiting.merged(tick)
        self._queue.put_nowait(tick)

    def close(self) -> None:
        if self._queue.full():
            self._queue.get_nowait()
        self._queue.put_nowait(None)

    async def next(self) -> Tick | None:
        """The next tick, or None once the feed has stopped."""
        return await self._queue.get()


class LiveFeed:
    def __init__(self, ledger: CareLedger, poll_s: float = POLL_S) -> None:
        self.ledger = ledger
        self.poll_s = poll_s
        self._mailboxes: set[Mailbox] = set()
        self._task: asyncio.Task[None] | None = None
        self._starting = asyncio.Lock()
        self._stopped = False

    @asynccontextmanager
    async def subscription(self) -> AsyncIterator[Mailbox]:
        """A mailbox that gets every tick after this point; read the state only once inside."""
        await self._ensure_running()
        mailbox = Mailbox()
        self._mailboxes.add(mailbox)
        try:
            yield mailbox
        finally:
            self._mailboxes.discard(mailbox)

    @property
    def subscribers(self) -> int:
        """How many subscriptions wait on the feed now."""
        return len(self._mailboxes)

    async def _ensure_running(self) -> None:
        async with self._starting:
            if self._stopped:
                raise RuntimeError("the service is shutting down")
            if self._task is None:
                head = await run_in_threadpool(self._head)
                self._task = asyncio.create_task(self._run(head), name="careledger-live-feed")
                self._task.add_done_callback(self._ended)

    def _head(self) -> int:
        return self.ledger.recorder.max_notification_id() or 0

    def _tick(self, after: int, head: int) -> Tick:
        notes = self.ledger.recorder.select_notifications(
            start=after, limit=DETAIL_LIMIT + 1, stop=head, inclusive_of_start=False
        )
        if len(notes) > DETAIL_LIMIT:
            return Tick(head, None)
        changed = frozenset(str(note.originator_id) for note in notes)
        return Tick(head, changed, {note.topic: note.id for note in notes})

    async def _run(self, head: int) -> None:
        backoff = self.poll_s
        while True:
            await asyncio.sleep(backoff)
            if not self._mailboxes:
                continue  # nobody listens: the next tick covers the gap
            try:
                now = await run_in_threadpool(self._head)
                tick = await run_in_threadpool(self._tick, head, now) if now > head else None
            except TRANSIENT as error:
                log.warning("live feed: database unavailable (%s); retrying", error)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
                continue
            backoff = self.poll_s
            if tick is not None:
                head = now
                for mailbox in list(self._mailboxes):
                    mailbox.post(tick)

    def _ended(self, task: asyncio.Task[None]) -> None:
        self._task = None
        if not task.cancelled() and task.exception() is not None:
            log.error("live feed stopped", exc_info=task.exception())
        for mailbox in list(self._mailboxes):
            mailbox.close()

    async def stop(self) -> None:
        self._stopped = True
        task = self._task
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        for mailbox in list(self._mailboxes):
            mailbox.close()


def live_feed(services: Services) -> LiveFeed:
    """This process's feed, made on first use and kept with the services until shutdown."""
    for piece in services.started:
        if isinstance(piece, LiveFeed):
            return piece
    feed = LiveFeed(services.ledger)
    services.started.append(feed)
    return feed


async def stop_live_feed(services: Services) -> None:
    for piece in services.started:
        if isinstance(piece, LiveFeed):
            await piece.stop()
