"""What the delivery process takes from the `notices` view: the events still wanting their
notices requested, the notifications due, when it next has something to do, each limited to
the process's share of the work when several share it (docs/architecture.md#notices)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.values import Sealed
from projections.engine.reading import active_prefix, epoch, from_epoch
from projections.engine.store import ViewStore
from projections.views.notice_rows import QUEUE_COLUMNS
from projections.views.notices import (
    NoticesProjection,
    QueuedNotice,
    checked_limit,
    moment,
    queued_notice,
)

HEX_DIGITS = "0123456789abcdef"


@dataclass(frozen=True)
class Share:
    """The part of the work one of several delivery processes takes: rows whose key (an event's
    aggregate id, a notification's id: UUIDs, so their first hex digit is uniform) falls in its
    `index` of `count`, and any other row once it has waited `takeover_s` past its time, so
    that a stopped or slow process's part is done by the others. `count` 1 is all of it."""

    index: int = 0
    count: int = 1
    takeover_s: float = 30.0

    def __post_init__(self) -> None:
        if not 1 <= self.count <= len(HEX_DIGITS) or not 0 <= self.index < self.count:
            raise ValueError(f"share {self.index}/{self.count}: from 0/1 to 15/16")

    @property
    def whole(self) -> bool:
        return self.count == 1

    def digits(self) -> tuple[str, ...]:
        return tuple(d for n, d in enumerate(HEX_DIGITS) if n % self.count == self.index)

    def mine(self, key: str) -> tuple[str, tuple[object, ...]]:
        """The SQL condition that the row's `key` column is this share's, and its parameters."""
        if self.whole:
            return "1 = 1", ()
        digits = self.digits()
        return f"substr({key}, 1, 1) IN ({', '.join('?' for _ in digits)})", digits

    def takes(self, key: str, since: str, now: datetime | None) -> tuple[str, tuple[object, ...]]:
        """The SQL condition that this share takes the row at `now`: its own, or another part's
        whose `since` time (epoch) lies `takeover_s` back."""
        if self.whole:
            return "1 = 1", ()
        assert now is not None, "a share takes over by the time"
        mine, digits = self.mine(key)
        return f"({mine} OR {since} <= ?)", (*digits, epoch(now) - self.takeover_s)

    def owns(self, key: str) -> bool:
        return self.whole or key[:1] in self.digits()


WHOLE = Share()


@dataclass(frozen=True)
class Wanted:
    """An event that calls for notices, as the view keeps it."""

    trigger_key: str
    position: int
    trigger: str
    source_id: UUID
    actor_id: str
    occurred_at: datetime
    fields: dict[str, Any]

    def sealed(self, name: str) -> Sealed | None:
        value = self.fields.get(name)
        if isinstance(value, dict) and "sealed" in value:
            subject, token = value["sealed"]
            return Sealed(subject=subject, token=token)
        return None


def wanted_notices(
    store: ViewStore, limit: int = 200, share: Share = WHOLE, now: datetime | None = None
) -> list[Wanted]:
    """The events still waiting for their notices to be requested, in log order: of `share`'s
    part, and any other that occurred `share.takeover_s` before `now` and still waits."""
    taken, params = share.takes("trigger_key", "occurred_at", now)
    with store.transaction() as tx:
        prefix = active_prefix(tx, NoticesProjection.name)
        rows = tx.all(
            f"SELECT trigger_key, position, trigger, source_id, actor_id, occurred_at, fields"
            f" FROM {prefix}wanted WHERE {taken} ORDER BY position LIMIT ?",
            (*params, checked_limit(limit)),
        )
    return [
        Wanted(
            trigger_key=str(key),
            position=int(pos),
            trigger=str(trig),
            source_id=UUID(str(src)),
            actor_id=str(actor),
            occurred_at=from_epoch(float(at)),
            fields=json.loads(fields),
        )
        for key, pos, trig, src, actor, at, fields in rows
    ]


def forget_wanted(store: ViewStore, trigger_keys: Sequence[str]) -> None:
    """Their notices were requested (the requests are idempotent: repeating one is harmless)."""
    with store.transaction() as tx:
        prefix = active_prefix(tx, NoticesProjection.name)
        tx.executemany(
            f"DELETE FROM {prefix}wanted WHERE trigger_key = ?", [(key,) for key in trigger_keys]
        )


def due_notifications(
    store: ViewStore, now: datetime, limit: int = 200, share: Share = WHOLE
) -> list[QueuedNotice]:
    """Notifications to attempt (or to take over) at `now`, the longest due first: of
    `share`'s part, and any other due `share.takeover_s` ago."""
    taken, params = share.takes("notification_id", "due_at", now)
    with store.transaction() as tx:
        prefix = active_prefix(tx, NoticesProjection.name)
        rows = tx.all(
            f"SELECT {QUEUE_COLUMNS} FROM {prefix}queue WHERE due_at <= ? AND {taken}"
            " ORDER BY due_at, notification_id LIMIT ?",
            (epoch(now), *params, checked_limit(limit)),
        )
    return [queued_notice(row) for row in rows]


def next_due(store: ViewStore, share: Share = WHOLE) -> datetime | None:
    """When `share` next has something to do: at once while an event of its part waits, else
    the earliest of its part's next attempts and the other parts' times plus the takeover."""
    wanted_mine, digits = share.mine("trigger_key")
    queue_mine, _ = share.mine("notification_id")
    with store.transaction() as tx:
        prefix = active_prefix(tx, NoticesProjection.name)
        (mine,) = tx.one(f"SELECT COUNT(*) FROM {prefix}wanted WHERE {wanted_mine}", digits) or (0,)
        if mine:
            return from_epoch(0)
        (due,) = tx.one(f"SELECT MIN(due_at) FROM {prefix}queue WHERE {queue_mine}", digits) or (
            None,
        )
        times = [] if due is None else [float(due)]
        if not share.whole:
            (others,) = tx.one(f"SELECT MIN(occurred_at) FROM {prefix}wanted") or (None,)
            (theirs,) = tx.one(
                f"SELECT MIN(due_at) FROM {prefix}queue WHERE NOT ({queue_mine})", digits
            ) or (None,)
            times += [float(t) + share.takeover_s for t in (others, theirs) if t is not None]
    return moment(min(times)) if times else None
