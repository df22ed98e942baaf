"""Reads from a hot standby (`CARELEDGER_READ_DATABASE_URL`), the primary when it cannot serve.

The API's queries read the views through a `ReadRouting` store: each transaction goes to the
standby while it is reachable and no further behind the primary than `max_lag_s`, else to the
primary (or, with fallback off, fails with `DatabaseUnavailableError`). Writers (commands,
projections, policies) never see it: they open the primary's store.

One request reads from one place: within `pinned()` (the Gate opens one per HTTP request) the
first transaction's choice holds for the rest, so an `atPosition` wait and the read after it ask
the same server, and read-your-writes holds on the standby as on the primary: the views' rows
and their tracking positions replicate in the same transactions.

The lag is measured by a probe thread, every `probe_s`: the primary's WAL insert position
(`pg_current_wal_insert_lsn`: past every commit, asynchronous ones too, which the write position
may not yet be) is remembered with the time it was seen; the standby's lag is the age of the
oldest remembered position it has not yet replayed (`pg_last_wal_replay_lsn`), so an idle
primary shows no lag, and a standby that stopped replaying shows its lag growing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

import psycopg
from eventsourcing.persistence import EventStore, InterfaceError, OperationalError
from eventsourcing.postgres import PostgresAggregateRecorder, PostgresDatastore
from psycopg_pool import PoolTimeout

from application.app import CareLedger
from application.errors import DatabaseUnavailableError
from application.settings import Settings
from projections.engine.store import (
    PostgresViewStore,
    Tx,
    ViewStore,
    open_view_store,
    target_conninfo,
)

log = logging.getLogger(__name__)

PROBE_S = 0.5
REPLICA_WAIT_S = 0.5  # the longest a read waits for a standby's connection
HISTORY_WAIT_S = 0.1  # how long a history read waits for the standby to replay the primary
REPLAY_POLL_S = 0.005
PRIMARY, REPLICA = "primary", "replica"


@dataclass
class Pin:
    """The choice of one request, made by its first transaction."""

    target: str | None = None


_pin: ContextVar[Pin | None] = ContextVar("careledger_read_pin", default=None)


@contextmanager
def pinned() -> Iterator[Pin]:
    """Every read routed inside reads from the same server (the first one's choice)."""
    pin = Pin()
    token = _pin.set(pin)
    try:
        yield pin
    finally:
        _pin.reset(token)


@dataclass(frozen=True)
class ReplicaHealth:
    up: bool
    lag_s: float | None  # None while unreachable
    lag_bytes: int | None


def parse_lsn(text: str) -> int:
    high, low = text.split("/")
    return (int(high, 16) << 32) + int(low, 16)


class ReadRouting(ViewStore):
    """A read-only view store over a primary's store and a standby's."""

    def __init__(
        self,
        primary: PostgresViewStore,
        replica: PostgresViewStore,
        *,
        max_lag_s: float,
        fallback: bool = True,
        probe_s: float = PROBE_S,
    ) -> None:
        self.dialect = primary.dialect
        self.primary = primary
        self.progress = primary.progress  # moves are written on the primary only
        self.replica = replica
        self.max_lag_s = max_lag_s
        self.fallback = fallback
        self.probe_s = probe_s
        self.reads = {PRIMARY: 0, REPLICA: 0}
        self._health = ReplicaHealth(up=False, lag_s=None, lag_bytes=None)
        self._seen: deque[tuple[float, int]] = deque(maxlen=4096)  # (monotonic, primary LSN)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.probe()  # a first reading before the first request
        self._thread = threading.Thread(target=self._run, name="read-replica-probe", daemon=True)
        self._thread.start()

    # --- health ----------------------------------------------------------------------------

    @property
    def health(self) -> ReplicaHealth:
        return self._health

    def serving(self) -> bool:
        """Whether the standby may serve a read now."""
        health = self._health
        return health.up and health.lag_s is not None and health.lag_s <= self.max_lag_s

    def probe(self) -> ReplicaHealth:
        now = time.monotonic()
        try:
            with self.primary.transaction() as tx:
                current = tx.scalar("SELECT pg_current_wal_insert_lsn()::text")
            assert current is not None
            self._seen.append((now, parse_lsn(str(current))))
        except (psycopg.Error, PoolTimeout):
            pass  # the primary's own outage is the commands' concern; judge by what was seen
        try:
            with self.replica.transaction() as tx:
                replay = tx.scalar("SELECT pg_last_wal_replay_lsn()::text")
            assert replay is not None  # NULL: not a standby
            replayed = parse_lsn(str(replay))
        except (psycopg.Error, PoolTimeout, AssertionError):
            self._set(ReplicaHealth(up=False, lag_s=None, lag_bytes=None))
            return self._health
        behind = [(t, lsn) for t, lsn in self._seen if lsn > replayed]
        lag_s = now - behind[0][0] if behind else 0.0
        lag_bytes = max(0, behind[-1][1] - replayed) if behind else 0
        with self._lock:
            while self._seen and self._seen[0][1] <= replayed and len(self._seen) > 1:
                self._seen.popleft()
        self._set(ReplicaHealth(up=True, lag_s=lag_s, lag_bytes=lag_bytes))
        return self._health

    def _set(self, health: ReplicaHealth) -> None:
        if health.up != self._health.up:
            log.warning("read replica %s", "back" if health.up else "unreachable")
        self._health = health

    def _run(self) -> None:
        while not self._stop.wait(self.probe_s):
            try:
                self.probe()
            except Exception:  # the probe must outlive any one failure
                log.warning("read replica probe failed", exc_info=True)

    def primary_lsn(self) -> int | None:
        """The primary's WAL position now: every write acknowledged before lies at or below.
        The flush position: an event is acknowledged once its commit is flushed, while the
        insert position may lie past asynchronous commits the standby cannot have yet (the
        NOTIFY after each write, `application/recorders.py`; the views' own commits)."""
        try:
            with self.primary.transaction() as tx:
                return parse_lsn(str(tx.scalar("SELECT pg_current_wal_flush_lsn()::text")))
        except (psycopg.Error, PoolTimeout):
            return None

    def replayed(self, lsn: int, within_s: float) -> bool:
        """Whether the standby has replayed up to `lsn`, waiting up to `within_s` for it."""
        deadline = time.monotonic() + within_s
        while True:
            try:
                with self.replica.transaction() as tx:
                    at = tx.scalar("SELECT pg_last_wal_replay_lsn()::text")
            except (psycopg.Error, PoolTimeout):
                self._set(ReplicaHealth(up=False, lag_s=None, lag_bytes=None))
                return False
            if at is not None and parse_lsn(str(at)) >= lsn:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(REPLAY_POLL_S)

    # --- reads -----------------------------------------------------------------------------

    def _choose(self) -> str:
        if self.serving():
            return REPLICA
        if self.fallback:
            return PRIMARY
        raise DatabaseUnavailableError("the read replica is unreachable or too far behind")

    @contextmanager
    def transaction(self, *, durable: bool = True, snapshot: bool = False) -> Iterator[Tx]:
        pin = _pin.get()
        target = pin.target if pin is not None and pin.target is not None else self._choose()
        with ExitStack() as stack:
            if target == REPLICA:
                try:
                    tx = stack.enter_context(
                        self.replica.transaction(durable=durable, snapshot=snapshot)
                    )
                except (psycopg.OperationalError, PoolTimeout):
                    # Gone since the last probe: say so at once, and read from the primary.
                    self._set(ReplicaHealth(up=False, lag_s=None, lag_bytes=None))
                    if not self.fallback:  # the primary is never behind: switching to it is safe
                        raise DatabaseUnavailableError("the read replica is unreachable") from None
                    target = PRIMARY
            if target == PRIMARY:
                tx = stack.enter_context(
                    self.primary.transaction(durable=durable, snapshot=snapshot)
                )
            if pin is not None:
                pin.target = target
            self.reads[target] += 1
            yield tx

    def install_bookkeeping(self) -> None:
        """Nothing: the primary's store has done it, and the standby is read-only."""

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2 * self.probe_s + 5)
        self.replica.close()
        self.primary.close()


