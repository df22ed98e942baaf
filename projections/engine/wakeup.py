"""How a follower learns that the log has grown: LISTEN/NOTIFY on PostgreSQL, a poll on SQLite."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import psycopg

from projections.engine.store import PostgresViewStore, ViewStore

log = logging.getLogger(__name__)

EVENTS_CHANNEL = "careledger_events"


def wakeup_for(recorder: Any, store: ViewStore, poll_s: float) -> ListenWakeup | PollWakeup:
    """What wakes a process that follows the log: the event store's NOTIFY channel when the
    views are on PostgreSQL, else a poll every `poll_s`."""
    if isinstance(store, PostgresViewStore):
        return ListenWakeup(
            store.listen_conninfo, getattr(recorder, "channel_name", EVENTS_CHANNEL)
        )
    return PollWakeup(poll_s)


def run_woken(
    stop: threading.Event,
    one_pass: Callable[[], int],
    sleep_after: Callable[[int], float],
    wakeup: ListenWakeup | PollWakeup,
    transient: tuple[type[BaseException], ...],
    name: str,
    max_sleep: float = 1.0,
) -> None:
    """The loop of a process that follows the log: a pass, then a wait of `sleep_after(what
    the pass did)` seconds, cut short when the log grows; a database failure (`transient`)
    waits `max_sleep` and tries again. Until `stop` is set; closes `wakeup` at the end."""
    try:
        while not stop.is_set():
            try:
                sleep = sleep_after(one_pass())  # both may read the database
            except transient:
                log.warning("%s: the database failed; retrying", name, exc_info=True)
                stop.wait(max_sleep)
                continue
            if sleep:
                wakeup.wait(stop, sleep)
    finally:
        wakeup.close()


class PollWakeup:
    def __init__(self, interval: float) -> None:
        self.interval = interval

    def wait(self, stop: threading.Event, timeout: float) -> None:
        stop.wait(min(timeout, self.interval))

    def close(self) -> None:
        """Nothing to release."""


class ListenWakeup:
    """Sleeps on the channel the event store NOTIFYs on every insert, reconnecting as needed.

    The LISTEN is in place before the follower's first read, so a commit that lands between a
    read and the wait still wakes it.
    """

    def __init__(self, conninfo: str, channel: str) -> None:
        self.conninfo = conninfo
        self.channel = channel
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None
        self._connect()

    def _connect(self) -> None:
        try:
            conn = psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5)
            conn.execute(f'LISTEN "{self.channel}"')
            self._conn = conn
        except psycopg.OperationalError:
            log.warning("cannot LISTEN on %s yet; polling until the database is back", self.channel)
            self._conn = None

    def wait(self, stop: threading.Event, timeout: float) -> None:
        if self._conn is None:
            stop.wait(min(timeout, 0.5))
            self._connect()
            return
        try:
            for _ in self._conn.notifies(timeout=timeout, stop_after=1):
                pass
        except (psycopg.OperationalError, psycopg.InterfaceError):
            log.warning("lost the LISTEN connection on %s; reconnecting", self.channel)
            self.close()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
