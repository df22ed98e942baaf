"""Feeds a projection from the event log in batches, exactly once, isolating poison events."""

from __future__ import annotations

import logging
import sqlite3
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from eventsourcing.persistence import InterfaceError as PersistenceInterfaceError
from eventsourcing.persistence import Notification
from eventsourcing.persistence import OperationalError as PersistenceOperationalError

from application.app import CareLedger
from application.errors import ServiceUnavailableError
from projections.engine import tracking
from projections.engine.projection import Envelope, Projection
from projections.engine.store import ViewStore
from projections.engine.tracking import DeadLetter, PositionMovedError

log = logging.getLogger(__name__)

ATTEMPTS = 3

# Failures of the database itself: never the event's fault, so never parked; the caller waits
# and tries the same batch again.
TRANSIENT: tuple[type[Exception], ...] = (
    psycopg.OperationalError,
    psycopg.InterfaceError,
    sqlite3.OperationalError,
    PersistenceOperationalError,
    PersistenceInterfaceError,
    ServiceUnavailableError,  # the same failures, past the deadline of a bounded call
)
NOT_THE_EVENTS_FAULT: tuple[type[Exception], ...] = (PositionMovedError, *TRANSIENT)


@dataclass(frozen=True)
class BatchResult:
    events: int
    position: int
    caught_up: bool = False