class EventSource(Protocol):
    """Where an entity's history is read: the event store, or one routed to a standby."""

    def get(
        self, originator_id: UUID, *, gt: int | None = None, limit: int | None = None
    ) -> Iterable[Any]: ...


class ReplicaHistory:
    """The entities' history (the event store, not a view) from the standby, read-your-writes
    as the views are: a read first asks the primary for its WAL position, which lies at or past
    every write acknowledged before the read began, and reads the standby once it has replayed
    that far (waiting up to HISTORY_WAIT_S); else, or while the standby does not serve, the
    primary. What the standby spares the primary is the read of the events themselves."""

    def __init__(
        self,
        primary: EventStore[Any],
        replica: EventStore[Any],
        routing: ReadRouting,
        datastore: PostgresDatastore,
    ) -> None:
        self.primary = primary
        self.replica = replica
        self.routing = routing
        self.datastore = datastore  # the standby's, closed with this
        self.reads = {PRIMARY: 0, REPLICA: 0}

    def close(self) -> None:
        self.datastore.close()

    def get(
        self, originator_id: UUID, *, gt: int | None = None, limit: int | None = None
    ) -> list[Any]:
        if self.routing.serving():
            lsn = self.routing.primary_lsn()
            if lsn is not None and self.routing.replayed(lsn, HISTORY_WAIT_S):
                try:
                    events = list(self.replica.get(originator_id, gt=gt, limit=limit))
                except (InterfaceError, OperationalError):
                    self.routing.probe()  # say at once that it went; the primary answers
                else:
                    self.reads[REPLICA] += 1
                    return events
        self.reads[PRIMARY] += 1
        return list(self.primary.get(originator_id, gt=gt, limit=limit))


def open_history(ledger: CareLedger, views: ViewStore, settings: Settings) -> EventSource:
    """The entities' history for the API: from the standby when the views read from one."""
    target = settings.read_postgres
    if target is None or not isinstance(views, ReadRouting):
        return ledger.events
    datastore = PostgresDatastore(
        target.dbname,
        target.host,
        target.port,
        target.user,
        target.password,
        connect_timeout=REPLICA_WAIT_S,
        pool_size=1,
        max_overflow=settings.db_pool_size,
        schema=settings.db_schema,
    )
    assert isinstance(ledger.recorder, PostgresAggregateRecorder)
    recorder = PostgresAggregateRecorder(
        datastore, events_table_name=ledger.recorder.events_table_name
    )
    return ReplicaHistory(ledger.events, EventStore(ledger.mapper, recorder), views, datastore)


def open_read_store(settings: Settings) -> ViewStore:
    """The store the API's queries read: routed to the standby when one is configured."""
    primary = open_view_store(settings)
    standby = settings.read_postgres
    if standby is None:
        return primary
    assert isinstance(primary, PostgresViewStore)
    replica = PostgresViewStore(
        target_conninfo(standby),
        settings.db_schema,
        max_size=settings.db_pool_size,
        # short: a standby that went away costs a read this long before the primary answers
        timeout_s=min(REPLICA_WAIT_S, settings.command_deadline_s / 4),
        prepared_statements=settings.db_prepared_statements,
        standby=True,
    )
    return ReadRouting(
        primary, replica, max_lag_s=settings.read_max_lag_s, fallback=settings.read_fallback
    )
