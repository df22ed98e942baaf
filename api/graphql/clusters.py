"""Complaint clusters over GraphQL: each detection with the incident it proposes, and the list
of detections (docs/architecture.md#complaint-clusters)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import strawberry

import api.graphql.enums  # noqa: F401  (gives the domain enums their GraphQL names)
from api.graphql.context import Info, parse_id
from api.graphql.dashboards import AtPosition
from api.graphql.entity import Changed, Entity
from api.graphql.lists import After, First
from api.graphql.paging import DEFAULT_PAGE, Connection, keyset_connection
from api.graphql.problems import Problems
from domain.cluster import ClusterDetection, ClusterStatus
from domain.clusters import KeyKind, Trigger
from domain.complaint_types import Category
from domain.incident_types import IncidentType
from domain.incident_types import Severity as IncidentSeverity
from projections.views.complaint_cluster_queries import FormedCluster, cluster_detections
from projections.views.complaint_clusters import ComplaintClustersProjection

DETECTIONS = "cluster-detections"


@strawberry.type(name="ClusterDetection", description="A complaint cluster and its proposal")
class ClusterDetectionView:
    detection_id: str
    version: int
    rule: str = strawberry.field(description="The cluster rule that detected it")
    category: Category
    key_kind: KeyKind
    key: str = strawberry.field(description="The restaurant, region or courier company")
    trigger: Trigger
    status: ClusterStatus
    complaint_ids: list[str] = strawberry.field(description="The complaints that formed it")
    order_ids: list[str] = strawberry.field(description="The orders likely touched")
    first_at: datetime = strawberry.field(description="When its first complaint was filed")
    last_at: datetime = strawberry.field(description="When its last complaint was filed")
    detected_at: datetime
    incident_type: IncidentType = strawberry.field(description="The incident it proposes")
    severity: IncidentSeverity
    title: str
    incident_id: str | None = strawberry.field(description="The incident accepting it opened")
    decided_by: str | None
    decided_at: datetime | None
    dismissal_reason: str | None

    @classmethod
    def of(cls, d: ClusterDetection) -> ClusterDetectionView:
        return cls(
            detection_id=str(d.id),
            version=d.version,
            rule=d.rule,
            category=Category(d.category),
            key_kind=KeyKind(d.key_kind),
            key=d.key,
            trigger=Trigger(d.trigger),
            status=ClusterStatus(d.status),
            complaint_ids=[str(c) for c in d.complaint_ids],
            order_ids=[str(o) for o in d.order_ids],
            first_at=d.first_at,
            last_at=d.last_at,
            detected_at=d.detected_at,
            incident_type=IncidentType(d.incident_type),
            severity=IncidentSeverity(d.severity),
            title=d.title,
            incident_id=None if d.incident_id is None else str(d.incident_id),
            decided_by=d.decided_by,
            decided_at=d.decided_at,
            dismissal_reason=d.dismissal_reason,
        )


DETECTION = Entity("detection", ClusterDetection, ClusterDetectionView, read="clusterDetection")
ClusterResult = Annotated[
    Changed[ClusterDetectionView] | Problems, strawberry.union("ClusterResult")
]
changed, load_detection = DETECTION.changed, DETECTION.load


@strawberry.type(description="A recorded complaint cluster, as the cluster view keeps it")
class ListedClusterDetection:
    detection_id: str
    rule: str
    category: Category
    key_kind: KeyKind
    key: str
    trigger: Trigger
    status: ClusterStatus
    size: int = strawberry.field(description="Complaints in the cluster")
    first_at: datetime
    last_at: datetime
    detected_at: datetime
    incident_id: str | None
    decided_by: str | None

    @strawberry.field(description="The detection itself")
    async def detection(self, info: Info) -> ClusterDetectionView:
        return await load_detection(info, UUID(self.detection_id))

    @classmethod
    def of(cls, c: FormedCluster) -> ListedClusterDetection:
        assert c.detected_at is not None
        return cls(
            detection_id=str(c.detection_id),
            rule=c.rule,
            category=Category(c.category),
            key_kind=KeyKind(c.key_kind),
            key=c.key,
            trigger=Trigger(c.trigger),
            status=ClusterStatus(c.status.title()),
            size=c.size,
            first_at=c.first_at,
            last_at=c.last_at,
            detected_at=c.detected_at,
            incident_id=None if c.incident_id is None else str(c.incident_id),
            decided_by=c.decided_by,
        )


@strawberry.type
class ClusterQueries:
    @strawberry.field(description="A complaint cluster's detection and the incident it proposes")
    async def cluster_detection(self, info: Info, id: strawberry.ID) -> ClusterDetectionView:
        return await load_detection(info, parse_id("id", id))

    @strawberry.field(description="Every recorded complaint cluster, the earliest detected first")
    async def cluster_detections(
        self,
        info: Info,
        status: ClusterStatus | None = None,
        first: First = DEFAULT_PAGE,
        after: After = None,
        at_position: AtPosition = None,
    ) -> Connection[ListedClusterDetection]:
        info.context.authorize("clusterDetections")
        return await keyset_connection(
            info.context,
            DETECTIONS,
            (float, str),
            first,
            after,
            at_position,
            ComplaintClustersProjection.name,
            cluster_detections,
            ListedClusterDetection.of,
            status=None if status is None else status.value.lower(),
        )