class Runner:
    """Runs one projection on one generation (by default whichever generation is active)."""

    def __init__(
        self,
        app: CareLedger,
        store: ViewStore,
        projection: Projection,
        *,
        batch_size: int = 1000,
        generation: int | None = None,
        defer_empty_s: float = 0.0,
        decode: Callable[[Notification], Any] | None = None,
    ) -> None:
        self.app = app
        self.decode = decode or app.mapper.to_domain_event  # a rebuild's may decode less
        self.store = store
        self.projection = projection
        self.batch_size = batch_size
        self.fixed_generation = generation
        self.topics = projection.topics()
        # (generation, position) as this runner's own last batch left them. Only runners move
        # a position, so it stays true until a batch fails or finds the position moved (by
        # another runner, or by a rebuild retiring the generation): then it is read again.
        self._known: tuple[int, int] | None = None
        # Events read past the recorded position that held nothing for this view, and since
        # when: recording that costs a write transaction per follower per commit, so a
        # follower records it at most every `defer_empty_s` (0: at once).
        self.defer_empty_s = defer_empty_s
        self._skipped: tuple[int, float] | None = None
        with store.transaction() as tx:
            tracking.install(tx, projection)

    def generation(self) -> int:
        if self.fixed_generation is not None:
            return self.fixed_generation
        with self.store.transaction() as tx:
            active = tracking.active_generation(tx, self.projection.name)
        assert active is not None
        return active

    def position(self, generation: int | None = None) -> int:
        generation = generation or self.generation()
        with self.store.transaction() as tx:
            return tracking.position(tx, self.projection.name, generation)

    def catch_up(self, until: int | None = None) -> int:
        """Processes batches until the position reaches `until` (default: the log's end now)."""
        target = self.app.recorder.max_notification_id() or 0 if until is None else until
        done = 0
        while True:
            result = self.run_batch(stop=target)
            done += result.events
            if result.position >= target:
                return done

    def where(self) -> tuple[int, int]:
        """The generation fed and its position: as the last batch left them, else read in one
        transaction (a follower's cycle is mostly round trips to the database)."""
        if self._known is None:
            with self.store.transaction() as tx:
                generation = self.fixed_generation
                if generation is None:
                    generation = tracking.active_generation(tx, self.projection.name)
                assert generation is not None
                self._known = generation, tracking.position(tx, self.projection.name, generation)
        return self._known

    def run_batch(self, stop: int | None = None) -> BatchResult:
        generation, start = self.where()
        stop = self.app.recorder.max_notification_id() or 0 if stop is None else stop
        scanned = max(start, self._skipped[0]) if self._skipped else start
        if scanned >= stop:
            if self._skipped and self._skipped_long_enough():
                return self.apply_batch(generation, start, scanned, [], scanned)
            return BatchResult(0, scanned, caught_up=True)
        batch, end = self.read_batch(scanned, stop)
        if not batch and self.defer_empty_s > 0 and not self._skipped_long_enough():
            self._skipped = end, self._skipped[1] if self._skipped else time.monotonic()
            return BatchResult(0, end, caught_up=end >= stop)
        return self.apply_batch(generation, start, end, batch, stop)

    @property
    def has_skipped(self) -> bool:
        """Whether events were read past the recorded position and not recorded yet."""
        return self._skipped is not None

    def _skipped_long_enough(self) -> bool:
        return self._skipped is not None and (
            time.monotonic() - self._skipped[1] >= self.defer_empty_s
        )

    def read_batch(self, start: int, stop: int) -> tuple[list[Envelope], int]:
        """The next batch after `start` (decoded if the projection decodes), and where it ends:
        at its last event, or at `stop` when the log holds nothing more of interest."""
        notes = self.app.recorder.select_notifications(
            start=start,
            limit=self.batch_size,
            stop=stop,
            topics=self.topics,
            inclusive_of_start=False,
        )
        end = notes[-1].id if len(notes) == self.batch_size else stop
        return [self._envelope(n) for n in notes], end

    def apply_batch(
        self, generation: int, start: int, end: int, batch: Sequence[Envelope], stop: int
    ) -> BatchResult:
        self._known = None  # until this batch has landed
        self._skipped = None  # the batch's range covers what was skipped, or is read again
        try:
            try:
                self._apply(generation, start, end, batch)
            except NOT_THE_EVENTS_FAULT:
                raise
            except Exception:
                # A batch that fails is retried one event at a time: only an event that keeps
                # failing is parked, and the projection carries on past it.
                log.warning(
                    "%s: batch after %s failed; retrying event by event",
                    self.projection.name,
                    start,
                    exc_info=True,
                )
                self._one_by_one(generation, start, end, batch)
        except PositionMovedError as moved:
            # Another process's runner got there first (a compare-and-set race, not a fault):
            # read where it left the view and carry on from there.
            log.info("%s: %s; continuing from there", self.projection.name, moved)
            return BatchResult(0, self.where()[1])
        self._known = generation, end
        return BatchResult(len(batch), end, caught_up=end >= stop)

    def _envelope(self, note: Notification) -> Envelope:
        event = self.decode(note) if self.projection.decodes else None
        return Envelope(note.id, note.topic, event, note)

    def _apply(self, generation: int, start: int, end: int, batch: Sequence[Envelope]) -> None:
        name = self.projection.name
        with self.store.transaction(durable=False) as tx:
            tracking.advance(tx, name, generation, start, end, held=bool(batch))
            self.projection.process(tx, tracking.prefix(name, generation), batch)

    def _one_by_one(self, generation: int, start: int, end: int, batch: Sequence[Envelope]) -> None:
        position = start
        for envelope in batch:
            self._apply_or_park(generation, position, envelope)
            position = envelope.position
        if position < end:
            self._apply(generation, position, end, [])

    def _apply_or_park(self, generation: int, start: int, envelope: Envelope) -> None:
        error = ""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                self._apply(generation, start, envelope.position, [envelope])
                return
            except NOT_THE_EVENTS_FAULT:
                raise
            except Exception:
                error = traceback.format_exc()
                time.sleep(0.01 * attempt)
        log.error(
            "%s: parked event %s after %s attempts",
            self.projection.name,
            envelope.position,
            ATTEMPTS,
        )
        letter = DeadLetter(
            envelope.position,
            envelope.topic,
            str(envelope.event.originator_id),
            envelope.event.originator_version,
            error,
            ATTEMPTS,
        )
        with self.store.transaction() as tx:
            tracking.advance(tx, self.projection.name, generation, start, envelope.position)
            tracking.park(tx, self.projection.name, generation, letter)
