"""Erasures in other processes, heard on PostgreSQL: every destruction of a key NOTIFYs, and
each process LISTENs on a connection of its own and evicts that key from its cache.

The cache is trusted only while the listening connection answers: a heartbeat every
`HEARTBEAT_S`, and a cache unheard from for `TRUST_S` is bypassed (each read goes to the
store) until the connection is back, when everything cached is evicted, since a notice may
have been missed meanwhile.

Closing wakes the listener with a NOTIFY of its own (`wake`, sent by whoever closes it) instead
of waiting out the heartbeat: every process, and every test, that closed a ledger on
PostgreSQL waited about 0.2 s here.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from uuid import uuid4

import psycopg

log = logging.getLogger(__name__)

CHANNEL = "careledger_keys"
HEARTBEAT_S = 0.25
TRUST_S = 1.0


class KeyEvictionListener:
    def __init__(
        self,
        conninfo: str,
        store: str,
        evict: Callable[[str | None], None],
        notify: Callable[[str, str], None],
    ) -> None:
        """`notify(channel, payload)`: sends a NOTIFY on another connection (the store's), to
        wake this listener when it closes."""
        self._conninfo = conninfo
        self._prefix = f"{store} "
        self._notify = notify
        self._wake = f"careledger.stop:{uuid4().hex}"  # no store's prefix: others ignore it
        self._evict = evict
        self._heard_at = float("-inf")
        self._stop = threading.Event()
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None
        self._connect()
        self._thread = threading.Thread(target=self._run, name=f"keys:{store}", daemon=True)
        self._thread.start()

    @property
    def trusted(self) -> bool:
        return time.monotonic() - self._heard_at < TRUST_S

    def _connect(self) -> None:
        try:
            conn = psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5)
            conn.execute(f'LISTEN "{CHANNEL}"')
        except psycopg.OperationalError:
            log.warning("cannot LISTEN for erasures yet; reading keys uncached meanwhile")
            return
        self._conn = conn
        # Whatever was destroyed while nobody listened is not in the cache any more.
        self._evict(None)
        self._heard_at = time.monotonic()

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._conn is None:
                self._stop.wait(HEARTBEAT_S)
                self._connect()
                continue
            try:
                self._listen_once(self._conn)
            except (psycopg.OperationalError, psycopg.InterfaceError):
                if self._stop.is_set():
                    return
                log.warning("lost the connection that hears erasures; reconnecting")
                self._drop()

    def _listen_once(self, conn: psycopg.Connection[tuple[object, ...]]) -> None:
        for notice in conn.notifies(timeout=HEARTBEAT_S):
            if notice.payload == self._wake:
                return
            if notice.payload.startswith(self._prefix):
                self._evict(notice.payload.removeprefix(self._prefix))
        conn.execute("SELECT 1")
        self._heard_at = time.monotonic()

    def _drop(self) -> None:
        self._heard_at = float("-inf")
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def close(self) -> None:
        self._stop.set()
        if self._conn is not None:
            try:
                self._notify(CHANNEL, self._wake)
            except Exception:  # the database is away: the heartbeat's timeout ends the wait
                log.debug("could not wake the erasure listener", exc_info=True)
        self._thread.join(timeout=2 * HEARTBEAT_S + 1)
        self._drop()
