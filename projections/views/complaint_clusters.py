"""Complaint clusters: the classified complaints of each cluster rule by key, and the clusters
they form (domain/clusters.py), for the cluster detector and the cluster queries.

Every order's restaurant, region and courier company is kept from its own events, so a
complaint classified into a watched category becomes a member of each rule's key its order
has. A new member joins the key's open cluster when it was filed within the rule's window of
it; otherwise, if it and the key's loose members (in no cluster) reach the rule's trigger
within one window, they form the key's next cluster. A dismissed cluster is closed: it takes
no more complaints and its own never count again. Everything here follows from the log alone,
in its order, so the detector, restarted anywhere, sees the same clusters with the same ids;
`recorded` counts how many of a cluster's complaints its ClusterDetection holds already.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from domain.cluster import detection_id
from domain.clusters import CLUSTER_RULES, ClusterRule, Trigger, rules_for
from domain.meta import is_imported
from projections.engine.projection import Envelope, Projection
from projections.engine.reading import epoch, rows_by_ids
from projections.engine.store import Tx

ORDER_COLUMNS = ("order_id", "restaurant", "region", "provider", "received_at")
STATUS = {
    "ClusterAccepted": "accepted",
    "ClusterDismissed": "dismissed",
}


@dataclass(slots=True)
class OrderKeys:
    restaurant: str
    region: str
    provider: str | None
    received_at: float

    def key(self, kind: str) -> str | None:
        return {"restaurant": self.restaurant, "region": self.region}.get(kind, self.provider)


class ComplaintClustersProjection(Projection):
    name = "complaint_clusters"
    events = (
        "OrderReceived",
        "CourierAssigned",
        "ComplaintReceived",
        "ComplaintLinked",
        "ComplaintClassified",
        "ComplaintReclassified",
        "ComplaintMerged",
        "ClusterDetected",
        "ClusterGrew",
        "ClusterAccepted",
        "ClusterDismissed",
    )

    def __init__(self, rules: tuple[ClusterRule, ...] = CLUSTER_RULES) -> None:
        self.rules = rules

    def tables(self) -> tuple[str, ...]:
        return ("orders", "filed", "members", "clusters")

    def create_tables(self, tx: Tx, prefix: str) -> None:
        tx.execute(
            f"CREATE TABLE {prefix}orders (order_id TEXT PRIMARY KEY, restaurant TEXT NOT NULL,"
            " region TEXT NOT NULL, provider TEXT, received_at DOUBLE PRECISION NOT NULL)"
        )
        tx.execute(
            f"CREATE INDEX {prefix}orders_restaurant ON {prefix}orders (restaurant, received_at)"
        )
        tx.execute(
            f"CREATE TABLE {prefix}filed (complaint_id TEXT PRIMARY KEY, order_id TEXT,"
            " filed_at DOUBLE PRECISION NOT NULL, category TEXT)"
        )
        tx.execute(
            f"CREATE TABLE {prefix}members (rule TEXT NOT NULL, cluster_key TEXT NOT NULL,"
            " complaint_id TEXT NOT NULL, order_id TEXT, filed_at DOUBLE PRECISION NOT NULL,"
            " seq INTEGER, recorded INTEGER NOT NULL,"
            " PRIMARY KEY (rule, cluster_key, complaint_id))"
        )
        tx.execute(
            f"CREATE INDEX {prefix}members_filed ON {prefix}members (rule, cluster_key, filed_at)"
        )
        tx.execute(f"CREATE INDEX {prefix}members_complaint ON {prefix}members (complaint_id)")
        tx.execute(
            f"CREATE TABLE {prefix}clusters (rule TEXT NOT NULL, cluster_key TEXT NOT NULL,"
            " seq INTEGER NOT NULL, detection_id TEXT NOT NULL UNIQUE, key_kind TEXT NOT NULL,"
            " category TEXT NOT NULL, trigger_kind TEXT NOT NULL, status TEXT NOT NULL,"
            " first_at DOUBLE PRECISION NOT NULL, last_at DOUBLE PRECISION NOT NULL,"
            " size INTEGER NOT NULL, recorded INTEGER NOT NULL, detected_at DOUBLE PRECISION,"
            " incident_id TEXT, decided_by TEXT, PRIMARY KEY (rule, cluster_key, seq))"
        )
        tx.execute(f"CREATE INDEX {prefix}clusters_pending ON {prefix}clusters (status, recorded)")
        tx.execute(
            f"CREATE INDEX {prefix}clusters_detected"
            f" ON {prefix}clusters (detected_at, detection_id)"
        )

    def process(self, tx: Tx, prefix: str, batch: Sequence[Envelope]) -> None:
        orders = Orders(tx, prefix)
        orders.preload(str(e.event.originator_id) for e in batch if e.name == "CourierAssigned")
        for envelope in batch:
            name, event = envelope.name, envelope.event
            if name in ("OrderReceived", "CourierAssigned"):
                orders.apply(name, event)
            elif name.startswith("Cluster"):
                _detection(tx, prefix, name, event)
            elif not is_imported(event.meta):  # history forms no cluster today
                Complaints(tx, prefix, orders, self.rules).apply(name, event)
        orders.write()


class Orders:
    """The batch's orders in memory (read through to the table), written once at its end."""

    def __init__(self, tx: Tx, prefix: str) -> None:
        self.tx, self.prefix = tx, prefix
        self.known: dict[str, OrderKeys | None] = {}
        self.changed: set[str] = set()

    def apply(self, name: str, event: Any) -> None:
        order_id = str(event.originator_id)
        if name == "OrderReceived":
            at = epoch(event.meta.occurred_at)
            self.known[order_id] = OrderKeys(str(event.restaurant), str(event.region), None, at)
        elif (order := self.get(order_id)) is not None:
            order.provider = str(event.provider)
        self.changed.add(order_id)

    def preload(self, order_ids: Iterable[str]) -> None:
        """Reads the given orders in a few queries instead of one each."""
        wanted = set(order_ids) - set(self.known)
        table = f"{self.prefix}orders"
        for oid in wanted:
            self.known[oid] = None
        for oid, restaurant, region, provider, at in rows_by_ids(
            self.tx, table, ORDER_COLUMNS, "order_id", wanted
        ):
            self.known[oid] = OrderKeys(restaurant, region, provider, float(at))

    def get(self, order_id: str) -> OrderKeys | None:
        if order_id not in self.known:
            self.preload([order_id])
        return self.known[order_id]

    def write(self) -> None:
        rows = [
            (oid, o.restaurant, o.region, o.provider, o.received_at)
            for oid in sorted(self.changed)
            if (o := self.known.get(oid)) is not None
        ]
        self.tx.merge(
            f"{self.prefix}orders",
            ORDER_COLUMNS,
            ORDER_COLUMNS[:1],
            rows,
            "provider = excluded.provider",
        )


