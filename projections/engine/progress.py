"""Who hears that a view's position moved: in this process, the store's `Progress` (called once
the transaction that moved it has committed); in others, a NOTIFY on the schema's views channel,
sent by the same statement that moves the position, so it is delivered at that commit or never.

A listener treats what it hears as a hint to read the position again, never as the position
itself: a NOTIFY may be lost (the LISTEN connection drops), and a standby replays the move
later than the primary announces it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import NamedTuple

log = logging.getLogger(__name__)

CHANNEL_PREFIX = "careledger_views_"
MAX_CHANNEL_BYTES = 63  # PostgreSQL's NAMEDATALEN - 1: pg_notify refuses a longer channel


class Moved(NamedTuple):
    """A view's generation reached `position`; `held`: over events of the view (its rows may
    have changed), not only over a stretch of others' events."""

    view: str
    generation: int
    position: int
    held: bool = True

    def payload(self) -> str:
        return f"{self.position} {self.generation} {int(self.held)} {self.view}"

    @classmethod
    def parse(cls, payload: str) -> Moved | None:
        """The move a NOTIFY carried; None for a payload not written by `payload`."""
        position, generation, held, view = [*payload.split(" ", 3), "", "", ""][:4]
        if not (position.isdigit() and generation.isdigit() and held in ("0", "1") and view):
            return None
        return cls(view, int(generation), int(position), held == "1")


def views_channel(schema: str) -> str:
    """The channel the views of `schema` announce their moves on, cut to what PostgreSQL takes
    (at a character boundary, so that LISTEN and pg_notify name the same channel)."""
    name = CHANNEL_PREFIX + schema
    while len(name.encode()) > MAX_CHANNEL_BYTES:
        name = name[:-1]
    return name


Listener = Callable[[list[Moved]], None]


class Progress:
    """The moves committed through one view store in this process, told to every listener on
    the committing thread (a listener must be quick and must not raise)."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Tells `listener` every later move; returns what stops it."""
        with self._lock:
            self._listeners = [*self._listeners, listener]

        def stop() -> None:
            with self._lock:
                self._listeners = [known for known in self._listeners if known is not listener]

        return stop

    def committed(self, moves: Iterable[Moved]) -> None:
        batch = list(moves)
        if not batch:
            return
        for listener in self._listeners:  # a snapshot: listen() replaces the list
            try:
                listener(batch)
            except Exception:  # a listener's fault must not fail the commit that told it
                log.exception("a progress listener failed")
