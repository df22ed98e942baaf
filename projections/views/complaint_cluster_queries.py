"""What the cluster detector and the cluster queries read of the complaint_clusters view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from projections.engine.keyset import Page
from projections.engine.reading import active_prefix, epoch, from_epoch, page_size
from projections.engine.store import Row, ViewStore
from projections.views.complaint_clusters import ComplaintClustersProjection

VIEW = ComplaintClustersProjection.name
COLUMNS = (
    "rule, cluster_key, seq, detection_id, key_kind, category, trigger_kind, status,"
    " first_at, last_at, size, recorded, detected_at, incident_id, decided_by"
)


@dataclass(frozen=True)
class FormedCluster:
    rule: str
    key: str
    seq: int
    detection_id: UUID
    key_kind: str
    category: str
    trigger: str
    status: str  # proposed, accepted or dismissed
    first_at: datetime
    last_at: datetime
    size: int  # complaints in the cluster
    recorded: int  # of them, held by its ClusterDetection already
    detected_at: datetime | None  # when its ClusterDetection was recorded
    incident_id: UUID | None
    decided_by: str | None

    @property
    def sort_key(self) -> tuple[float, str]:
        assert self.detected_at is not None
        return (epoch(self.detected_at), str(self.detection_id))


@dataclass(frozen=True)
class Member:
    complaint_id: UUID
    order_id: UUID | None
    recorded: bool


def formed_cluster(row: Row) -> FormedCluster:
    (
        rule,
        key,
        seq,
        detection,
        kind,
        category,
        trigger,
        status,
        first_at,
        last_at,
        size,
        recorded,
        detected_at,
        incident,
        decided_by,
    ) = row
    return FormedCluster(
        rule=rule,
        key=key,
        seq=int(seq),
        detection_id=UUID(detection),
        key_kind=kind,
        category=category,
        trigger=trigger,
        status=status,
        first_at=from_epoch(float(first_at)),
        last_at=from_epoch(float(last_at)),
        size=int(size),
        recorded=int(recorded),
        detected_at=None if detected_at is None else from_epoch(float(detected_at)),
        incident_id=None if incident is None else UUID(incident),
        decided_by=decided_by,
    )


def unrecorded_clusters(store: ViewStore, limit: int = 100) -> list[FormedCluster]:
    """Clusters, not dismissed, with complaints their ClusterDetection does not hold yet
    (all of them for one not recorded at all), in the order they formed."""
    with store.transaction() as tx:
        prefix = active_prefix(tx, VIEW)
        rows = tx.all(
            f"SELECT {COLUMNS} FROM {prefix}clusters WHERE status <> 'dismissed'"
            " AND recorded < size ORDER BY first_at, rule, cluster_key, seq LIMIT ?",
            (page_size(limit),),
        )
    return [formed_cluster(row) for row in rows]


def cluster_members(store: ViewStore, cluster: FormedCluster) -> list[Member]:
    """The cluster's complaints, by filing time."""
    with store.transaction() as tx:
        prefix = active_prefix(tx, VIEW)
        rows = tx.all(
            f"SELECT complaint_id, order_id, recorded FROM {prefix}members"
            " WHERE rule = ? AND cluster_key = ? AND seq = ? ORDER BY filed_at, complaint_id",
            (cluster.rule, cluster.key, cluster.seq),
        )
    return [
        Member(UUID(complaint), None if order is None else UUID(order), bool(recorded))
        for complaint, order, recorded in rows
    ]


def restaurant_orders(
    store: ViewStore, restaurant: str, since: datetime, until: datetime, limit: int
) -> list[UUID]:
    """The restaurant's orders received from `since` to `until`, the earliest first."""
    with store.transaction() as tx:
        prefix = active_prefix(tx, VIEW)
        rows = tx.all(
            f"SELECT order_id FROM {prefix}orders WHERE restaurant = ? AND received_at >= ?"
            " AND received_at <= ? ORDER BY received_at, order_id LIMIT ?",
            (restaurant, epoch(since), epoch(until), limit),
        )
    return [UUID(order) for (order,) in rows]


def cluster_detections(
    store: ViewStore,
    *,
    status: str | None = None,
    after: tuple[float, str] | None = None,
    limit: int = 50,
) -> Page[FormedCluster]:
    """Recorded detections by (detected time, id), oldest first; `status` filters."""
    where: list[str] = ["detected_at IS NOT NULL"]
    params: list[object] = []
    if status is not None:
        where.append("status = ?")
        params.append(status)
    if after is not None:
        where.append("(detected_at > ? OR (detected_at = ? AND detection_id > ?))")
        params += [after[0], after[0], after[1]]
    with store.transaction() as tx:
        prefix = active_prefix(tx, VIEW)
        rows = tx.all(
            f"SELECT {COLUMNS} FROM {prefix}clusters WHERE {' AND '.join(where)}"
            " ORDER BY detected_at, detection_id LIMIT ?",
            [*params, page_size(limit) + 1],
        )
    page = [formed_cluster(row) for row in rows[:limit]]
    return Page(page, page[-1].sort_key if len(rows) > limit else None)