class Complaints:
    """One complaint event: its filing, its order, and its memberships of clusters."""

    def __init__(self, tx: Tx, prefix: str, orders: Orders, rules: tuple[ClusterRule, ...]) -> None:
        self.tx, self.prefix, self.orders, self.rules = tx, prefix, orders, rules

    def apply(self, name: str, event: Any) -> None:
        complaint_id = str(event.originator_id)
        if name == "ComplaintReceived":
            order = None if event.order_id is None else str(event.order_id)
            self.tx.execute(
                f"INSERT INTO {self.prefix}filed (complaint_id, order_id, filed_at)"
                " VALUES (?, ?, ?) ON CONFLICT (complaint_id) DO NOTHING",
                (complaint_id, order, epoch(event.meta.occurred_at)),
            )
        elif name == "ComplaintLinked" and event.order_id is not None:
            self._linked(complaint_id, str(event.order_id))
        elif name == "ComplaintMerged":
            self._drop_loose(complaint_id, keep=())
        elif name in ("ComplaintClassified", "ComplaintReclassified"):
            self._classified(complaint_id, str(event.category))

    def _linked(self, complaint_id: str, order_id: str) -> None:
        """A complaint filed without an order and linked to one later: keyed from then on, as
        if classified now (its filing time still counts)."""
        linked = self.tx.execute(
            f"UPDATE {self.prefix}filed SET order_id = ?"
            " WHERE complaint_id = ? AND order_id IS NULL",
            (order_id, complaint_id),
        )
        row = self.tx.one(
            f"SELECT category FROM {self.prefix}filed WHERE complaint_id = ?", (complaint_id,)
        )
        (category,) = row if row is not None else (None,)
        if linked and category is not None:
            self._classified(complaint_id, category)

    def _drop_loose(self, complaint_id: str, keep: Sequence[str]) -> None:
        """Forgets the complaint's memberships in no cluster yet, but of the rules `keep`."""
        marks = ", ".join("?" for _ in keep) or "''"
        self.tx.execute(
            f"DELETE FROM {self.prefix}members WHERE complaint_id = ? AND seq IS NULL"
            f" AND rule NOT IN ({marks})",
            (complaint_id, *keep),
        )

    def _classified(self, complaint_id: str, category: str) -> None:
        self.tx.execute(
            f"UPDATE {self.prefix}filed SET category = ? WHERE complaint_id = ?",
            (category, complaint_id),
        )
        rules = rules_for(category, self.rules)
        self._drop_loose(complaint_id, [rule.name for rule in rules])
        filed = self.tx.one(
            f"SELECT order_id, filed_at FROM {self.prefix}filed WHERE complaint_id = ?",
            (complaint_id,),
        )
        order_id, filed_at = filed if filed is not None else (None, None)
        if order_id is None:
            return  # no order: nothing to key it by
        order = self.orders.get(order_id)
        if order is None:
            return
        for rule in rules:
            key = order.key(str(rule.key_kind))
            if key is not None:
                Forming(self.tx, self.prefix, rule, key).add(complaint_id, order_id, filed_at)


