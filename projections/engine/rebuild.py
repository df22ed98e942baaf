"""Rebuilds a projection from the first event into a fresh generation, then swaps it in.

The live generation keeps serving reads (and its follower keeps it current) until the new one
has caught up; the swap is one update of the active generation, after which followers move on
to the new generation from its own position.
"""

from __future__ import annotations

import gc
import queue
import threading
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass

from application.app import CareLedger
from projections.engine import reader_process, tracking
from projections.engine.partial import PartialDecoder
from projections.engine.projection import Envelope, Projection
from projections.engine.reader_process import Page, Source
from projections.engine.runner import Runner
from projections.engine.store import ViewStore


@dataclass(frozen=True)
class Progress:
    position: int
    head: int
    events: int
    elapsed_s: float

    @property
    def rate(self) -> float:
        return self.events / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def fraction(self) -> float:
        return min(1.0, self.position / self.head) if self.head else 1.0

    @property
    def eta_s(self) -> float | None:
        if self.rate <= 0:
            return None
        return (
            max(0.0, (self.head - self.position) / self.head * self.elapsed_s / self.fraction)
            if self.fraction > 0
            else None
        )


@dataclass(frozen=True)
class RebuildReport:
    name: str
    old_generation: int
    new_generation: int
    events: int
    elapsed_s: float
    decoded_whole: int = 0  # events decoded whole although the view names what it reads

    @property
    def rate(self) -> float:
        return self.events / self.elapsed_s if self.elapsed_s > 0 else 0.0


def prepare(store: ViewStore, projection: Projection) -> tuple[int, int]:
    """Retires generations left by an interrupted rebuild and starts a fresh one."""
    with store.transaction() as tx:
        active = tracking.install(tx, projection)
        rows = tx.all(
            "SELECT generation FROM projection_tracking WHERE projection = ?", (projection.name,)
        )
        for (generation,) in rows:
            if int(generation) != active:
                tracking.retire(tx, projection, int(generation))
        new = max([active, *(int(g) for (g,) in rows)]) + 1
        tracking.start_generation(tx, projection, new)
    return active, new


def swap(store: ViewStore, projection: Projection, old: int, new: int) -> None:
    with store.transaction() as tx:
        moved = tx.execute(
            "UPDATE projection_generations SET active = ? WHERE projection = ? AND active = ?",
            (new, projection.name, old),
        )
        if moved != 1:
            raise RuntimeError(f"{projection.name}: active generation changed during the rebuild")
    with store.transaction() as tx:
        tracking.retire(tx, projection, old)


def prefetched(
    runner: Runner, start: int, stop: int, depth: int = 2
) -> Generator[Page, None, None]:
    """The pages from `start` to `stop`, read and decoded up to `depth` ahead on a thread of
    its own, so the database's answers to reads and writes overlap instead of queueing."""
    pages: queue.Queue[tuple[int, list[Envelope], int] | BaseException | None] = queue.Queue(depth)

    def read() -> None:
        position = start
        try:
            while position < stop:
                batch, end = runner.read_batch(position, stop)
                pages.put((position, batch, end))
                position = end
            pages.put(None)
        except BaseException as error:  # handed to the consumer, which raises it
            pages.put(error)

    reader = threading.Thread(target=read, daemon=True, name="rebuild-reader")
    reader.start()
    while (page := pages.get()) is not None:
        if isinstance(page, BaseException):
            raise page
        yield page
    reader.join()


def grouped(
    pages: Iterator[tuple[int, list[Envelope], int]], events: int
) -> Iterator[tuple[int, list[Envelope], int]]:
    """Consecutive pages joined until they hold at least `events` events: one transaction
    each. Every statement a batch costs (reading the rows it changes, writing them, moving the
    position) is then paid once per many pages, and a row changed on several pages is
    written once."""
    first: int | None = None
    joined: list[Envelope] = []
    for start, batch, end in pages:
        first = start if first is None else first
        joined += batch
        if len(joined) >= events:
            yield first, joined, end
            first, joined = None, []
    if first is not None:
        yield first, joined, end


