"""The privacy audit of a period, from the `personal_data_reads` view: reads by role and by
actor, the glass broken, the exports, the erasures, and the actors whose volume stands out.

An actor's volume is the number of distinct customers whose data opened for them in the
period. It is unusual when it exceeds both `UNUSUAL_MIN` and `UNUSUAL_FACTOR` times the median
volume of the other actors of the same role (so one busy desk does not make every other look idle,
and a quiet week flags nobody for a handful of reads)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from statistics import median

from projections.engine.reading import active_prefix, epoch, from_epoch
from projections.engine.store import Row, ViewStore
from projections.views.personal_data_reads import (
    ERASURES,
    GLASS,
    GlassRecord,
    PersonalDataReadsProjection,
)

UNUSUAL_MIN = 20
UNUSUAL_FACTOR = 3.0
EXPORT = "customerExport"


@dataclass(frozen=True)
class RoleReads:
    role: str
    reads: int  # entities opened (a record's rows)
    customers: int
    actors: int


@dataclass(frozen=True)
class ActorReads:
    actor_id: str
    role: str
    reads: int
    customers: int
    unusual: bool


@dataclass(frozen=True)
class GlassUse:
    actor_id: str
    role: str
    customer_id: str
    reason_code: str
    broken_at: datetime
    until: datetime


@dataclass(frozen=True)
class Export:
    actor_id: str
    customer_id: str
    at: datetime
    correlation_id: str


@dataclass(frozen=True)
class Erasure:
    actor_id: str
    customer_id: str
    at: datetime


@dataclass(frozen=True)
class PrivacyAudit:
    start: datetime
    end: datetime
    by_role: list[RoleReads]
    by_actor: list[ActorReads]
    glass: list[GlassUse]
    exports: list[Export]
    erasures: list[Erasure]

    @property
    def unusual(self) -> list[ActorReads]:
        return [a for a in self.by_actor if a.unusual]


def privacy_audit(store: ViewStore, start: datetime, end: datetime) -> PrivacyAudit:
    """What the view holds for [start, end)."""
    window = (epoch(start), epoch(end))
    with store.transaction() as tx:
        p = active_prefix(tx, PersonalDataReadsProjection.name)
        actors = tx.all(
            f"SELECT actor_id, actor_role, COUNT(*), COUNT(DISTINCT customer_id) FROM {p}reads"
            " WHERE read_at >= ? AND read_at < ? GROUP BY actor_id, actor_role"
            " ORDER BY actor_role, actor_id",
            window,
        )
        roles = tx.all(
            f"SELECT actor_role, COUNT(*), COUNT(DISTINCT customer_id), COUNT(DISTINCT actor_id)"
            f" FROM {p}reads WHERE read_at >= ? AND read_at < ? GROUP BY actor_role"
            " ORDER BY actor_role",
            window,
        )
        exports = tx.all(
            f"SELECT DISTINCT position, actor_id, customer_id, read_at, correlation_id"
            f" FROM {p}reads WHERE read_at >= ? AND read_at < ? AND operation LIKE ?"
            " ORDER BY position",
            (*window, f"%{EXPORT}%"),
        )
        glass = GLASS.records(
            tx.all(
                f"SELECT {GLASS.select_list} FROM {p}glass WHERE broken_at >= ? AND broken_at < ?"
                " ORDER BY position",
                window,
            )
        )
        erasures = ERASURES.records(
            tx.all(
                f"SELECT {ERASURES.select_list} FROM {p}erasures"
                " WHERE erased_at >= ? AND erased_at < ? ORDER BY position",
                window,
            )
        )
    return PrivacyAudit(
        start=start,
        end=end,
        by_role=[RoleReads(r, int(n), int(c), int(a)) for r, n, c, a in roles],
        by_actor=_flagged(actors),
        glass=[
            GlassUse(g.actor_id, g.actor_role, g.customer_id, g.reason_code, *_times(g))
            for g in glass
        ],
        exports=[Export(a, c, from_epoch(t), k) for _, a, c, t, k in exports],
        erasures=[Erasure(e.actor_id, e.customer_id, from_epoch(e.erased_at)) for e in erasures],
    )


def _times(glass: GlassRecord) -> tuple[datetime, datetime]:
    return from_epoch(glass.broken_at), from_epoch(glass.until)


def _flagged(rows: list[Row]) -> list[ActorReads]:
    """Each actor's volume, flagged against the median of the others of their role (none:
    against `UNUSUAL_MIN` alone)."""
    volumes: dict[str, list[tuple[str, int]]] = {}
    for actor, role, _, customers in rows:
        volumes.setdefault(role, []).append((actor, int(customers)))
    flagged = []
    for actor, role, reads, customers in rows:
        others = [n for who, n in volumes[role] if who != actor]
        usual = median(others) * UNUSUAL_FACTOR if others else 0
        unusual = int(customers) > max(UNUSUAL_MIN, usual)
        flagged.append(ActorReads(actor, role, int(reads), int(customers), unusual))
    return flagged