class Forming:
    """The clusters of one rule about one key. A complaint is in one cluster at most: the
    first rule (in CLUSTER_RULES' order) whose cluster takes it keeps it, so one kitchen's
    cluster is not proposed again as its region's."""

    def __init__(self, tx: Tx, prefix: str, rule: ClusterRule, key: str) -> None:
        self.tx, self.prefix, self.rule, self.key = tx, prefix, rule, key
        # a complaint in a cluster of one rule (say, its kitchen's) forms no other rule's
        self.clustered = (
            f"SELECT complaint_id FROM {prefix}members WHERE seq IS NOT NULL AND rule <> ?"
        )
        self.where = "rule = ? AND cluster_key = ?"
        self.keyed = (rule.name, key)

    def add(self, complaint_id: str, order_id: str, filed_at: float) -> None:
        known = self.tx.one(
            f"SELECT seq FROM {self.prefix}members WHERE {self.where} AND complaint_id = ?",
            (*self.keyed, complaint_id),
        )
        if known is not None:
            return  # reclassified back: still the member it was
        self.tx.execute(
            f"INSERT INTO {self.prefix}members (rule, cluster_key, complaint_id, order_id,"
            " filed_at, seq, recorded) VALUES (?, ?, ?, ?, ?, NULL, 0)",
            (*self.keyed, complaint_id, order_id, filed_at),
        )
        if self._clustered_elsewhere(complaint_id):
            return  # it counts for the key's history only
        window = self.rule.window.total_seconds()
        open_cluster = self.tx.one(
            f"SELECT seq, first_at, last_at FROM {self.prefix}clusters WHERE {self.where}"
            " AND status <> 'dismissed' ORDER BY seq DESC LIMIT 1",
            self.keyed,
        )
        if open_cluster is not None:
            seq, first_at, last_at = open_cluster
            if float(first_at) - window <= filed_at <= float(last_at) + window:
                self._join(int(seq), [complaint_id])
                return
        self._form(filed_at, window)

    def _form(self, filed_at: float, window: float) -> None:
        loose = self.tx.all(
            f"SELECT complaint_id, filed_at FROM {self.prefix}members WHERE {self.where}"
            " AND seq IS NULL AND filed_at >= ? AND filed_at <= ?"
            f" AND complaint_id NOT IN ({self.clustered}) ORDER BY filed_at, complaint_id",
            (*self.keyed, filed_at - window, filed_at + window, self.rule.name),
        )
        for start in sorted({float(at) for _, at in loose if float(at) <= filed_at}):
            inside = [cid for cid, at in loose if start <= float(at) <= start + window]
            if start + window < filed_at or not inside:
                continue
            trigger = self.rule.trigger(len(inside), self._history(start))
            if trigger is not None:
                self._open(trigger, inside)
                return

    def _clustered_elsewhere(self, complaint_id: str) -> bool:
        found = self.tx.one(
            f"SELECT 1 FROM {self.prefix}members WHERE complaint_id = ? AND seq IS NOT NULL"
            " AND rule <> ?",
            (complaint_id, self.rule.name),
        )
        return found is not None

    def _history(self, start: float) -> int:
        if self.rule.baseline is None:
            return 0
        period = self.rule.baseline.period.total_seconds()
        row = self.tx.one(
            f"SELECT COUNT(*) FROM {self.prefix}members WHERE {self.where}"
            " AND filed_at >= ? AND filed_at < ?",
            (*self.keyed, start - period, start),
        )
        (count,) = row if row is not None else (0,)
        return int(count)

    def _open(self, trigger: Trigger, complaint_ids: list[str]) -> None:
        row = self.tx.one(
            f"SELECT MAX(seq) FROM {self.prefix}clusters WHERE {self.where}", self.keyed
        )
        (last,) = row if row is not None else (None,)
        seq = 1 if last is None else int(last) + 1
        self.tx.execute(
            f"INSERT INTO {self.prefix}clusters (rule, cluster_key, seq, detection_id, key_kind,"
            " category, trigger_kind, status, first_at, last_at, size, recorded)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 'proposed', 0, 0, 0, 0)",
            (
                *self.keyed,
                seq,
                str(detection_id(self.rule.name, self.key, seq)),
                str(self.rule.key_kind),
                str(self.rule.category),
                str(trigger),
            ),
        )
        self._join(seq, complaint_ids)

    def _join(self, seq: int, complaint_ids: list[str]) -> None:
        marks = ", ".join("?" for _ in complaint_ids)
        self.tx.execute(
            f"UPDATE {self.prefix}members SET seq = ? WHERE {self.where}"
            f" AND complaint_id IN ({marks})",
            (seq, *self.keyed, *complaint_ids),
        )
        self.tx.execute(
            f"UPDATE {self.prefix}clusters SET (size, first_at, last_at) = (SELECT COUNT(*),"
            f" MIN(filed_at), MAX(filed_at) FROM {self.prefix}members m WHERE m.rule = ?"
            f" AND m.cluster_key = ? AND m.seq = ?) WHERE {self.where} AND seq = ?",
            (*self.keyed, seq, *self.keyed, seq),
        )