@contextmanager
def collector_paused() -> Iterator[None]:
    """Automatic cyclic garbage collection off, for the caller to collect at its own pace.

    A rebuild holds tens of thousands of decoded events at a time. The collector, run every
    700 allocations, walks them again and again: it took more than half of a rebuild's time
    (measured on 86k events). Events hold no reference cycles, so reference counting frees
    them, and the few cycles made meanwhile wait for the collector to be back on.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def rebuild(
    app: CareLedger,
    store: ViewStore,
    projection: Projection,
    *,
    batch_size: int = 20_000,
    page_size: int = 1000,
    on_progress: Callable[[Progress], None] | None = None,
    partial: bool = True,
    reader_process_from: int | None = None,
) -> RebuildReport:
    """Builds `projection` afresh in transactions of about `batch_size` events, read from the
    log `page_size` at a time; decoding only the fields the view reads, if it names them and
    `partial` allows. A range of at least `reader_process_from` positions (None: none) is then
    read and decoded by a process of its own: on a machine whose cores PostgreSQL and the
    service already keep busy that costs more CPU than it takes off this process (see
    docs/benchmarks.md), so it is asked for, not the default."""
    old, new = prepare(store, projection)
    decoder = decoder_for(app, projection) if partial else None
    decode = decoder.decode if decoder is not None else None
    runner = Runner(app, store, projection, batch_size=page_size, generation=new, decode=decode)
    source = None
    if decoder is not None and reader_process_from is not None:
        env = app.settings.eventsourcing_env()
        source = Source(env, projection.topics(), projection.reads, page_size)
    feed = Feed(runner, decoder, source, reader_process_from or 0)
    started = time.perf_counter()
    with collector_paused():
        done = _catch_up(feed, batch_size, started, on_progress)
    swap(store, projection, old, new)
    elapsed = time.perf_counter() - started
    wholes = decoder.wholes if decoder is not None else 0
    return RebuildReport(projection.name, old, new, done, elapsed, wholes)


def decoder_for(app: CareLedger, projection: Projection) -> PartialDecoder | None:
    """What decodes the events of a rebuild of `projection`: only the fields it names as
    those it reads, or (None) whole events with the application's mapper."""
    return PartialDecoder(app.mapper, projection.reads) if projection.reads else None


READER_PROCESS_FROM = 50_000  # positions: below, starting a process costs more than it saves


@dataclass(frozen=True)
class Feed:
    """Where a rebuild's pages come from: the runner's reader thread, or a reading process
    (`source`) for ranges of at least `process_from` positions."""

    runner: Runner
    decoder: PartialDecoder | None
    source: Source | None
    process_from: int

    def pages(self, after: int, stop: int, depth: int) -> Generator[Page, None, None]:
        if self.decoder is None or self.source is None or stop - after < self.process_from:
            return prefetched(self.runner, after, stop, depth)
        return reader_process.pages(self.decoder, self.source, after, stop, depth)


def _catch_up(
    feed: Feed,
    batch_size: int,
    started: float,
    on_progress: Callable[[Progress], None] | None,
) -> int:
    """Feeds the runner's own generation up to the log's head, then again until no event came
    meanwhile; returns the events applied."""
    runner = feed.runner
    log, generation = runner.app.recorder, runner.fixed_generation
    assert generation is not None
    depth = max(2, 2 * batch_size // runner.batch_size)  # the reader keeps going during a write
    done = 0
    while True:
        head = log.max_notification_id() or 0
        with closing(feed.pages(runner.position(generation), head, depth)) as pages:
            for start, batch, end in grouped(pages, batch_size):
                result = runner.apply_batch(generation, start, end, batch, head)
                done += result.events
                if on_progress is not None:
                    elapsed = time.perf_counter() - started
                    on_progress(Progress(result.position, head, done, elapsed))
        if runner.position(generation) >= (log.max_notification_id() or 0):
            return done
