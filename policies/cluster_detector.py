"""The cluster detector: records each complaint cluster the complaint_clusters view forms as a
ClusterDetection proposing an incident, and each complaint that joins it later as its growth.

The view decides what a cluster is, from the log alone; the detector only records it. Command
ids derive from the cluster's detection id (and, for growth, its size), so a detector restarted
anywhere repeats nothing: a repeat is answered from its receipt. The orders linked are the
restaurant's orders from the rule's exposure before the first complaint to the last one (for a
region or a courier company, the complaints' own orders), at most LINK_MAX.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from application.app import CareLedger
from application.errors import IdempotencyKeyReusedError
from application.handling import Outcome
from domain.cluster import ClusterUnchangedError
from domain.clusters import CLUSTER_RULES, ClusterRule, KeyKind
from domain.errors import TransitionRefusedError
from domain.incident_types import LINK_MAX
from domain.meta import Meta
from policies.system import Issued, system_meta
from projections.engine.runner import Runner
from projections.engine.store import ViewStore
from projections.views.complaint_cluster_queries import (
    FormedCluster,
    Member,
    cluster_members,
    restaurant_orders,
    unrecorded_clusters,
)
from projections.views.complaint_clusters import ComplaintClustersProjection

log = logging.getLogger(__name__)

ACTOR = "cluster-detector"
# dismissed meanwhile (no more growth), or this growth recorded already under another size
EXPECTED = (TransitionRefusedError, ClusterUnchangedError, IdempotencyKeyReusedError)


class ClusterDetector:
    def __init__(
        self,
        app: CareLedger,
        store: ViewStore,
        *,
        rules: tuple[ClusterRule, ...] = CLUSTER_RULES,
        page: int = 100,
    ) -> None:
        self.app = app
        self.store = store
        self.rules = {rule.name: rule for rule in rules}
        self.page = page
        self.runner = Runner(app, store, ComplaintClustersProjection(rules))
        self.issued = Issued()

    def detect(self, now: datetime) -> int:
        """Records every cluster formed or grown since; the commands issued."""
        self.runner.catch_up()
        return sum(self._record(c, now) for c in unrecorded_clusters(self.store, self.page))

    def next_wake(self) -> datetime | None:
        """Nothing here falls due with time: clusters form as complaints are classified."""
        return None

    def _record(self, cluster: FormedCluster, now: datetime) -> int:
        rule = self.rules.get(cluster.rule)
        if rule is None:
            return 0  # a rule since retired
        members = cluster_members(self.store, cluster)
        orders = self._orders(rule, cluster, members)
        complaints = [m.complaint_id for m in members]
        if cluster.recorded == 0:
            return self._issue(
                f"detect:{cluster.detection_id}",
                now,
                lambda meta: self.app.detect_cluster(
                    meta,
                    detection_id=cluster.detection_id,
                    rule=rule.name,
                    category=str(rule.category),
                    key_kind=str(rule.key_kind),
                    key=cluster.key,
                    trigger=cluster.trigger,
                    complaint_ids=complaints,
                    order_ids=orders,
                    first_at=cluster.first_at,
                    last_at=cluster.last_at,
                    incident_type=str(rule.incident_type),
                    severity=str(rule.severity),
                ),
            )
        joined = [m.complaint_id for m in members if not m.recorded]
        return self._issue(
            f"grow:{cluster.detection_id}:{cluster.size}",
            now,
            lambda meta: self.app.grow_cluster(
                meta, cluster.detection_id, joined, orders, cluster.last_at
            ),
        )

    def _orders(
        self, rule: ClusterRule, cluster: FormedCluster, members: list[Member]
    ) -> list[UUID]:
        own = [m.order_id for m in members if m.order_id is not None]
        if rule.key_kind is not KeyKind.RESTAURANT:
            return list(dict.fromkeys(own))[:LINK_MAX]
        since = cluster.first_at - rule.exposure
        exposed = restaurant_orders(self.store, cluster.key, since, cluster.last_at, LINK_MAX)
        return list(dict.fromkeys([*own, *exposed]))[:LINK_MAX]

    def _issue(self, key: str, now: datetime, command: Callable[[Meta], Outcome]) -> int:
        command_id = f"{ACTOR}:{key}"
        if command_id in self.issued:
            return 0
        try:
            outcome = command(system_meta(ACTOR, command_id, now, "complaint_cluster"))
        except EXPECTED as refused:
            log.info("%s: %s refused: %s", ACTOR, command_id, refused)
            outcome = None
        self.issued.add(command_id)
        return 0 if outcome is None or outcome.replayed else 1