def _detection(tx: Tx, prefix: str, name: str, event: Any) -> None:
    detection = str(event.originator_id)
    if name in STATUS:
        tx.execute(
            f"UPDATE {prefix}clusters SET status = ?, incident_id = ?, decided_by = ?"
            " WHERE detection_id = ?",
            (
                STATUS[name],
                None if name != "ClusterAccepted" else str(event.incident_id),
                event.meta.actor.id,
                detection,
            ),
        )
        return
    found = tx.one(
        f"SELECT rule, cluster_key, seq FROM {prefix}clusters WHERE detection_id = ?",
        (detection,),
    )
    if found is None:
        return  # not a cluster this view formed
    rule, key, seq = found
    ids = [str(c) for c in event.complaint_ids]
    marks = ", ".join("?" for _ in ids)
    tx.execute(
        f"UPDATE {prefix}members SET recorded = 1 WHERE rule = ? AND cluster_key = ?"
        f" AND seq = ? AND complaint_id IN ({marks})",
        (rule, key, seq, *ids),
    )
    detected_at = epoch(event.meta.occurred_at) if name == "ClusterDetected" else None
    tx.execute(
        f"UPDATE {prefix}clusters SET recorded = (SELECT COUNT(*) FROM {prefix}members m"
        " WHERE m.rule = ? AND m.cluster_key = ? AND m.seq = ? AND m.recorded = 1),"
        " detected_at = COALESCE(detected_at, ?) WHERE detection_id = ?",
        (rule, key, seq, detected_at, detection),
    )
