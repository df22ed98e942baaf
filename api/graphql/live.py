"""The live feed: one task per process watches the log's head and wakes every subscriber when
it moves; each subscriber then does its own reads. The task looks at the head when woken by an
insert (api/graphql/wakeups.py), at most every FEED_POLL_S, one max(id) query a look, only
while someone subscribes. A subscriber of a view is also told of that view's own moves, at once.

A subscriber's mailbox holds at most one tick: a slow subscriber gets the ticks it missed
merged into one, never a growing backlog.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from api.graphql.wakeups import FEED_POLL_S, Wakeups, wakeups
from api.services import Services
from application.app import CareLedger
from projections.engine.projection import Projection
from projections.engine.runner import TRANSIENT

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 2.0
DETAIL_LIMIT = 500


@dataclass(frozen=True)
class Tick:
    position: int  # the log's head now
    changed: frozenset[str] | None  # entities written since the last tick; None: too many to list
    # the last position of each event topic written since the last tick; None: too many to list
    topics: Mapping[str, int] | None = None

    def merged(self, later: Tick) -> Tick:
        position = max(self.position, later.position)  # a view's move may be behind the head
        if self.changed is None or later.changed is None:
            return Tick(position, None)
        if self.topics is None or later.topics is None:
            return Tick(position, self.changed | later.changed)
        topics = {**self.topics}
        for topic, at in later.topics.items():
            topics[topic] = max(at, topics.get(topic, at))
        return Tick(position, self.changed | later.changed, topics)

    @classmethod
    def of_view(cls, position: int, topics: Sequence[str]) -> Tick:
        """A view's move over events of its own, up to `position`: which of its topics is
        not said, so each counts as written there (a view of every topic waits for it)."""
        return cls(position, frozenset(), dict.fromkeys(topics, position) if topics else None)

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
    def __init__(self, ledger: CareLedger, wake: Wakeups) -> None:
        self.ledger = ledger
        self.wakeups = wake
        self._mailboxes: set[Mailbox] = set()
        self._task: asyncio.Task[None] | None = None
        self._starting = asyncio.Lock()
        self._stopped = False

    @asynccontextmanager
    async def subscription(self, view: type[Projection] | None = None) -> AsyncIterator[Mailbox]:
        """A mailbox that gets every tick after this point; read the state only once inside.
        Given the `view` the subscriber reads, it also gets a tick each time that view is
        heard to have moved over its own events, at once rather than at the feed's next look
        at the log (which stays, for what a lost wake-up would miss)."""
        await self._ensure_running()
        mailbox = Mailbox()
        self._mailboxes.add(mailbox)
        try:
            if view is None:
                yield mailbox
                return
            topics = view.topics()

            def moved(position: int) -> None:
                mailbox.post(Tick.of_view(position, topics))

            with self.wakeups.watching(view.name, moved):
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
        backoff, looked = 0.0, 0.0
        while not self._stopped:  # a cancellation lost on the way must not keep it running
            if backoff:
                await asyncio.sleep(backoff)
            else:
                await self.wakeups.log_grew()
                # At most one look every FEED_POLL_S, however fast the inserts come: a view's
                # subscribers are told of its moves directly (`subscription(view)`).
                await asyncio.sleep(max(0.0, looked + FEED_POLL_S - time.monotonic()))
            looked = time.monotonic()
            if not self._mailboxes:
                continue  # nobody listens: the next tick covers the gap
            try:
                now = await run_in_threadpool(self._head)
                tick = await run_in_threadpool(self._tick, head, now) if now > head else None
            except TRANSIENT as error:
                log.warning("live feed: database unavailable (%s); retrying", error)
                backoff = min(max(backoff * 2, FEED_POLL_S), MAX_BACKOFF_S)
                continue
            backoff = 0.0
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
    feed = LiveFeed(services.ledger, wakeups(services))
    services.started.append(feed)
    return feed


async def stop_live_feed(services: Services) -> None:
    for piece in services.started:
        if isinstance(piece, LiveFeed):
            await piece.stop()
